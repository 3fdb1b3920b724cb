"""Derives the deadline index and the outbox from the event log (docs/rules.md)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol

from carepassport.application.ports import (
    DeliveryChange,
    DueItem,
    HeldResult,
    OutboxEntry,
    Settled,
    ViewChanges,
)
from carepassport.domain.base import DomainEvent
from carepassport.domain.mail.notification import Notification
from carepassport.domain.training.lms import NIGHTLY_SYNC, LmsResult

PRIORITIES = {NIGHTLY_SYNC: 0}
"""Lower runs first among items due at the same moment: the midnight sync before the R7 decision
that depends on it (docs/rules.md, R7)."""
DEFAULT_PRIORITY = 5


VIEWED: tuple[type, ...] = (
    Notification.NotificationQueued,
    Notification.NoticeQueued,
    Notification.NotificationSent,
    Notification.DeliveryAttempted,
    Notification.DeliveryFailed,
    Notification.DeliveryAbandoned,
    Notification.DeliveryRequeued,
    LmsResult.ResultUnmatched,
    LmsResult.ResultReconciled,
)
"""Event classes the outbox and held-results views are made of (handled below)."""
_PASSES_BY: dict[type, bool] = {}


def passes_by(kind: type) -> bool:
    """Whether events of ``kind`` change no view: no deadline set, no action settled (nor a
    ``settled_actions`` of their own), none of the ``VIEWED`` classes. Most of what the nightly
    sync records (results received and applied, ledgers, attempts) is of such kinds; they are
    skipped without the checks below (decided once per class)."""
    quiet = _PASSES_BY.get(kind)
    if quiet is None:
        quiet = not issubclass(kind, DomainEvent) or (
            not kind.schedules
            and not kind.settles
            and kind.settled_actions is DomainEvent.settled_actions
            and not issubclass(kind, VIEWED)
        )
        _PASSES_BY[kind] = quiet
    return quiet


def changes_for(events: Iterable[tuple[int, DomainEventProtocol[UUID]]]) -> ViewChanges:
    """The view changes that a batch of (notification id, event) pairs implies."""
    scheduled: list[DueItem] = []
    settled: list[Settled] = []
    queued: list[OutboxEntry] = []
    sent: list[tuple[UUID, datetime, int]] = []
    held: list[HeldResult] = []
    released: list[UUID] = []
    deliveries: list[DeliveryChange] = []
    for sequence, event in events:
        if passes_by(type(event)):
            continue
        if isinstance(event, DomainEvent):
            for deadline in event.deadlines():
                scheduled.append(
                    DueItem(
                        aggregate_id=event.originator_id,
                        action=deadline.action,
                        rule=deadline.rule,
                        due_at=deadline.due_at,
                        sequence=sequence,
                        priority=PRIORITIES.get(deadline.action, DEFAULT_PRIORITY),
                    )
                )
            settled.extend(
                Settled(event.originator_id, action, sequence) for action in event.settled_actions()
            )
        if isinstance(event, Notification.NoticeQueued | Notification.NotificationQueued):
            queued.extend(outbox_entries(event, sequence))
        elif isinstance(event, Notification.NotificationSent):
            sent.append((event.originator_id, event.sent_at, event.position))
        elif (change := delivery_change(event)) is not None:
            deliveries.append(change)
        elif isinstance(event, LmsResult.ResultUnmatched):
            held.append(
                HeldResult(
                    result_id=event.originator_id,
                    record_id=event.record_id,
                    student_number=event.student_number,
                    held_since=event.flagged_at,
                )
            )
        elif isinstance(event, LmsResult.ResultReconciled):
            released.append(event.originator_id)
    return ViewChanges(
        scheduled=scheduled,
        settled=settled,
        queued=queued,
        sent=sent,
        held=held,
        released=released,
        deliveries=deliveries,
    )


def outbox_entries(
    event: Notification.NoticeQueued | Notification.NotificationQueued, sequence: int
) -> list[OutboxEntry]:
    """One outbox row per recipient of a queued notice (ADR 0026); a notice recorded before
    notices listed their recipients is one row, its recipient's at position 0."""
    recipients = (
        event.recipients if isinstance(event, Notification.NoticeQueued) else [event.recipient]
    )
    return [
        OutboxEntry(
            notification_id=event.originator_id,
            kind=event.kind,
            recipient=recipient,
            subject=event.subject,
            body=event.body,
            about_id=event.about_id,
            queued_at=event.queued_at,
            sent_at=None,
            sequence=sequence,
            reply_to=event.reply_to,
            position=position,
        )
        for position, recipient in enumerate(recipients)
    ]


def delivery_change(event: DomainEventProtocol[UUID]) -> DeliveryChange | None:
    """The outbox bookkeeping that a delivery attempt, failure or abandonment implies, for the
    recipient the event names."""
    if isinstance(event, Notification.DeliveryAttempted):
        return DeliveryChange(
            event.originator_id, event.attempt, event.lease_until, position=event.position
        )
    if isinstance(event, Notification.DeliveryFailed):
        return DeliveryChange(
            event.originator_id,
            event.attempt,
            event.next_attempt_at,
            last_error=event.error,
            position=event.position,
        )
    if isinstance(event, Notification.DeliveryAbandoned):
        return DeliveryChange(
            event.originator_id,
            event.attempts,
            None,
            last_error=event.reason,
            abandoned_at=event.abandoned_at,
            position=event.position,
        )
    if isinstance(event, Notification.DeliveryRequeued):
        return DeliveryChange(event.originator_id, 0, None, position=event.position)
    return None
