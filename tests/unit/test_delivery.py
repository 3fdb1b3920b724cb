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
        if n.recipients[0].next_attempt_at is not None:
            at = n.recipients[0].next_attempt_at
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
        assert (
            n.recipients[0].attempts,
            n.recipients[0].next_attempt_at,
            n.recipients[0].last_error,
        ) == (
            0,
            None,
            None,
        )

    def test_an_attempt_under_way_holds_the_message_for_the_lease(self) -> None:
        n = notification()

        n.begin_attempt(QUEUED, LEASE)

        assert n.recipients[0].attempts == 1
        assert not n.deliverable(QUEUED + LEASE - timedelta(seconds=1))
        assert n.deliverable(QUEUED + LEASE)
        with pytest.raises(InvalidTransition):
            n.begin_attempt(QUEUED + timedelta(minutes=1), LEASE)

    def test_a_failed_attempt_records_the_error_and_the_next_attempt_time(self) -> None:
        n = notification()
        n.begin_attempt(QUEUED, LEASE)

        n.mark_failed("451 4.3.0 mailbox busy\n  try later", QUEUED, SCHEDULE)

        assert n.recipients[0].last_error == "451 4.3.0 mailbox busy try later"
        assert n.recipients[0].next_attempt_at == QUEUED + timedelta(minutes=5)
        assert not n.deliverable(QUEUED + timedelta(minutes=4))
        assert n.deliverable(QUEUED + timedelta(minutes=5))

    def test_a_long_error_is_cut_to_the_limit(self) -> None:
        n = notification()
        n.begin_attempt(QUEUED, LEASE)

        n.mark_failed("x" * 5000, QUEUED, SCHEDULE)

        assert (
            n.recipients[0].last_error is not None
            and len(n.recipients[0].last_error) == ERROR_TEXT_LIMIT
        )

    def test_the_eighth_failed_attempt_abandons_the_message_with_the_reason(self) -> None:
        n = notification()

        last = failed_attempts(n, 8)

        assert n.recipients[0].attempts == 8
        assert n.recipients[0].abandoned_at == last
        assert n.recipients[0].last_error is not None
        assert n.recipients[0].last_error.startswith("gave up after 8 attempts; last error: 451")
        assert n.recipients[0].next_attempt_at is None
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

        assert (
            n.recipients[0].attempts,
            n.recipients[0].abandoned_at,
            n.recipients[0].next_attempt_at,
        ) == (
            0,
            None,
            None,
        )
        assert n.deliverable(last + timedelta(days=1))
        failed_attempts(n, 7, start=last + timedelta(days=1))
        assert n.recipients[0].abandoned_at is None

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

        assert (
            copy.recipients[0].attempts,
            copy.recipients[0].next_attempt_at,
            copy.recipients[0].last_error,
            copy.recipients[0].abandoned_at,
        ) == (
            3,
            QUEUED + timedelta(hours=1) + LEASE,
            "451 4.3.0 try again later",
            None,
        )


class TestSeveralRecipients:
    """One notice, one event, one copy a recipient delivered on its own (ADR 0026)."""

    def notice(self) -> Notification:
        return Notification.queue(
            kind="attempt_result",
            recipients=["pat@example.org", "boss@sunny.example", "backup@sunny.example"],
            subject="Result",
            body="Passed",
            about_id=UUID(int=2),
            cause_version=3,
            queued_at=QUEUED,
        )

    def test_it_is_queued_as_one_event_listing_the_recipients(self) -> None:
        n = self.notice()

        (event,) = n.collect_events()

        assert isinstance(event, Notification.NoticeQueued)
        assert event.recipients == ["pat@example.org", "boss@sunny.example", "backup@sunny.example"]
        assert [r.position for r in n.recipients] == [0, 1, 2]

    def test_one_recipient_is_given_the_id_a_notice_to_them_alone_had(self) -> None:
        alone = notification()

        assert alone.id == Notification.identity(
            UUID(int=1), 1, "approval_request", "boss@sunny.example"
        )

    def test_each_copy_is_attempted_failed_and_sent_on_its_own(self) -> None:
        n = self.notice()
        for message in n.messages():
            message.begin_attempt(QUEUED, LEASE)
        n.message(0).mark_sent(QUEUED)
        n.message(1).mark_failed("452 mailbox full", QUEUED, SCHEDULE)

        assert [(r.attempts, r.sent_at is not None) for r in n.recipients] == [
            (1, True),
            (1, False),
            (1, False),
        ]
        assert n.recipients[1].next_attempt_at == QUEUED + timedelta(minutes=5)
        assert n.recipients[2].next_attempt_at == QUEUED + LEASE
        assert not n.message(1).deliverable(QUEUED + timedelta(minutes=4))
        with pytest.raises(InvalidTransition, match="already sent"):
            n.message(0).mark_sent(QUEUED)

    def test_delivery_events_name_the_recipient_and_replay_to_the_same_state(self) -> None:
        n = self.notice()
        n.message(2).begin_attempt(QUEUED, LEASE)
        n.message(2).mark_sent(QUEUED)
        events = n.collect_events()

        copy = None
        for event in events:
            copy = event.mutate(copy)

        assert [getattr(e, "position", None) for e in events] == [None, 2, 2]
        assert isinstance(copy, Notification)
        assert copy.recipients == n.recipients

    def test_a_recipient_it_does_not_have_is_refused(self) -> None:
        with pytest.raises(InvalidTransition, match="no recipient 3"):
            self.notice().message(3)
