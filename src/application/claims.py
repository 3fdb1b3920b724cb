"""Claims on due work: which process is performing a deadline or handing a message to the mail
service, until when (ADR 0028).

Processes that share a store claim rows of the deadline index and the outbox before working on
them, and skip rows that another holder claimed, so they share the work instead of racing for
it. A claim is a lease: while its holder works, a heartbeat renews it; if the holder dies, the
claim runs out and another process takes the work over. The store's optimistic concurrency
still guards every write, so a claim taken over while its first holder was merely slow costs a
refused write, never work done twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from carepassport.application.ports import Clock, Views

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(seconds=60)
"""How long a claim lasts without renewal: how soon a dead process's work is taken over."""
RENEWALS_PER_LEASE = 3
"""A working holder renews its claims this many times a lease (one missed renewal is harmless)."""


class Claims:
    """One holder's claims on a store: the holder's name, the lease, and the heartbeat that
    renews the holder's claims while it works."""

    def __init__(
        self, views: Views, clock: Clock, holder: str, lease: timedelta = DEFAULT_LEASE
    ) -> None:
        if lease <= timedelta(0):
            raise ValueError(f"a claim's lease must be positive, not {lease}")
        self.views = views
        self.holder = holder
        self.lease = lease
        self._clock = clock
        self._working = 0
        self._lock = threading.Lock()
        self._stop: threading.Event | None = None

    def until(self, now: datetime | None = None) -> datetime:
        """When a claim taken (or renewed) now runs out."""
        return (now or self._clock.now()) + self.lease

    @contextmanager
    def kept_alive(self) -> Iterator[None]:
        """Renew this holder's claims in the background while the block runs (nested and
        concurrent blocks share one heartbeat); when the last block ends, the claims it left
        are released, so nothing waits for a lease to run out after work that ended."""
        with self._lock:
            self._working += 1
            if self._working == 1:
                self._stop = threading.Event()
                threading.Thread(
                    target=self._beat, args=(self._stop,), name="claims-heartbeat", daemon=True
                ).start()
        try:
            yield
        finally:
            with self._lock:  # held while releasing: a block starting meanwhile claims after it
                self._working -= 1
                if self._working == 0:
                    if self._stop is not None:
                        self._stop.set()
                    self.release()

    def renew(self) -> int:
        """Extend this holder's claims by a lease from now; how many it holds."""
        return self.views.renew_claims(self.holder, self.until())

    def release(self) -> None:
        """Drop this holder's claims (logged, never raised: the leases run out anyway)."""
        try:
            self.views.release_claims(self.holder)
        except Exception as error:  # a store failure here must not hide the work's own outcome
            log.warning("could not release the claims of %s: %s", self.holder, error)

    def _beat(self, stop: threading.Event) -> None:
        every = self.lease.total_seconds() / RENEWALS_PER_LEASE
        while not stop.wait(every):
            try:
                self.renew()
            except Exception as error:  # the next beat tries again; the lease covers one miss
                log.warning("could not renew the claims of %s: %s", self.holder, error)
