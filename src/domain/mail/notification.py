"""Notification: a message the product owes someone, queued with the fact that caused it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar
from uuid import UUID

import attrs
from eventsourcing.domain import Aggregate

from carepassport.domain.base import CreatedEvent, DomainEvent, aggregate_id
from carepassport.domain.errors import InvalidTransition
from carepassport.domain.mail.delivery import RetrySchedule

ERROR_TEXT_LIMIT = 500
"""Longest mailer error kept in an event (the SMTP reply, not a traceback)."""


@attrs.frozen
class Recipient:
    """Where one recipient's copy of a notification stands (ADR 0011, ADR 0026): each recipient
    is delivered, retried, abandoned and requeued on its own."""

    position: int
    """The recipient's place in the notification's list (0 for the first, or the only one)."""
    address: str
    sent_at: datetime | None = None
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    abandoned_at: datetime | None = None

    def deliverable(self, at: datetime) -> bool:
        """Neither sent nor abandoned, and not waiting for a retry or another run's attempt."""
        return (
            self.sent_at is None
            and self.abandoned_at is None
            and (self.next_attempt_at is None or self.next_attempt_at <= at)
        )

    def state(self) -> dict[str, Any]:
        """The delivery bookkeeping as plain data (what ``history`` shows)."""
        return {
            "sent_at": self.sent_at,
            "attempts": self.attempts,
            "next_attempt_at": self.next_attempt_at,
            "last_error": self.last_error,
            "abandoned_at": self.abandoned_at,
        }


class DeliveryEvent(DomainEvent):
    """A delivery event names the recipient it is about by ``position``, its last field
    (ADR 0026). An event recorded before notices had several recipients has no position stored
    and reads as 0, the only recipient (the field's default), so its history shows what was
    recorded."""


def _update(aggregate: Notification, position: int, **changes: Any) -> None:
    """Change the bookkeeping of recipient ``position`` of ``aggregate``."""
    aggregate.recipients[position] = attrs.evolve(aggregate.recipients[position], **changes)


