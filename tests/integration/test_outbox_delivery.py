"""The outbox's retries with backoff and its never-twice bookkeeping, on memory and SQLite."""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.application.claims import DEFAULT_LEASE
from carepassport.application.mail.outbox import DELIVERY_BATCH
from carepassport.application.mail.ports import OutgoingMessage
from carepassport.application.services import Services
from carepassport.bootstrap import bootstrap
from carepassport.domain.errors import InvalidTransition, InvalidValue
from tests.conftest import APPROVER, toronto
from tests.integration.helpers import approved_in

REQUESTED_AT = toronto(2026, 3, 30, 9, 0)


class RefusesTheApprover(InMemoryMailer):
    """Refuses one recipient, as a server does for an unknown mailbox."""

    def send(self, message: OutgoingMessage) -> None:
        if message.recipient == APPROVER:
            raise ValueError("550 5.1.1 no such mailbox")
        super().send(message)


class CrashesOnce(InMemoryMailer):
    """The process dies in the middle of its first delivery."""

    crashed = False

    def send(self, message: OutgoingMessage) -> None:
        if not self.crashed:
            self.crashed = True
            raise KeyboardInterrupt
        super().send(message)


class SlowMailer(InMemoryMailer):
    """While it sends, another process runs a delivery of its own."""

    def __init__(self, other: Services) -> None:
        super().__init__()
        self.other = other
        self.sent_by_other: list[int] = []

    def send(self, message: OutgoingMessage) -> None:
        self.sent_by_other.append(self.other.outbox.deliver())
        super().send(message)


def approval_requests(services: Services) -> list[str]:
    """Request a sponsorship: two approval requests are queued (two approvers)."""
    services.sponsorships.request("E1", ["IPAC"])
    return [m.message_id for m in services.outbox.messages() if m.kind == "approval_request"]


def abandoned_requests(services: Services, mailer: InMemoryMailer, clock: SettableClock) -> None:
    """Request a sponsorship while mail is down, and fail all eight attempts at their times."""
    mailer.fail_next(1)
    approval_requests(services)
    for _ in range(7):
        (entry, *_) = services.outbox.messages(APPROVER)
        assert entry.next_attempt_at is not None
        clock.set(entry.next_attempt_at)
        mailer.fail_next(1)
        services.outbox.deliver()


def event_types(services: Services) -> Counter[str]:
    """How many events of each type the store holds."""
    events = services.app.recorder.select_notifications(start=1, limit=100_000)
    return Counter(n.topic.rsplit(".", 1)[-1] for n in events)


class TestDeliveryFailure:
    def test_a_failed_delivery_stays_queued_with_its_error_and_next_attempt_time(
        self, college: Services, mailer: InMemoryMailer
    ) -> None:
        mailer.fail_next(1)

        approval_requests(college)

        entries = college.outbox.messages(APPROVER) + college.outbox.messages(
            "backup@sunny.example"
        )
        assert all(e.sent_at is None for e in entries)
        assert [(e.attempts, e.last_error, e.abandoned) for e in entries] == [
            (1, "simulated mail outage", False)
        ] * 2
        assert {e.next_attempt_at for e in entries} == {REQUESTED_AT + timedelta(minutes=5)}
        assert event_types(college)["NotificationSent"] == 0

    def test_an_outage_fails_the_rest_of_the_run_without_calling_the_mailer_again(
        self, college: Services, mailer: InMemoryMailer
    ) -> None:
        mailer.fail_next(1)

        approval_requests(college)

        assert mailer.failures_left == 0  # one call for two messages
        assert mailer.sent == []

    def test_a_message_refused_on_its_own_does_not_hold_back_the_others(
        self, clock: SettableClock
    ) -> None:
        picky = RefusesTheApprover()
        services = bootstrap("memory://", clock=clock, mailer=picky)
        services.reference.add_micro_credential("IPAC", "IPAC")
        services.reference.add_employer(
            "SUNNY", name="Sunny", approvers=[APPROVER, "backup@sunny.example"]
        )
        services.reference.add_employee("E1", employer="SUNNY", email="pat@example.org")

        approval_requests(services)

        assert [m.recipient for m in picky.sent] == ["backup@sunny.example"]
        (refused,) = services.outbox.messages(APPROVER)
        assert refused.last_error == "550 5.1.1 no such mailbox"
        services.close()

    def test_nothing_is_tried_again_before_the_next_attempt_time(
        self, college: Services, mailer: InMemoryMailer, clock: SettableClock
    ) -> None:
        mailer.fail_next(1)
        approval_requests(college)
        clock.set(REQUESTED_AT + timedelta(minutes=4, seconds=59))

        assert college.outbox.deliver() == 0
        assert mailer.sent == []

    def test_at_the_next_attempt_time_the_message_is_delivered_once(
        self, college: Services, mailer: InMemoryMailer, clock: SettableClock
    ) -> None:
        mailer.fail_next(1)
        ids = approval_requests(college)
        clock.set(REQUESTED_AT + timedelta(minutes=5))

        assert college.outbox.deliver() == 2
        clock.set(REQUESTED_AT + timedelta(days=2))
        assert college.outbox.deliver() == 0

        assert sorted(m.message_id for m in mailer.sent) == sorted(ids)
        sent = college.outbox.messages(APPROVER)[0]
        assert (sent.attempts, sent.next_attempt_at) == (2, None)
        assert sent.sent_at == REQUESTED_AT + timedelta(minutes=5)
        assert sent.last_error == "simulated mail outage"  # kept: the history of the message

    def test_a_tick_delivers_what_is_due_for_a_retry(
        self, college: Services, mailer: InMemoryMailer, clock: SettableClock
    ) -> None:
        mailer.fail_next(1)
        approval_requests(college)
        clock.set(REQUESTED_AT + timedelta(minutes=10))

        report = college.scheduler.tick()

        assert report.mail_delivered == 2

    def test_after_the_eighth_failure_the_message_is_abandoned_and_never_tried_again(
        self, college: Services, mailer: InMemoryMailer, clock: SettableClock
    ) -> None:
        abandoned_requests(college, mailer, clock)

        clock.set(REQUESTED_AT + timedelta(days=30))
        college.outbox.deliver()

        (abandoned,) = college.outbox.messages(APPROVER)
        assert abandoned.abandoned and abandoned.attempts == 8
        assert abandoned.last_error == (
            "gave up after 8 attempts; last error: simulated mail outage"
        )
        assert abandoned.next_attempt_at is None and abandoned.sent_at is None
        assert mailer.sent == []
        assert event_types(college)["DeliveryAbandoned"] == 2


