"""Clocks: the system clock follows (frozen) real time; a settable one moves only when told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

from carepassport.adapters.clocks import SettableClock, SystemClock
from carepassport.domain.errors import InvalidValue


class TestSystemClock:
    @freeze_time("2026-11-01T05:30:00Z")
    def test_reports_the_current_instant_with_an_offset(self) -> None:
        now = SystemClock().now()

        assert now == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
        assert now.utcoffset() == timedelta(0)


class TestSettableClock:
    def test_time_moves_only_when_set_or_advanced(self) -> None:
        clock = SettableClock(datetime(2026, 4, 1, tzinfo=UTC))

        assert clock.now() == datetime(2026, 4, 1, tzinfo=UTC)
        assert clock.advance(timedelta(hours=3)) == datetime(2026, 4, 1, 3, tzinfo=UTC)

    def test_naive_times_are_refused(self) -> None:
        with pytest.raises(InvalidValue):
            SettableClock(datetime(2026, 4, 1))
