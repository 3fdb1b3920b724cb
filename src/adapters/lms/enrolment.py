"""An in-memory LMS enrolment: who is enrolled in which micro-credential's course."""

from __future__ import annotations

import threading
from uuid import UUID

from carepassport.application.training.ports import LmsError, LmsUnavailable

Enrolled = tuple[str | None, str]
"""(student number, micro-credential code)."""


class InMemoryEnrolment:
    """A fake LMS enrolment that keeps state: ``enrolled`` now, ``calls`` in order;
    ``fail_next`` makes the next calls fail as an LMS outage (or with the error given)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.enrolled: set[Enrolled] = set()
        self.calls: list[tuple[str, str | None, str, UUID]] = []
        self._failures: list[LmsError] = []

    def fail_next(self, count: int = 1, error: LmsError | None = None) -> None:
        """Fail the next ``count`` calls with ``error`` (default: the LMS is unavailable)."""
        with self._lock:
            self._failures = [error or LmsUnavailable("simulated LMS outage")] * count

    def enrol(
        self, student_number: str | None, credential_code: str, registration_id: UUID
    ) -> None:
        """Enrol the learner (again: no change)."""
        self._call("enrol", student_number, credential_code, registration_id)
        with self._lock:
            self.enrolled.add((student_number, credential_code))

    def unenrol(
        self, student_number: str | None, credential_code: str, registration_id: UUID
    ) -> None:
        """Remove the enrolment, if there is one."""
        self._call("unenrol", student_number, credential_code, registration_id)
        with self._lock:
            self.enrolled.discard((student_number, credential_code))

    def _call(
        self, operation: str, student_number: str | None, code: str, registration_id: UUID
    ) -> None:
        with self._lock:
            self.calls.append((operation, student_number, code, registration_id))
            if self._failures:
                raise self._failures.pop(0)
