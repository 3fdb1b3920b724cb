"""Typed results of the use cases: what callers (CLI, HTTP, Python) get back."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import attrs

from carepassport.application.ports import OutboxEntry
from carepassport.domain.attempts import AttemptLedger, CountedAttempt
from carepassport.domain.reference import Employee, Employer
from carepassport.domain.registration import Registration
from carepassport.domain.settings import Settings
from carepassport.domain.sponsorship import Sponsorship


@attrs.frozen
class EmployerView:
    """An employer as callers see it."""

    employer_id: str
    name: str
    approvers: list[str]
    retakes_covered: int

    @classmethod
    def of(cls, employer: Employer) -> EmployerView:
        """Present an employer aggregate."""
        return cls(
            employer_id=employer.employer_id,
            name=employer.name,
            approvers=list(employer.approvers),
            retakes_covered=employer.retakes_covered,
        )


@attrs.frozen
class EmployeeView:
    """An employee as callers see it."""

    employee_id: str
    employer_id: str
    email: str
    student_number: str | None
    job_function: str | None

    @classmethod
    def of(cls, employee: Employee) -> EmployeeView:
        """Present an employee aggregate."""
        return cls(
            employee_id=employee.employee_id,
            employer_id=employee.employer_id,
            email=employee.email,
            student_number=employee.student_number,
            job_function=employee.job_function,
        )


@attrs.frozen
class SponsorshipView:
    """A sponsorship request as callers see it."""

    sponsorship_id: UUID
    employee_id: str
    employer_id: str
    status: str
    credentials: list[str]
    requested_at: datetime
    approved_at: datetime | None
    declined_at: datetime | None
    self_registration_at: datetime | None
    enabled_at: datetime | None
    used: dict[str, UUID]

    @classmethod
    def of(cls, sponsorship: Sponsorship) -> SponsorshipView:
        """Present a sponsorship aggregate."""
        deadline = sponsorship.self_registration
        return cls(
            sponsorship_id=sponsorship.id,
            employee_id=sponsorship.employee_id,
            employer_id=sponsorship.employer_id,
            status=sponsorship.status.value,
            credentials=list(sponsorship.credentials),
            requested_at=sponsorship.requested_at,
            approved_at=sponsorship.approved_at,
            declined_at=sponsorship.declined_at,
            self_registration_at=deadline.due_at if deadline else None,
            enabled_at=sponsorship.enabled_at,
            used={str(code): rid for code, rid in sponsorship.used.items()},
        )


@attrs.frozen
class RegistrationView:
    """A registration as callers see it."""

    registration_id: UUID
    employee_id: str
    credential_code: str
    status: str
    registered_at: datetime
    access_from: datetime
    access_until: datetime
    access_granted: bool
    access: str
    fee_payer: str
    fee: Decimal
    basis: str
    sponsorship_id: UUID | None
    failure_reason: str | None
    failed_at: datetime | None
    succeeded_at: datetime | None
    attempts: list[CountedAttempt]
    refused_attempts: list[dict[str, str]]

    @classmethod
    def of(
        cls,
        registration: Registration,
        ledger: AttemptLedger | None = None,
        at: datetime | None = None,
    ) -> RegistrationView:
        """Present a registration and its attempts; ``access_from`` is the R6 time until
        access is granted."""
        return cls(
            registration_id=registration.id,
            employee_id=registration.employee_id,
            credential_code=registration.credential_code,
            status=registration.status.value,
            registered_at=registration.registered_at,
            access_from=registration.access_from or registration.access.due_at,
            access_until=registration.access_until,
            access_granted=registration.access_from is not None,
            access=registration.access_state(at) if at else "unknown",
            fee_payer=registration.fee_payer.value,
            fee=registration.fee,
            basis=registration.basis.value,
            sponsorship_id=registration.sponsorship_id,
            failure_reason=registration.failure_reason.value
            if registration.failure_reason
            else None,
            failed_at=registration.failed_at,
            succeeded_at=registration.succeeded_at,
            attempts=list(ledger.counted) if ledger else [],
            refused_attempts=[
                {"record_id": record_id, "reason": reason}
                for record_id, reason in (ledger.refused if ledger else [])
            ],
        )


@attrs.frozen
class SettingsView:
    """The settings in force and the version of the settings record they come from."""

    version: int
    college_email: str
    optional_holidays: bool
    closure_days: list[str]
    reminder_days: list[int]
    calendar_id: str

    @classmethod
    def of(cls, settings: Settings, calendar_id: str) -> SettingsView:
        """Present typed settings."""
        return cls(
            version=settings.version,
            college_email=settings.college_email,
            optional_holidays=settings.optional_holidays,
            closure_days=sorted(day.isoformat() for day in settings.closure_days),
            reminder_days=list(settings.reminder_days),
            calendar_id=calendar_id,
        )


@attrs.frozen
class ProcessedItem:
    """One piece of scheduled work that a tick performed."""

    action: str
    rule: str
    aggregate_id: UUID
    due_at: datetime
    processed_at: datetime
    outcome: str


@attrs.frozen
class TickReport:
    """What one tick did."""

    now: datetime
    processed: list[ProcessedItem]
    mail_delivered: int


@attrs.frozen
class HistoryEntry:
    """One event of an aggregate's history, with both its times."""

    version: int
    type: str
    business_time: datetime | None
    recorded_at: datetime
    data: dict[str, Any]


@attrs.frozen
class History:
    """An aggregate's events in order and its state as known at ``as_of`` (or now)."""

    aggregate_id: UUID
    aggregate_type: str
    as_of: datetime | None
    events: list[HistoryEntry]
    state: dict[str, Any]


@attrs.frozen
class OutboxMessage:
    """A queued message as operators see it: when sent, or its attempts, last error and next
    attempt; ``message_id`` is what ``retry`` takes."""

    to: str
    subject: str
    body: str
    kind: str
    queued_at: datetime
    sent_at: datetime | None
    message_id: str
    reply_to: str | None
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    abandoned: bool
    abandoned_at: datetime | None

    @classmethod
    def of(cls, entry: OutboxEntry) -> OutboxMessage:
        """Present an outbox entry."""
        return cls(
            to=entry.recipient,
            subject=entry.subject,
            body=entry.body,
            kind=entry.kind,
            queued_at=entry.queued_at,
            sent_at=entry.sent_at,
            message_id=entry.message_id,
            reply_to=entry.reply_to,
            attempts=entry.attempts,
            next_attempt_at=entry.next_attempt_at,
            last_error=entry.last_error,
            abandoned=entry.abandoned,
            abandoned_at=entry.abandoned_at,
        )
