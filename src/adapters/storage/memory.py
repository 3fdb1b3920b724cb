"""The views in process memory, for the in-memory (POPO) event store."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

import attrs
from eventsourcing.persistence import InfrastructureFactory, IntegrityError

from carepassport.application.ports import (
    DeliveryChange,
    DueItem,
    HeldResult,
    OutboxEntry,
    ViewChanges,
)

K = TypeVar("K")


@attrs.frozen
class Claim:
    """Who holds a row, and until when."""

    holder: str
    until: datetime


def _free(claim: Claim | None, holder: str, now: datetime) -> bool:
    """Whether ``holder`` may claim a row: unclaimed, its claim ran out, or it holds it."""
    return claim is None or claim.until <= now or claim.holder == holder


def _renew(claims: dict[K, Claim], holder: str, until: datetime) -> int:
    mine = [key for key, claim in claims.items() if claim.holder == holder]
    for key in mine:
        claims[key] = Claim(holder, until)
    return len(mine)


def _release(claims: dict[K, Claim], holder: str) -> None:
    for key in [key for key, claim in claims.items() if claim.holder == holder]:
        del claims[key]


class MemoryViews:
    """Deadline index and outbox as dictionaries, updated under one lock."""

    def __init__(self, factory: InfrastructureFactory[Any] | None = None) -> None:
        self._lock = threading.Lock()
        self._position = 0
        self._due_claims: dict[tuple[UUID, str], Claim] = {}
        self._mail_claims: dict[tuple[UUID, int], Claim] = {}
        self._pending: dict[tuple[UUID, str], DueItem] = {}
        self._outbox: dict[tuple[UUID, int], OutboxEntry] = {}
        self._held: dict[UUID, HeldResult] = {}

    def position(self) -> int:
        """The last notification id applied."""
        return self._position

    def apply(self, changes: ViewChanges, after: int, position: int) -> None:
        """Apply the changes and move the position, all under the lock."""
        with self._lock:
            if self._position != after:
                raise IntegrityError(f"views are at {self._position}, not {after}")
            for item in changes.scheduled:
                self._pending[(item.aggregate_id, item.action)] = item
                self._due_claims.pop((item.aggregate_id, item.action), None)
            for settled in changes.settled:
                key = (settled.aggregate_id, settled.action)
                pending = self._pending.get(key)
                if pending is not None and pending.sequence < settled.sequence:
                    del self._pending[key]
                    self._due_claims.pop(key, None)
            for entry in changes.queued:
                self._outbox.setdefault(entry.key, entry)
            for change in changes.deliveries:
                self._apply_delivery(change)
            for notification_id, sent_at, recipient in changes.sent:
                entry = self._outbox[(notification_id, recipient)]
                self._outbox[(notification_id, recipient)] = attrs.evolve(
                    entry, sent_at=sent_at, next_attempt_at=None
                )
                self._mail_claims.pop((notification_id, recipient), None)
            for held in changes.held:
                self._held[held.result_id] = held
            for result_id in changes.released:
                self._held.pop(result_id, None)
            self._position = position

    def _apply_delivery(self, change: DeliveryChange) -> None:
        key = (change.notification_id, change.position)
        entry = self._outbox[key]
        self._outbox[key] = attrs.evolve(
            entry,
            attempts=change.attempts,
            next_attempt_at=change.next_attempt_at,
            last_error=change.last_error if change.last_error is not None else entry.last_error,
            abandoned_at=change.abandoned_at,
        )

    def alongside(self, changes: Callable[[Sequence[int]], ViewChanges]) -> dict[str, object]:
        """Nothing: in memory there is no commit to share; changes are applied after a save."""
        return {}

    def due(self, now: datetime, limit: int) -> list[DueItem]:
        """Unsettled items due by ``now``, earliest first."""
        with self._lock:
            return self._due(now)[:limit]

    def _due(self, now: datetime) -> list[DueItem]:
        due = [item for item in self._pending.values() if item.due_at <= now]
        return sorted(due, key=lambda item: (item.due_at, item.priority, item.sequence))

    def claim_due(self, now: datetime, holder: str, until: datetime, limit: int) -> list[DueItem]:
        """The earliest due time and priority's items that no other live claim covers."""
        with self._lock:
            due = self._due(now)
            if not due:
                return []
            first = (due[0].due_at, due[0].priority)
            free = [
                item
                for item in due
                if (item.due_at, item.priority) == first
                and _free(self._due_claims.get((item.aggregate_id, item.action)), holder, now)
            ][:limit]
            for item in free:
                self._due_claims[(item.aggregate_id, item.action)] = Claim(holder, until)
            return free

    def claim_mail(
        self, now: datetime, holder: str, until: datetime, limit: int
    ) -> list[OutboxEntry]:
        """Deliverable messages that no other live claim covers, oldest first."""
        with self._lock:
            free = [
                entry
                for entry in self._deliverable(now)
                if _free(self._mail_claims.get(entry.key), holder, now)
            ][:limit]
            for entry in free:
                self._mail_claims[entry.key] = Claim(holder, until)
            return free

    def renew_claims(self, holder: str, until: datetime) -> int:
        """Extend the holder's claims."""
        with self._lock:
            return _renew(self._due_claims, holder, until) + _renew(
                self._mail_claims, holder, until
            )

    def release_claims(self, holder: str) -> None:
        """Drop the holder's claims."""
        with self._lock:
            _release(self._due_claims, holder)
            _release(self._mail_claims, holder)

    def pending_count(self) -> int:
        """How many items are unsettled."""
        return len(self._pending)

    def resolve(self, aggregate_id: UUID, action: str, sequence: int) -> None:
        """Settle an item that needed no work, unless it was scheduled again since."""
        with self._lock:
            pending = self._pending.get((aggregate_id, action))
            if pending is not None and pending.sequence == sequence:
                del self._pending[(aggregate_id, action)]

    def outbox(self, recipient_index: str | None = None) -> list[OutboxEntry]:
        """Queued notifications in order."""
        with self._lock:
            entries = list(self._outbox.values())
        return [e for e in entries if not recipient_index or e.recipient_index == recipient_index]

    def deliverable(self, now: datetime, limit: int) -> list[OutboxEntry]:
        """Unsent, unabandoned notifications due for an attempt by ``now``, oldest first."""
        with self._lock:
            return self._deliverable(now)[:limit]

    def _deliverable(self, now: datetime) -> list[OutboxEntry]:
        return [
            e
            for e in self._outbox.values()
            if e.sent_at is None
            and e.abandoned_at is None
            and (e.next_attempt_at is None or e.next_attempt_at <= now)
        ]

    def held_results(self, student_index: str | None = None) -> list[HeldResult]:
        """Held results in the order they were held."""
        with self._lock:
            held = list(self._held.values())
        return [h for h in held if not student_index or h.student_index == student_index]

    def due_count(self, now: datetime) -> int:
        """How many unsettled items are due by ``now``."""
        with self._lock:
            return sum(1 for item in self._pending.values() if item.due_at <= now)

    def undelivered_count(self) -> int:
        """How many notifications are neither sent nor abandoned."""
        return len(self._undelivered())

    def oldest_undelivered(self) -> datetime | None:
        """When the oldest notification neither sent nor abandoned was queued."""
        return min((e.queued_at for e in self._undelivered()), default=None)

    def _undelivered(self) -> list[OutboxEntry]:
        with self._lock:
            entries = list(self._outbox.values())
        return [e for e in entries if e.sent_at is None and e.abandoned_at is None]
