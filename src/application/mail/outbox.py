"""The outbox: notifications are queued with their cause, then delivered by the Mailer."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from uuid import UUID

import attrs
from eventsourcing.domain import Aggregate

from carepassport.application.claims import Claims
from carepassport.application.mail.ports import Mailer, MailServiceUnavailable, OutgoingMessage
from carepassport.application.personal import opened_entry
from carepassport.application.ports import OutboxEntry
from carepassport.application.redaction import masked
from carepassport.application.store import CarePassportApplication, ConcurrentUpdate
from carepassport.domain.errors import InvalidValue
from carepassport.domain.mail.delivery import DEFAULT_RETRY_SCHEDULE, RetrySchedule
from carepassport.domain.mail.notification import Message, Notification, notifications_of
from carepassport.domain.values import ERASED, email_address

log = logging.getLogger(__name__)
DELIVERY_BATCH = 20
"""Messages claimed and attempted per transaction (each outcome is recorded on its own)."""


def notify(
    kind: str,
    recipients: str | Sequence[str],
    subject: str,
    body: str,
    about: Aggregate,
    queued_at: datetime,
    *,
    reply_to: str | None = None,
) -> Notification:
    """Queue a notification to one address or several (one event, one message each: ADR 0026)
    caused by ``about``'s latest (pending) event; save them together."""
    addresses = [recipients] if isinstance(recipients, str) else list(recipients)
    return Notification.queue(
        kind=kind,
        recipients=[a if a == ERASED else email_address(a) for a in addresses],
        subject=subject,
        body=body,
        about_id=about.id,
        cause_version=about.version,
        queued_at=queued_at,
        reply_to=reply_to,
    )


@attrs.frozen
class Handover:
    """A message taken for one delivery attempt, ready for the mail service."""

    message: Message
    """The recipient's copy taken (its notification is what is recorded)."""
    outgoing: OutgoingMessage
    taken_at: datetime
    """When the attempt was recorded: the attempt is this run's for one lease from then."""


@attrs.frozen
class Outcome:
    """What the mail service made of a handover: sent (no error), failed, or an outage."""

    handover: Handover
    error: str | None = None
    outage: bool = False

    @property
    def sent(self) -> bool:
        return self.error is None