class TestDeliveryRuns:
    def test_a_command_delivers_one_batch_and_the_tick_delivers_the_backlog(
        self, college: Services, mailer: InMemoryMailer, clock: SettableClock
    ) -> None:
        for n in range(2, 14):
            college.reference.add_employee(f"E{n}", employer="SUNNY", email=f"e{n}@example.org")
        mailer.fail_next(12)
        for n in range(2, 14):
            college.sponsorships.request(f"E{n}", ["IPAC"])  # 24 messages, each failed once
        clock.set(REQUESTED_AT + timedelta(minutes=5))

        college.reference.change_setting("closure_days", "2026-12-24")
        after_command = len(mailer.sent)
        college.scheduler.tick()

        assert after_command == DELIVERY_BATCH
        assert len(mailer.sent) == 24


class TestRequeue:
    @pytest.fixture
    def abandoned(self, college: Services, mailer: InMemoryMailer, clock: SettableClock) -> str:
        """The approver's approval request, abandoned after eight failed attempts."""
        abandoned_requests(college, mailer, clock)
        clock.set(clock.now() + timedelta(days=1))
        (entry,) = college.outbox.messages(APPROVER)
        assert entry.abandoned
        return entry.message_id

    def test_a_requeued_message_is_delivered_at_once(
        self, college: Services, mailer: InMemoryMailer, abandoned: str
    ) -> None:
        entry = college.outbox.requeue(abandoned)

        assert entry.sent_at is not None and not entry.abandoned
        assert entry.attempts == 1
        assert [m.message_id for m in mailer.sent if m.recipient == APPROVER] == [abandoned]

    def test_a_requeued_message_that_fails_again_waits_for_its_first_retry(
        self, college: Services, mailer: InMemoryMailer, clock: SettableClock, abandoned: str
    ) -> None:
        mailer.fail_next(1)

        entry = college.outbox.requeue(abandoned)

        assert (entry.attempts, entry.abandoned) == (1, False)
        assert entry.next_attempt_at == clock.now() + timedelta(minutes=5)

    def test_a_message_that_was_sent_cannot_be_requeued(self, college: Services) -> None:
        approval_requests(college)
        (entry,) = college.outbox.messages(APPROVER)

        with pytest.raises(InvalidTransition, match="already sent"):
            college.outbox.requeue(str(entry.notification_id))

    @pytest.mark.parametrize("bad", ["nope", "<nope@carepassport>"])
    def test_a_malformed_message_id_is_refused(self, college: Services, bad: str) -> None:
        with pytest.raises(InvalidValue):
            college.outbox.requeue(bad)


