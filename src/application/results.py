"""Typed results of the use cases: what callers (CLI, HTTP, Python) get back."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import attrs

from carepassport.domain.reference import Employee, Employer
from carepassport.domain.settings import Settings


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
