"""Pure policies of docs/rules.md: R4, R6, R7 deadlines and R5/R13 funding decisions."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from carepassport.adapters.calendar import OntarioCalendar
from carepassport.domain.errors import InvalidValue, RegistrationRefused
from carepassport.domain.time import TORONTO
from carepassport.domain.training.policies import (
    FeePayer,
    FundingBasis,
    Outcome,
    PriorRegistration,
    access_expiry_decision_time,
    access_time,
    access_until,
    covered_retakes_used,
    funding_for_registration,
    self_registration_time,
)

DEFAULT = OntarioCalendar()
OPTIONAL = OntarioCalendar(optional_holidays=True)


def toronto(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    """An aware Toronto wall-clock time."""
    return datetime(y, mo, d, h, mi, s, tzinfo=TORONTO)


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """An aware UTC time."""
    return datetime(y, mo, d, h, mi, tzinfo=UTC)


def closed(*days: date, optional: bool = False) -> OntarioCalendar:
    return OntarioCalendar(optional_holidays=optional, closure_days=frozenset(days))


class TestSelfRegistrationTime:
    """R4: 09:00 on the first business day after the approval's local date."""

    @pytest.mark.parametrize(
        ("approved_at", "calendar", "expected"),
        [
            pytest.param(toronto(2026, 4, 2, 15), DEFAULT, "2026-04-06T09:00:00-04:00",
                         id="worked-example-good-friday"),
            pytest.param(toronto(2026, 4, 2, 15), OPTIONAL, "2026-04-07T09:00:00-04:00",
                         id="worked-example-with-easter-monday"),
            pytest.param(toronto(2026, 6, 1, 10), DEFAULT, "2026-06-02T09:00:00-04:00",
                         id="monday-to-tuesday"),
            pytest.param(toronto(2026, 6, 5, 10), DEFAULT, "2026-06-08T09:00:00-04:00",
                         id="friday-to-monday"),
            pytest.param(toronto(2026, 6, 6, 10), DEFAULT, "2026-06-08T09:00:00-04:00",
                         id="saturday-to-monday"),
            pytest.param(toronto(2026, 6, 7, 10), DEFAULT, "2026-06-08T09:00:00-04:00",
                         id="sunday-to-monday"),
            pytest.param(toronto(2026, 7, 1, 10), DEFAULT, "2026-07-02T09:00:00-04:00",
                         id="on-canada-day-to-next-day"),
            pytest.param(toronto(2026, 6, 2, 8, 59), DEFAULT, "2026-06-03T09:00:00-04:00",
                         id="before-nine-still-next-day"),
            pytest.param(toronto(2026, 6, 2, 0, 0), DEFAULT, "2026-06-03T09:00:00-04:00",
                         id="at-midnight-start-of-day"),
            pytest.param(toronto(2026, 6, 2, 23, 59, 59), DEFAULT, "2026-06-03T09:00:00-04:00",
                         id="at-last-second-of-day"),
            pytest.param(utc(2026, 4, 2, 2, 30), DEFAULT, "2026-04-02T09:00:00-04:00",
                         id="utc-input-on-previous-local-date"),
            pytest.param(toronto(2026, 12, 24, 11), DEFAULT, "2026-12-29T09:00:00-05:00",
                         id="christmas-2026-and-boxing-day-observed"),
            pytest.param(toronto(2027, 12, 24, 11), DEFAULT, "2027-12-29T09:00:00-05:00",
                         id="christmas-2027-both-observed"),
            pytest.param(toronto(2026, 12, 31, 11), DEFAULT, "2027-01-04T09:00:00-05:00",
                         id="year-end-2026"),
            pytest.param(toronto(2027, 12, 31, 11), DEFAULT, "2028-01-04T09:00:00-05:00",
                         id="year-end-2027-new-years-observed-monday"),
            pytest.param(toronto(2026, 4, 2, 15), closed(date(2026, 4, 6)),
                         "2026-04-07T09:00:00-04:00", id="closure-day-pushes-it-further"),
            pytest.param(toronto(2026, 4, 2, 15), closed(date(2026, 4, 7), optional=True),
                         "2026-04-08T09:00:00-04:00", id="closure-after-optional-holiday"),
        ],
    )  # fmt: skip
    def test_opens_at_nine_on_first_business_day_after_approval_date(
        self, approved_at: datetime, calendar: OntarioCalendar, expected: str
    ) -> None:
        assert self_registration_time(approved_at, calendar).isoformat() == expected

    @pytest.mark.parametrize(
        ("approved_on", "expected_on"),
        [  # Good Friday 2026, both Christmases and New Year's 2027 are rows of the table above.
            pytest.param(date(2025, 12, 31), date(2026, 1, 2), id="2026-new-years-day"),
            pytest.param(date(2026, 2, 13), date(2026, 2, 17), id="2026-family-day"),
            pytest.param(date(2026, 5, 15), date(2026, 5, 19), id="2026-victoria-day"),
            pytest.param(date(2026, 6, 30), date(2026, 7, 2), id="2026-canada-day"),
            pytest.param(date(2026, 9, 4), date(2026, 9, 8), id="2026-labour-day"),
            pytest.param(date(2026, 10, 9), date(2026, 10, 13), id="2026-thanksgiving"),
            pytest.param(date(2027, 2, 12), date(2027, 2, 16), id="2027-family-day"),
            pytest.param(date(2027, 3, 25), date(2027, 3, 29), id="2027-good-friday"),
            pytest.param(date(2027, 5, 21), date(2027, 5, 25), id="2027-victoria-day"),
            pytest.param(date(2027, 6, 30), date(2027, 7, 2), id="2027-canada-day"),
            pytest.param(date(2027, 9, 3), date(2027, 9, 7), id="2027-labour-day"),
            pytest.param(date(2027, 10, 8), date(2027, 10, 12), id="2027-thanksgiving"),
        ],
    )
    def test_approval_on_last_business_day_before_a_holiday_skips_it(
        self, approved_on: date, expected_on: date
    ) -> None:
        approved_at = datetime.combine(approved_on, time(14), tzinfo=TORONTO)
        opens = self_registration_time(approved_at, DEFAULT)
        assert (opens.date(), opens.hour, opens.minute) == (expected_on, 9, 0)

    @pytest.mark.parametrize(
        ("approved_at", "expected"),
        [
            pytest.param(toronto(2026, 3, 6, 15), "2026-03-09T09:00:00-04:00",
                         id="over-spring-forward-is-edt"),
            pytest.param(toronto(2026, 10, 30, 15), "2026-11-02T09:00:00-05:00",
                         id="over-fall-back-is-est"),
        ],
    )  # fmt: skip
    def test_nine_oclock_is_local_wall_clock_across_dst(
        self, approved_at: datetime, expected: str
    ) -> None:
        opens = self_registration_time(approved_at, DEFAULT)
        assert opens.isoformat() == expected
        assert opens.tzinfo is TORONTO

    def test_naive_approval_time_is_refused(self) -> None:
        with pytest.raises(InvalidValue, match="offset"):
            self_registration_time(datetime(2026, 4, 2, 15), DEFAULT)


