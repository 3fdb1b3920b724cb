"""Recorded calendars are rebuilt from the holiday table shipped for their holidays version."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from carepassport.adapters import calendar as module
from carepassport.adapters.calendar import (
    HOLIDAYS_VERSION,
    TABLE_YEARS,
    OntarioCalendar,
    OntarioCalendars,
    TabledCalendar,
    UnknownCalendar,
    holiday_table,
    parse_calendar_id,
)

CLOSURES = frozenset({date(2026, 12, 24), date(2026, 12, 31)})


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _shipped_version(tmp_path: Path) -> str:
    """A table frozen from the installed package, under another version's name."""
    table = holiday_table(range(2025, 2029))
    (tmp_path / "holidays-0.1.json").write_text(json.dumps(table), "utf-8")
    return "0.1"


def test_the_installed_versions_table_is_shipped_with_the_package() -> None:
    assert (module.TABLES / f"holidays-{HOLIDAYS_VERSION}.json").exists()


@pytest.mark.parametrize("optional", [False, True], ids=["public", "with-optional"])
def test_a_tabled_calendar_agrees_with_the_package_it_was_frozen_from_on_every_day(
    tmp_path: Path, optional: bool
) -> None:
    version = _shipped_version(tmp_path)
    live = OntarioCalendar(optional_holidays=optional, closure_days=CLOSURES)
    tabled = TabledCalendar(version, optional, CLOSURES, folder=tmp_path)

    differ = [
        d
        for d in _days(date(2025, 1, 1), date(2028, 12, 31))
        if live.is_business_day(d) != tabled.is_business_day(d)
    ]

    assert differ == []


def test_a_tabled_calendar_refuses_a_year_its_table_does_not_hold(tmp_path: Path) -> None:
    tabled = TabledCalendar(_shipped_version(tmp_path), folder=tmp_path)

    with pytest.raises(UnknownCalendar, match="2031"):
        tabled.is_business_day(date(2031, 3, 3))


def test_a_calendar_id_parses_back_to_the_version_and_settings_it_names() -> None:
    live = OntarioCalendar(optional_holidays=True, closure_days=CLOSURES)

    assert parse_calendar_id(live.calendar_id) == (HOLIDAYS_VERSION, True, CLOSURES)


def test_the_calendar_for_the_installed_versions_id_is_the_live_calendar() -> None:
    live = OntarioCalendar(optional_holidays=True, closure_days=CLOSURES)

    assert OntarioCalendars().for_id(live.calendar_id) == live


def test_the_calendar_for_another_versions_id_is_rebuilt_from_its_shipped_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recorded = OntarioCalendar(closure_days=CLOSURES).calendar_id
    monkeypatch.setattr(module, "HOLIDAYS_VERSION", "999.0")  # the package was upgraded since

    rebuilt = OntarioCalendars().for_id(recorded)

    assert rebuilt == TabledCalendar(HOLIDAYS_VERSION, False, CLOSURES)
    assert [rebuilt.is_business_day(d) for d in _days(date(2026, 12, 20), date(2027, 1, 5))] == [
        OntarioCalendar(closure_days=CLOSURES).is_business_day(d)
        for d in _days(date(2026, 12, 20), date(2027, 1, 5))
    ]


def test_a_version_with_no_shipped_table_is_an_unknown_calendar() -> None:
    with pytest.raises(UnknownCalendar, match=r"holidays 0\.0\.1"):
        OntarioCalendars().for_id("holidays-0.0.1:CA-ON:public")


@pytest.mark.parametrize(
    "calendar_id", ["", "holidays-0.109:US-NY:public", "workalendar:CA-ON:public"]
)
def test_an_id_that_names_no_ontario_calendar_is_an_unknown_calendar(calendar_id: str) -> None:
    with pytest.raises(UnknownCalendar):
        OntarioCalendars().for_id(calendar_id)


def test_the_shipped_table_covers_the_years_deadlines_fall_in() -> None:
    table = holiday_table()

    assert set(table["public"]) == {str(y) for y in TABLE_YEARS}
    assert date.today().year in TABLE_YEARS  # noqa: DTZ011 - the table's own horizon, not domain time
