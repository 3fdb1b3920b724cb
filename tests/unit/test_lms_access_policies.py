"""LMS enrolment retries (ADR 0013): when to call again, when to give an unenrolment up."""

from __future__ import annotations

from datetime import datetime
from uuid import uuid4

import pytest

from carepassport.domain.errors import InvalidTransition
from carepassport.domain.time import TORONTO
from carepassport.domain.training.lms_access import (
    LMS_PROVISIONING,
    LmsProvisioning,
    Operation,
    ProvisioningOutcome,
    provisioning_retry_time,
    unenrolment_abandoned,
)


def toronto(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=TORONTO)


@pytest.mark.parametrize(
    ("failed_at", "failures", "retry_at"),
    [
        (toronto(2026, 7, 27, 12, 0), 1, toronto(2026, 7, 27, 12, 5)),
        (toronto(2026, 7, 27, 12, 5), 2, toronto(2026, 7, 27, 12, 20)),
        (toronto(2026, 7, 27, 12, 20), 3, toronto(2026, 7, 27, 13, 5)),
        (toronto(2026, 7, 27, 13, 5), 4, toronto(2026, 7, 27, 15, 20)),
        (toronto(2026, 7, 27, 15, 20), 5, toronto(2026, 7, 27, 21, 20)),
        (toronto(2026, 7, 27, 21, 20), 9, toronto(2026, 7, 28, 3, 20)),
        # elapsed time across the spring change: 01:58 EST + 5 minutes is 03:03 EDT
        (toronto(2026, 3, 8, 1, 58), 1, toronto(2026, 3, 8, 3, 3)),
        # and across the autumn change: six hours after 22:00 EDT is 03:00 EST
        (toronto(2026, 10, 31, 22, 0), 20, toronto(2026, 11, 1, 3, 0)),
    ],
)
def test_retries_wait_five_minutes_then_three_times_longer_up_to_six_hours(
    failed_at: datetime, failures: int, retry_at: datetime
) -> None:
    assert provisioning_retry_time(failed_at, failures) == retry_at


@pytest.mark.parametrize(
    ("now", "abandoned"),
    [
        (toronto(2026, 8, 18, 0, 4), False),
        (toronto(2026, 8, 18, 0, 5), True),
    ],
)
def test_an_unenrolment_is_left_to_a_person_seven_days_after_its_first_failure(
    now: datetime, abandoned: bool
) -> None:
    assert unenrolment_abandoned(toronto(2026, 8, 11, 0, 5), now) is abandoned


class TestLmsProvisioning:
    def test_each_failure_schedules_the_next_retry_and_settles_the_last(self) -> None:
        failed = LmsProvisioning.failed(
            uuid4(), Operation.ENROL, "E1", "IPAC", "timeout", toronto(2026, 7, 27, 12, 0)
        )
        failed.failed_again("timeout", toronto(2026, 7, 27, 12, 5))

        first, again = failed.collect_events()
        assert [d.due_at for d in first.deadlines()] == [toronto(2026, 7, 27, 12, 5)]  # type: ignore[attr-defined]
        assert [d.due_at for d in again.deadlines()] == [toronto(2026, 7, 27, 12, 20)]  # type: ignore[attr-defined]
        assert again.settled_actions() == (LMS_PROVISIONING,)  # type: ignore[attr-defined]
        assert failed.failures == 2

    def test_ended_retries_cannot_fail_again(self) -> None:
        failed = LmsProvisioning.failed(
            uuid4(), Operation.UNENROL, "E1", "IPAC", "500", toronto(2026, 8, 11, 0, 0)
        )
        failed.end(ProvisioningOutcome.DONE, "", toronto(2026, 8, 11, 0, 5))

        with pytest.raises(InvalidTransition):
            failed.failed_again("500", toronto(2026, 8, 11, 0, 20))
        assert not failed.open
