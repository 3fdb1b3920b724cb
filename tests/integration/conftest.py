"""Fixtures for integration tests."""

from tests.integration.cli_helpers import cp
from tests.integration.smtp_server import (
    hang_up_server,
    silent_server,
    smtp_server,
    tls_files,
    tls_smtp_server,
)

__all__ = ["cp", "hang_up_server", "silent_server", "smtp_server", "tls_files", "tls_smtp_server"]
