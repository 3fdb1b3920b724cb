"""Pure policies: deadlines and funding decisions derived from facts and a business calendar.

Every function here cites its rule in docs/rules.md. None reads a clock or does I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

import attrs

from carepassport.domain.errors import RegistrationRefused
from carepassport.domain.time import (
    MIDNIGHT,
    TORONTO,
    BusinessCalendar,
    at_local,
    first_business_day_after,
    local,
    require_aware,
)

SELF_REGISTRATION_OPENS = time(9, 0)
APPROVAL_REMINDER_TIME = time(9, 0)
APPROVAL_REMINDER_BUSINESS_DAYS = (2, 4)
"""R3: approvers are reminded on these business days after the request, while it is unanswered."""
ACCESS_DELAY = timedelta(hours=2)
LAST_SECOND = time(23, 59, 59)


def self_registration_time(approved_at: datetime, calendar: BusinessCalendar) -> datetime:
    """R4: 09:00 on the first business day after the approval's local date."""
    day = first_business_day_after(local(approved_at).date(), calendar)
    return at_local(day, SELF_REGISTRATION_OPENS)


def approval_reminder_times(requested_at: datetime, calendar: BusinessCalendar) -> list[datetime]:
    """R3: 09:00 on the 2nd and the 4th business day after the request's local date.

    Business days count strictly after the request's date, as R4 does: a request on Monday is
    reminded on Wednesday and Friday; one on a weekend or holiday counts from the next business day.
    """
    times: list[datetime] = []
    day, counted = local(requested_at).date(), 0
    for wanted in APPROVAL_REMINDER_BUSINESS_DAYS:
        while counted < wanted:
            day = first_business_day_after(day, calendar)
            counted += 1
        times.append(at_local(day, APPROVAL_REMINDER_TIME))
    return times


def access_time(registered_at: datetime) -> datetime:
    """R6: LMS access two hours of elapsed time after registration (not wall-clock arithmetic)."""
    elapsed = require_aware(registered_at, "registered_at").astimezone(UTC) + ACCESS_DELAY
    return elapsed.astimezone(TORONTO)


def access_end_date(registered_at: datetime, access_days: int) -> date:
    """R7: the last local date of access, registration date + access days."""
    return local(registered_at).date() + timedelta(days=access_days)


def access_until(registered_at: datetime, access_days: int) -> datetime:
    """R7: access lasts until 23:59:59 local on registration date + access days."""
    return at_local(access_end_date(registered_at, access_days), LAST_SECOND)


def access_expiry_decision_time(registered_at: datetime, access_days: int) -> datetime:
    """R7: a registration with no pass is decided at the midnight that follows the end of access.

    That is the same midnight as the nightly sync that takes in the last day's results (R9), so a
    pass on the last day still counts: the sync runs first at equal due times.
    """
    return at_local(access_end_date(registered_at, access_days) + timedelta(days=1), MIDNIGHT)


class FeePayer(StrEnum):
    """Who pays a registration's fee (R13)."""

    EMPLOYER = "employer"
    EMPLOYEE = "employee"


class FundingBasis(StrEnum):
    """Why a registration is allowed (R5, R13)."""

    SPONSORSHIP = "sponsorship"
    RETAKE = "retake"
    SELF_PAY = "self_pay"

    @property
    def fee_payer(self) -> FeePayer:
        """Sponsorships and covered retakes are the employer's; self-pay is the employee's."""
        return FeePayer.EMPLOYEE if self is FundingBasis.SELF_PAY else FeePayer.EMPLOYER


class Outcome(StrEnum):
    """Where a registration stands: still open, or decided."""

    OPEN = "open"
    PASSED = "passed"
    FAILED = "failed"


@attrs.frozen
class PriorRegistration:
    """What a fee decision needs to know of an earlier registration for the same credential."""

    basis: FundingBasis
    outcome: Outcome


def covered_retakes_used(history: Sequence[PriorRegistration]) -> int | None:
    """R13: employer-paid retakes since the last sponsored registration, or None if none began it.

    A self-paid registration breaks the chain: what follows it is not a retake of a sponsored one.
    """
    for used, prior in enumerate(reversed(history)):
        if prior.basis is FundingBasis.SPONSORSHIP:
            return used
        if prior.basis is FundingBasis.SELF_PAY:
            return None
    return None


def retake_payer(history: Sequence[PriorRegistration], retakes_covered: int) -> FeePayer:
    """R13: who would pay for a retake after the last of ``history`` failed."""
    used = covered_retakes_used(history)
    if used is not None and used < retakes_covered:
        return FeePayer.EMPLOYER
    return FeePayer.EMPLOYEE


def funding_for_registration(
    *,
    credential: str,
    history: Sequence[PriorRegistration],
    sponsorship_unavailable: str | None,
    retakes_covered: int,
    self_pay: bool,
) -> FundingBasis:
    """R5/R13: decide who pays for a new registration, or refuse it with the reason.

    ``history`` lists the employee's registrations for ``credential`` in order;
    ``sponsorship_unavailable`` is None when an enabled, unused sponsorship covers it, else why not.
    Employer funding is used whenever it applies; ``self_pay`` is the employee's consent to pay
    when it does not.
    """
    if history and history[-1].outcome is Outcome.OPEN:
        raise RegistrationRefused(
            f"a registration for {credential} is still open; it must pass or fail first"
        )
    if sponsorship_unavailable is None:
        return FundingBasis.SPONSORSHIP
    reasons = [sponsorship_unavailable]
    if history and history[-1].outcome is Outcome.FAILED:
        used = covered_retakes_used(history)
        if used is not None and used < retakes_covered:
            return FundingBasis.RETAKE
        if used is None:
            reasons.append("the failed registration was not employer-sponsored")
        else:
            reasons.append(
                f"the employer's retake policy covers {retakes_covered} retake(s) "
                f"and {used} have been used"
            )
    if self_pay:
        return FundingBasis.SELF_PAY
    raise RegistrationRefused("; ".join(reasons) + " (register with self-pay to pay the fee)")


PUBLICATION_TIME = time(10, 0)


def recording_time(completed_at: datetime) -> datetime:
    """R9: completions are taken in at midnight; one on local date D is recorded at 00:00 on D+1."""
    return at_local(local(completed_at).date() + timedelta(days=1), MIDNIGHT)


def publication_time(
    completed_at: datetime, recorded_at: datetime, calendar: BusinessCalendar
) -> datetime:
    """R10: 10:00 on the first business day after the completion's local date D.

    If the completion was recorded later than that (a late sync, or a result held until its
    student number was corrected, R11), the first 10:00 on a business day not earlier than the
    recording.
    """
    usual = at_local(
        first_business_day_after(local(completed_at).date(), calendar), PUBLICATION_TIME
    )
    recorded = local(recorded_at)
    if usual >= recorded:
        return usual
    day = recorded.date()
    if not calendar.is_business_day(day) or at_local(day, PUBLICATION_TIME) < recorded:
        day = first_business_day_after(day, calendar)
    return at_local(day, PUBLICATION_TIME)


def valid_until(completed_at: datetime, validity_days: int) -> date:
    """R14: the last valid day is the completion's local date + validity days."""
    return local(completed_at).date() + timedelta(days=validity_days)


def next_midnight(moment: datetime) -> datetime:
    """R9: the first local midnight strictly after ``moment``."""
    return at_local(local(moment).date() + timedelta(days=1), MIDNIGHT)
