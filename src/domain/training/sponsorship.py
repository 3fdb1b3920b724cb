"""Sponsorship: an employee asks the employer to pay for micro-credentials (R2-R4)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from carepassport.domain.base import CreatedEvent, DomainEvent, aggregate_id
from carepassport.domain.errors import InvalidTransition, InvalidValue
from carepassport.domain.reference import Employer
from carepassport.domain.time import BusinessCalendar
from carepassport.domain.training.policies import (
    APPROVAL_REMINDER_BUSINESS_DAYS,
    approval_reminder_times,
    self_registration_time,
)
from carepassport.domain.values import (
    CredentialCode,
    Deadline,
    EmailAddress,
    EmployeeId,
    EmployerId,
)

ENABLE_SELF_REGISTRATION = "enable_self_registration"
APPROVAL_REMINDER = "approval_reminder"


def approval_reminder_action(number: int) -> str:
    """The scheduled action of the ``number``-th reminder to the approvers (R3)."""
    return f"{APPROVAL_REMINDER}:{number}"


ANSWER_SETTLES = tuple(
    approval_reminder_action(n) for n in range(1, len(APPROVAL_REMINDER_BUSINESS_DAYS) + 1)
)
"""An answer, by reply or by command, cancels every reminder still to come."""


class SponsorshipStatus(StrEnum):
    """Where a sponsorship request stands."""

    REQUESTED = "requested"
    APPROVED = "approved"
    DECLINED = "declined"
    ENABLED = "enabled"


class Sponsorship(Aggregate):
    """One request by an employee for the employer to pay for one or more micro-credentials."""

    class SponsorshipRequested(CreatedEvent):
        employee_id: str
        employer_id: str
        credentials: list[str]
        sequence: int
        requested_at: datetime
        reminders: list[Deadline]
        business_time_field = "requested_at"
        schedules = ("reminders",)
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            """Requests recorded before approval reminders existed scheduled none."""
            state["reminders"] = []

    class ApprovalGranted(DomainEvent):
        personal: ClassVar[dict[str, str]] = {"approved_by": "email"}
        approved_by: str
        approved_at: datetime
        self_registration: Deadline
        business_time_field = "approved_at"
        schedules = ("self_registration",)
        settles = ANSWER_SETTLES

        def apply(self, aggregate: Sponsorship) -> None:
            aggregate.status = SponsorshipStatus.APPROVED
            aggregate.approved_at = self.approved_at
            aggregate.self_registration = self.self_registration

    class ApprovalDeclined(DomainEvent):
        personal: ClassVar[dict[str, str]] = {"declined_by": "email"}
        declined_by: str
        declined_at: datetime
        business_time_field = "declined_at"
        settles = ANSWER_SETTLES

        def apply(self, aggregate: Sponsorship) -> None:
            aggregate.status = SponsorshipStatus.DECLINED
            aggregate.declined_at = self.declined_at

    class ApprovalReminderSent(DomainEvent):
        number: int
        reminded_at: datetime
        business_time_field = "reminded_at"

        def settled_actions(self) -> tuple[str, ...]:
            return (approval_reminder_action(self.number),)

        def apply(self, aggregate: Sponsorship) -> None:
            aggregate.reminded.add(self.number)

    class SelfRegistrationEnabled(DomainEvent):
        enabled_at: datetime
        rule: str
        business_time_field = "enabled_at"
        settles = (ENABLE_SELF_REGISTRATION,)

        def apply(self, aggregate: Sponsorship) -> None:
            aggregate.status = SponsorshipStatus.ENABLED
            aggregate.enabled_at = self.enabled_at

    class SponsorshipUsed(DomainEvent):
        credential_code: str
        registration_id: UUID
        used_at: datetime
        business_time_field = "used_at"

        def apply(self, aggregate: Sponsorship) -> None:
            aggregate.used[CredentialCode(self.credential_code)] = self.registration_id

    def __init__(
        self,
        employee_id: str,
        employer_id: str,
        credentials: list[str],
        sequence: int,
        requested_at: datetime,
        reminders: list[Deadline],
    ) -> None:
        self.employee_id = EmployeeId(employee_id)
        self.employer_id = EmployerId(employer_id)
        self.credentials = tuple(CredentialCode(c) for c in credentials)
        self.sequence = sequence
        self.requested_at = requested_at
        self.status = SponsorshipStatus.REQUESTED
        self.approved_at: datetime | None = None
        self.declined_at: datetime | None = None
        self.enabled_at: datetime | None = None
        self.self_registration: Deadline | None = None
        self.used: dict[CredentialCode, UUID] = {}
        self.reminders = list(reminders)
        self.reminded: set[int] = set()

    @staticmethod
    def identity(employee: EmployeeId, sequence: int) -> UUID:
        """The id of an employee's ``sequence``-th sponsorship request."""
        return aggregate_id("sponsorship", employee, sequence)

    @classmethod
    def request(
        cls,
        employee: EmployeeId,
        employer: EmployerId,
        credentials: list[CredentialCode],
        sequence: int,
        requested_at: datetime,
        *,
        calendar: BusinessCalendar,
        settings_version: int,
    ) -> Sponsorship:
        """R2: request sponsorship of one or more distinct micro-credentials; R3: the approvers'
        reminders are scheduled with the business calendar in force."""
        if not credentials:
            raise InvalidValue("a sponsorship request names at least one micro-credential")
        if len(set(credentials)) != len(credentials):
            raise InvalidValue("a sponsorship request names each micro-credential once")
        return cls._create(
            cls.SponsorshipRequested,
            id=cls.identity(employee, sequence),
            timestamp=requested_at,
            employee_id=employee,
            employer_id=employer,
            credentials=list(credentials),
            sequence=sequence,
            requested_at=requested_at,
            reminders=[
                Deadline(
                    action=approval_reminder_action(number),
                    rule="R3",
                    due_at=due_at,
                    calendar_id=calendar.calendar_id,
                    settings_version=settings_version,
                )
                for number, due_at in enumerate(
                    approval_reminder_times(requested_at, calendar), start=1
                )
            ],
        )

    def approve(
        self,
        employer: Employer,
        by: EmailAddress,
        approved_at: datetime,
        calendar: BusinessCalendar,
        settings_version: int,
    ) -> Deadline:
        """R3/R4: an approver says YES; self-registration is scheduled for the next business day."""
        self._require_decision_by(employer, by)
        deadline = Deadline(
            action=ENABLE_SELF_REGISTRATION,
            rule="R4",
            due_at=self_registration_time(approved_at, calendar),
            calendar_id=calendar.calendar_id,
            settings_version=settings_version,
        )
        self.trigger_event(
            self.ApprovalGranted,
            timestamp=approved_at,
            approved_by=by,
            approved_at=approved_at,
            self_registration=deadline,
        )
        return deadline

    def decline(self, employer: Employer, by: EmailAddress, declined_at: datetime) -> None:
        """R3: an approver says NO."""
        self._require_decision_by(employer, by)
        self.trigger_event(
            self.ApprovalDeclined, timestamp=declined_at, declined_by=by, declined_at=declined_at
        )

    @property
    def awaiting_answer(self) -> bool:
        """Whether the approvers have not answered yet (R3)."""
        return self.status is SponsorshipStatus.REQUESTED

    def remind(self, number: int, processed_at: datetime) -> bool:
        """R3, scheduled: the ``number``-th reminder, once, while unanswered. A reminder whose
        successor is also due by ``processed_at`` (a late scheduler) is left to the successor,
        so approvers never get two reminders at once. False if nothing is to be sent."""
        due = next(
            (d for d in self.reminders if d.action == approval_reminder_action(number)), None
        )
        if due is None or not self.awaiting_answer or number in self.reminded:
            return False
        if any(d.due_at > due.due_at and d.due_at <= processed_at for d in self.reminders):
            return False
        self.trigger_event(
            self.ApprovalReminderSent,
            timestamp=processed_at,
            number=number,
            reminded_at=due.due_at,
        )
        return True

    def enable_self_registration(self, processed_at: datetime) -> bool:
        """R4: scheduled work; the business time is the deadline. False if nothing was due."""
        if self.status is not SponsorshipStatus.APPROVED or self.self_registration is None:
            return False
        self.trigger_event(
            self.SelfRegistrationEnabled,
            timestamp=processed_at,
            enabled_at=self.self_registration.due_at,
            rule=self.self_registration.rule,
        )
        return True

    def covers(self, code: CredentialCode) -> bool:
        """Whether this sponsorship names ``code`` and is enabled and unused for it (R5)."""
        return (
            self.status is SponsorshipStatus.ENABLED
            and code in self.credentials
            and code not in self.used
        )

    def use_for(self, code: CredentialCode, registration_id: UUID, used_at: datetime) -> None:
        """Spend this sponsorship's seat for ``code`` on one registration."""
        if not self.covers(code):
            raise InvalidTransition(f"sponsorship {self.id} does not cover {code}")
        self.trigger_event(
            self.SponsorshipUsed,
            timestamp=used_at,
            credential_code=code,
            registration_id=registration_id,
            used_at=used_at,
        )

    def _require_decision_by(self, employer: Employer, by: EmailAddress) -> None:
        if employer.employer_id != self.employer_id:
            raise InvalidTransition(
                f"sponsorship {self.id} is not for employer {employer.employer_id}"
            )
        employer.require_approver(by)
        if self.status is not SponsorshipStatus.REQUESTED:
            raise InvalidTransition(f"sponsorship {self.id} was already {self.status.value}")
