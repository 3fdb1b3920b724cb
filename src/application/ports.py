"""Ports: what the application needs from the outside world, as typing.Protocols."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

import attrs
from eventsourcing.persistence import Notification, StoredEvent

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

    def for_id(self, calendar_id: str) -> BusinessCalendar:
        """The calendar a recorded deadline names (its holidays package version and settings),
        from the holiday table shipped for that version: history is re-derived with the
        calendar it was derived with, whatever version is installed now."""
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
    """One recipient's copy of a queued notification as the outbox view holds it (a notice to
    several recipients is one row each, ADR 0026)."""

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
    recipient_index: str = ""
    """The recipient's blind index (ADR 0023): how the view finds a recipient's messages."""
    # Delivery bookkeeping (ADR 0011), kept current by DeliveryChange.
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    abandoned_at: datetime | None = None
    position: int = 0
    """The recipient's place in the notification's list of recipients (0: the first)."""

    @property
    def message_id(self) -> str:
        """The stable RFC 5322 Message-ID of this copy: ``<notification-id@carepassport>`` for
        the first (or only) recipient, as before notices had several, and
        ``<notification-id.N@carepassport>`` for the recipient at position N."""
        suffix = f".{self.position}" if self.position else ""
        return f"<{self.notification_id}{suffix}@carepassport>"

    @property
    def key(self) -> tuple[UUID, int]:
        """The notification and the recipient's position: what identifies the row."""
        return (self.notification_id, self.position)

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
    position: int = 0
    """Which recipient of the notification (ADR 0026)."""


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
    student_index: str = ""
    """The student number's blind index (ADR 0023)."""


@attrs.frozen
class ViewChanges:
    """What a batch of events changes in the derived views."""

    scheduled: Sequence[DueItem] = ()
    settled: Sequence[Settled] = ()
    queued: Sequence[OutboxEntry] = ()
    sent: Sequence[tuple[UUID, datetime, int]] = ()
    """Notification id, when sent, the recipient's position."""
    held: Sequence[HeldResult] = ()
    released: Sequence[UUID] = ()
    deliveries: Sequence[DeliveryChange] = ()
    """Applied in order, after ``queued`` and before ``sent`` (sending clears next_attempt_at)."""


LogRow = tuple[int, bytes, int, str, bytes]
"""A stored event as the notification log holds it: notification id, originator id (16
bytes), version, topic, state bytes."""


class EventReader(Protocol):
    """Reads the stored events of many aggregates at once: a batch of work loads what it will
    touch in a few queries instead of two per aggregate (ADR 0014)."""

    def events_of(self, ids: Sequence[UUID]) -> list[StoredEvent]:
        """Every stored event of these aggregates, each aggregate's oldest first."""
        ...

    def latest(self) -> Notification | None:
        """The event with the highest notification id (None in an empty store), in one query."""
        ...

    def log_rows(self, after: int, limit: int) -> list[LogRow]:
        """Up to ``limit`` stored events after notification id ``after``, in order, as stored
        (the audit tree hashes them; no event is decoded)."""
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

    def claim_due(self, now: datetime, holder: str, until: datetime, limit: int) -> list[DueItem]:
        """Claim for ``holder`` until ``until`` up to ``limit`` unsettled items of the earliest
        due time and priority due by ``now`` that no other holder's claim covers (claims that
        ran out by ``now`` count as none), in scheduling order. Empty when every such item is
        claimed by another holder: later items wait for the earliest (due order, ADR 0028).
        Processes sharing a store skip each other's claimed rows without waiting for them."""
        ...

    def claim_mail(
        self, now: datetime, holder: str, until: datetime, limit: int
    ) -> list[OutboxEntry]:
        """Claim for ``holder`` until ``until`` up to ``limit`` of the messages ``deliverable``
        would list that no other holder's live claim covers, oldest first."""
        ...

    def renew_claims(self, holder: str, until: datetime) -> int:
        """Extend every live claim of ``holder`` to ``until`` (the holder is still working);
        returns how many it holds."""
        ...

    def release_claims(self, holder: str) -> None:
        """Drop every claim of ``holder`` (it stopped): others may take the work at once."""
        ...

    def outbox(self, recipient_index: str | None = None) -> list[OutboxEntry]:
        """Queued notifications in order, optionally for one recipient (by blind index)."""
        ...

    def deliverable(self, now: datetime, limit: int) -> list[OutboxEntry]:
        """Notifications neither sent nor abandoned whose next attempt is due by ``now`` (or
        that were never attempted), oldest first."""
        ...

    def held_results(self, student_index: str | None = None) -> list[HeldResult]:
        """Results held for an unknown student number, in the order they were held, optionally
        for one number (by blind index)."""
        ...

    # What an operator watches (issue 16, docs/adr/0027-observability.md): counts and times,
    # never a message's content.

    def due_count(self, now: datetime) -> int:
        """How many unsettled items are due at or before ``now`` (the next tick's work)."""
        ...

    def undelivered_count(self) -> int:
        """How many notifications are neither sent nor abandoned (the outbox's depth)."""
        ...

    def oldest_undelivered(self) -> datetime | None:
        """When the oldest notification neither sent nor abandoned was queued; None if none."""
        ...