class Notification(Aggregate):
    """One notice, to one recipient or several (ADR 0026). Its id is derived from its cause, so
    it is queued only once; each recipient's copy is delivered on its own."""

    class NotificationQueued(CreatedEvent):
        """A notice to one recipient, as recorded before notices listed their recipients
        (kept, so such events load and read as they were recorded)."""

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

    class NoticeQueued(CreatedEvent):
        """A notice to every address in ``recipients`` (one message each, one event in all)."""

        personal: ClassVar[dict[str, str]] = {
            "recipients": "email",
            "subject": "record",
            "body": "record",
        }
        kind: str
        recipients: list[str]
        subject: str
        body: str
        about_id: UUID
        queued_at: datetime
        reply_to: str | None
        business_time_field = "queued_at"

    class NotificationSent(DeliveryEvent):
        sent_at: datetime
        position: int = 0
        business_time_field = "sent_at"

        def apply(self, aggregate: Notification) -> None:
            _update(aggregate, self.position, sent_at=self.sent_at, next_attempt_at=None)

    class DeliveryAttempted(DeliveryEvent):
        """A delivery run took the message: no other run takes it before ``lease_until``."""

        attempt: int
        attempted_at: datetime
        lease_until: datetime
        position: int = 0
        business_time_field = "attempted_at"

        def apply(self, aggregate: Notification) -> None:
            _update(
                aggregate, self.position, attempts=self.attempt, next_attempt_at=self.lease_until
            )

    class DeliveryFailed(DeliveryEvent):
        """The mailer did not accept the message; it is tried again at ``next_attempt_at``."""

        personal: ClassVar[dict[str, str]] = {"error": "record"}

        attempt: int
        error: str
        failed_at: datetime
        next_attempt_at: datetime
        position: int = 0
        business_time_field = "failed_at"

        def apply(self, aggregate: Notification) -> None:
            _update(
                aggregate,
                self.position,
                last_error=self.error,
                next_attempt_at=self.next_attempt_at,
            )

    class DeliveryAbandoned(DeliveryEvent):
        """The last attempt allowed failed: the message is never tried again."""

        personal: ClassVar[dict[str, str]] = {"reason": "record"}

        attempts: int
        reason: str
        abandoned_at: datetime
        position: int = 0
        business_time_field = "abandoned_at"

        def apply(self, aggregate: Notification) -> None:
            _update(
                aggregate,
                self.position,
                last_error=self.reason,
                next_attempt_at=None,
                abandoned_at=self.abandoned_at,
            )

    class DeliveryRequeued(DeliveryEvent):
        """An operator put an abandoned message back in the queue for a new round of attempts."""

        requeued_at: datetime
        position: int = 0
        business_time_field = "requeued_at"

        def apply(self, aggregate: Notification) -> None:
            _update(aggregate, self.position, attempts=0, next_attempt_at=None, abandoned_at=None)

    def __init__(
        self,
        kind: str,
        subject: str,
        body: str,
        about_id: UUID,
        queued_at: datetime,
        reply_to: str | None = None,
        recipient: str | None = None,
        recipients: Sequence[str] = (),
    ) -> None:
        self.kind = kind
        self.subject = subject
        self.body = body
        self.about_id = about_id
        self.queued_at = queued_at
        self.reply_to = reply_to
        addresses = [recipient] if recipient is not None else list(recipients)
        self.recipients = [Recipient(n, address) for n, address in enumerate(addresses)]

    @staticmethod
    def identity(about_id: UUID, cause_version: int, kind: str, *recipients: str) -> UUID:
        """Derived from the causing event and the recipients: the same cause never queues twice
        (a notice to one recipient has the id it had before notices listed their recipients)."""
        return aggregate_id("notification", about_id, cause_version, kind, *recipients)

    @classmethod
    def queue(
        cls,
        *,
        kind: str,
        subject: str,
        body: str,
        about_id: UUID,
        cause_version: int,
        queued_at: datetime,
        recipients: Sequence[str] = (),
        recipient: str | None = None,
        reply_to: str | None = None,
    ) -> Notification:
        """Queue a message to ``recipients`` (or the one ``recipient``) caused by version
        ``cause_version`` of aggregate ``about_id``; ``reply_to`` is where answers go (an
        approval request's tokenised address, R3)."""
        addresses = [recipient] if recipient is not None else list(recipients)
        if not addresses:
            raise ValueError("a notification needs at least one recipient")
        return cls._create(
            cls.NoticeQueued,
            id=cls.identity(about_id, cause_version, kind, *addresses),
            timestamp=queued_at,
            kind=kind,
            recipients=addresses,
            subject=subject,
            body=body,
            about_id=about_id,
            queued_at=queued_at,
            reply_to=reply_to,
        )

    def state(self) -> dict[str, Any]:
        """The notification as plain data (what ``history`` shows): a notice to one recipient
        as it always read, a notice to several with each recipient's delivery."""
        common = {
            "kind": self.kind,
            "subject": self.subject,
            "body": self.body,
            "about_id": self.about_id,
            "queued_at": self.queued_at,
            "reply_to": self.reply_to,
        }
        if len(self.recipients) == 1:
            return {**common, "recipient": self.recipients[0].address, **self.recipients[0].state()}
        return {
            **common,
            "recipients": [
                {"position": r.position, "address": r.address, **r.state()} for r in self.recipients
            ],
        }

    def message(self, position: int = 0) -> Message:
        """One recipient's copy, as a delivery run takes, sends and settles it."""
        if not 0 <= position < len(self.recipients):
            raise InvalidTransition(f"notification {self.id} has no recipient {position}")
        return Message(self, position)

    def messages(self) -> list[Message]:
        """Every recipient's copy, in the order of the recipients."""
        return [Message(self, n) for n in range(len(self.recipients))]

    def deliverable(self, at: datetime, position: int = 0) -> bool:
        """Whether the copy to recipient ``position`` is due for an attempt at ``at``."""
        return self.recipients[position].deliverable(at)

    def begin_attempt(self, at: datetime, lease: timedelta, position: int = 0) -> None:
        """Take a copy for one delivery attempt; other runs leave it alone for ``lease``
        (after a crash mid-attempt, it is tried again once the lease has run out)."""
        recipient = self.recipients[position]
        if not recipient.deliverable(at):
            raise InvalidTransition(f"notification {self.id} is not due for delivery at {at}")
        self.trigger_event(
            self.DeliveryAttempted,
            timestamp=at,
            position=position,
            attempt=recipient.attempts + 1,
            attempted_at=at,
            lease_until=at + lease,
        )

    def mark_sent(self, sent_at: datetime, position: int = 0) -> None:
        """Record that the mailer accepted the copy to recipient ``position``."""
        if self.recipients[position].sent_at is not None:
            raise InvalidTransition(f"notification {self.id} was already sent")
        self.trigger_event(
            self.NotificationSent, timestamp=sent_at, position=position, sent_at=sent_at
        )

    def mark_failed(
        self, error: str, failed_at: datetime, schedule: RetrySchedule, position: int = 0
    ) -> None:
        """Record that the current attempt failed: retry later, or give up after the last."""
        recipient = self.recipients[position]
        if (
            recipient.sent_at is not None
            or recipient.abandoned_at is not None
            or recipient.attempts == 0
        ):
            raise InvalidTransition(f"notification {self.id} has no delivery attempt under way")
        error = " ".join(error.split())[:ERROR_TEXT_LIMIT] or "unknown error"
        attempts = recipient.attempts
        if schedule.gives_up_after(attempts):
            self.trigger_event(
                self.DeliveryAbandoned,
                timestamp=failed_at,
                position=position,
                attempts=attempts,
                reason=f"gave up after {attempts} attempts; last error: {error}",
                abandoned_at=failed_at,
            )
            return
        self.trigger_event(
            self.DeliveryFailed,
            timestamp=failed_at,
            position=position,
            attempt=attempts,
            error=error,
            failed_at=failed_at,
            next_attempt_at=schedule.next_attempt_at(attempts, failed_at),
        )

    def abandon(self, reason: str, at: datetime, position: int = 0) -> None:
        """Give up on a copy that cannot be delivered at all (its recipient's address was
        erased): no attempt is made."""
        recipient = self.recipients[position]
        if recipient.sent_at is not None or recipient.abandoned_at is not None:
            raise InvalidTransition(f"notification {self.id} is no longer waiting to be sent")
        self.trigger_event(
            self.DeliveryAbandoned,
            timestamp=at,
            position=position,
            attempts=recipient.attempts,
            reason=reason,
            abandoned_at=at,
        )

    def requeue(self, at: datetime, position: int = 0) -> None:
        """Queue an abandoned copy again (after the mail service was fixed): it gets a new
        round of attempts, counted from one; its history keeps the old ones."""
        recipient = self.recipients[position]
        if recipient.abandoned_at is None:
            state = "was already sent" if recipient.sent_at is not None else "is still queued"
            raise InvalidTransition(
                f"notification {self.id} {state}: only an abandoned message can be queued again"
            )
        self.trigger_event(self.DeliveryRequeued, timestamp=at, position=position, requeued_at=at)


