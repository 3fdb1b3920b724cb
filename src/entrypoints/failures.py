"""How entrypoints name failures that are not refusals: the store's and the LMS's."""

from __future__ import annotations

import sqlite3

from eventsourcing.persistence import PersistenceError

from carepassport.application.training.ports import LmsError, LmsRequestRefused

STORE_FAILURES = (OSError, sqlite3.Error, PersistenceError)
"""Errors of the store itself (it may answer later), as opposed to bugs."""


def lms_failure_code(error: LmsError) -> str:
    """``lms_refused`` when the LMS refused the request, ``lms_unavailable`` when it failed."""
    return "lms_refused" if isinstance(error, LmsRequestRefused) else "lms_unavailable"


__all__ = ["STORE_FAILURES", "lms_failure_code"]
