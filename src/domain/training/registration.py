"""Registration: one employee in one micro-credential, with its access window (R5-R7, R13)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import Aggregate

from carepassport.domain.base import CreatedEvent, DomainEvent, aggregate_id
from carepassport.domain.errors import InvalidTransition
from carepassport.domain.reference import MicroCredential
from carepassport.domain.training.policies import (
    FeePayer,
    FundingBasis,
    Outcome,
    PriorRegistration,
    access_expiry_decision_time,
    access_time,
    access_until,
)
from carepassport.domain.values import CredentialCode, Deadline, EmployeeId, EmployerId

GRANT_ACCESS = "grant_access"
EXPIRE_ACCESS = "expire_access"
ELAPSED_TIME = "elapsed-time"
LOCAL_CALENDAR_DAYS = "calendar-days:America/Toronto"


class RegistrationStatus(StrEnum):
    """Where a registration stands."""

    REGISTERED = "registered"
    ACTIVE = "active"
    PASSED = "passed"
    FAILED = "failed"


class FailureReason(StrEnum):
    """Why a registration failed (R7, R8)."""

    ACCESS_EXPIRED = "access_expired"
    ATTEMPTS_EXHAUSTED = "attempts_exhausted"


class Registration(Aggregate):
    """One employee's registration in one micro-credential."""

    class Registered(CreatedEvent):
        employee_id: str
        employer_id: str
        credential_code: str
        sequence: int
        registered_at: datetime
        basis: str
        fee_payer: str
        fee: Decimal
        sponsorship_id: UUID | None
        access_days: int
        max_attempts: int
        access_until: datetime
        access: Deadline
        access_end: Deadline
        business_time_field = "registered_at"
        schedules = ("access", "access_end")

    class AccessGranted(DomainEvent):
        granted_at: datetime
        rule: str
        business_time_field = "granted_at"
        settles = (GRANT_ACCESS,)

        def apply(self, aggregate: Registration) -> None:
            aggregate.status = RegistrationStatus.ACTIVE
            aggregate.access_from = self.granted_at

    class AccessExpired(DomainEvent):
        expired_at: datetime
        rule: str
        business_time_field = "expired_at"
        settles = (EXPIRE_ACCESS, GRANT_ACCESS)

        def apply(self, aggregate: Registration) -> None:
            aggregate.access_expired = True

    class RegistrationSucceeded(DomainEvent):
        succeeded_at: datetime
        recorded_at: datetime
        rule: str
        business_time_field = "succeeded_at"

        def apply(self, aggregate: Registration) -> None:
            aggregate.status = RegistrationStatus.PASSED
            aggregate.succeeded_at = self.succeeded_at

    class RegistrationFailed(DomainEvent):
        reason: str
        failed_at: datetime
        rule: str
        business_time_field = "failed_at"

        def apply(self, aggregate: Registration) -> None:
            aggregate.status = RegistrationStatus.FAILED
            aggregate.failure_reason = FailureReason(self.reason)
            aggregate.failed_at = self.failed_at

    def __init__(
        self,
        employee_id: str,
        employer_id: str,
        credential_code: str,
        sequence: int,
        registered_at: datetime,
        basis: str,
        fee_payer: str,
        fee: Decimal,
        sponsorship_id: UUID | None,
        access_days: int,
        max_attempts: int,
        access_until: datetime,
        access: Deadline,
        access_end: Deadline,
    ) -> None:
        self.employee_id = EmployeeId(employee_id)
        self.employer_id = EmployerId(employer_id)
        self.credential_code = CredentialCode(credential_code)
        self.sequence = sequence
        self.registered_at = registered_at
        self.basis = FundingBasis(basis)
        self.fee_payer = FeePayer(fee_payer)
        self.fee = fee
        self.sponsorship_id = sponsorship_id
        self.access_days = access_days
        self.max_attempts = max_attempts
        self.access_until = access_until
        self.access = access
        self.access_end = access_end
        self.access_from: datetime | None = None
        self.access_expired = False
        self.status = RegistrationStatus.REGISTERED
        self.failure_reason: FailureReason | None = None
        self.failed_at: datetime | None = None
        self.succeeded_at: datetime | None = None

    @staticmethod
    def identity(employee: EmployeeId, code: CredentialCode, sequence: int) -> UUID:
        """The id of an employee's ``sequence``-th registration in ``code``."""
        return aggregate_id("registration", employee, code, sequence)

    @classmethod
    def register(
        cls,
        employee: EmployeeId,
        employer: EmployerId,
        credential: MicroCredential,
        sequence: int,
        basis: FundingBasis,
        sponsorship_id: UUID | None,
        registered_at: datetime,
        settings_version: int = 0,
    ) -> Registration:
        """R5-R7: register, scheduling access (R6) and the end-of-access decision (R7)."""
        access = Deadline(
            action=GRANT_ACCESS,
            rule="R6",
            due_at=access_time(registered_at),
            calendar_id=ELAPSED_TIME,
            settings_version=settings_version,
        )
        access_end = Deadline(
            action=EXPIRE_ACCESS,
            rule="R7",
            due_at=access_expiry_decision_time(registered_at, credential.access_days),
            calendar_id=LOCAL_CALENDAR_DAYS,
            settings_version=settings_version,
        )
        return cls._create(
            cls.Registered,
            id=cls.identity(employee, credential.code, sequence),
            timestamp=registered_at,
            employee_id=employee,
            employer_id=employer,
            credential_code=credential.code,
            sequence=sequence,
            registered_at=registered_at,
            basis=basis.value,
            fee_payer=basis.fee_payer.value,
            fee=credential.fee,
            sponsorship_id=sponsorship_id,
            access_days=credential.access_days,
            max_attempts=credential.max_attempts,
            access_until=access_until(registered_at, credential.access_days),
            access=access,
            access_end=access_end,
        )

    @property
    def outcome(self) -> Outcome:
        """Open until the registration passes or fails."""
        if self.status is RegistrationStatus.PASSED:
            return Outcome.PASSED
        if self.status is RegistrationStatus.FAILED:
            return Outcome.FAILED
        return Outcome.OPEN

    def as_prior(self) -> PriorRegistration:
        """What a later fee decision needs to know of this registration."""
        return PriorRegistration(basis=self.basis, outcome=self.outcome)

    def access_state(self, at: datetime) -> str:
        """Whether access is ``pending``, ``open`` or ``ended`` at ``at`` (R6, R7)."""
        if at < self.access.due_at:
            return "pending"
        return "open" if at <= self.access_until else "ended"

    def window_contains(self, moment: datetime) -> bool:
        """R7/R8: whether ``moment`` falls in the access window: from access start (R6) until
        the end of the last day (23:59:59 and the fractions of that second)."""
        return self.access.due_at <= moment < self.access_end.due_at

    def succeed(
        self, completed_at: datetime, recorded_at: datetime, processed_at: datetime
    ) -> None:
        """R8: the quiz was passed; the registration succeeded at the passing attempt."""
        if self.outcome is not Outcome.OPEN:
            raise InvalidTransition(f"registration {self.id} is already {self.status.value}")
        self.trigger_event(
            self.RegistrationSucceeded,
            timestamp=processed_at,
            succeeded_at=completed_at,
            recorded_at=recorded_at,
            rule="R8",
        )

    def fail_attempts_exhausted(self, failed_at: datetime, processed_at: datetime) -> None:
        """R8: the second failed attempt fails the registration."""
        if self.outcome is not Outcome.OPEN:
            raise InvalidTransition(f"registration {self.id} is already {self.status.value}")
        self.trigger_event(
            self.RegistrationFailed,
            timestamp=processed_at,
            reason=FailureReason.ATTEMPTS_EXHAUSTED.value,
            failed_at=failed_at,
            rule="R8",
        )

    @property
    def awaits_access(self) -> bool:
        """R6: access has not begun and has not ended."""
        return self.status is RegistrationStatus.REGISTERED and not self.access_expired

    @property
    def holds_access(self) -> bool:
        """R6/R7: access was granted and has not ended."""
        return self.access_from is not None and not self.access_expired

    def grant_access(self, processed_at: datetime) -> bool:
        """R6: scheduled work at the access time. False if nothing was due."""
        if not self.awaits_access:
            return False
        self.trigger_event(
            self.AccessGranted,
            timestamp=processed_at,
            granted_at=self.access.due_at,
            rule=self.access.rule,
        )
        return True

    def expire_access(self, processed_at: datetime) -> bool:
        """R7: access ends; with no pass the registration fails (business time: end of access)."""
        if self.access_expired:
            return False
        self.trigger_event(
            self.AccessExpired, timestamp=processed_at, expired_at=self.access_until, rule="R7"
        )
        if self.outcome is Outcome.OPEN:
            self.trigger_event(
                self.RegistrationFailed,
                timestamp=processed_at,
                reason=FailureReason.ACCESS_EXPIRED.value,
                failed_at=self.access_until,
                rule="R7",
            )
        return True
