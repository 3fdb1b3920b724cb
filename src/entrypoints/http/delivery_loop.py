"""The delivery loop: queued mail handed to the mail service in a thread of its own, so no
request and no tick waits on SMTP (ADR 0028)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from carepassport.application.mail.outbox import Outcome
from carepassport.application.services import Services
from carepassport.entrypoints.http.core import Core
from carepassport.entrypoints.http.scheduler_loop import LONGEST_BACKOFF, BackgroundLoop

log = logging.getLogger(__name__)

POLL_EVERY = 0.5
"""Seconds between looks at the outbox when nothing woke the loop: mail queued by another
process, or due for a retry, goes within this (plus the hand-over)."""
OUTAGE_BACKOFF = 60.0
"""The longest wait between tries while the mail service is out."""


class DeliveryLoop(BackgroundLoop):
    """Takes a batch of due messages through the core (claimed, an attempt recorded), hands
    each to the mailer outside the core's lock, and records each outcome through the core at
    once. Woken by every command that queues mail in this process; otherwise it looks every
    ``poll`` seconds. An outage of the mail service backs off like a store failure."""

    name = "delivery loop"

    def __init__(self, core: Core, *, poll: float = POLL_EVERY, longest: float = OUTAGE_BACKOFF):
        self._woken = threading.Event()
        super().__init__(core, every=poll, longest=min(longest, LONGEST_BACKOFF), wait=self._doze)

    def wake(self) -> None:
        """Look at the outbox now (a command just queued mail)."""
        self._woken.set()

    def stop(self, timeout: float | None = None) -> None:
        """Stop after the message under way."""
        self._stopping.set()
        self._woken.set()
        super().stop(timeout)

    def _doze(self, seconds: float) -> bool:
        self._woken.wait(seconds)
        self._woken.clear()
        return self._stopping.is_set()

    def _work(self) -> tuple[datetime | None, float]:
        outbox, claims, now = self._core.call(lambda s: (s.outbox, s.claims, s.app.now()))
        with claims.kept_alive():
            taken = self._core.call(lambda s: s.outbox.take())
            sent, outage = outbox.hand_over_all(taken, self._settle)
        if outage:
            raise MailServiceOut(f"the mail service is out; {sent} of {len(taken)} sent")
        if sent:
            log.info("%d mail sent", sent)
        # A full batch may have more behind it: look again at once.
        return now, 0.0 if taken else self._every

    def _settle(self, outcome: Outcome) -> None:
        self._core.call(lambda s: s.outbox.settle(outcome))


def delivering_through(
    build: Callable[[], Services], loop: Callable[[], DeliveryLoop | None]
) -> Callable[[], Services]:
    """``build``, with the outbox of the services it builds handing delivery to ``loop()``'s
    thread (commands only wake it); as it is when there is no loop."""

    def opened() -> Services:
        services = build()
        delivery = loop()
        if delivery is not None:
            services.outbox.deliver_in_background(delivery.wake)
        return services

    return opened


class MailServiceOut(Exception):
    """The mail service did not answer: the loop backs off (each message's own retry is
    recorded as usual)."""
