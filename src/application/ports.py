"""Ports: what the application needs from the outside world, as typing.Protocols."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import Protocol
from uuid import UUID

import attrs

from carepassport.domain.lms import QuizResult
from carepassport.domain.settings import Settings
from carepassport.domain.time import BusinessCalendar


class Clock(Protocol):
    """Where time comes from: the system clock in production, a settable one elsewhere."""

    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...


class AdjustableClock(Clock, Protocol):
    """A clock that simulations and demos move by hand."""

    def set(self, moment: datetime) -> None:
        """Show ``moment`` from now on."""
        ...


class Calendar(Protocol):
    """Builds the business calendar that the given settings describe (holidays, closures)."""

    def for_settings(self, settings: Settings) -> BusinessCalendar:
        """The business calendar in force under ``settings``."""
        ...


@attrs.frozen
class OutgoingMessage:
    """An e-mail ready for delivery; ``message_id`` is stable, so a retry is recognisable."""

    message_id: str
    recipient: str
    subject: str
    body: str
    kind: str
    queued_at: datetime | None = None


class Mailer(Protocol):
    """Delivers e-mail. Raising means not delivered; the outbox tries again later."""

    def send(self, message: OutgoingMessage) -> None:
        """Deliver one message."""
        ...


@attrs.frozen
class DueItem:
    """One scheduled action in the deadline index."""

    aggregate_id: UUID
    action: str
    rule: str
    due_at: datetime
    sequence: int
    priority: int = 5


@attrs.frozen
class OutboxEntry:
    """One queued notification as the outbox view holds it."""

    notification_id: UUID
    kind: str
    recipient: str
    subject: str
    body: str
    about_id: UUID
    queued_at: datetime
    sent_at: datetime | None
    sequence: int

    @property
    def message_id(self) -> str:
        """The stable RFC 5322 Message-ID of this notification."""
        return f"<{self.notification_id}@carepassport>"


@attrs.frozen
class Settled:
    """An event at ``sequence`` completed ``action``: it settles that action scheduled before it."""

    aggregate_id: UUID
    action: str
    sequence: int


@attrs.frozen
class HeldResult:
    """An LMS result held because no employee has its student number (R11)."""

    result_id: UUID
    record_id: str
    student_number: str
    held_since: datetime


@attrs.frozen
class ViewChanges:
    """What a batch of events changes in the derived views."""

    scheduled: Sequence[DueItem] = ()
    settled: Sequence[Settled] = ()
    queued: Sequence[OutboxEntry] = ()
    sent: Sequence[tuple[UUID, datetime]] = ()
    held: Sequence[HeldResult] = ()
    released: Sequence[UUID] = ()


class Views(Protocol):
    """The deadline index and the outbox: derived from the event log, with a tracking position.

    ``apply`` writes the changes and the new position in one transaction, so each event is
    applied exactly once and the views can always be rebuilt by replaying the log.
    """

    def position(self) -> int:
        """The notification id of the last event applied (0 before any)."""
        ...

    def apply(self, changes: ViewChanges, after: int, position: int) -> None:
        """Apply changes derived from the events after ``after`` up to ``position``, atomically.

        Raises IntegrityError, changing nothing, if the views are no longer at ``after``
        (another process applied those events first).
        """
        ...

    def due(self, now: datetime, limit: int) -> list[DueItem]:
        """Unsettled items due at or before ``now``: earliest first, then by priority (lower
        first), then in scheduling order."""
        ...

    def pending_count(self) -> int:
        """How many scheduled items are not settled."""
        ...

    def resolve(self, aggregate_id: UUID, action: str, sequence: int) -> None:
        """Settle an item whose action found nothing left to do (re-derivable: idempotent),
        unless it was scheduled again since it was read (its ``sequence`` changed)."""
        ...

    def scheduling(self) -> AbstractContextManager[None]:
        """Held while a scheduler performs due work. A store shared by processes may let one
        scheduler at a time in (due order holds across items); others meet the store's
        optimistic concurrency instead, and a second scheduler finds the work done."""
        ...

    def outbox(self, recipient: str | None = None) -> list[OutboxEntry]:
        """Queued notifications in order, optionally for one recipient."""
        ...

    def unsent(self, limit: int) -> list[OutboxEntry]:
        """Notifications not yet delivered, oldest first."""
        ...

    def held_results(self, student_number: str | None = None) -> list[HeldResult]:
        """Results held for an unknown student number, in the order they were held."""
        ...


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


@attrs.frozen
class EmployeeRow:
    """The compliance read model's view of an employee."""

    employee_id: str
    employer_id: str
    job_function: str | None
    left: bool = False


@attrs.frozen
class FactRow:
    """What the compliance read model knows of one employee and micro-credential."""

    employee_id: str
    code: str
    sources: frozenset[str] = frozenset()
    latest_registration: UUID | None = None
    progress: str = "none"
    valid_until: date | None = None
    standing: str = "active"


@attrs.frozen
class OwnerRow:
    """Whose an aggregate is: its employee, micro-credential and registration, if any."""

    aggregate_id: UUID
    employee_id: str
    code: str = ""
    registration_id: UUID | None = None


class ComplianceTx(Protocol):
    """Reads and writes of the compliance read model inside one transaction."""

    def employee(self, employee_id: str) -> EmployeeRow | None: ...

    def put_employee(self, row: EmployeeRow) -> None: ...

    def fact(self, employee_id: str, code: str) -> FactRow | None: ...

    def put_fact(self, row: FactRow) -> None: ...

    def owner(self, aggregate_id: UUID) -> OwnerRow | None: ...

    def put_owner(self, row: OwnerRow) -> None: ...


class ComplianceStore(Protocol):
    """The employer compliance read model, kept beside the event store with its own tracking."""

    def position(self) -> int:
        """The notification id of the last event applied (0 before any)."""
        ...

    def transaction(self, after: int, position: int) -> AbstractContextManager[ComplianceTx]:
        """Changes and the new position, committed together; IntegrityError (nothing changed)
        if the model is no longer at ``after``."""
        ...

    def rows(
        self, employer_id: str, job_function: str | None
    ) -> list[tuple[EmployeeRow, list[FactRow]]]:
        """The employer's current employees (optionally of one job function) and their facts."""
        ...

    def clear(self) -> None:
        """Forget everything, position included (a rebuild starts from the first event)."""
        ...