@attrs.frozen
class Message:
    """One recipient's copy of a notification: what a delivery run takes, sends and settles.
    Its changes are the notification's events; record ``notification``."""

    notification: Notification
    position: int

    @property
    def id(self) -> UUID:
        """The notification's id."""
        return self.notification.id

    @property
    def key(self) -> tuple[UUID, int]:
        """The notification and the recipient's position: the outbox row's key."""
        return (self.notification.id, self.position)

    @property
    def recipient(self) -> Recipient:
        """Where this copy stands: its address and delivery bookkeeping."""
        return self.notification.recipients[self.position]

    def deliverable(self, at: datetime) -> bool:
        return self.recipient.deliverable(at)

    def begin_attempt(self, at: datetime, lease: timedelta) -> None:
        self.notification.begin_attempt(at, lease, self.position)

    def mark_sent(self, sent_at: datetime) -> None:
        self.notification.mark_sent(sent_at, self.position)

    def mark_failed(self, error: str, failed_at: datetime, schedule: RetrySchedule) -> None:
        self.notification.mark_failed(error, failed_at, schedule, self.position)

    def abandon(self, reason: str, at: datetime) -> None:
        self.notification.abandon(reason, at, self.position)

    def requeue(self, at: datetime) -> None:
        self.notification.requeue(at, self.position)


def notifications_of(messages: Sequence[Message]) -> list[Notification]:
    """The notifications these copies belong to, each once, in order (what to record)."""
    return list({id(m.notification): m.notification for m in messages}.values())
