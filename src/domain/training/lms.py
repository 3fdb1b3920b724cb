"""Results from the LMS as the nightly sync takes them in (R9, R11), and the sync's own schedule."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

import attrs
from eventsourcing.domain import Aggregate

from carepassport.domain.base import CreatedEvent, DomainEvent, aggregate_id
from carepassport.domain.errors import InvalidTransition, InvalidValue
from carepassport.domain.time import require_aware
from carepassport.domain.training.policies import next_midnight
from carepassport.domain.values import Deadline, EmployeeId

NIGHTLY_SYNC = "nightly_sync"
SYNC_CALENDAR = "midnight:America/Toronto"


@attrs.frozen
class QuizResult:
    """One final-quiz result as the LMS reports it; ``record_id`` is unique in the LMS."""

    record_id: str
    student_number: str
    credential_code: str
    attempt: int
    score: Decimal
    passed: bool
    attempted_at: datetime = attrs.field(
        validator=lambda _i, _a, v: require_aware(v, "attempted_at")
    )

    def __attrs_post_init__(self) -> None:
        if self.attempt not in (1, 2):
            raise InvalidValue(f"attempt must be 1 or 2, not {self.attempt}")
        if not self.record_id.strip():
            raise InvalidValue("record_id is empty")


class ResultOutcome(StrEnum):
    """What applying a result did."""

    COUNTED = "counted"
    REFUSED = "refused"


def _as_received(result: QuizResult, received_at: datetime) -> dict[str, object]:
    """The fields a result's record is created with."""
    return {
        "record_id": result.record_id,
        "student_number": result.student_number,
        "credential_code": result.credential_code,
        "lms_attempt": result.attempt,
        "score": result.score,
        "passed": result.passed,
        "attempted_at": result.attempted_at,
        "received_at": received_at,
    }


class LmsResult(Aggregate):
    """One LMS record as taken in; its id is derived from ``record_id``, so it is taken once."""

    class ResultReceived(CreatedEvent):
        personal: ClassVar[dict[str, str]] = {"student_number": "student"}
        record_id: str
        student_number: str
        credential_code: str
        lms_attempt: int
        score: Decimal
        passed: bool
        attempted_at: datetime
        received_at: datetime
        business_time_field = "received_at"

    class ResultTaken(CreatedEvent):
        """A result taken in and applied to a registration at once: what ``ResultReceived``
        followed by ``ResultApplied`` records (a store written before this event holds that
        pair). A result held for an unknown student number is still ``ResultReceived``, and
        ``ResultApplied`` once it is reconciled."""

        personal: ClassVar[dict[str, str]] = {"student_number": "student"}
        record_id: str
        student_number: str
        credential_code: str
        lms_attempt: int
        score: Decimal
        passed: bool
        attempted_at: datetime
        received_at: datetime
        registration_id: UUID | None
        outcome: str
        reason: str
        business_time_field = "received_at"

        def apply(self, aggregate: LmsResult) -> None:
            aggregate.outcome = ResultOutcome(self.outcome)
            aggregate.registration_id = self.registration_id

    class ResultUnmatched(DomainEvent):
        personal: ClassVar[dict[str, str]] = {
            "student_number": "student",
            "reason": "student:student_number",
        }
        record_id: str
        student_number: str
        reason: str
        flagged_at: datetime
        business_time_field = "flagged_at"

        def apply(self, aggregate: LmsResult) -> None:
            aggregate.unmatched = True

    class ResultReconciled(DomainEvent):
        employee_id: str
        reconciled_at: datetime
        business_time_field = "reconciled_at"

        def apply(self, aggregate: LmsResult) -> None:
            aggregate.unmatched = False
            aggregate.employee_id = EmployeeId(self.employee_id)

    class ResultApplied(DomainEvent):
        registration_id: UUID | None
        outcome: str
        reason: str
        applied_at: datetime
        business_time_field = "applied_at"

        def apply(self, aggregate: LmsResult) -> None:
            aggregate.outcome = ResultOutcome(self.outcome)
            aggregate.registration_id = self.registration_id

    def __init__(
        self,
        record_id: str,
        student_number: str,
        credential_code: str,
        lms_attempt: int,
        score: Decimal,
        passed: bool,
        attempted_at: datetime,
        received_at: datetime,
    ) -> None:
        self.result = QuizResult(
            record_id, student_number, credential_code, lms_attempt, score, passed, attempted_at
        )
        self.received_at = received_at
        self.unmatched = False
        self.employee_id: EmployeeId | None = None
        self.outcome: ResultOutcome | None = None
        self.registration_id: UUID | None = None

    @staticmethod
    def identity(record_id: str) -> UUID:
        """The id of the LMS record ``record_id``."""
        return aggregate_id("lms-result", record_id)

    @classmethod
    def receive(
        cls, result: QuizResult, received_at: datetime, processed_at: datetime
    ) -> LmsResult:
        """Take a result in; ``received_at`` is the sync's business time (R9)."""
        return cls._create(
            cls.ResultReceived,
            id=cls.identity(result.record_id),
            timestamp=processed_at,
            **_as_received(result, received_at),
        )

    @classmethod
    def take(
        cls,
        result: QuizResult,
        received_at: datetime,
        registration_id: UUID | None,
        outcome: ResultOutcome,
        reason: str,
        processed_at: datetime,
    ) -> LmsResult:
        """Take a result in that was applied at once (its student number is known): what
        ``receive`` and ``applied`` record, in one event."""
        return cls._create(
            cls.ResultTaken,
            id=cls.identity(result.record_id),
            timestamp=processed_at,
            **_as_received(result, received_at),
            registration_id=registration_id,
            outcome=outcome.value,
            reason=reason,
        )

    def hold_unmatched(self, flagged_at: datetime, processed_at: datetime) -> None:
        """R11: no employee has this student number; hold the result and flag it."""
        self.trigger_event(
            self.ResultUnmatched,
            timestamp=processed_at,
            record_id=self.result.record_id,
            student_number=self.result.student_number,
            reason=f"no employee has student number {self.result.student_number}",
            flagged_at=flagged_at,
        )

    def reconcile(self, employee: EmployeeId, at: datetime) -> None:
        """R11: the student number now names an employee; the result is released to them."""
        if not self.unmatched:
            raise InvalidTransition(f"LMS record {self.result.record_id} is not held")
        self.trigger_event(
            self.ResultReconciled, timestamp=at, employee_id=employee, reconciled_at=at
        )

    def applied(
        self,
        registration_id: UUID | None,
        outcome: ResultOutcome,
        reason: str,
        applied_at: datetime,
        processed_at: datetime,
    ) -> None:
        """Record what applying the result to the employee's registrations did."""
        self.trigger_event(
            self.ResultApplied,
            timestamp=processed_at,
            registration_id=registration_id,
            outcome=outcome.value,
            reason=reason,
            applied_at=applied_at,
        )


