"""The final-quiz ledger of one registration (R8): two attempts, a pass ends them.

A counted attempt is one ``AttemptRecorded``: a pass ends the attempts, and so does a fail on
the last allowed one (the registration records the success or the failure). Stores written
before that recorded ``QuizPassed`` or ``QuizFailedTwice`` after it; those still read the same.
A ledger whose first result counts begins with ``FirstAttemptRecorded``, which opens it and
counts that attempt; stores written before it have ``LedgerOpened`` then ``AttemptRecorded``,
and so does a ledger whose first result is refused (ADR 0029).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

import attrs
from eventsourcing.domain import Aggregate

from carepassport.domain.base import CreatedEvent, DomainEvent, aggregate_id
from carepassport.domain.time import local
from carepassport.domain.training.lms import QuizResult
from carepassport.domain.training.policies import Outcome
from carepassport.domain.training.registration import Registration


class Verdict(StrEnum):
    """What the ledger made of a result."""

    COUNTED = "counted"
    PASSED = "passed"
    FAILED_TWICE = "failed_twice"
    REFUSED = "refused"


@attrs.frozen
class LedgerDecision:
    """The ledger's decision on one result, with the reason when it was refused."""

    verdict: Verdict
    number: int | None = None
    reason: str = ""


@attrs.frozen
class CountedAttempt:
    """A counted attempt as the ledger keeps it."""

    number: int
    record_id: str
    lms_attempt: int
    score: Decimal
    passed: bool
    attempted_at: datetime


