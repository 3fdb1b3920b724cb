"""OntarioCalendar: business days per docs/rules.md (CA-ON public holidays, observed, closures)."""

from __future__ import annotations

from datetime import date

import pytest

from carepassport.adapters.calendar import HOLIDAYS_VERSION, OntarioCalendar, OntarioCalendars
from carepassport.domain.settings import Settings, default_settings

DEFAULT = OntarioCalendar()
WITH_OPTIONAL = OntarioCalendar(optional_holidays=True)

PUBLIC_HOLIDAYS = [
    pytest.param(date(2026, 1, 1), id="2026-new-years-day-thu"),
    pytest.param(date(2026, 2, 16), id="2026-family-day-mon"),
    pytest.param(date(2026, 4, 3), id="2026-good-friday"),
    pytest.param(date(2026, 5, 18), id="2026-victoria-day-mon"),
    pytest.param(date(2026, 7, 1), id="2026-canada-day-wed"),
    pytest.param(date(2026, 9, 7), id="2026-labour-day-mon"),
    pytest.param(date(2026, 10, 12), id="2026-thanksgiving-mon"),
    pytest.param(date(2026, 12, 25), id="2026-christmas-fri"),
    pytest.param(date(2026, 12, 26), id="2026-boxing-day-sat"),
    pytest.param(date(2027, 1, 1), id="2027-new-years-day-fri"),
    pytest.param(date(2027, 2, 15), id="2027-family-day-mon"),
    pytest.param(date(2027, 3, 26), id="2027-good-friday"),
    pytest.param(date(2027, 5, 24), id="2027-victoria-day-mon"),
    pytest.param(date(2027, 7, 1), id="2027-canada-day-thu"),
    pytest.param(date(2027, 9, 6), id="2027-labour-day-mon"),
    pytest.param(date(2027, 10, 11), id="2027-thanksgiving-mon"),
    pytest.param(date(2027, 12, 25), id="2027-christmas-sat"),
    pytest.param(date(2027, 12, 26), id="2027-boxing-day-sun"),
]

OBSERVED_DAYS = [
    pytest.param(date(2026, 12, 28), id="2026-boxing-day-observed-mon"),
    pytest.param(date(2027, 12, 27), id="2027-christmas-observed-mon"),
    pytest.param(date(2027, 12, 28), id="2027-boxing-day-observed-tue"),
]

WEEKENDS = [
    pytest.param(date(2026, 4, 4), id="sat-2026-04-04"),
    pytest.param(date(2026, 4, 5), id="sun-2026-04-05"),
    pytest.param(date(2026, 6, 13), id="sat-2026-06-13"),
    pytest.param(date(2027, 1, 3), id="sun-2027-01-03"),
]

ORDINARY_WEEKDAYS = [
    pytest.param(date(2026, 4, 2), id="thu-before-good-friday"),
    pytest.param(date(2026, 6, 1), id="mon-2026-06-01"),
    pytest.param(date(2026, 6, 2), id="tue-2026-06-02"),
    pytest.param(date(2026, 6, 3), id="wed-2026-06-03"),
    pytest.param(date(2026, 6, 4), id="thu-2026-06-04"),
    pytest.param(date(2026, 6, 5), id="fri-2026-06-05"),
    pytest.param(date(2026, 12, 24), id="christmas-eve-thu-2026"),
    pytest.param(date(2026, 12, 29), id="tue-after-boxing-day-observed"),
    pytest.param(date(2026, 12, 31), id="new-years-eve-thu-2026"),
    pytest.param(date(2027, 1, 4), id="first-mon-of-2027"),
    pytest.param(date(2027, 12, 29), id="wed-after-2027-observed-days"),
]

OPTIONAL_HOLIDAYS = [
    pytest.param(date(2026, 4, 6), id="2026-easter-monday"),
    pytest.param(date(2027, 3, 29), id="2027-easter-monday"),
    pytest.param(date(2026, 8, 3), id="2026-civic-holiday"),
    pytest.param(date(2027, 8, 2), id="2027-civic-holiday"),
]


class TestHolidays:
    @pytest.mark.parametrize("day", PUBLIC_HOLIDAYS)
    def test_public_holiday_is_not_a_business_day(self, day: date) -> None:
        assert not DEFAULT.is_business_day(day)

    @pytest.mark.parametrize("day", OBSERVED_DAYS)
    def test_observed_holiday_is_not_a_business_day(self, day: date) -> None:
        assert day.weekday() < 5
        assert not DEFAULT.is_business_day(day)

    @pytest.mark.parametrize("day", PUBLIC_HOLIDAYS + OBSERVED_DAYS)
    def test_public_holiday_stays_a_holiday_with_optional_holidays_on(self, day: date) -> None:
        assert not WITH_OPTIONAL.is_business_day(day)


