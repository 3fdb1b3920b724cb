"""Notification: a message the product owes someone, queued with the fact that caused it."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate

from carepassport.domain.base import CreatedEvent, DomainEvent, aggregate_id
from carepassport.domain.errors import InvalidTransition


class Notification(Aggregate):
    """One e-mail to one recipient. Its id is derived from its cause, so it is queued only once."""

    class NotificationQueued(CreatedEvent):
        kind: str
        recipient: str
        subject: str
        body: str
        about_id: UUID
        queued_at: datetime
        business_time_field = "queued_at"

    class NotificationSent(DomainEvent):
        sent_at: datetime
        business_time_field = "sent_at"

        def apply(self, aggregate: Notification) -> None:
            aggregate.sent_at = self.sent_at

    def __init__(
        self,
        kind: str,
        recipient: str,
        subject: str,
        body: str,
        about_id: UUID,
        queued_at: datetime,
    ) -> None:
        self.kind = kind
        self.recipient = recipient
        self.subject = subject
        self.body = body
        self.about_id = about_id
        self.queued_at = queued_at
        self.sent_at: datetime | None = None

    @staticmethod
    def identity(about_id: UUID, cause_version: int, kind: str, recipient: str) -> UUID:
        """Derived from the causing event and recipient: the same cause never queues twice."""
        return aggregate_id("notification", about_id, cause_version, kind, recipient)

    @classmethod
    def queue(
        cls,
        *,
        kind: str,
        recipient: str,
        subject: str,
        body: str,
        about_id: UUID,
        cause_version: int,
        queued_at: datetime,
    ) -> Notification:
        """Queue a message caused by version ``cause_version`` of aggregate ``about_id``."""
        return cls._create(
            cls.NotificationQueued,
            id=cls.identity(about_id, cause_version, kind, recipient),
            timestamp=queued_at,
            kind=kind,
            recipient=recipient,
            subject=subject,
            body=body,
            about_id=about_id,
            queued_at=queued_at,
        )

    def mark_sent(self, sent_at: datetime) -> None:
        """Record that the mailer accepted the message."""
        if self.sent_at is not None:
            raise InvalidTransition(f"notification {self.id} was already sent")
        self.trigger_event(self.NotificationSent, timestamp=sent_at, sent_at=sent_at)
