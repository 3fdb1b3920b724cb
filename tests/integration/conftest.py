"""Fixtures for integration tests."""

from tests.integration.cli_helpers import cp
from tests.integration.http_helpers import api, api_services, tokens
from tests.integration.smtp_server import (
    hang_up_server,
    silent_server,
    smtp_server,
    tls_files,
    tls_smtp_server,
)

__all__ = [
    "api",
    "api_services",
    "cp",
    "hang_up_server",
    "silent_server",
    "smtp_server",
    "tls_files",
    "tls_smtp_server",
    "tokens",
]