class Outbox:
    """Lists queued notifications and delivers the unsent ones, retrying failures with backoff.

    A delivery takes messages in three steps (ADR 0011, ADR 0028): ``take`` claims due messages
    in the store (other processes skip them) and records an attempt on each, so no other run
    hands them over; ``hand_over`` gives one to the mailer and touches no store, so a server
    can run it outside its serialised core; ``settle`` records the outcome at once: sent,
    failed with the time of the next attempt, or abandoned. If the process dies between the
    mail service accepting a message and ``settle``, that one message is handed over again
    once the claim has run out, under the same Message-ID.
    """

    def __init__(
        self,
        app: CarePassportApplication,
        mailer: Mailer,
        claims: Claims,
        retry: RetrySchedule = DEFAULT_RETRY_SCHEDULE,
    ) -> None:
        self._app = app
        self._mailer = mailer
        self._claims = claims
        self._retry = retry
        self._delivering = False
        self._background: Callable[[], None] | None = None
        self.delivered = 0
        app.after_record.append(self._after_command)

    def deliver_in_background(self, wake: Callable[[], None]) -> None:
        """From now on another thread or process delivers (a server's delivery loop, a
        worker): a command, a tick or ``deliver`` only calls ``wake`` and returns at once, so
        no request waits on the mail service."""
        self._background = wake

    def messages(self, recipient: str | None = None) -> list[OutboxEntry]:
        """Queued notifications, oldest first, optionally for one recipient."""
        self._app.catch_up()
        personal = self._app.personal
        index = personal.index("email", email_address(recipient)) if recipient else None
        return [opened_entry(e, personal) for e in self._app.views.outbox(index)]

    def requeue(self, notification: str | UUID) -> OutboxEntry:
        """Queue an abandoned message again (by Message-ID, or by notification id: each of its
        abandoned copies); it is tried at once, then with backoff as before."""
        identity, position = message_address(notification)
        now = self._app.now_for_write()
        found = self._app.load(Notification, identity, f"message {identity}")
        copies = (
            [found.message(position)]
            if position is not None
            else [m for m in found.messages() if m.recipient.abandoned_at is not None]
            or [found.message()]
        )
        for copy in copies:
            copy.requeue(now)
        self._app.record(found)
        shown = self.messages(copies[0].recipient.address)
        return next(e for e in shown if e.key == copies[0].key)

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """Hold deliveries back until the block ends (a tick delivers once, at its end)."""
        was = self._delivering
        self._delivering = True
        try:
            yield
        finally:
            self._delivering = was

    def deliver(self, batches: int | None = None) -> int:
        """One attempt at every message due for one (or at the first ``batches`` batches of
        them); returns how many were sent. A failure leaves the message queued until its next
        attempt, and an outage ends the run. It is never re-entered.
        """
        if self._background is not None:
            self._background()
            return 0
        if self._delivering:
            return 0
        self._delivering = True
        try:
            with self._claims.kept_alive():
                return self._deliver_all(batches)
        finally:
            self._delivering = False

    def _after_command(self) -> int:
        """After a command, one batch of what is due, oldest first: a command never waits on
        more than one batch, and a larger backlog goes with the next tick (or, delivering in
        the background, a wake-up of the loop that delivers)."""
        return self.deliver(batches=1)

    def _deliver_all(self, batches: int | None) -> int:
        delivered = 0
        tried: set[tuple[UUID, int]] = set()
        while batches is None or batches > 0:
            batches = None if batches is None else batches - 1
            taken = self.take(skip=tried)
            if not taken:
                return delivered
            tried.update(h.message.key for h in taken)
            sent, outage = self.hand_over_all(taken, self.settle)
            delivered += sent
            if outage:
                return delivered
        return delivered

    def hand_over_all(
        self, taken: Sequence[Handover], settle: Callable[[Outcome], None]
    ) -> tuple[int, bool]:
        """Hand each message over and settle it at once; after an outage the rest of the batch
        fails alike without contacting the service again. Once half a lease has passed since
        the messages were taken, the rest are left alone: their attempt is about to run out,
        and another run may then take them (a slow mail service must not make a live run send
        what another run sends too). How many were sent, and whether the service was out. (A
        server passes a ``settle`` that goes through its serialised core.)"""
        sent = 0
        for position, handover in enumerate(taken):
            if self._app.now() >= handover.taken_at + self._claims.lease / 2:
                log.warning(
                    "%d messages left for a later run: the batch outlived its lease",
                    len(taken) - position,
                )
                return sent, False
            outcome = self.hand_over(handover)
            settle(outcome)
            sent += outcome.sent
            if outcome.outage:
                for rest in taken[position + 1 :]:
                    settle(Outcome(rest, outcome.error, outage=True))
                return sent, True
        return sent, False

    def take(self, skip: Collection[tuple[UUID, int]] = ()) -> list[Handover]:
        """Claim up to a batch of the messages due now that no other process holds (except
        those in ``skip``: tried in this run), record an attempt on each in one transaction,
        and return them ready for ``hand_over``. Messages with erased personal data are given
        up instead (ADR 0023)."""
        self._app.catch_up()
        now = self._app.now()
        claims = self._claims
        claimed = self._app.views.claim_mail(now, claims.holder, claims.until(now), DELIVERY_BATCH)
        entries = [opened_entry(e, self._app.personal) for e in claimed]
        entries = [e for e in entries if e.key not in skip]
        self._abandon_erased([e for e in entries if _erased(e)], now)
        entries = [e for e in entries if not _erased(e)]
        by_key = {e.key: e for e in entries}
        return [
            Handover(m, outgoing(by_key[m.key]), now) for m in self._begin_attempts(entries, now)
        ]

    def hand_over(self, handover: Handover) -> Outcome:
        """Give one message to the mailer (no store is touched: safe outside the core's lock)."""
        try:
            self._mailer.send(handover.outgoing)
        except MailServiceUnavailable as error:
            return Outcome(handover, describe(error), outage=True)
        except Exception as error:
            return Outcome(handover, describe(error))
        return Outcome(handover)

    def settle(self, outcome: Outcome) -> None:
        """Record what became of one handover: sent, or failed (retried later or abandoned)."""
        message = outcome.handover.message
        if outcome.error is None:
            self._record_outcomes([message], [])
        else:
            self._record_outcomes([], [(message, outcome.error)])

    def _abandon_erased(self, entries: list[OutboxEntry], now: datetime) -> None:
        """Messages whose recipient or body was erased (ADR 0023) are given up, never sent."""
        for entry in entries:
            message = self._fresh(entry.key)
            if message is not None and message.deliverable(now):
                message.abandon("personal data in it was erased", now)
                self._record_quietly(message.notification)

    def _fresh(self, key: tuple[UUID, int]) -> Message | None:
        """A recipient's copy as the store holds it now."""
        notification = self._app.find(Notification, key[0])
        return notification.message(key[1]) if notification is not None else None

    def _begin_attempts(self, entries: list[OutboxEntry], now: datetime) -> list[Message]:
        """Record an attempt on each message that is still due, in one transaction; a message
        another run took first is left to it."""
        found = self._app.find_many(e.notification_id for e in entries)
        due = [
            message
            for e in entries
            if isinstance(n := found.get(e.notification_id), Notification)
            and (message := n.message(e.position)).deliverable(now)
        ]
        if not due:
            return []
        for message in due:
            message.begin_attempt(now, self._claims.lease)
        try:
            self._app.record(*notifications_of(due))
            return due
        except ConcurrentUpdate:
            log.info("another delivery run took some of these messages; taking one by one")
        taken = []
        for message in due:
            fresh = self._fresh(message.key)
            if fresh is None or not fresh.deliverable(now):
                continue
            fresh.begin_attempt(now, self._claims.lease)
            try:
                self._app.record(fresh.notification)
            except ConcurrentUpdate:
                continue
            taken.append(fresh)
        return taken

    def _record_outcomes(self, sent: list[Message], failed: list[tuple[Message, str]]) -> None:
        """Record a batch's deliveries and failures in one transaction."""
        if not sent and not failed:
            return
        at = self._app.now()
        for notification in sent:
            notification.mark_sent(at)
        for notification, error in failed:
            notification.mark_failed(error, at, self._retry)
            self._log_failure(notification, error)
        try:
            self._app.record(*notifications_of([*sent, *(m for m, _ in failed)]))
        except ConcurrentUpdate:
            log.info("another process changed some of these messages; recording one by one")
            self._record_one_by_one(sent, failed, at)
        self._app.catch_up()
        self.delivered += len(sent)

    def _record_one_by_one(
        self, sent: list[Message], failed: list[tuple[Message, str]], at: datetime
    ) -> None:
        for notification in sent:
            fresh = self._fresh(notification.key)
            if fresh is not None and fresh.recipient.sent_at is None:
                fresh.mark_sent(at)
                self._record_quietly(fresh.notification)
        for notification, error in failed:
            fresh = self._fresh(notification.key)
            # Only if our attempt is still the latest (a run after our lease ran out owns it).
            if (
                fresh is not None
                and fresh.recipient.attempts == notification.recipient.attempts
                and fresh.recipient.sent_at is None
                and fresh.recipient.abandoned_at is None
            ):
                fresh.mark_failed(error, at, self._retry)
                self._record_quietly(fresh.notification)

    def _record_quietly(self, notification: Notification) -> None:
        try:
            self._app.record(notification)
        except ConcurrentUpdate:
            log.info("notification %s changed meanwhile; left as it is", notification.id)

    @staticmethod
    def _log_failure(notification: Message, error: str) -> None:
        error = masked(error)
        if notification.recipient.abandoned_at is not None:
            log.error("delivery of %s abandoned: %s", notification.id, error)
        else:
            log.warning(
                "delivery of %s failed (attempt %s), retry at %s: %s",
                notification.id,
                notification.recipient.attempts,
                notification.recipient.next_attempt_at,
                error,
            )


