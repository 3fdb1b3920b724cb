"""Fixtures for integration tests."""

from tests.integration.cli_helpers import cp

__all__ = ["cp"]
