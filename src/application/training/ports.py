"""Ports of the training capability: the LMS's results feed, enrolment and result formats."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

import attrs

from carepassport.domain.training.lms import QuizResult


@attrs.frozen
class StagedResult:
    """A result in the LMS's feed: its position, and since when the LMS held it."""

    position: int
    held_at: datetime
    result: QuizResult


class Lms(Protocol):
    """The LMS's final-quiz results, read forward from a cursor (a position in its feed)."""

    def results_since(self, cursor: int, limit: int) -> list[StagedResult]:
        """Up to ``limit`` results after position ``cursor``, in feed order."""
        ...

    def results_at(self, positions: Sequence[int]) -> list[StagedResult]:
        """The results at these positions of the feed (any order; positions never move)."""
        ...


class StagingLms(Lms, Protocol):
    """An LMS that holds what operators import (the CLI's nightly CSV)."""

    def stage(self, results: Sequence[QuizResult], held_at: datetime) -> int:
        """Hold new results from ``held_at``; returns how many were staged."""
        ...

    def find(self, record_ids: Sequence[str]) -> dict[str, QuizResult]:
        """The staged results with these record ids."""
        ...

    def latest_held_at(self) -> datetime | None:
        """When the latest staged result was staged (None before any)."""
        ...


class LmsError(Exception):
    """The LMS did not do what was asked (domain-free: adapters raise the subclasses)."""


class LmsUnavailable(LmsError):
    """The LMS could not be reached, or kept failing (timeouts, 5xx, 429) after retries."""


class LmsRequestRefused(LmsError):
    """The LMS refused a request (an HTTP 4xx ``status``, or a request that cannot be made):
    asking again changes nothing until a person changes something (a token, a course mapping,
    a user account)."""

    def __init__(self, message: str, status: int | None = None, excerpt: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.excerpt = excerpt


class LmsUserUnknown(LmsRequestRefused):
    """No LMS user has the employee's student number (or the employee has none yet)."""


class LmsEnrolment(Protocol):
    """Gives a learner the micro-credential's course in the LMS at access time (R6) and takes
    it back when access ends (R7). Both are idempotent; raising an LmsError means not done."""

    def enrol(
        self, student_number: str | None, credential_code: str, registration_id: UUID
    ) -> None:
        """Enrol the learner with ``student_number`` (None: the employee has none yet)."""
        ...

    def unenrol(
        self, student_number: str | None, credential_code: str, registration_id: UUID
    ) -> None:
        """Remove the learner's enrolment; one who is not enrolled is left as they are."""
        ...


RowReader = Callable[[Mapping[str, str]], QuizResult | None]
"""One CSV row (column -> cell) as a result; None for a row that is not a final-quiz result;
raises InvalidValue naming what is wrong with a bad row."""


class ResultFormat(Protocol):
    """Another LMS's results export, read into canonical results (``lms import --format``)."""

    @property
    def name(self) -> str:
        """The format's name on the command line."""
        ...

    @property
    def columns(self) -> Sequence[str]:
        """The header's required columns."""
        ...

    def reader(self, users_csv: str | None) -> RowReader:
        """A reader of this export's rows; ``users_csv`` is the LMS's users export, for
        formats that name learners by the LMS's own user ids."""
        ...