def _erased(entry: OutboxEntry) -> bool:
    return ERASED in (entry.recipient, entry.body)


def outgoing(entry: OutboxEntry) -> OutgoingMessage:
    """The message the mailer sends for an outbox entry."""
    return OutgoingMessage(
        message_id=entry.message_id,
        recipient=entry.recipient,
        subject=entry.subject,
        body=entry.body,
        kind=entry.kind,
        queued_at=entry.queued_at,
        reply_to=entry.reply_to,
    )


def notification_id(value: str | UUID) -> UUID:
    """A notification's id, given as such or as a Message-ID (``<id@carepassport>``,
    ``<id.N@carepassport>``)."""
    return message_address(value)[0]


def message_address(value: str | UUID) -> tuple[UUID, int | None]:
    """The notification and the recipient's position a Message-ID names (``<id@carepassport>``:
    the first recipient, ``<id.N@carepassport>``: recipient N); a bare notification id names
    no position."""
    if isinstance(value, UUID):
        return value, None
    text = value.strip()
    is_message_id = text.startswith("<") or text.endswith("@carepassport")
    text = text.removeprefix("<").removesuffix(">").removesuffix("@carepassport")
    identity, dot, suffix = text.partition(".")
    try:
        if dot and not suffix.isdigit():
            raise ValueError(suffix)
        found = UUID(identity)
    except ValueError:
        raise InvalidValue(f"{value!r} is not a message id") from None
    if dot:
        return found, int(suffix)
    return found, 0 if is_message_id else None


def describe(error: BaseException) -> str:
    """A mailer error as recorded text: the adapter's message (never a traceback)."""
    return str(error).strip() or type(error).__name__
