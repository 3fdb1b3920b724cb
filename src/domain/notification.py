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
        reply_to: str | None
        business_time_field = "queued_at"
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            """Messages queued before replies were read had no Reply-To address."""
            state["reply_to"] = None

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
        reply_to: str | None = None,
    ) -> None:
        self.kind = kind
        self.recipient = recipient
        self.subject = subject
        self.body = body
        self.about_id = about_id
        self.queued_at = queued_at
        self.reply_to = reply_to
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
        reply_to: str | None = None,
    ) -> Notification:
        """Queue a message caused by version ``cause_version`` of aggregate ``about_id``;
        ``reply_to`` is where answers go (an approval request's tokenised address, R3)."""
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
            reply_to=reply_to,
        )

    def mark_sent(self, sent_at: datetime) -> None:
        """Record that the mailer accepted the message."""
        if self.sent_at is not None:
            raise InvalidTransition(f"notification {self.id} was already sent")
        self.trigger_event(self.NotificationSent, timestamp=sent_at, sent_at=sent_at)
