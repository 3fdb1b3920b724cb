"""R9, R10, R14 and the nightly midnight: when a completion is recorded, published, valid."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carepassport.adapters.calendar import OntarioCalendar
from carepassport.domain.errors import InvalidValue
from carepassport.domain.time import TORONTO, at_local, first_business_day_after, local
from carepassport.domain.training.policies import (
    next_midnight,
    publication_time,
    recording_time,
    valid_until,
)

DEFAULT = OntarioCalendar()
OPTIONAL = OntarioCalendar(optional_holidays=True)
TOKYO = timezone(timedelta(hours=9))


def t(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0, fold: int = 0) -> datetime:
    """An aware Toronto wall-clock time."""
    return datetime(y, mo, d, h, mi, s, tzinfo=TORONTO, fold=fold)


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """An aware UTC time."""
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


def closed(*days: date) -> OntarioCalendar:
    return OntarioCalendar(closure_days=frozenset(days))


class TestRecordingTime:
    """R9: a completion on local date D is recorded at 00:00 on D+1."""

    @pytest.mark.parametrize(
        ("completed_at", "expected"),
        [
            pytest.param(t(2026, 6, 2, 12), "2026-06-03T00:00:00-04:00", id="midday"),
            pytest.param(t(2026, 6, 2, 23, 59, 59), "2026-06-03T00:00:00-04:00", id="last-second"),
            pytest.param(t(2026, 6, 2), "2026-06-03T00:00:00-04:00", id="midnight-is-day-d"),
            pytest.param(utc(2026, 6, 3, 2, 30), "2026-06-03T00:00:00-04:00", id="utc-next-day"),
            pytest.param(utc(2026, 6, 2, 4, 0), "2026-06-03T00:00:00-04:00", id="utc-4am-is-0am"),
            pytest.param(utc(2026, 6, 2, 3, 59), "2026-06-02T00:00:00-04:00", id="utc-prev-day"),
            pytest.param(datetime(2026, 6, 3, 9, tzinfo=TOKYO), "2026-06-03T00:00:00-04:00",
                         id="tokyo-offset-uses-toronto-date"),
            pytest.param(t(2026, 3, 7, 22), "2026-03-08T00:00:00-05:00", id="eve-of-spring-dst"),
            pytest.param(t(2026, 3, 8, 1, 59), "2026-03-09T00:00:00-04:00", id="spring-dst-before"),
            pytest.param(t(2026, 3, 8, 3, 0), "2026-03-09T00:00:00-04:00", id="spring-dst-after"),
            pytest.param(t(2026, 10, 31, 22), "2026-11-01T00:00:00-04:00", id="eve-of-fall-dst"),
            pytest.param(t(2026, 11, 1, 1, 30), "2026-11-02T00:00:00-05:00", id="fall-dst-first"),
            pytest.param(t(2026, 11, 1, 1, 30, fold=1), "2026-11-02T00:00:00-05:00",
                         id="fall-dst-repeated-hour"),
            pytest.param(t(2026, 12, 31, 23, 59, 59), "2027-01-01T00:00:00-05:00", id="year-end"),
            pytest.param(utc(2027, 1, 1, 4, 59), "2027-01-01T00:00:00-05:00",
                         id="year-end-local-but-new-year-in-utc"),
            pytest.param(t(2028, 2, 28, 12), "2028-02-29T00:00:00-05:00", id="into-leap-day"),
        ],
    )  # fmt: skip
    def test_a_completion_is_recorded_at_the_midnight_after_its_local_date(
        self, completed_at: datetime, expected: str
    ) -> None:
        assert recording_time(completed_at).isoformat() == expected

    def test_a_naive_completion_time_is_refused(self) -> None:
        with pytest.raises(InvalidValue):
            recording_time(datetime(2026, 6, 2, 12))


class TestPublicationTime:
    """R10: 10:00 on the first business day after D; after a late sync, the next business 10:00."""

    @pytest.mark.parametrize(
        ("completed_at", "calendar", "recorded", "published"),
        [
            pytest.param(t(2026, 7, 31, 16), DEFAULT, "2026-08-01T00:00:00-04:00",
                         "2026-08-03T10:00:00-04:00", id="friday-civic-holiday-not-public"),
            pytest.param(t(2026, 7, 31, 16), OPTIONAL, "2026-08-01T00:00:00-04:00",
                         "2026-08-04T10:00:00-04:00", id="friday-civic-holiday-optional-on"),
            pytest.param(t(2026, 6, 2, 0, 30), DEFAULT, "2026-06-03T00:00:00-04:00",
                         "2026-06-03T10:00:00-04:00", id="tuesday-to-wednesday"),
            pytest.param(t(2026, 12, 24, 11), DEFAULT, "2026-12-25T00:00:00-05:00",
                         "2026-12-29T10:00:00-05:00", id="christmas-eve-2026"),
            pytest.param(t(2026, 4, 2, 15), DEFAULT, "2026-04-03T00:00:00-04:00",
                         "2026-04-06T10:00:00-04:00", id="good-friday-2026"),
            pytest.param(t(2026, 4, 2, 15), OPTIONAL, "2026-04-03T00:00:00-04:00",
                         "2026-04-07T10:00:00-04:00", id="good-friday-easter-monday-optional"),
            pytest.param(t(2026, 4, 2, 15), closed(date(2026, 4, 6)), "2026-04-03T00:00:00-04:00",
                         "2026-04-07T10:00:00-04:00", id="closure-after-good-friday"),
            pytest.param(t(2026, 6, 2, 9), closed(date(2026, 6, 3)), "2026-06-03T00:00:00-04:00",
                         "2026-06-04T10:00:00-04:00", id="closure-on-the-usual-day"),
            pytest.param(t(2027, 12, 23, 14), DEFAULT, "2027-12-24T00:00:00-05:00",
                         "2027-12-24T10:00:00-05:00", id="christmas-eve-eve-2027"),
            pytest.param(t(2027, 12, 24, 14), DEFAULT, "2027-12-25T00:00:00-05:00",
                         "2027-12-29T10:00:00-05:00", id="christmas-2027-observed-mon-tue"),
        ],
    )  # fmt: skip
    def test_a_completion_synced_on_time_is_published_at_ten_on_the_next_business_day(
        self, completed_at: datetime, calendar: OntarioCalendar, recorded: str, published: str
    ) -> None:
        recorded_at = recording_time(completed_at)

        assert recorded_at.isoformat() == recorded
        assert publication_time(completed_at, recorded_at, calendar).isoformat() == published

    @pytest.mark.parametrize(
        ("completed_at", "recorded_at", "published"),
        [
            pytest.param(t(2026, 6, 1, 15), t(2026, 6, 2, 3), "2026-06-02T10:00:00-04:00",
                         id="sync-late-but-before-usual-time"),
            pytest.param(t(2026, 6, 1, 15), t(2026, 6, 2, 10), "2026-06-02T10:00:00-04:00",
                         id="recorded-at-the-usual-time-exactly"),
            pytest.param(t(2026, 6, 1, 15), t(2026, 6, 2, 10, 0, 1), "2026-06-03T10:00:00-04:00",
                         id="recorded-just-after-the-usual-time"),
            pytest.param(t(2026, 6, 1, 15), t(2026, 6, 3, 9, 59), "2026-06-03T10:00:00-04:00",
                         id="business-day-before-ten"),
            pytest.param(t(2026, 6, 1, 15), utc(2026, 6, 3, 13, 30), "2026-06-03T10:00:00-04:00",
                         id="business-day-before-ten-given-in-utc"),
            pytest.param(t(2026, 6, 1, 15), t(2026, 6, 3, 10), "2026-06-03T10:00:00-04:00",
                         id="business-day-at-ten-exactly"),
            pytest.param(t(2026, 6, 1, 15), t(2026, 6, 3, 14), "2026-06-04T10:00:00-04:00",
                         id="business-day-after-ten"),
            pytest.param(t(2026, 6, 1, 15), t(2026, 6, 5, 14), "2026-06-08T10:00:00-04:00",
                         id="friday-after-ten-to-monday"),
            pytest.param(t(2026, 6, 1, 15), t(2026, 6, 6, 8), "2026-06-08T10:00:00-04:00",
                         id="saturday-to-monday"),
            pytest.param(t(2026, 9, 2, 12), t(2026, 9, 5, 8), "2026-09-08T10:00:00-04:00",
                         id="saturday-to-tuesday-after-labour-day"),
            pytest.param(t(2027, 12, 23, 14), t(2027, 12, 24, 11), "2027-12-29T10:00:00-05:00",
                         id="christmas-eve-2027-after-ten"),
            pytest.param(t(2027, 12, 23, 14), t(2027, 12, 27, 8), "2027-12-29T10:00:00-05:00",
                         id="christmas-2027-observed-monday"),
            pytest.param(t(2027, 12, 23, 14), t(2027, 12, 28, 9), "2027-12-29T10:00:00-05:00",
                         id="boxing-day-2027-observed-tuesday"),
            pytest.param(t(2026, 3, 6, 12), t(2026, 3, 8, 5), "2026-03-09T10:00:00-04:00",
                         id="across-spring-dst"),
            pytest.param(t(2026, 10, 30, 12), t(2026, 11, 1, 5), "2026-11-02T10:00:00-05:00",
                         id="across-fall-dst"),
        ],
    )  # fmt: skip
    def test_a_late_sync_publishes_at_the_first_business_ten_not_before_recording(
        self, completed_at: datetime, recorded_at: datetime, published: str
    ) -> None:
        assert publication_time(completed_at, recorded_at, DEFAULT).isoformat() == published

    def test_a_closure_day_pushes_a_late_sync_publication_further(self) -> None:
        calendar = closed(date(2026, 6, 8))

        published = publication_time(t(2026, 6, 1, 15), t(2026, 6, 6, 8), calendar)

        assert published.isoformat() == "2026-06-09T10:00:00-04:00"


class TestValidUntil:
    """R14: the last valid day is the completion's local date + validity days."""

    @pytest.mark.parametrize(
        ("completed_at", "days", "expected"),
        [
            pytest.param(t(2026, 6, 2, 10), 365, date(2027, 6, 2), id="a-year"),
            pytest.param(t(2026, 6, 2, 10), 30, date(2026, 7, 2), id="thirty-days"),
            pytest.param(t(2026, 6, 2, 23, 30), 365, date(2027, 6, 2), id="late-evening"),
            pytest.param(utc(2026, 6, 3, 3, 30), 365, date(2027, 6, 2),
                         id="toronto-date-not-utc-date"),
            pytest.param(utc(2027, 1, 1, 4, 30), 365, date(2027, 12, 31),
                         id="new-year-in-utc-still-old-year-in-toronto"),
            pytest.param(t(2027, 3, 1, 9), 365, date(2028, 2, 29), id="lands-on-leap-day"),
            pytest.param(t(2028, 2, 28, 9), 365, date(2029, 2, 27), id="spans-leap-day"),
            pytest.param(t(2028, 2, 29, 9), 365, date(2029, 2, 28), id="from-leap-day"),
        ],
    )  # fmt: skip
    def test_validity_counts_days_from_the_local_completion_date(
        self, completed_at: datetime, days: int, expected: date
    ) -> None:
        assert valid_until(completed_at, days) == expected