class TestAccessTime:
    """R6: LMS access two hours of elapsed time after registration."""

    @pytest.mark.parametrize(
        ("registered_at", "expected"),
        [
            pytest.param(toronto(2026, 6, 2, 10, 15), "2026-06-02T12:15:00-04:00", id="ordinary"),
            pytest.param(toronto(2026, 6, 2, 23, 30), "2026-06-03T01:30:00-04:00",
                         id="across-midnight"),
            pytest.param(toronto(2026, 3, 8, 1, 30), "2026-03-08T04:30:00-04:00",
                         id="across-spring-forward-three-wall-clock-hours"),
            pytest.param(toronto(2026, 11, 1, 0, 30), "2026-11-01T01:30:00-05:00",
                         id="across-fall-back-second-one-thirty"),
            pytest.param(toronto(2026, 12, 31, 23), "2027-01-01T01:00:00-05:00", id="year-end"),
            pytest.param(utc(2026, 6, 2, 14, 15), "2026-06-02T12:15:00-04:00",
                         id="utc-input-given-in-toronto-time"),
        ],
    )  # fmt: skip
    def test_access_is_two_hours_later_in_toronto_time(
        self, registered_at: datetime, expected: str
    ) -> None:
        assert access_time(registered_at).isoformat() == expected

    @pytest.mark.parametrize(
        "registered_at",
        [
            pytest.param(toronto(2026, 3, 8, 1, 30), id="spring-forward"),
            pytest.param(toronto(2026, 11, 1, 0, 30), id="fall-back"),
            pytest.param(toronto(2026, 11, 1, 1, 30).replace(fold=1), id="in-second-hour"),
        ],
    )
    def test_access_is_exactly_two_elapsed_hours_later(self, registered_at: datetime) -> None:
        elapsed = access_time(registered_at).astimezone(UTC) - registered_at.astimezone(UTC)
        assert elapsed == timedelta(hours=2)

    def test_naive_registration_time_is_refused(self) -> None:
        with pytest.raises(InvalidValue, match="registered_at"):
            access_time(datetime(2026, 6, 2, 10))


