"""Pure compliance policies: requirement states (R1), expiry and reminders (R14), renewal basis."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carepassport.adapters.calendar import OntarioCalendar
from carepassport.domain.compliance.standing import (
    Progress,
    RequirementFacts,
    RequirementState,
    Standing,
    expiry_time,
    overall_standing,
    reminder_time,
    renewed_valid_until,
    requirement_state,
    states_hold_until,
)
from carepassport.domain.reference import RenewalBasis
from carepassport.domain.time import TORONTO

ACTIVE, SUSPENDED, REVOKED = Standing.ACTIVE, Standing.SUSPENDED, Standing.REVOKED
RECERTIFY = Standing.RECERTIFICATION_REQUIRED
NONE, OPEN, AWAITING = Progress.NONE, Progress.OPEN, Progress.AWAITING_PUBLICATION
PUBLISHED, FAILED = Progress.PUBLISHED, Progress.FAILED
S = RequirementState
FROM_COMPLETION, FROM_EXPIRY = RenewalBasis.FROM_COMPLETION, RenewalBasis.FROM_PREVIOUS_EXPIRY

UNTIL = date(2027, 6, 30)  # first reminder (60 days) 2027-05-01 09:00, expiry 2027-07-01 00:00
WINDOW = 60


def toronto(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    """An aware Toronto wall-clock time."""
    return datetime(y, mo, d, h, mi, s, tzinfo=TORONTO)


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    """An aware UTC time."""
    return datetime(y, mo, d, h, mi, s, tzinfo=UTC)


BEFORE_WINDOW = toronto(2027, 4, 1, 12)
IN_WINDOW = toronto(2027, 6, 1, 12)
AFTER_EXPIRY = toronto(2027, 7, 15, 12)


def state(
    valid_until: date | None, standing: Standing, progress: Progress, at: datetime
) -> RequirementState:
    return requirement_state(RequirementFacts(valid_until, standing, progress), at, WINDOW)


class TestRequirementState:
    """R1: what the requirements list shows for one micro-credential."""

    @pytest.mark.parametrize(
        ("valid_until", "standing", "progress", "at", "expected"),
        [
            pytest.param(UNTIL, ACTIVE, PUBLISHED, BEFORE_WINDOW, S.VALID, id="valid"),
            pytest.param(UNTIL, ACTIVE, PUBLISHED, IN_WINDOW, S.EXPIRING, id="expiring"),
            pytest.param(UNTIL, ACTIVE, PUBLISHED, AFTER_EXPIRY, S.EXPIRED, id="expired"),
            pytest.param(None, ACTIVE, NONE, BEFORE_WINDOW, S.NEVER_COMPLETED,
                         id="never-completed"),
            pytest.param(None, ACTIVE, OPEN, BEFORE_WINDOW, S.IN_PROGRESS,
                         id="in-progress-registered"),
            pytest.param(None, ACTIVE, AWAITING, BEFORE_WINDOW, S.IN_PROGRESS,
                         id="in-progress-awaiting-publication"),
            pytest.param(None, ACTIVE, FAILED, BEFORE_WINDOW, S.FAILED, id="failed"),
            pytest.param(UNTIL, SUSPENDED, PUBLISHED, BEFORE_WINDOW, S.SUSPENDED, id="suspended"),
            pytest.param(UNTIL, REVOKED, PUBLISHED, BEFORE_WINDOW, S.REVOKED, id="revoked"),
        ],
    )  # fmt: skip
    def test_each_state_is_read_from_its_facts(
        self,
        valid_until: date | None,
        standing: Standing,
        progress: Progress,
        at: datetime,
        expected: RequirementState,
    ) -> None:
        assert state(valid_until, standing, progress, at) is expected

    @pytest.mark.parametrize(
        ("valid_until", "standing", "progress", "at", "expected"),
        [
            pytest.param(UNTIL, REVOKED, OPEN, BEFORE_WINDOW, S.REVOKED,
                         id="revoked-beats-in-progress"),
            pytest.param(UNTIL, REVOKED, FAILED, AFTER_EXPIRY, S.REVOKED,
                         id="revoked-beats-failed-and-expired"),
            pytest.param(UNTIL, SUSPENDED, AWAITING, BEFORE_WINDOW, S.SUSPENDED,
                         id="suspended-beats-in-progress"),
            pytest.param(UNTIL, SUSPENDED, PUBLISHED, AFTER_EXPIRY, S.SUSPENDED,
                         id="suspended-beats-expired"),
            pytest.param(UNTIL, ACTIVE, OPEN, BEFORE_WINDOW, S.IN_PROGRESS,
                         id="in-progress-beats-valid"),
            pytest.param(UNTIL, ACTIVE, AWAITING, AFTER_EXPIRY, S.IN_PROGRESS,
                         id="in-progress-beats-expired"),
            pytest.param(UNTIL, ACTIVE, FAILED, BEFORE_WINDOW, S.VALID,
                         id="valid-beats-failed-renewal-attempt"),
            pytest.param(UNTIL, ACTIVE, FAILED, IN_WINDOW, S.EXPIRING,
                         id="expiring-beats-failed-renewal-attempt"),
            pytest.param(UNTIL, ACTIVE, FAILED, AFTER_EXPIRY, S.FAILED,
                         id="failed-retake-beats-expired"),
            pytest.param(UNTIL, RECERTIFY, PUBLISHED, BEFORE_WINDOW, S.EXPIRED,
                         id="recertification-required-reads-expired-before-valid-until"),
            pytest.param(UNTIL, RECERTIFY, OPEN, BEFORE_WINDOW, S.IN_PROGRESS,
                         id="recertification-under-way-is-in-progress"),
        ],
    )  # fmt: skip
    def test_the_stronger_state_wins(
        self,
        valid_until: date | None,
        standing: Standing,
        progress: Progress,
        at: datetime,
        expected: RequirementState,
    ) -> None:
        assert state(valid_until, standing, progress, at) is expected

    @pytest.mark.parametrize(
        ("at", "window", "expected"),
        [
            pytest.param(toronto(2027, 5, 1, 8, 59, 59), 60, S.VALID, id="second-before-window"),
            pytest.param(toronto(2027, 5, 1, 9), 60, S.EXPIRING, id="window-opens-at-nine"),
            pytest.param(toronto(2027, 5, 31, 8, 59, 59), 30, S.VALID,
                         id="thirty-day-window-second-before"),
            pytest.param(toronto(2027, 5, 31, 9), 30, S.EXPIRING, id="thirty-day-window-opens"),
            pytest.param(toronto(2027, 6, 30, 23, 59, 59), 60, S.EXPIRING,
                         id="last-second-of-valid-until"),
            pytest.param(toronto(2027, 7, 1), 60, S.EXPIRED, id="midnight-after-valid-until"),
            pytest.param(utc(2027, 7, 1, 3, 59, 59), 60, S.EXPIRING,
                         id="utc-read-on-last-local-second"),
            pytest.param(utc(2027, 7, 1, 4), 60, S.EXPIRED, id="utc-read-at-local-midnight"),
        ],
    )  # fmt: skip
    def test_expiring_and_expired_start_exactly_on_their_boundaries(
        self, at: datetime, window: int, expected: RequirementState
    ) -> None:
        facts = RequirementFacts(UNTIL, ACTIVE, PUBLISHED)
        assert requirement_state(facts, at, window) is expected


HOLIDAYS = OntarioCalendar()


class TestReminderAndExpiryTimes:
    """R14: reminders at 09:00 on valid_until - 60/30/7 (any day); expiry at the next 00:00."""

    @pytest.mark.parametrize(
        ("valid_until", "days", "expected"),
        [
            pytest.param(UNTIL, 60, "2027-05-01T09:00:00-04:00", id="sixty-days"),
            pytest.param(UNTIL, 30, "2027-05-31T09:00:00-04:00", id="thirty-days"),
            pytest.param(UNTIL, 7, "2027-06-23T09:00:00-04:00", id="seven-days"),
            pytest.param(date(2027, 6, 12), 7, "2027-06-05T09:00:00-04:00", id="on-a-saturday"),
            pytest.param(date(2026, 3, 15), 7, "2026-03-08T09:00:00-04:00",
                         id="spring-forward-day-is-edt"),
            pytest.param(date(2026, 12, 1), 30, "2026-11-01T09:00:00-05:00",
                         id="fall-back-day-is-est"),
            pytest.param(date(2026, 4, 1), 60, "2026-01-31T09:00:00-05:00",
                         id="est-reminder-for-edt-valid-until"),
        ],
    )  # fmt: skip
    def test_reminder_goes_at_nine_local_on_the_offset_day(
        self, valid_until: date, days: int, expected: str
    ) -> None:
        assert reminder_time(valid_until, days).isoformat() == expected

    @pytest.mark.parametrize(
        ("valid_until", "days", "expected"),
        [
            pytest.param(date(2027, 1, 1), 7, "2026-12-25T09:00:00-05:00", id="christmas-2026"),
            pytest.param(date(2027, 1, 24), 30, "2026-12-25T09:00:00-05:00",
                         id="christmas-2026-thirty-days"),
            pytest.param(date(2027, 2, 23), 60, "2026-12-25T09:00:00-05:00",
                         id="christmas-2026-sixty-days"),
            pytest.param(date(2027, 7, 8), 7, "2027-07-01T09:00:00-04:00", id="canada-day-2027"),
        ],
    )  # fmt: skip
    def test_reminder_on_a_public_holiday_still_goes_that_day(
        self, valid_until: date, days: int, expected: str
    ) -> None:
        reminder = reminder_time(valid_until, days)

        assert reminder.isoformat() == expected
        assert HOLIDAYS.is_business_day(reminder.date()) is False

    @pytest.mark.parametrize(
        ("valid_until", "expected"),
        [
            pytest.param(UNTIL, "2027-07-01T00:00:00-04:00", id="ordinary"),
            pytest.param(date(2026, 3, 7), "2026-03-08T00:00:00-05:00",
                         id="before-spring-forward-still-est"),
            pytest.param(date(2026, 10, 31), "2026-11-01T00:00:00-04:00",
                         id="before-fall-back-still-edt"),
            pytest.param(date(2026, 12, 31), "2027-01-01T00:00:00-05:00", id="year-end"),
            pytest.param(date(2028, 2, 28), "2028-02-29T00:00:00-05:00", id="leap-day"),
        ],
    )  # fmt: skip
    def test_expiry_is_midnight_after_the_last_valid_day(
        self, valid_until: date, expected: str
    ) -> None:
        assert expiry_time(valid_until).isoformat() == expected


PREVIOUS = date(2026, 7, 31)  # its 60-day window opens 2026-06-01 09:00


class TestRenewedValidUntil:
    """R14 and renewal basis: completion date + validity, or previous valid_until + validity."""

    @pytest.mark.parametrize(
        ("completed_at", "basis", "previous", "expected"),
        [
            pytest.param(toronto(2026, 6, 15, 10), FROM_COMPLETION, PREVIOUS, date(2027, 6, 15),
                         id="from-completion-ignores-the-window"),
            pytest.param(toronto(2026, 8, 15, 10), FROM_COMPLETION, PREVIOUS, date(2027, 8, 15),
                         id="from-completion-after-expiry"),
            pytest.param(toronto(2026, 6, 15, 10), FROM_EXPIRY, PREVIOUS, date(2027, 7, 31),
                         id="previous-expiry-inside-window"),
            pytest.param(toronto(2026, 6, 1, 9), FROM_EXPIRY, PREVIOUS, date(2027, 7, 31),
                         id="previous-expiry-as-window-opens"),
            pytest.param(toronto(2026, 7, 31, 23, 30), FROM_EXPIRY, PREVIOUS, date(2027, 7, 31),
                         id="previous-expiry-on-last-valid-day"),
            pytest.param(toronto(2026, 6, 1, 8, 59, 59), FROM_EXPIRY, PREVIOUS,
                         date(2027, 6, 1), id="second-before-window-counts-from-completion"),
            pytest.param(toronto(2026, 3, 1, 10), FROM_EXPIRY, PREVIOUS, date(2027, 3, 1),
                         id="well-before-window-counts-from-completion"),
            pytest.param(toronto(2026, 8, 1), FROM_EXPIRY, PREVIOUS, date(2027, 8, 1),
                         id="after-expiry-counts-from-completion"),
            pytest.param(toronto(2026, 6, 15, 10), FROM_EXPIRY, None, date(2027, 6, 15),
                         id="first-credential-counts-from-completion"),
            pytest.param(utc(2026, 6, 16, 3, 30), FROM_COMPLETION, None, date(2027, 6, 15),
                         id="local-completion-date-not-utc"),
            pytest.param(utc(2026, 8, 1, 3, 30), FROM_EXPIRY, PREVIOUS, date(2027, 7, 31),
                         id="utc-next-day-is-still-the-last-valid-day"),
            pytest.param(toronto(2027, 3, 1, 10), FROM_COMPLETION, None, date(2028, 2, 29),
                         id="validity-counts-days-over-a-leap-year"),
        ],
    )  # fmt: skip
    def test_renewed_valid_until_follows_the_basis(
        self, completed_at: datetime, basis: RenewalBasis, previous: date | None, expected: date
    ) -> None:
        assert renewed_valid_until(completed_at, 365, basis, previous, WINDOW) == expected


class TestOverallStanding:
    @pytest.mark.parametrize(
        ("states", "expected"),
        [
            pytest.param([S.VALID], S.VALID, id="all-valid"),
            pytest.param([S.VALID, S.EXPIRING], S.EXPIRING, id="expiring-over-valid"),
            pytest.param([S.EXPIRING, S.IN_PROGRESS, S.VALID], S.IN_PROGRESS,
                         id="in-progress-over-expiring"),
            pytest.param([S.IN_PROGRESS, S.FAILED], S.FAILED, id="failed-over-in-progress"),
            pytest.param([S.FAILED, S.NEVER_COMPLETED], S.NEVER_COMPLETED,
                         id="never-completed-over-failed"),
            pytest.param([S.NEVER_COMPLETED, S.EXPIRED], S.EXPIRED,
                         id="expired-over-never-completed"),
            pytest.param([S.EXPIRED, S.SUSPENDED], S.SUSPENDED, id="suspended-over-expired"),
            pytest.param([S.SUSPENDED, S.REVOKED, S.VALID], S.REVOKED, id="revoked-worst"),
        ],
    )  # fmt: skip
    def test_overall_standing_is_the_worst_state(
        self, states: list[RequirementState], expected: RequirementState
    ) -> None:
        assert overall_standing(states) is expected

    def test_no_requirements_have_no_standing(self) -> None:
        assert overall_standing([]) is None


ORDER = [S.VALID, S.EXPIRING, S.EXPIRED]


@settings(max_examples=300, deadline=None)
@given(
    valid_until=st.dates(min_value=date(2025, 1, 1), max_value=date(2029, 12, 31)),
    window=st.integers(min_value=1, max_value=365),
    offsets=st.lists(st.integers(min_value=-400 * 86400, max_value=30 * 86400), max_size=20),
    progress=st.sampled_from([Progress.NONE, Progress.PUBLISHED]),
)
def test_an_active_credential_goes_valid_expiring_expired_and_never_back(
    valid_until: date, window: int, offsets: list[int], progress: Progress
) -> None:
    expires, reminds = expiry_time(valid_until), reminder_time(valid_until, window)
    second = timedelta(seconds=1)
    edges = [reminds - second, reminds, expires - second, expires]
    reads = [expires.astimezone(UTC) + timedelta(seconds=n) for n in offsets] + edges
    facts = RequirementFacts(valid_until, Standing.ACTIVE, progress)

    states = [requirement_state(facts, at, window) for at in sorted(reads)]

    ranks = [ORDER.index(s) for s in states]
    assert ranks == sorted(ranks)
    assert [requirement_state(facts, at, window) for at in edges] == [
        S.VALID,
        S.EXPIRING,
        S.EXPIRING,
        S.EXPIRED,
    ]


class TestStatesHoldUntil:
    @pytest.mark.parametrize(
        ("at", "holds_until"),
        [
            (toronto(2027, 5, 1, 8, 0), toronto(2027, 5, 1, 9, 0)),
            (toronto(2027, 5, 1, 9, 0), toronto(2027, 5, 2, 0, 0)),
            (toronto(2027, 5, 1, 23, 59), toronto(2027, 5, 2, 0, 0)),
            (toronto(2027, 5, 2, 0, 0), toronto(2027, 5, 2, 9, 0)),
            (toronto(2027, 3, 14, 1, 30), toronto(2027, 3, 14, 9, 0)),  # clocks go forward at 2
        ],
    )
    def test_the_next_midnight_or_nine_oclock_after_the_read(
        self, at: datetime, holds_until: datetime
    ) -> None:
        assert states_hold_until(at) == holds_until


@settings(max_examples=300, deadline=None)
@given(
    valid_until=st.dates(min_value=date(2025, 1, 1), max_value=date(2029, 12, 31)),
    window=st.integers(min_value=1, max_value=365),
    offset=st.integers(min_value=-400 * 86400, max_value=30 * 86400),
    progress=st.sampled_from([Progress.NONE, Progress.PUBLISHED, Progress.FAILED]),
)
def test_no_state_changes_before_the_instant_states_hold_until(
    valid_until: date, window: int, offset: int, progress: Progress
) -> None:
    at = expiry_time(valid_until).astimezone(UTC) + timedelta(seconds=offset)
    facts = RequirementFacts(valid_until, Standing.ACTIVE, progress)
    last = states_hold_until(at) - timedelta(microseconds=1)

    assert requirement_state(facts, last, window) == requirement_state(facts, at, window)