class TestNextMidnight:
    """The nightly sync's midnights: the first local midnight strictly after a moment."""

    @pytest.mark.parametrize(
        ("moment", "expected"),
        [
            pytest.param(t(2026, 6, 2), "2026-06-03T00:00:00-04:00", id="midnight-is-not-after"),
            pytest.param(t(2026, 6, 2, 0, 0, 1), "2026-06-03T00:00:00-04:00", id="just-after"),
            pytest.param(t(2026, 6, 2, 23, 59, 59), "2026-06-03T00:00:00-04:00", id="just-before"),
            pytest.param(utc(2026, 6, 3, 3), "2026-06-03T00:00:00-04:00", id="utc-next-day"),
            pytest.param(t(2026, 3, 7, 12), "2026-03-08T00:00:00-05:00", id="spring-dst-day"),
            pytest.param(t(2026, 3, 8), "2026-03-09T00:00:00-04:00", id="after-spring-dst"),
            pytest.param(t(2026, 10, 31, 12), "2026-11-01T00:00:00-04:00", id="fall-dst-day"),
            pytest.param(t(2026, 11, 1), "2026-11-02T00:00:00-05:00", id="after-fall-dst"),
            pytest.param(t(2026, 12, 31, 12), "2027-01-01T00:00:00-05:00", id="year-end"),
        ],
    )
    def test_the_next_midnight_is_strictly_after_in_toronto(
        self, moment: datetime, expected: str
    ) -> None:
        midnight = next_midnight(moment)

        assert midnight.isoformat() == expected
        assert midnight.tzinfo is TORONTO

    @pytest.mark.parametrize(
        ("day", "hours"),
        [
            pytest.param(t(2026, 3, 8), 23, id="spring-dst-day-is-23h"),
            pytest.param(t(2026, 11, 1), 25, id="fall-dst-day-is-25h"),
            pytest.param(t(2026, 6, 2), 24, id="ordinary-day-is-24h"),
        ],
    )
    def test_consecutive_midnights_are_a_local_day_of_elapsed_time_apart(
        self, day: datetime, hours: int
    ) -> None:
        elapsed = next_midnight(day).astimezone(UTC) - day.astimezone(UTC)

        assert elapsed == timedelta(hours=hours)


instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2029, 12, 31), timezones=st.just(UTC)
)
lags = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20))
calendars = st.builds(
    OntarioCalendar,
    optional_holidays=st.booleans(),
    closure_days=st.frozensets(st.dates(date(2025, 1, 1), date(2030, 2, 1)), max_size=40),
)


@settings(max_examples=300, deadline=None)
@given(completed_at=instants)
def test_recording_is_after_completion_by_at_most_a_day_and_an_hour(
    completed_at: datetime,
) -> None:
    recorded_at = recording_time(completed_at)

    assert timedelta(0) < recorded_at - completed_at <= timedelta(hours=25)
    assert local(recorded_at).time() == time(0, 0)
    assert local(recorded_at).date() == local(completed_at).date() + timedelta(days=1)


@settings(max_examples=300, deadline=None)
@given(completed_at=instants, calendar=calendars)
def test_an_on_time_sync_publishes_at_ten_on_the_first_business_day_after_completion(
    completed_at: datetime, calendar: OntarioCalendar
) -> None:
    published = publication_time(completed_at, recording_time(completed_at), calendar)

    day = first_business_day_after(local(completed_at).date(), calendar)
    assert published == at_local(day, time(10, 0))


@settings(max_examples=300, deadline=None)
@given(completed_at=instants, lag=lags, calendar=calendars)
def test_publication_is_the_first_business_ten_not_before_recording_or_the_usual_day(
    completed_at: datetime, lag: timedelta, calendar: OntarioCalendar
) -> None:
    recorded_at = recording_time(completed_at) + lag

    published = local(publication_time(completed_at, recorded_at, calendar))

    earliest_day = first_business_day_after(local(completed_at).date(), calendar)
    assert published.time() == time(10, 0)
    assert calendar.is_business_day(published.date())
    assert published >= recorded_at
    assert published.date() >= earliest_day
    day = earliest_day
    while day < published.date():
        assert not calendar.is_business_day(day) or at_local(day, time(10, 0)) < recorded_at
        day += timedelta(days=1)