class TestNeverSentTwice:
    def test_a_second_process_leaves_alone_a_message_another_is_sending(
        self, tmp_path: Path, clock: SettableClock
    ) -> None:
        url = f"sqlite:///{tmp_path / 'shared.db'}"
        down = InMemoryMailer()
        down.fail_next(1)
        approved_in(
            f"sqlite:///{tmp_path / 'shared.db'}", clock, down
        ).close()  # its mail is queued
        clock.set(clock.now() + timedelta(hours=1))
        quick = InMemoryMailer()
        second = bootstrap(url, clock=clock, mailer=quick)
        slow = SlowMailer(other=second)
        first = bootstrap(url, clock=clock, mailer=slow)

        first.outbox.deliver()

        assert len(slow.sent) == 1 and quick.sent == []
        assert slow.sent_by_other == [0]
        first.close()
        second.close()

    def test_a_message_whose_run_crashed_is_tried_again_once_the_lease_runs_out(
        self, tmp_path: Path, clock: SettableClock
    ) -> None:
        crashes = CrashesOnce()
        with pytest.raises(KeyboardInterrupt):
            approved_in(f"sqlite:///{tmp_path / 'crash.db'}", clock, crashes)
        services = bootstrap(f"sqlite:///{tmp_path / 'crash.db'}", clock=clock, mailer=crashes)

        clock.set(REQUESTED_AT + DEFAULT_LEASE - timedelta(seconds=1))
        assert services.outbox.deliver() == 0
        clock.set(REQUESTED_AT + DEFAULT_LEASE)
        assert services.outbox.deliver() == 1
        assert [m.attempts for m in services.outbox.messages()] == [2]
        services.close()


class TestDeliveryViews:
    def test_delivery_columns_rebuilt_from_the_log_match_the_views_kept_in_step(
        self, tmp_path: Path, clock: SettableClock
    ) -> None:
        mailer = InMemoryMailer()
        mailer.fail_next(1)
        services = approved_in(f"sqlite:///{tmp_path / 'rebuild.db'}", clock, mailer)
        kept = services.outbox.messages()
        services.close()
        with sqlite3.connect(tmp_path / "rebuild.db") as db:
            db.execute("DELETE FROM cp_outbox")
            db.execute("DELETE FROM tracking WHERE application_name = 'CarePassport.views'")

        rebuilt = bootstrap(f"sqlite:///{tmp_path / 'rebuild.db'}", clock=clock, mailer=mailer)

        assert rebuilt.outbox.messages() == kept
        assert [m.attempts for m in kept] == [1]
        rebuilt.close()

    def test_an_outbox_of_the_schema_before_delivery_bookkeeping_is_rebuilt(
        self, tmp_path: Path, clock: SettableClock
    ) -> None:
        mailer = InMemoryMailer()
        mailer.fail_next(1)
        approved_in(f"sqlite:///{tmp_path / 'v2.db'}", clock, mailer).close()
        with sqlite3.connect(tmp_path / "v2.db") as db:
            db.execute("UPDATE cp_views_schema SET version = 2")
            db.execute("DROP TABLE cp_outbox")
            db.execute(
                "CREATE TABLE cp_outbox (notification_id TEXT PRIMARY KEY, sequence INTEGER, "
                "kind TEXT, recipient TEXT, subject TEXT, body TEXT, about_id TEXT, "
                "queued_at TEXT, sent_at TEXT)"
            )

        reopened = bootstrap(f"sqlite:///{tmp_path / 'v2.db'}", clock=clock, mailer=mailer)

        (entry,) = reopened.outbox.messages()
        assert (entry.attempts, entry.last_error) == (1, "simulated mail outage")
        reopened.close()


class TestSlowMailService:
    def test_messages_taken_longer_than_half_a_lease_ago_are_left_for_a_later_run(
        self, tmp_path: Path, clock: SettableClock
    ) -> None:
        mailer = InMemoryMailer()
        mailer.fail_next(10)  # the approval's mail stays queued
        services = approved_in(f"sqlite:///{tmp_path / 'slow.db'}", clock, mailer)
        mailer.fail_next(0)
        clock.set(clock.now() + timedelta(hours=2))
        taken = services.outbox.take()
        sent_before = len(mailer.sent)
        clock.set(clock.now() + DEFAULT_LEASE / 2)  # the mail service was slow meanwhile

        sent, outage = services.outbox.hand_over_all(taken, services.outbox.settle)

        assert taken
        assert (sent, outage, len(mailer.sent) - sent_before) == (0, False, 0)
        clock.set(clock.now() + DEFAULT_LEASE)
        assert services.outbox.deliver() == len(taken)  # another run takes them after the lease
        services.close()