class AttemptLedger(Aggregate):
    """Counts a registration's final-quiz attempts (R8).

    Attempts are numbered in the order the college learns of them; each sync and each
    reconciliation applies its results sorted by ``attempted_at``. The LMS's own attempt number
    is kept beside the ledger's.
    """

    class LedgerOpened(CreatedEvent):
        registration_id: UUID
        max_attempts: int
        opened_at: datetime
        business_time_field = "opened_at"

    class AttemptRecorded(DomainEvent):
        record_id: str
        number: int
        lms_attempt: int
        score: Decimal
        passed: bool
        attempted_at: datetime
        recorded_at: datetime
        business_time_field = "attempted_at"

        def apply(self, aggregate: AttemptLedger) -> None:
            aggregate.count(self)

    class FirstAttemptRecorded(CreatedEvent):
        """The ledger opened by its first result, which counts: ``LedgerOpened`` and
        ``AttemptRecorded`` in one event (ADR 0029)."""

        registration_id: UUID
        max_attempts: int
        opened_at: datetime
        record_id: str
        number: int
        lms_attempt: int
        score: Decimal
        passed: bool
        attempted_at: datetime
        recorded_at: datetime
        business_time_field = "attempted_at"

        def apply(self, aggregate: AttemptLedger) -> None:
            aggregate.count(self)

    class AttemptRefused(DomainEvent):
        record_id: str
        lms_attempt: int
        attempted_at: datetime
        reason: str
        refused_at: datetime
        business_time_field = "refused_at"

        def apply(self, aggregate: AttemptLedger) -> None:
            aggregate.seen.add(self.record_id)
            aggregate.refused.append((self.record_id, self.reason))

    class QuizPassed(DomainEvent):
        """Recorded after a passing ``AttemptRecorded`` by stores written before that event
        ended the attempts itself; read, never recorded now."""

        passed_at: datetime
        business_time_field = "passed_at"

        def apply(self, aggregate: AttemptLedger) -> None:
            aggregate.passed = True

    class QuizFailedTwice(DomainEvent):
        """Recorded after a failing last ``AttemptRecorded`` by stores written before that
        event ended the attempts itself; read, never recorded now."""

        failed_at: datetime
        business_time_field = "failed_at"

        def apply(self, aggregate: AttemptLedger) -> None:
            aggregate.exhausted = True

    def __init__(self, registration_id: UUID, max_attempts: int, opened_at: datetime) -> None:
        self.registration_id = registration_id
        self.max_attempts = max_attempts
        self.counted: list[CountedAttempt] = []
        self.refused: list[tuple[str, str]] = []
        self.seen: set[str] = set()
        self.passed = False
        self.exhausted = False

    def count(self, attempt: AttemptRecorded | FirstAttemptRecorded) -> None:
        """Count an attempt: a pass ends the attempts, and so does a fail on the last one."""
        self.counted.append(
            CountedAttempt(
                attempt.number,
                attempt.record_id,
                attempt.lms_attempt,
                attempt.score,
                attempt.passed,
                attempt.attempted_at,
            )
        )
        self.seen.add(attempt.record_id)
        if attempt.passed:
            self.passed = True
        elif attempt.number >= self.max_attempts:
            self.exhausted = True

    @staticmethod
    def identity(registration_id: UUID) -> UUID:
        """The ledger of registration ``registration_id``."""
        return aggregate_id("attempts", registration_id)

    @classmethod
    def open(cls, registration: Registration, opened_at: datetime) -> AttemptLedger:
        """Open the ledger of a registration at its first result."""
        return cls._create(
            cls.LedgerOpened,
            id=cls.identity(registration.id),
            timestamp=opened_at,
            registration_id=registration.id,
            max_attempts=registration.max_attempts,
            opened_at=opened_at,
        )

    @classmethod
    def first(
        cls,
        result: QuizResult,
        registration: Registration,
        recorded_at: datetime,
        processed_at: datetime,
    ) -> tuple[AttemptLedger, LedgerDecision]:
        """R8 for a registration's first result: the ledger opened with the result counted in
        one event, or opened and the result refused with the reason."""
        if _refusal_by(registration, result):
            ledger = cls.open(registration, processed_at)
            return ledger, ledger.record(result, registration, recorded_at, processed_at)
        ledger = cls._create(
            cls.FirstAttemptRecorded,
            id=cls.identity(registration.id),
            timestamp=processed_at,
            registration_id=registration.id,
            max_attempts=registration.max_attempts,
            opened_at=processed_at,
            **_attempt(result, 1, recorded_at),
        )
        return ledger, ledger._decision(1)

    def record(
        self,
        result: QuizResult,
        registration: Registration,
        recorded_at: datetime,
        processed_at: datetime,
    ) -> LedgerDecision:
        """R8: count the result as the next attempt, or refuse it with the reason."""
        reason = self._refusal(result, registration)
        if reason:
            self.trigger_event(
                self.AttemptRefused,
                timestamp=processed_at,
                record_id=result.record_id,
                lms_attempt=result.attempt,
                attempted_at=result.attempted_at,
                reason=reason,
                refused_at=recorded_at,
            )
            return LedgerDecision(Verdict.REFUSED, reason=reason)
        number = len(self.counted) + 1
        self.trigger_event(
            self.AttemptRecorded, timestamp=processed_at, **_attempt(result, number, recorded_at)
        )
        return self._decision(number)

    def _decision(self, number: int) -> LedgerDecision:
        if self.passed:
            return LedgerDecision(Verdict.PASSED, number)
        if self.exhausted:
            return LedgerDecision(Verdict.FAILED_TWICE, number)
        return LedgerDecision(Verdict.COUNTED, number)

    def _refusal(self, result: QuizResult, registration: Registration) -> str:
        if result.record_id in self.seen:
            return f"LMS record {result.record_id} was already applied"
        by_registration = _refusal_by(registration, result)
        if by_registration:
            return by_registration
        if self.passed:
            return "the quiz was already passed"
        if len(self.counted) >= self.max_attempts:
            return f"all {self.max_attempts} attempts were already used"
        return ""


def _attempt(result: QuizResult, number: int, recorded_at: datetime) -> dict[str, Any]:
    """The fields of a counted attempt, as ``AttemptRecorded`` and ``FirstAttemptRecorded``
    both record them."""
    return {
        "record_id": result.record_id,
        "number": number,
        "lms_attempt": result.attempt,
        "score": result.score,
        "passed": result.passed,
        "attempted_at": result.attempted_at,
        "recorded_at": recorded_at,
    }


def _refusal_by(registration: Registration, result: QuizResult) -> str:
    """Why the registration itself refuses ``result`` (outside its window, already failed),
    or ""."""
    if not registration.window_contains(result.attempted_at):
        return (
            f"attempted {local(result.attempted_at).isoformat()}, outside the access window "
            f"{local(registration.access.due_at).isoformat()} to "
            f"{local(registration.access_until).isoformat()}"
        )
    if registration.outcome is Outcome.FAILED:
        reason = registration.failure_reason.value if registration.failure_reason else ""
        return f"the registration had already failed ({reason})"
    return ""
