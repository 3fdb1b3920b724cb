"""Mail delivery bookkeeping on its own: the backoff schedule and the Notification's attempts."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import pytest

from carepassport.domain.errors import InvalidTransition, InvalidValue
from carepassport.domain.mail.delivery import RetrySchedule
from carepassport.domain.mail.notification import ERROR_TEXT_LIMIT, Notification
from carepassport.domain.time import TORONTO

QUEUED = datetime(2026, 4, 6, 10, 0, tzinfo=TORONTO)
LEASE = timedelta(minutes=10)
SCHEDULE = RetrySchedule()


def notification() -> Notification:
    return Notification.queue(
        kind="approval_request",
        recipient="boss@sunny.example",
        subject="Approve?",
        body="Reply YES",
        about_id=UUID(int=1),
        cause_version=1,
        queued_at=QUEUED,
    )


def replayed(aggregate: Notification) -> Notification:
    copy = None
    for event in aggregate.collect_events():
        copy = event.mutate(copy)
    assert isinstance(copy, Notification)
    return copy


def failed_attempts(n: Notification, count: int, start: datetime = QUEUED) -> datetime:
    """Fail ``count`` attempts, each at its scheduled time; returns the time of the last."""
    at = start
    for _ in range(count):
        n.begin_attempt(at, LEASE)
        n.mark_failed("451 4.3.0 try again later", at, SCHEDULE)
        if n.next_attempt_at is not None:
            at = n.next_attempt_at
    return at


class TestRetrySchedule:
    @pytest.mark.parametrize(
        ("attempt", "minutes"),
        [(1, 5), (2, 10), (3, 20), (4, 40), (5, 80), (6, 160), (7, 320), (8, 360), (60, 360)],
    )
    def test_the_wait_doubles_after_each_failure_up_to_six_hours(
        self, attempt: int, minutes: int
    ) -> None:
        assert SCHEDULE.delay_after(attempt) == timedelta(minutes=minutes)

    def test_the_wait_is_elapsed_time_across_a_dst_change(self) -> None:
        before_spring_forward = datetime(2026, 3, 8, 1, 50, tzinfo=TORONTO)

        retry = SCHEDULE.next_attempt_at(2, before_spring_forward)

        assert retry == datetime(2026, 3, 8, 3, 0, tzinfo=TORONTO)  # 10 minutes later

    def test_the_eighth_failure_is_the_last(self) -> None:
        assert [SCHEDULE.gives_up_after(n) for n in (1, 7, 8, 9)] == [False, False, True, True]

    @pytest.mark.parametrize(
        "bad",
        [
            {"max_attempts": 0},
            {"factor": 0},
            {"first_delay": timedelta(0)},
            {"longest_delay": timedelta(seconds=-1)},
        ],
        ids=["no-attempts", "zero-factor", "no-first-delay", "negative-longest-delay"],
    )
    def test_a_schedule_that_cannot_make_progress_is_refused(self, bad: dict[str, object]) -> None:
        with pytest.raises(InvalidValue):
            RetrySchedule(**bad)  # type: ignore[arg-type]

    def test_attempts_are_numbered_from_one(self) -> None:
        with pytest.raises(InvalidValue):
            SCHEDULE.delay_after(0)


class TestDeliveryAttempts:
    def test_a_new_notification_is_deliverable_at_once(self) -> None:
        n = notification()

        assert n.deliverable(QUEUED)
        assert (n.attempts, n.next_attempt_at, n.last_error) == (0, None, None)

    def test_an_attempt_under_way_holds_the_message_for_the_lease(self) -> None:
        n = notification()

        n.begin_attempt(QUEUED, LEASE)

        assert n.attempts == 1
        assert not n.deliverable(QUEUED + LEASE - timedelta(seconds=1))
        assert n.deliverable(QUEUED + LEASE)
        with pytest.raises(InvalidTransition):
            n.begin_attempt(QUEUED + timedelta(minutes=1), LEASE)

    def test_a_failed_attempt_records_the_error_and_the_next_attempt_time(self) -> None:
        n = notification()
        n.begin_attempt(QUEUED, LEASE)

        n.mark_failed("451 4.3.0 mailbox busy\n  try later", QUEUED, SCHEDULE)

        assert n.last_error == "451 4.3.0 mailbox busy try later"
        assert n.next_attempt_at == QUEUED + timedelta(minutes=5)
        assert not n.deliverable(QUEUED + timedelta(minutes=4))
        assert n.deliverable(QUEUED + timedelta(minutes=5))

    def test_a_long_error_is_cut_to_the_limit(self) -> None:
        n = notification()
        n.begin_attempt(QUEUED, LEASE)

        n.mark_failed("x" * 5000, QUEUED, SCHEDULE)

        assert n.last_error is not None and len(n.last_error) == ERROR_TEXT_LIMIT

    def test_the_eighth_failed_attempt_abandons_the_message_with_the_reason(self) -> None:
        n = notification()

        last = failed_attempts(n, 8)

        assert n.attempts == 8
        assert n.abandoned_at == last
        assert n.last_error is not None
        assert n.last_error.startswith("gave up after 8 attempts; last error: 451")
        assert n.next_attempt_at is None
        assert not n.deliverable(last + timedelta(days=365))

    def test_the_eighth_attempt_comes_ten_and_a_half_hours_after_the_first(self) -> None:
        n = notification()

        last = failed_attempts(n, 8)

        assert last - QUEUED == timedelta(minutes=635)

    def test_a_sent_message_is_never_attempted_again(self) -> None:
        n = notification()
        n.begin_attempt(QUEUED, LEASE)
        n.mark_sent(QUEUED)

        assert not n.deliverable(QUEUED + timedelta(days=1))
        with pytest.raises(InvalidTransition):
            n.begin_attempt(QUEUED + timedelta(days=1), LEASE)
        with pytest.raises(InvalidTransition):
            n.mark_sent(QUEUED + timedelta(days=1))

    def test_a_failure_needs_an_attempt_under_way(self) -> None:
        with pytest.raises(InvalidTransition):
            notification().mark_failed("boom", QUEUED, SCHEDULE)

    def test_a_requeued_message_gets_a_new_round_of_attempts(self) -> None:
        n = notification()
        last = failed_attempts(n, 8)

        n.requeue(last + timedelta(days=1))

        assert (n.attempts, n.abandoned_at, n.next_attempt_at) == (0, None, None)
        assert n.deliverable(last + timedelta(days=1))
        failed_attempts(n, 7, start=last + timedelta(days=1))
        assert n.abandoned_at is None

    @pytest.mark.parametrize("sent", [True, False], ids=["sent", "still-queued"])
    def test_only_an_abandoned_message_can_be_requeued(self, sent: bool) -> None:
        n = notification()
        if sent:
            n.mark_sent(QUEUED)

        with pytest.raises(InvalidTransition, match="only an abandoned message"):
            n.requeue(QUEUED)

    def test_replaying_the_events_gives_the_same_bookkeeping(self) -> None:
        n = notification()
        failed_attempts(n, 2)
        n.begin_attempt(QUEUED + timedelta(hours=1), LEASE)

        copy = replayed(n)

        assert (copy.attempts, copy.next_attempt_at, copy.last_error, copy.abandoned_at) == (
            3,
            QUEUED + timedelta(hours=1) + LEASE,
            "451 4.3.0 try again later",
            None,
        )