class TestWeekdaysAndWeekends:
    @pytest.mark.parametrize("day", WEEKENDS)
    def test_weekend_day_is_not_a_business_day(self, day: date) -> None:
        assert not DEFAULT.is_business_day(day)

    @pytest.mark.parametrize("day", ORDINARY_WEEKDAYS)
    def test_ordinary_weekday_is_a_business_day(self, day: date) -> None:
        assert DEFAULT.is_business_day(day)


class TestOptionalHolidays:
    @pytest.mark.parametrize("day", OPTIONAL_HOLIDAYS)
    def test_optional_holiday_is_a_business_day_by_default(self, day: date) -> None:
        assert DEFAULT.is_business_day(day)

    @pytest.mark.parametrize("day", OPTIONAL_HOLIDAYS)
    def test_optional_holiday_is_a_holiday_when_optional_holidays_are_on(self, day: date) -> None:
        assert not WITH_OPTIONAL.is_business_day(day)

    @pytest.mark.parametrize(
        "day",
        [
            pytest.param(date(2026, 11, 11), id="2026-remembrance-day-wed"),
            pytest.param(date(2027, 11, 11), id="2027-remembrance-day-thu"),
        ],
    )
    def test_remembrance_day_stays_a_business_day_with_optional_holidays_on(
        self, day: date
    ) -> None:
        assert WITH_OPTIONAL.is_business_day(day)

    @pytest.mark.parametrize("day", ORDINARY_WEEKDAYS)
    def test_ordinary_weekday_stays_a_business_day_with_optional_holidays_on(
        self, day: date
    ) -> None:
        assert WITH_OPTIONAL.is_business_day(day)


class TestClosureDays:
    def test_closure_day_is_not_a_business_day(self) -> None:
        calendar = OntarioCalendar(closure_days=frozenset({date(2026, 6, 3)}))
        assert not calendar.is_business_day(date(2026, 6, 3))

    def test_closure_day_does_not_close_the_days_around_it(self) -> None:
        calendar = OntarioCalendar(closure_days=frozenset({date(2026, 6, 3)}))
        assert calendar.is_business_day(date(2026, 6, 2))
        assert calendar.is_business_day(date(2026, 6, 4))

    def test_closure_day_can_observe_a_holiday_the_package_does_not(self) -> None:
        # docs/rules.md: Canada Day 2028 is a Saturday and `holidays` observes no Monday.
        assert DEFAULT.is_business_day(date(2028, 7, 3))
        calendar = OntarioCalendar(closure_days=frozenset({date(2028, 7, 3)}))
        assert not calendar.is_business_day(date(2028, 7, 3))


class TestCalendarId:
    def test_default_id_names_holidays_version_and_ontario(self) -> None:
        assert DEFAULT.calendar_id == f"holidays-{HOLIDAYS_VERSION}:CA-ON:public"

    def test_id_contains_ca_on(self) -> None:
        assert "CA-ON" in DEFAULT.calendar_id

    @pytest.mark.parametrize(
        "changed",
        [
            pytest.param(OntarioCalendar(optional_holidays=True), id="optional-holidays-on"),
            pytest.param(
                OntarioCalendar(closure_days=frozenset({date(2026, 6, 3)})), id="one-closure-day"
            ),
            pytest.param(
                OntarioCalendar(optional_holidays=True, closure_days=frozenset({date(2026, 6, 3)})),
                id="optional-holidays-and-closure",
            ),
        ],
    )
    def test_id_changes_when_settings_change(self, changed: OntarioCalendar) -> None:
        assert changed.calendar_id != DEFAULT.calendar_id
        assert changed.calendar_id.startswith(DEFAULT.calendar_id)

    def test_id_differs_for_different_closure_days(self) -> None:
        first = OntarioCalendar(closure_days=frozenset({date(2026, 6, 3)}))
        second = OntarioCalendar(closure_days=frozenset({date(2026, 6, 4)}))
        assert first.calendar_id != second.calendar_id

    def test_id_lists_closure_days_in_date_order(self) -> None:
        calendar = OntarioCalendar(closure_days=frozenset({date(2026, 12, 31), date(2026, 6, 3)}))
        assert calendar.calendar_id.endswith(":closures=2026-06-03,2026-12-31")


class TestForSettings:
    def test_default_settings_give_the_default_calendar(self) -> None:
        calendar = OntarioCalendars().for_settings(default_settings())
        assert calendar.calendar_id == DEFAULT.calendar_id
        assert calendar.is_business_day(date(2026, 4, 6))

    def test_settings_optional_holidays_and_closures_shape_the_calendar(self) -> None:
        settings = Settings(
            version=3,
            college_email="college@example.org",
            optional_holidays=True,
            closure_days=frozenset({date(2026, 6, 3)}),
        )
        calendar = OntarioCalendars().for_settings(settings)
        assert not calendar.is_business_day(date(2026, 4, 6))
        assert not calendar.is_business_day(date(2026, 6, 3))
        assert calendar.calendar_id == (
            f"holidays-{HOLIDAYS_VERSION}:CA-ON:public+easter_monday+civic_holiday"
            ":closures=2026-06-03"
        )
