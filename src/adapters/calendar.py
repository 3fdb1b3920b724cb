"""The Ontario business calendar, from the ``holidays`` package (CA, ON, public, observed)."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from importlib.metadata import version

import attrs
import holidays

from carepassport.domain.settings import Settings
from carepassport.domain.time import BusinessCalendar

HOLIDAYS_VERSION = version("holidays")
OPTIONAL_HOLIDAY_NAMES = frozenset({"Easter Monday", "Civic Holiday"})


@lru_cache(maxsize=64)
def _holidays(year: int, optional: bool) -> frozenset[date]:
    public = holidays.country_holidays(
        "CA", subdiv="ON", years=year, categories=("public",), observed=True
    )
    days = set(public)
    if optional:
        extra = holidays.country_holidays(
            "CA", subdiv="ON", years=year, categories=("optional",), observed=True
        )
        days |= {day for day, name in extra.items() if name in OPTIONAL_HOLIDAY_NAMES}
    return frozenset(days)


@attrs.frozen
class OntarioCalendar:
    """Monday to Friday, less Ontario public holidays (observed days too) and closure days.

    With ``optional_holidays`` Easter Monday and the Civic Holiday are holidays as well.
    ``calendar_id`` names the package version and settings, so a deadline says what made it.
    """

    optional_holidays: bool = False
    closure_days: frozenset[date] = frozenset()

    @property
    def calendar_id(self) -> str:
        """Which calendar and settings these are."""
        parts = [f"holidays-{HOLIDAYS_VERSION}:CA-ON:public"]
        if self.optional_holidays:
            parts.append("+easter_monday+civic_holiday")
        if self.closure_days:
            parts.append(":closures=" + ",".join(d.isoformat() for d in sorted(self.closure_days)))
        return "".join(parts)

    def is_business_day(self, day: date) -> bool:
        """Whether the college works on ``day``."""
        return (
            day.weekday() < 5
            and day not in self.closure_days
            and day not in _holidays(day.year, self.optional_holidays)
        )


class OntarioCalendars:
    """The Calendar port: the Ontario calendar that the recorded settings describe."""

    def __init__(self) -> None:
        # Load the package's Canadian calendar now (~0.05 s), not in the first command that
        # asks for a business day; each year is then computed once (``_holidays``).
        holidays.country_holidays("CA", subdiv="ON", years=[])

    def for_settings(self, settings: Settings) -> BusinessCalendar:
        """An Ontario calendar with the settings' optional holidays and closure days."""
        return OntarioCalendar(
            optional_holidays=settings.optional_holidays, closure_days=settings.closure_days
        )
