"""Ports: what the application needs from the outside world, as typing.Protocols."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import Protocol
from uuid import UUID

import attrs
from eventsourcing.persistence import Notification, StoredEvent

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
    reply_to: str | None = None


class Mailer(Protocol):
    """Delivers e-mail. Raising means not delivered; the outbox tries again later.

    Raise :class:`MailServiceUnavailable` when no message could get through (server down,
    timeout, refused login): the outbox then stops the delivery run instead of waiting on the
    same outage for every message. Any other exception fails this message only.
    """

    def send(self, message: OutgoingMessage) -> None:
        """Deliver one message, or raise."""
        ...


class MailServiceUnavailable(Exception):
    """The mail service cannot take any message now; the message was not delivered."""


@attrs.frozen
class ParsedReply:
    """What an inbound e-mail says, as the approval-reply rules need it (R3).

    ``message_id`` is the Message-ID, or a digest of the message when it has none;
    ``recipients`` holds every To, Cc, Delivered-To and X-Original-To address;
    ``answer_line`` is the first line the sender wrote above any quoted text (None if none).
    """

    message_id: str
    sender: str | None
    recipients: tuple[str, ...]
    subject: str
    answer_line: str | None
    authentication_results: tuple[str, ...] = ()


class ReplyParser(Protocol):
    """Reads a raw RFC 5322 message as real mail clients write replies."""

    def parse(self, raw: bytes) -> ParsedReply:
        """The parts of ``raw`` the approval-reply rules need; never raises on odd input."""
        ...


@attrs.frozen
class InboundMessage:
    """One received e-mail: its bytes, the source's authentication verdict if it gives one
    (an Authentication-Results value), and where it came from (for reports)."""

    raw: bytes
    authentication: str | None = None
    origin: str = ""


class InboundMail(Protocol):
    """Where replies arrive: an IMAP folder, a webhook's queue, files or standard input."""

    def fetch(self) -> Iterable[InboundMessage]:
        """The messages waiting to be read."""
        ...

    def done(self, message: InboundMessage) -> None:
        """``message`` was handled (recorded or refused): the source need not offer it again.
        A message offered again anyway changes nothing (its Message-ID is recorded)."""
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
    reply_to: str | None = None
    # Delivery bookkeeping (ADR 0011), kept current by DeliveryChange.
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    abandoned_at: datetime | None = None

    @property
    def message_id(self) -> str:
        """The stable RFC 5322 Message-ID of this notification."""
        return f"<{self.notification_id}@carepassport>"

    @property
    def abandoned(self) -> bool:
        """True once the outbox gave up on this message."""
        return self.abandoned_at is not None


@attrs.frozen
class DeliveryChange:
    """A notification's delivery bookkeeping after one delivery event (ADR 0011).

    Views overwrite ``attempts``, ``next_attempt_at`` and ``abandoned_at`` with these values and
    ``last_error`` only when it is not None (an attempt under way keeps the previous error).
    """

    notification_id: UUID
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None = None
    abandoned_at: datetime | None = None


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
    deliveries: Sequence[DeliveryChange] = ()
    """Applied in order, after ``queued`` and before ``sent`` (sending clears next_attempt_at)."""


class EventReader(Protocol):
    """Reads the stored events of many aggregates at once: a batch of work loads what it will
    touch in a few queries instead of two per aggregate (ADR 0014)."""

    def events_of(self, ids: Sequence[UUID]) -> list[StoredEvent]:
        """Every stored event of these aggregates, each aggregate's oldest first."""
        ...

    def latest(self) -> Notification | None:
        """The event with the highest notification id (None in an empty store), in one query."""
        ...


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

    def alongside(self, changes: Callable[[Sequence[int]], ViewChanges]) -> dict[str, object]:
        """Keyword arguments for the application's ``save`` that apply the saved events'
        changes in the events' own transaction (one commit a command). In it the store calls
        ``changes`` with the new events' notification ids, only if they follow on without a gap
        from the views' position, and writes what it returns with the new position. Empty
        where the store cannot (the application then applies the changes after the save)."""
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

    def deliverable(self, now: datetime, limit: int) -> list[OutboxEntry]:
        """Notifications neither sent nor abandoned whose next attempt is due by ``now`` (or
        that were never attempted), oldest first."""
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
    """Reads and writes of the compliance read model inside one transaction, many rows a
    statement: the projection reads the rows a batch of events touches at once, folds the
    batch in memory and writes the changed rows back at once."""

    def owners(self, aggregate_ids: Collection[UUID]) -> list[OwnerRow]:
        """The owner rows of those aggregates that have one."""
        ...

    def employees(self, employee_ids: Collection[str]) -> list[EmployeeRow]:
        """The rows of those employees that have one."""
        ...

    def facts(self, employee_ids: Collection[str]) -> list[FactRow]:
        """Every fact row of those employees."""
        ...

    def put_owners(self, rows: Sequence[OwnerRow]) -> None:
        """Insert or replace owner rows (one per aggregate)."""
        ...

    def put_employees(self, rows: Sequence[EmployeeRow]) -> None:
        """Insert or replace employee rows (one per employee)."""
        ...

    def put_facts(self, rows: Sequence[FactRow]) -> None:
        """Insert or replace fact rows (one per employee and micro-credential)."""
        ...


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
