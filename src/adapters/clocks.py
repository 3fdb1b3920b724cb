"""Clocks: the system clock for production, a settable one for tests, demos and simulations."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from carepassport.domain.time import require_aware


class SystemClock:
    """The machine's clock, in UTC."""

    def now(self) -> datetime:
        """The current instant."""
        return datetime.now(UTC)


class SettableClock:
    """A clock that shows what it is told to; time moves only when set or advanced."""

    def __init__(self, start: datetime) -> None:
        self._now = require_aware(start, "clock time")

    def now(self) -> datetime:
        """The time it was set to."""
        return self._now

    def set(self, moment: datetime) -> None:
        """Move to ``moment`` (backwards too: the application refuses writes that would rewind)."""
        self._now = require_aware(moment, "clock time")

    def advance(self, by: timedelta) -> datetime:
        """Move forward by ``by`` and return the new time."""
        self._now = self._now + by
        return self._now


class RunningClock:
    """A simulated time that runs: it showed ``start`` at the Unix time ``since`` and moves on
    with the machine's clock. Processes given the same pair show the same time (several
    processes of one simulated deployment, tests of takeovers after a lease runs out)."""

    def __init__(self, start: datetime, since: float) -> None:
        self._start = require_aware(start, "clock time")
        self._since = since

    def now(self) -> datetime:
        """``start`` plus the time elapsed since ``since``."""
        return self._start + timedelta(seconds=time.time() - self._since)