class TestAccessUntilAndExpiryDecision:
    """R7: until 23:59:59 on registration date + access days; decided at the next 00:00."""

    ROWS = [
        pytest.param(toronto(2026, 6, 2, 10, 15), 14, "2026-06-16T23:59:59-04:00",
                     "2026-06-17T00:00:00-04:00", id="ordinary"),
        pytest.param(toronto(2026, 6, 2, 0, 0), 14, "2026-06-16T23:59:59-04:00",
                     "2026-06-17T00:00:00-04:00", id="registered-at-midnight"),
        pytest.param(toronto(2026, 6, 2, 23, 59), 14, "2026-06-16T23:59:59-04:00",
                     "2026-06-17T00:00:00-04:00", id="registered-at-23-59"),
        pytest.param(toronto(2026, 2, 25, 10), 14, "2026-03-11T23:59:59-04:00",
                     "2026-03-12T00:00:00-04:00", id="over-spring-forward"),
        pytest.param(toronto(2026, 10, 25, 10), 14, "2026-11-08T23:59:59-05:00",
                     "2026-11-09T00:00:00-05:00", id="over-fall-back"),
        pytest.param(toronto(2026, 12, 20, 10), 14, "2027-01-03T23:59:59-05:00",
                     "2027-01-04T00:00:00-05:00", id="over-year-end"),
        pytest.param(toronto(2026, 6, 2, 10), 1, "2026-06-03T23:59:59-04:00",
                     "2026-06-04T00:00:00-04:00", id="one-access-day"),
        pytest.param(toronto(2026, 6, 2, 10), 30, "2026-07-02T23:59:59-04:00",
                     "2026-07-03T00:00:00-04:00", id="thirty-access-days"),
        pytest.param(utc(2026, 4, 2, 2, 30), 14, "2026-04-15T23:59:59-04:00",
                     "2026-04-16T00:00:00-04:00", id="utc-input-on-previous-local-date"),
    ]  # fmt: skip

    @pytest.mark.parametrize(("registered_at", "days", "until", "decision"), ROWS)
    def test_access_until_is_last_second_of_last_local_day(
        self, registered_at: datetime, days: int, until: str, decision: str
    ) -> None:
        assert access_until(registered_at, days).isoformat() == until

    @pytest.mark.parametrize(("registered_at", "days", "until", "decision"), ROWS)
    def test_expiry_is_decided_at_midnight_after_access_ends(
        self, registered_at: datetime, days: int, until: str, decision: str
    ) -> None:
        assert access_expiry_decision_time(registered_at, days).isoformat() == decision


SPONSORSHIP, RETAKE, SELF_PAY = FundingBasis.SPONSORSHIP, FundingBasis.RETAKE, FundingBasis.SELF_PAY
S_FAILED = PriorRegistration(SPONSORSHIP, Outcome.FAILED)
S_PASSED = PriorRegistration(SPONSORSHIP, Outcome.PASSED)
S_OPEN = PriorRegistration(SPONSORSHIP, Outcome.OPEN)
R_FAILED = PriorRegistration(RETAKE, Outcome.FAILED)
R_OPEN = PriorRegistration(RETAKE, Outcome.OPEN)
P_FAILED = PriorRegistration(SELF_PAY, Outcome.FAILED)
NONE = "no enabled sponsorship covers PSW-101"  # why no sponsorship is available


def decide(
    history: list[PriorRegistration], why_not: str | None, retakes: int, pay: bool
) -> FundingBasis:
    """The funding decision for PSW-101."""
    return funding_for_registration(
        credential="PSW-101",
        history=history,
        sponsorship_unavailable=why_not,
        retakes_covered=retakes,
        self_pay=pay,
    )


