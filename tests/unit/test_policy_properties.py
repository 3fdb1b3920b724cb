"""Properties of the deadline policies over many generated times (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from carepassport.adapters.calendar import OntarioCalendar
from carepassport.domain.time import local
from carepassport.domain.training.policies import (
    access_expiry_decision_time,
    access_time,
    access_until,
    self_registration_time,
)

instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2029, 12, 31), timezones=st.just(UTC)
)
calendars = st.builds(OntarioCalendar, optional_holidays=st.booleans())


@settings(max_examples=300, deadline=None)
@given(approved_at=instants, calendar=calendars)
def test_self_registration_opens_at_nine_on_the_first_business_day_after_approval(
    approved_at: datetime, calendar: OntarioCalendar
) -> None:
    opens = self_registration_time(approved_at, calendar)
    approval_day = local(approved_at).date()

    assert opens.time() == time(9, 0)
    assert calendar.is_business_day(opens.date())
    assert opens.date() > approval_day
    skipped = (opens.date() - approval_day).days - 1
    between = [approval_day + timedelta(days=n + 1) for n in range(skipped)]
    assert not any(calendar.is_business_day(day) for day in between)


@settings(max_examples=300, deadline=None)
@given(registered_at=instants)
def test_access_starts_exactly_two_elapsed_hours_after_registration(
    registered_at: datetime,
) -> None:
    starts = access_time(registered_at)

    assert starts.astimezone(UTC) - registered_at == timedelta(hours=2)


@settings(max_examples=300, deadline=None)
@given(registered_at=instants, days=st.integers(min_value=1, max_value=60))
def test_access_ends_on_the_last_second_of_the_nth_local_day_and_is_decided_at_the_next_midnight(
    registered_at: datetime, days: int
) -> None:
    until = access_until(registered_at, days)
    decided = access_expiry_decision_time(registered_at, days)

    assert until.date() - local(registered_at).date() == timedelta(days=days)
    assert until.time() == time(23, 59, 59)
    assert decided.time() == time(0, 0) and decided.date() == until.date() + timedelta(days=1)
    assert decided.astimezone(UTC) - until.astimezone(UTC) == timedelta(seconds=1)
