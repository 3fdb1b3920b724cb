"""The outbox: notifications are queued with their cause, then delivered by the Mailer."""

from __future__ import annotations

import logging
from datetime import datetime

from eventsourcing.domain import Aggregate

from carepassport.application.ports import Mailer, OutboxEntry, OutgoingMessage
from carepassport.application.store import CarePassportApplication, ConcurrentUpdate
from carepassport.domain.notification import Notification
from carepassport.domain.values import email_address

log = logging.getLogger(__name__)
DELIVERY_BATCH = 100


def notify(
    kind: str, recipient: str, subject: str, body: str, about: Aggregate, queued_at: datetime
) -> Notification:
    """Queue a notification caused by ``about``'s latest (pending) event; save them together."""
    return Notification.queue(
        kind=kind,
        recipient=email_address(recipient),
        subject=subject,
        body=body,
        about_id=about.id,
        cause_version=about.version,
        queued_at=queued_at,
    )


class Outbox:
    """Lists queued notifications and delivers the unsent ones."""

    def __init__(self, app: CarePassportApplication, mailer: Mailer) -> None:
        self._app = app
        self._mailer = mailer
        self._delivering = False
        self.delivered = 0
        app.after_record.append(self.deliver)

    def messages(self, recipient: str | None = None) -> list[OutboxEntry]:
        """Queued notifications, oldest first, optionally for one recipient."""
        self._app.catch_up()
        return self._app.views.outbox(email_address(recipient) if recipient else None)

    def deliver(self) -> int:
        """Send every unsent notification once; a failure leaves it queued for the next try.

        Runs after every recorded command; a delivery in progress is not re-entered.
        """
        if self._delivering:
            return 0
        self._delivering = True
        try:
            return self._deliver_all()
        finally:
            self._delivering = False

    def _deliver_all(self) -> int:
        self._app.catch_up()
        delivered = 0
        while entries := self._app.views.unsent(DELIVERY_BATCH):
            for entry in entries:
                if not self._deliver_one(entry):
                    return delivered
                delivered += 1
            self._app.catch_up()
        return delivered

    def _deliver_one(self, entry: OutboxEntry) -> bool:
        message = OutgoingMessage(
            message_id=entry.message_id,
            recipient=entry.recipient,
            subject=entry.subject,
            body=entry.body,
            kind=entry.kind,
            queued_at=entry.queued_at,
        )
        try:
            self._mailer.send(message)
        except Exception:
            log.exception("delivery of %s failed; it stays queued", entry.notification_id)
            return False
        notification = self._app.load(
            Notification, entry.notification_id, f"notification {entry.notification_id}"
        )
        if notification.sent_at is None:
            notification.mark_sent(self._app.now())
            try:
                self._app.record(notification)
            except ConcurrentUpdate:
                log.info("%s was marked sent by another process", entry.notification_id)
                return True
        self.delivered += 1
        return True
