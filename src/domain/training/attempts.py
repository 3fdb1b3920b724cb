"""The final-quiz ledger of one registration (R8): two attempts, a pass ends them.

A counted attempt is one ``AttemptRecorded``: a pass ends the attempts, and so does a fail on
the last allowed one (the registration records the success or the failure). Stores written
before that recorded ``QuizPassed`` or ``QuizFailedTwice`` after it; those still read the same.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
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
            aggregate.counted.append(
                CountedAttempt(
                    self.number,
                    self.record_id,
                    self.lms_attempt,
                    self.score,
                    self.passed,
                    self.attempted_at,
                )
            )
            aggregate.seen.add(self.record_id)
            if self.passed:  # a pass ends the attempts
                aggregate.passed = True
            elif self.number >= aggregate.max_attempts:  # so does a fail on the last one
                aggregate.exhausted = True

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
            self.AttemptRecorded,
            timestamp=processed_at,
            record_id=result.record_id,
            number=number,
            lms_attempt=result.attempt,
            score=result.score,
            passed=result.passed,
            attempted_at=result.attempted_at,
            recorded_at=recorded_at,
        )
        if self.passed:
            return LedgerDecision(Verdict.PASSED, number)
        if self.exhausted:
            return LedgerDecision(Verdict.FAILED_TWICE, number)
        return LedgerDecision(Verdict.COUNTED, number)

    def _refusal(self, result: QuizResult, registration: Registration) -> str:
        if result.record_id in self.seen:
            return f"LMS record {result.record_id} was already applied"
        if not registration.window_contains(result.attempted_at):
            return (
                f"attempted {local(result.attempted_at).isoformat()}, outside the access window "
                f"{local(registration.access.due_at).isoformat()} to "
                f"{local(registration.access_until).isoformat()}"
            )
        if registration.outcome is Outcome.FAILED:
            reason = registration.failure_reason.value if registration.failure_reason else ""
            return f"the registration had already failed ({reason})"
        if self.passed:
            return "the quiz was already passed"
        if len(self.counted) >= self.max_attempts:
            return f"all {self.max_attempts} attempts were already used"
        return ""
