"""The Ontario business calendar, from the ``holidays`` package (CA, ON, public, observed)."""

from __future__ import annotations

import json
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import attrs
import holidays
from holidays.version import __version__ as installed_holidays

from carepassport.domain.errors import DomainError
from carepassport.domain.settings import Settings
from carepassport.domain.time import BusinessCalendar

HOLIDAYS_VERSION: str = installed_holidays
"""The installed package's version (read from the package: ``importlib.metadata`` costs each
command ~0.02 s to load)."""
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


TABLES = Path(__file__).parent / "holidays"
"""The resolved holiday tables of every ``holidays`` version the product has recorded."""
TABLE_YEARS = range(2015, 2046)


class UnknownCalendar(DomainError):
    """A recorded calendar this installation cannot rebuild."""

    code = "unknown_calendar"


def holiday_table(years: range = TABLE_YEARS) -> dict[str, Any]:
    """The installed package's Ontario holidays, public and optional, by year."""
    return {
        "holidays_version": HOLIDAYS_VERSION,
        "public": {str(y): sorted(d.isoformat() for d in _holidays(y, False)) for y in years},
        "with_optional": {str(y): sorted(d.isoformat() for d in _holidays(y, True)) for y in years},
    }


@lru_cache(maxsize=8)
def _table(version: str, folder: Path = TABLES) -> dict[str, dict[int, frozenset[date]]]:
    path = folder / f"holidays-{version}.json"
    if not path.exists():
        raise UnknownCalendar(f"no holiday table is shipped for holidays {version}")
    data = json.loads(path.read_text("utf-8"))
    return {
        kind: {int(y): frozenset(date.fromisoformat(d) for d in days) for y, days in by.items()}
        for kind, by in ((k, data[k]) for k in ("public", "with_optional"))
    }


@attrs.frozen
class TabledCalendar:
    """An Ontario calendar rebuilt from a shipped table (another ``holidays`` version)."""

    version: str
    optional_holidays: bool = False
    closure_days: frozenset[date] = frozenset()
    folder: Path = TABLES

    @property
    def calendar_id(self) -> str:
        return _calendar_id(self.version, self.optional_holidays, self.closure_days)

    def is_business_day(self, day: date) -> bool:
        table = _table(self.version, self.folder)
        by_year = table["with_optional" if self.optional_holidays else "public"]
        if day.year not in by_year:
            raise UnknownCalendar(f"the holidays {self.version} table has no {day.year}")
        return day.weekday() < 5 and day not in self.closure_days and day not in by_year[day.year]


def _calendar_id(version: str, optional: bool, closures: frozenset[date]) -> str:
    parts = [f"holidays-{version}:CA-ON:public"]
    if optional:
        parts.append("+easter_monday+civic_holiday")
    if closures:
        parts.append(":closures=" + ",".join(d.isoformat() for d in sorted(closures)))
    return "".join(parts)


def parse_calendar_id(calendar_id: str) -> tuple[str, bool, frozenset[date]]:
    """(holidays version, optional holidays, closure days) of a business calendar's id."""
    head, sep, closures = calendar_id.partition(":closures=")
    optional = head.endswith("+easter_monday+civic_holiday")
    head = head.removesuffix("+easter_monday+civic_holiday")
    if not head.startswith("holidays-") or not head.endswith(":CA-ON:public"):
        raise UnknownCalendar(f"not an Ontario business calendar: {calendar_id!r}")
    version = head.removeprefix("holidays-").removesuffix(":CA-ON:public")
    days = frozenset(date.fromisoformat(d) for d in closures.split(",")) if sep else frozenset()
    return version, optional, days


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
        return _calendar_id(HOLIDAYS_VERSION, self.optional_holidays, self.closure_days)

    def is_business_day(self, day: date) -> bool:
        """Whether the college works on ``day``."""
        return (
            day.weekday() < 5
            and day not in self.closure_days
            and day not in _holidays(day.year, self.optional_holidays)
        )


class OntarioCalendars:
    """The Calendar port: the Ontario calendar that the recorded settings describe."""

    # The package's calendars (~0.09 s: ``country_holidays`` imports every country's module)
    # are loaded by the first business day asked for, not when the core is wired: most
    # commands ask for none (docs/adr/0025-cli-fast-start.md). Each year is then computed once.

    def for_settings(self, settings: Settings) -> BusinessCalendar:
        """An Ontario calendar with the settings' optional holidays and closure days."""
        return OntarioCalendar(
            optional_holidays=settings.optional_holidays, closure_days=settings.closure_days
        )

    def for_id(self, calendar_id: str) -> BusinessCalendar:
        """The calendar ``calendar_id`` names: the installed package's for its own version,
        else the shipped table of the recorded version."""
        version, optional, closures = parse_calendar_id(calendar_id)
        if version == HOLIDAYS_VERSION:
            return OntarioCalendar(optional_holidays=optional, closure_days=closures)
        _table(version)  # UnknownCalendar now, not at the first business day asked
        return TabledCalendar(version, optional, closures)


if __name__ == "__main__":  # python -m carepassport.adapters.calendar: ship today's table
    TABLES.mkdir(exist_ok=True)
    target = TABLES / f"holidays-{HOLIDAYS_VERSION}.json"
    target.write_text(json.dumps(holiday_table(), indent=1) + "\n", "utf-8")
    print(f"wrote {target}")
