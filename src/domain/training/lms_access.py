"""Giving a learner the LMS course at access time (R6) and taking it back at the end (R7),
when the LMS did not do it at once: the retries and how they ended (ADR 0013)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from carepassport.domain.base import CreatedEvent, DomainEvent, aggregate_id
from carepassport.domain.errors import InvalidTransition
from carepassport.domain.time import TORONTO, require_aware
from carepassport.domain.values import Deadline

LMS_PROVISIONING = "lms_provisioning"
RETRY_CALENDAR = "elapsed-time"
FIRST_RETRY = timedelta(minutes=5)
LONGEST_RETRY = timedelta(hours=6)
UNENROL_GIVE_UP = timedelta(days=7)


class Operation(StrEnum):
    """What the LMS is asked to do for a registration."""

    ENROL = "enrol"
    UNENROL = "unenrol"


class ProvisioningOutcome(StrEnum):
    """How a run of retries ended."""

    DONE = "done"
    NOT_NEEDED = "not_needed"
    GAVE_UP = "gave_up"


def provisioning_retry_time(failed_at: datetime, failures: int) -> datetime:
    """When to call the LMS again after its ``failures``-th failure: 5 minutes after the first,
    three times longer after each next one, never more than 6 hours apart (elapsed time)."""
    factor: int = 3 ** max(failures - 1, 0)
    delay = min(FIRST_RETRY * factor, LONGEST_RETRY)
    return (require_aware(failed_at, "failed_at").astimezone(UTC) + delay).astimezone(TORONTO)


def unenrolment_abandoned(first_failed_at: datetime, now: datetime) -> bool:
    """An unenrolment still failing 7 days after its first failure is left to a person."""
    return now - first_failed_at >= UNENROL_GIVE_UP


class LmsProvisioning(Aggregate):
    """One registration's enrolment (or unenrolment) after the LMS failed to do it at once."""

    class ProvisioningFailed(CreatedEvent):
        personal: ClassVar[dict[str, str]] = {"error": "person:employee_id"}
        registration_id: UUID
        operation: str
        employee_id: str
        credential_code: str
        error: str
        failed_at: datetime
        retry: Deadline
        business_time_field = "failed_at"
        schedules = ("retry",)

    class ProvisioningFailedAgain(DomainEvent):
        personal: ClassVar[dict[str, str]] = {"error": "record"}
        failures: int
        error: str
        failed_at: datetime
        retry: Deadline
        business_time_field = "failed_at"
        schedules = ("retry",)
        settles = (LMS_PROVISIONING,)

        def apply(self, aggregate: LmsProvisioning) -> None:
            aggregate.failures = self.failures
            aggregate.last_error = self.error
            aggregate.retry = self.retry

    class ProvisioningEnded(DomainEvent):
        outcome: str
        reason: str
        ended_at: datetime
        business_time_field = "ended_at"
        settles = (LMS_PROVISIONING,)

        def apply(self, aggregate: LmsProvisioning) -> None:
            aggregate.outcome = ProvisioningOutcome(self.outcome)
            aggregate.reason = self.reason

    def __init__(
        self,
        registration_id: UUID,
        operation: str,
        employee_id: str,
        credential_code: str,
        error: str,
        failed_at: datetime,
        retry: Deadline,
    ) -> None:
        self.registration_id = registration_id
        self.operation = Operation(operation)
        self.employee_id = employee_id
        self.credential_code = credential_code
        self.first_failed_at = failed_at
        self.failures = 1
        self.last_error = error
        self.retry = retry
        self.outcome: ProvisioningOutcome | None = None
        self.reason = ""

    @staticmethod
    def identity(registration_id: UUID, operation: Operation) -> UUID:
        """The id of the retries of ``operation`` for one registration."""
        return aggregate_id("lms-provisioning", registration_id, operation.value)

    @classmethod
    def failed(
        cls,
        registration_id: UUID,
        operation: Operation,
        employee_id: str,
        credential_code: str,
        error: str,
        failed_at: datetime,
    ) -> LmsProvisioning:
        """The LMS failed the first call; try again later (the call's moment is the fact's
        business time: it happened when the LMS answered, or did not)."""
        return cls._create(
            cls.ProvisioningFailed,
            id=cls.identity(registration_id, operation),
            timestamp=failed_at,
            registration_id=registration_id,
            operation=operation.value,
            employee_id=employee_id,
            credential_code=credential_code,
            error=error,
            failed_at=failed_at,
            retry=cls._retry(failed_at, 1),
        )

    @property
    def open(self) -> bool:
        """Whether retries go on."""
        return self.outcome is None

    def failed_again(self, error: str, failed_at: datetime) -> None:
        """A retry failed too; schedule the next one."""
        self._require_open()
        failures = self.failures + 1
        self.trigger_event(
            self.ProvisioningFailedAgain,
            timestamp=failed_at,
            failures=failures,
            error=error,
            failed_at=failed_at,
            retry=self._retry(failed_at, failures),
        )

    def end(self, outcome: ProvisioningOutcome, reason: str, ended_at: datetime) -> None:
        """The retries are over: done, no longer needed, or left to a person."""
        self._require_open()
        self.trigger_event(
            self.ProvisioningEnded,
            timestamp=ended_at,
            outcome=outcome.value,
            reason=reason,
            ended_at=ended_at,
        )

    def _require_open(self) -> None:
        if not self.open:
            raise InvalidTransition(f"LMS {self.operation.value} {self.id} already ended")

    @staticmethod
    def _retry(failed_at: datetime, failures: int) -> Deadline:
        return Deadline(
            action=LMS_PROVISIONING,
            rule="R6/R7",
            due_at=provisioning_retry_time(failed_at, failures),
            calendar_id=RETRY_CALENDAR,
            settings_version=0,
        )