class LmsSync(Aggregate):
    """The nightly sync's schedule and cursor into the LMS's results (one per store)."""

    class SyncScheduleOpened(CreatedEvent):
        opened_at: datetime
        first: Deadline
        business_time_field = "opened_at"
        schedules = ("first",)

    class MidnightSyncRan(DomainEvent):
        midnight: datetime
        cursor: int
        taken: int
        next: Deadline
        business_time_field = "midnight"
        schedules = ("next",)
        settles = (NIGHTLY_SYNC,)

        def apply(self, aggregate: LmsSync) -> None:
            aggregate.cursor = self.cursor
            aggregate.next = self.next
            aggregate.last_midnight = self.midnight

    class ManualSyncRan(DomainEvent):
        ran_at: datetime
        cursor: int
        taken: int
        business_time_field = "ran_at"

        def apply(self, aggregate: LmsSync) -> None:
            aggregate.cursor = self.cursor

    def __init__(self, opened_at: datetime, first: Deadline) -> None:
        self.cursor = 0
        self.next = first
        self.last_midnight: datetime | None = None

    @staticmethod
    def identity() -> UUID:
        """The sync's fixed identity."""
        return aggregate_id("lms-sync")

    @classmethod
    def open(cls, opened_at: datetime) -> LmsSync:
        """Start the nightly schedule at the first midnight after ``opened_at``."""
        return cls._create(
            cls.SyncScheduleOpened,
            id=cls.identity(),
            timestamp=opened_at,
            opened_at=opened_at,
            first=cls._deadline(next_midnight(opened_at)),
        )

    def midnight_ran(self, cursor: int, taken: int, processed_at: datetime) -> None:
        """The sync of ``self.next`` ran; schedule the following midnight."""
        midnight = self.next.due_at
        self.trigger_event(
            self.MidnightSyncRan,
            timestamp=processed_at,
            midnight=midnight,
            cursor=cursor,
            taken=taken,
            next=self._deadline(next_midnight(midnight)),
        )

    def manual_ran(self, cursor: int, taken: int, ran_at: datetime) -> None:
        """An operator's catch-up sync ran at ``ran_at``."""
        self.trigger_event(
            self.ManualSyncRan, timestamp=ran_at, ran_at=ran_at, cursor=cursor, taken=taken
        )

    @staticmethod
    def _deadline(midnight: datetime) -> Deadline:
        return Deadline(
            action=NIGHTLY_SYNC,
            rule="R9",
            due_at=midnight,
            calendar_id=SYNC_CALENDAR,
            settings_version=0,
        )
