"""Local time in the college's time zone and the business-calendar abstraction policies use."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from carepassport.domain.errors import InvalidValue

TORONTO = ZoneInfo("America/Toronto")
MIDNIGHT = time(0, 0)


class BusinessCalendar(Protocol):
    """Tells business days from other days; ``calendar_id`` names it and the settings it used."""

    @property
    def calendar_id(self) -> str: ...

    def is_business_day(self, day: date) -> bool: ...


def require_aware(moment: datetime, name: str = "time") -> datetime:
    """Refuse naive datetimes: every instant in the domain carries its offset."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidValue(f"{name} must carry a time-zone offset: {moment.isoformat()}")
    return moment


def wall_clock(naive: datetime) -> datetime:
    """A Toronto wall-clock time as an instant; refuses times that DST skips or repeats."""
    first = naive.replace(tzinfo=TORONTO, fold=0)
    if first.astimezone(UTC).astimezone(TORONTO).replace(tzinfo=None) != naive:
        raise InvalidValue(f"{naive.isoformat()} does not exist in Toronto (clocks go forward)")
    if first.utcoffset() != naive.replace(tzinfo=TORONTO, fold=1).utcoffset():
        raise InvalidValue(
            f"{naive.isoformat()} happens twice in Toronto (clocks go back); give an offset"
        )
    return first


def local(moment: datetime) -> datetime:
    """The same instant on Toronto wall-clock time."""
    return require_aware(moment).astimezone(TORONTO)


def at_local(day: date, wall_time: time) -> datetime:
    """The instant at ``wall_time`` on ``day`` in Toronto.

    Rules use 00:00, 09:00, 10:00 and 23:59:59, none inside Toronto's 02:00-03:00 DST gap; a
    time inside the gap would keep its pre-change offset (zoneinfo's fold=0).
    """
    return datetime.combine(day, wall_time, tzinfo=TORONTO)


def first_business_day_after(day: date, calendar: BusinessCalendar) -> date:
    """The first business day strictly after ``day``."""
    candidate = day + timedelta(days=1)
    while not calendar.is_business_day(candidate):
        candidate += timedelta(days=1)
    return candidate