class TestFundingForRegistration:
    """R5/R13: employer funding when it applies, else self-pay with consent, else refused."""

    @pytest.mark.parametrize(
        ("history", "why_not", "retakes", "pay", "expected"),
        [
            pytest.param([], None, 1, False, SPONSORSHIP, id="sponsorship"),
            pytest.param([], None, 1, True, SPONSORSHIP, id="sponsorship-even-with-self-pay"),
            pytest.param([S_PASSED], None, 1, False, SPONSORSHIP, id="new-sponsorship-after-pass"),
            pytest.param([S_FAILED], NONE, 1, False, RETAKE, id="first-failure-covered-retake"),
            pytest.param([S_FAILED], NONE, 1, True, RETAKE, id="covered-retake-despite-self-pay"),
            pytest.param([S_FAILED, R_FAILED], NONE, 1, True, SELF_PAY, id="one-retake-used-up"),
            pytest.param([S_FAILED, R_FAILED], NONE, 2, False, RETAKE, id="second-retake-of-two"),
            pytest.param([S_FAILED, R_FAILED, R_FAILED], NONE, 2, True, SELF_PAY,
                         id="two-retakes-used-up"),
            pytest.param([S_FAILED], NONE, 0, True, SELF_PAY, id="no-retakes-covered"),
            pytest.param([P_FAILED], NONE, 1, True, SELF_PAY, id="failed-self-paid-pays-again"),
            pytest.param([S_FAILED, P_FAILED], NONE, 1, True, SELF_PAY,
                         id="self-paid-breaks-retake-chain"),
            pytest.param([S_PASSED], NONE, 1, True, SELF_PAY, id="passed-prior"),
            pytest.param([], NONE, 1, True, SELF_PAY, id="no-history"),
        ],
    )  # fmt: skip
    def test_allowed_registration_gets_its_funding_basis(
        self,
        history: list[PriorRegistration],
        why_not: str | None,
        retakes: int,
        pay: bool,
        expected: FundingBasis,
    ) -> None:
        assert decide(history, why_not, retakes, pay) is expected

    @pytest.mark.parametrize(
        ("history", "why_not", "retakes", "pay", "fragments"),
        [
            pytest.param([S_OPEN], None, 1, False, ["PSW-101 is still open"],
                         id="open-sponsored-despite-sponsorship"),
            pytest.param([S_FAILED, R_OPEN], NONE, 1, True, ["still open"],
                         id="open-retake-despite-self-pay"),
            pytest.param([S_FAILED, R_FAILED], NONE, 1, False,
                         [NONE, "covers 1 retake(s) and 1 have been used", "self-pay"],
                         id="retakes-used-up"),
            pytest.param([S_FAILED], NONE, 0, False, ["covers 0 retake(s) and 0 have been used"],
                         id="no-retakes-covered"),
            pytest.param([P_FAILED], NONE, 1, False, [NONE, "not employer-sponsored"],
                         id="failed-self-paid-starts-no-retakes"),
            pytest.param([S_FAILED, P_FAILED], NONE, 1, False, ["not employer-sponsored"],
                         id="self-paid-broke-the-chain"),
            pytest.param([S_PASSED], NONE, 1, False, [NONE, "self-pay"], id="passed-prior"),
            pytest.param([], NONE, 1, False, [NONE, "self-pay"], id="no-history"),
        ],
    )  # fmt: skip
    def test_refused_registration_says_why(
        self,
        history: list[PriorRegistration],
        why_not: str | None,
        retakes: int,
        pay: bool,
        fragments: list[str],
    ) -> None:
        with pytest.raises(RegistrationRefused) as refused:
            decide(history, why_not, retakes, pay)
        for fragment in fragments:
            assert fragment in refused.value.message

    def test_refusal_after_a_pass_does_not_mention_retakes(self) -> None:
        with pytest.raises(RegistrationRefused) as refused:
            decide([S_PASSED], NONE, 1, False)
        assert "retake" not in refused.value.message


class TestCoveredRetakesUsed:
    @pytest.mark.parametrize(
        ("history", "expected"),
        [
            pytest.param([], None, id="no-history"),
            pytest.param([S_FAILED], 0, id="sponsored-only"),
            pytest.param([S_FAILED, R_FAILED], 1, id="one-retake"),
            pytest.param([S_FAILED, R_FAILED, R_FAILED], 2, id="two-retakes"),
            pytest.param([P_FAILED], None, id="self-paid-only"),
            pytest.param([S_FAILED, P_FAILED], None, id="self-paid-after-sponsored"),
            pytest.param([P_FAILED, S_FAILED], 0, id="sponsored-after-self-paid"),
            pytest.param([S_FAILED, R_FAILED, S_FAILED], 0, id="new-sponsorship-restarts-count"),
            pytest.param([R_FAILED], None, id="retake-without-sponsorship"),
        ],
    )
    def test_counts_retakes_since_last_sponsored_registration(
        self, history: list[PriorRegistration], expected: int | None
    ) -> None:
        assert covered_retakes_used(history) == expected


class TestFeePayer:
    @pytest.mark.parametrize(
        ("basis", "payer"),
        [
            pytest.param(FundingBasis.SPONSORSHIP, FeePayer.EMPLOYER, id="sponsorship-employer"),
            pytest.param(FundingBasis.RETAKE, FeePayer.EMPLOYER, id="retake-employer"),
            pytest.param(FundingBasis.SELF_PAY, FeePayer.EMPLOYEE, id="self-pay-employee"),
        ],
    )
    def test_funding_basis_names_who_pays(self, basis: FundingBasis, payer: FeePayer) -> None:
        assert basis.fee_payer is payer
