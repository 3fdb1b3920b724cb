"""The outbox: notifications are queued with their cause, then delivered by the Mailer."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from eventsourcing.domain import Aggregate

from carepassport.application.ports import Mailer, OutboxEntry, OutgoingMessage
from carepassport.application.store import CarePassportApplication, ConcurrentUpdate
from carepassport.domain.notification import Notification
from carepassport.domain.values import email_address

log = logging.getLogger(__name__)
DELIVERY_BATCH = 100


def notify(
    kind: str,
    recipient: str,
    subject: str,
    body: str,
    about: Aggregate,
    queued_at: datetime,
    *,
    reply_to: str | None = None,
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
        reply_to=reply_to,
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

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """Hold deliveries back until the block ends (a tick delivers once, at its end)."""
        was = self._delivering
        self._delivering = True
        try:
            yield
        finally:
            self._delivering = was

    def deliver(self) -> int:
        """Send every unsent notification once; a failure leaves it queued for the next try.

        Runs after every recorded command, unless deferred; it is never re-entered.
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
            sent = list(self._send_until_failure(entries))
            self._mark_sent(sent)
            delivered += len(sent)
            if len(sent) < len(entries):
                break
        return delivered

    def _send_until_failure(self, entries: list[OutboxEntry]) -> Iterator[OutboxEntry]:
        for entry in entries:
            message = OutgoingMessage(
                message_id=entry.message_id,
                recipient=entry.recipient,
                subject=entry.subject,
                body=entry.body,
                kind=entry.kind,
                queued_at=entry.queued_at,
                reply_to=entry.reply_to,
            )
            try:
                self._mailer.send(message)
            except Exception:
                log.exception("delivery of %s failed; it stays queued", entry.notification_id)
                return
            yield entry

    def _mark_sent(self, sent: list[OutboxEntry]) -> None:
        """Record the deliveries of one batch in one transaction (each at most once)."""
        notifications = [
            self._app.load(Notification, e.notification_id, f"notification {e.notification_id}")
            for e in sent
        ]
        unmarked = [n for n in notifications if n.sent_at is None]
        for notification in unmarked:
            notification.mark_sent(self._app.now())
        try:
            self._app.record(*unmarked)
        except ConcurrentUpdate:
            log.info("another process marked some of these sent; marking one by one")
            for notification in unmarked:
                fresh = self._app.load(Notification, notification.id, "notification")
                if fresh.sent_at is None:
                    fresh.mark_sent(self._app.now())
                    try:
                        self._app.record(fresh)
                    except ConcurrentUpdate:
                        continue
        self._app.catch_up()
        self.delivered += len(sent)
