"""The loops that ``serve`` and ``worker`` run: ``scheduler.tick()`` every minute through the
same serialised core the routes use (and, in ``delivery_loop``, mail delivery), riding out
store failures with backoff."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum

import attrs

from carepassport.domain.mail.delivery import RetrySchedule
from carepassport.entrypoints.http.core import Core
from carepassport.entrypoints.http.problems import is_store_failure

log = logging.getLogger(__name__)

TICK_EVERY = 60.0
"""Seconds between ticks while the store answers."""
LONGEST_BACKOFF = 900.0
"""The longest wait after consecutive failures, in seconds."""
ERROR_SUMMARY_LENGTH = 200

Wait = Callable[[float], bool]
"""Waits up to that many seconds; True when the loop was asked to stop meanwhile."""


class Phase(StrEnum):
    """Where the loop stands."""

    RUNNING = "running"
    BACKING_OFF = "backing_off"
    STOPPED = "stopped"
    MANUAL = "manual"
    """No loop: work is done by ``POST /tick`` or ``carepassport tick``."""


@attrs.frozen
class SchedulerState:
    """What ``/healthz`` reports about the scheduler."""

    state: Phase
    consecutive_failures: int = 0
    last_error: str | None = None
    last_tick_at: datetime | None = None
    """The time the last successful tick ran at (the application's clock)."""


MANUAL = SchedulerState(Phase.MANUAL)


class BackgroundLoop:
    """Does a unit of work every ``every`` seconds in a thread; after a failure (a store error
    or anything else) it logs, waits ``every``·2, ·4, … up to ``longest`` seconds between
    tries, and carries on. ``stop()`` ends the wait at once; work under way finishes first."""

    name = "background-loop"

    def __init__(
        self,
        core: Core,
        *,
        every: float,
        longest: float = LONGEST_BACKOFF,
        wait: Wait | None = None,
    ) -> None:
        if every <= 0:
            raise ValueError(f"the interval must be positive, not {every}")
        self._core = core
        self._every = every
        self._backoff = RetrySchedule(
            max_attempts=1,
            first_delay=timedelta(seconds=every * 2),
            longest_delay=timedelta(seconds=max(longest, every)),
        )
        self._stopping = threading.Event()
        self._wait = wait or self._stopping.wait
        self._lock = threading.Lock()
        self._state = SchedulerState(Phase.RUNNING)
        self._thread: threading.Thread | None = None

    def state(self) -> SchedulerState:
        """The loop's state now."""
        with self._lock:
            return self._state

    def run(self) -> None:
        """Work until asked to stop (blocking)."""
        while not self._stopping.is_set():
            delay = self.tick_once()
            if self._wait(delay) or self._stopping.is_set():
                break
        self._set(attrs.evolve(self.state(), state=Phase.STOPPED))
        log.info("the %s stopped", self.name)

    def tick_once(self) -> float:
        """One unit of work; the seconds to wait before the next."""
        try:
            at, delay = self._work()
        except Exception as error:  # the loop must outlive any failure: it logs and backs off
            return self._failed(error)
        self._set(SchedulerState(Phase.RUNNING, last_tick_at=at))
        return delay

    def _work(self) -> tuple[datetime | None, float]:
        """Do the work; when it ran (the application's clock) and how long to wait now."""
        raise NotImplementedError

    def _failed(self, error: Exception) -> float:
        before = self.state()
        failures = before.consecutive_failures + 1
        delay = self._backoff.delay_after(failures).total_seconds()
        summary = summarise(error)
        if is_store_failure(error):
            log.error("%s failed (the store): %s; next try in %.0f s", self.name, summary, delay)
        else:
            log.exception("%s failed; next try in %.0f s", self.name, delay)
        self._set(
            SchedulerState(
                Phase.BACKING_OFF,
                consecutive_failures=failures,
                last_error=summary,
                last_tick_at=before.last_tick_at,
            )
        )
        return delay

    def start(self) -> None:
        """Run in a background thread."""
        self._thread = threading.Thread(target=self.run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Ask the loop to stop and wait for the work under way, if any, to finish."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def running(self) -> bool:
        """Whether the loop's thread is still alive."""
        return self._thread is not None and self._thread.is_alive()

    def _set(self, state: SchedulerState) -> None:
        with self._lock:
            self._state = state


class SchedulerLoop(BackgroundLoop):
    """Ticks every ``every`` seconds through the same serialised core the routes use. With
    ``deliver`` false the ticks leave mail to a delivery loop or worker."""

    name = "scheduler loop"

    def __init__(
        self,
        core: Core,
        *,
        every: float = TICK_EVERY,
        longest: float = LONGEST_BACKOFF,
        wait: Wait | None = None,
        deliver: bool = True,
    ) -> None:
        super().__init__(core, every=every, longest=longest, wait=wait)
        self._deliver = deliver

    def _work(self) -> tuple[datetime | None, float]:
        report = self._core.call(lambda s: s.scheduler.tick(deliver=self._deliver))
        done = sum(1 for p in report.processed if p.outcome == "done")
        if done or report.mail_delivered:
            log.info("tick at %s: %d done, %d mail sent", report.now, done, report.mail_delivered)
        return report.now, self._every


CREDENTIALS = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/@\s]*@", re.IGNORECASE)


def summarise(error: BaseException) -> str:
    """One line naming an error, short enough for a health report (which anyone may read), with
    any user and password in URLs masked."""
    message = str(error).strip().splitlines()
    text = f"{type(error).__name__}: {message[0]}" if message else type(error).__name__
    return CREDENTIALS.sub(r"\g<scheme>***@", text)[:ERROR_SUMMARY_LENGTH]


__all__ = ["MANUAL", "BackgroundLoop", "Phase", "SchedulerLoop", "SchedulerState"]
