"""Notification: a message the product owes someone, queued with the fact that caused it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from carepassport.domain.base import CreatedEvent, DomainEvent, aggregate_id
from carepassport.domain.errors import InvalidTransition
from carepassport.domain.mail.delivery import RetrySchedule

ERROR_TEXT_LIMIT = 500
"""Longest mailer error kept in an event (the SMTP reply, not a traceback)."""


class Notification(Aggregate):
    """One e-mail to one recipient. Its id is derived from its cause, so it is queued only once."""

    class NotificationQueued(CreatedEvent):
        personal: ClassVar[dict[str, str]] = {
            "recipient": "email",
            "subject": "record",
            "body": "record",
        }
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
            aggregate.next_attempt_at = None

    class DeliveryAttempted(DomainEvent):
        """A delivery run took the message: no other run takes it before ``lease_until``."""

        attempt: int
        attempted_at: datetime
        lease_until: datetime
        business_time_field = "attempted_at"

        def apply(self, aggregate: Notification) -> None:
            aggregate.attempts = self.attempt
            aggregate.next_attempt_at = self.lease_until

    class DeliveryFailed(DomainEvent):
        """The mailer did not accept the message; it is tried again at ``next_attempt_at``."""

        personal: ClassVar[dict[str, str]] = {"error": "record"}

        attempt: int
        error: str
        failed_at: datetime
        next_attempt_at: datetime
        business_time_field = "failed_at"

        def apply(self, aggregate: Notification) -> None:
            aggregate.last_error = self.error
            aggregate.next_attempt_at = self.next_attempt_at

    class DeliveryAbandoned(DomainEvent):
        """The last attempt allowed failed: the message is never tried again."""

        personal: ClassVar[dict[str, str]] = {"reason": "record"}

        attempts: int
        reason: str
        abandoned_at: datetime
        business_time_field = "abandoned_at"

        def apply(self, aggregate: Notification) -> None:
            aggregate.last_error = self.reason
            aggregate.next_attempt_at = None
            aggregate.abandoned_at = self.abandoned_at

    class DeliveryRequeued(DomainEvent):
        """An operator put an abandoned message back in the queue for a new round of attempts."""

        requeued_at: datetime
        business_time_field = "requeued_at"

        def apply(self, aggregate: Notification) -> None:
            aggregate.attempts = 0
            aggregate.next_attempt_at = None
            aggregate.abandoned_at = None

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
        self.attempts = 0
        self.next_attempt_at: datetime | None = None
        self.last_error: str | None = None
        self.abandoned_at: datetime | None = None

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

    def deliverable(self, at: datetime) -> bool:
        """Neither sent nor abandoned, and not waiting for a retry or another run's attempt."""
        return (
            self.sent_at is None
            and self.abandoned_at is None
            and (self.next_attempt_at is None or self.next_attempt_at <= at)
        )

    def begin_attempt(self, at: datetime, lease: timedelta) -> None:
        """Take the message for one delivery attempt; other runs leave it alone for ``lease``
        (after a crash mid-attempt, it is tried again once the lease has run out)."""
        if not self.deliverable(at):
            raise InvalidTransition(f"notification {self.id} is not due for delivery at {at}")
        self.trigger_event(
            self.DeliveryAttempted,
            timestamp=at,
            attempt=self.attempts + 1,
            attempted_at=at,
            lease_until=at + lease,
        )

    def mark_sent(self, sent_at: datetime) -> None:
        """Record that the mailer accepted the message."""
        if self.sent_at is not None:
            raise InvalidTransition(f"notification {self.id} was already sent")
        self.trigger_event(self.NotificationSent, timestamp=sent_at, sent_at=sent_at)

    def mark_failed(self, error: str, failed_at: datetime, schedule: RetrySchedule) -> None:
        """Record that the current attempt failed: retry later, or give up after the last."""
        if self.sent_at is not None or self.abandoned_at is not None or self.attempts == 0:
            raise InvalidTransition(f"notification {self.id} has no delivery attempt under way")
        error = " ".join(error.split())[:ERROR_TEXT_LIMIT] or "unknown error"
        if schedule.gives_up_after(self.attempts):
            self.trigger_event(
                self.DeliveryAbandoned,
                timestamp=failed_at,
                attempts=self.attempts,
                reason=f"gave up after {self.attempts} attempts; last error: {error}",
                abandoned_at=failed_at,
            )
            return
        self.trigger_event(
            self.DeliveryFailed,
            timestamp=failed_at,
            attempt=self.attempts,
            error=error,
            failed_at=failed_at,
            next_attempt_at=schedule.next_attempt_at(self.attempts, failed_at),
        )

    def abandon(self, reason: str, at: datetime) -> None:
        """Give up on a message that cannot be delivered at all (its recipient's address was
        erased): no attempt is made."""
        if self.sent_at is not None or self.abandoned_at is not None:
            raise InvalidTransition(f"notification {self.id} is no longer waiting to be sent")
        self.trigger_event(
            self.DeliveryAbandoned,
            timestamp=at,
            attempts=self.attempts,
            reason=reason,
            abandoned_at=at,
        )

    def requeue(self, at: datetime) -> None:
        """Queue an abandoned message again (after the mail service was fixed): it gets a new
        round of attempts, counted from one; its history keeps the old ones."""
        if self.abandoned_at is None:
            state = "was already sent" if self.sent_at is not None else "is still queued"
            raise InvalidTransition(
                f"notification {self.id} {state}: only an abandoned message can be queued again"
            )
        self.trigger_event(self.DeliveryRequeued, timestamp=at, requeued_at=at)
