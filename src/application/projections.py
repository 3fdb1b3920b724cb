"""Derives the deadline index and the outbox from the event log (DESIGN.md §5)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol

from carepassport.application.ports import DueItem, OutboxEntry, Settled, ViewChanges
from carepassport.domain.base import DomainEvent
from carepassport.domain.notification import Notification


def changes_for(events: Iterable[tuple[int, DomainEventProtocol[UUID]]]) -> ViewChanges:
    """The view changes that a batch of (notification id, event) pairs implies."""
    scheduled: list[DueItem] = []
    settled: list[Settled] = []
    queued: list[OutboxEntry] = []
    sent: list[tuple[UUID, datetime]] = []
    for sequence, event in events:
        if isinstance(event, DomainEvent):
            for deadline in event.deadlines():
                scheduled.append(
                    DueItem(
                        aggregate_id=event.originator_id,
                        action=deadline.action,
                        rule=deadline.rule,
                        due_at=deadline.due_at,
                        sequence=sequence,
                    )
                )
            settled.extend(
                Settled(event.originator_id, action, sequence) for action in event.settles
            )
        if isinstance(event, Notification.NotificationQueued):
            queued.append(
                OutboxEntry(
                    notification_id=event.originator_id,
                    kind=event.kind,
                    recipient=event.recipient,
                    subject=event.subject,
                    body=event.body,
                    about_id=event.about_id,
                    queued_at=event.queued_at,
                    sent_at=None,
                    sequence=sequence,
                )
            )
        elif isinstance(event, Notification.NotificationSent):
            sent.append((event.originator_id, event.sent_at))
    return ViewChanges(scheduled=scheduled, settled=settled, queued=queued, sent=sent)
