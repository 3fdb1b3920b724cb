"""One notification for several recipients (ADR 0026): one event lists them, the outbox keeps a
row per recipient, each copy is delivered, retried and requeued on its own with its own
Message-ID, and a store written with one notification per recipient still loads and replays."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from datetime import timedelta
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.application.mail.outbox import message_address
from carepassport.application.mail.ports import OutgoingMessage
from carepassport.application.services import Services
from carepassport.domain.mail.delivery import DEFAULT_RETRY_SCHEDULE
from carepassport.domain.mail.notification import Notification
from tests.conftest import APPROVER, toronto

BACKUP = "backup@sunny.example"
REQUESTED_AT = toronto(2026, 3, 30, 9, 0)
APPROVERS = [BACKUP, APPROVER]
"""The employer's approvers in the order it lists them (sorted): the notice's recipients."""


class RefusesTheBackup(InMemoryMailer):
    """Refuses one recipient of a notice while its mailbox is full, as a server does."""

    full = True

    def send(self, message: OutgoingMessage) -> None:
        if self.full and message.recipient == BACKUP:
            raise ValueError("452 4.2.2 mailbox full")
        super().send(message)


def event_types(services: Services) -> Counter[str]:
    events = services.app.recorder.select_notifications(start=1, limit=100_000)
    return Counter(n.topic.rsplit(".", 1)[-1] for n in events)


def request(services: Services) -> list[str]:
    """A sponsorship request: one approval request to both approvers."""
    services.sponsorships.request("E1", ["IPAC"])
    return [m.message_id for m in services.outbox.messages() if m.kind == "approval_request"]


class TestOneNoticeForSeveralRecipients:
    def test_it_is_one_event_and_one_outbox_row_per_recipient(self, college: Services) -> None:
        before = event_types(college)["NoticeQueued"]

        request(college)

        rows = [m for m in college.outbox.messages() if m.kind == "approval_request"]
        assert event_types(college)["NoticeQueued"] == before + 1
        assert [(m.recipient, m.position) for m in rows] == [(BACKUP, 0), (APPROVER, 1)]
        assert len({m.notification_id for m in rows}) == 1

    def test_each_copy_has_its_own_stable_message_id(
        self, college: Services, mailer: InMemoryMailer
    ) -> None:
        ids = request(college)

        (notification,) = {message_address(i)[0] for i in ids}
        assert ids == [f"<{notification}@carepassport>", f"<{notification}.1@carepassport>"]
        sent = {m.recipient: m.message_id for m in mailer.sent if m.kind == "approval_request"}
        assert sent == {BACKUP: ids[0], APPROVER: ids[1]}

    def test_each_copy_is_delivered_on_its_own_and_the_history_says_to_whom(
        self, college: Services
    ) -> None:
        request(college)
        (row, _) = [m for m in college.outbox.messages() if m.kind == "approval_request"]

        history = college.histories.history(row.notification_id)

        assert [(e.type, e.data.get("position")) for e in history.events] == [
            ("NoticeQueued", None),
            ("DeliveryAttempted", 0),
            ("DeliveryAttempted", 1),
            ("NotificationSent", 0),
            ("NotificationSent", 1),
        ]
        assert history.events[0].data["recipients"] == APPROVERS
        shown = history.state["recipients"]
        assert [(r["position"], r["address"], r["attempts"]) for r in shown] == [
            (0, BACKUP, 1),
            (1, APPROVER, 1),
        ]
        assert all(r["sent_at"] == REQUESTED_AT for r in shown)


class TestARecipientRefused:
    @pytest.fixture
    def mailer(self) -> RefusesTheBackup:
        return RefusesTheBackup()

    def test_the_others_are_sent_and_only_the_refused_copy_waits_for_its_retry(
        self, college: Services, mailer: InMemoryMailer
    ) -> None:
        request(college)

        backup, approver = [m for m in college.outbox.messages() if m.kind == "approval_request"]
        assert (approver.recipient, approver.sent_at, approver.last_error) == (
            APPROVER,
            REQUESTED_AT,
            None,
        )
        assert (backup.recipient, backup.sent_at) == (BACKUP, None)
        assert backup.last_error == "452 4.2.2 mailbox full"
        assert backup.next_attempt_at == REQUESTED_AT + timedelta(minutes=5)

    def test_the_retry_sends_the_refused_copy_alone_under_its_own_message_id(
        self, college: Services, mailer: RefusesTheBackup, clock: SettableClock
    ) -> None:
        ids = request(college)
        mailer.full = False  # the mailbox has room again
        clock.set(REQUESTED_AT + timedelta(minutes=5))

        college.outbox.deliver()

        approvals = [m for m in mailer.sent if m.kind == "approval_request"]
        assert [(m.recipient, m.message_id) for m in approvals] == [
            (APPROVER, ids[1]),
            (BACKUP, ids[0]),
        ]
        rows = [m for m in college.outbox.messages() if m.kind == "approval_request"]
        assert [(m.attempts, m.sent_at is not None) for m in rows] == [(2, True), (1, True)]

    def test_an_abandoned_copy_is_requeued_by_its_message_id_alone(
        self, college: Services, mailer: RefusesTheBackup, clock: SettableClock
    ) -> None:
        ids = request(college)
        for _ in range(7):
            (backup, _) = [m for m in college.outbox.messages() if m.kind == "approval_request"]
            assert backup.next_attempt_at is not None
            clock.set(backup.next_attempt_at)
            college.outbox.deliver()
        (backup, _) = [m for m in college.outbox.messages() if m.kind == "approval_request"]
        assert backup.abandoned
        mailer.full = False

        entry = college.outbox.requeue(ids[0])

        assert (entry.message_id, entry.attempts, entry.abandoned) == (ids[0], 1, False)
        assert entry.sent_at is not None
        assert [m.recipient for m in mailer.sent if m.kind == "approval_request"] == [
            APPROVER,
            BACKUP,
        ]


def old_shape(services: Services, events: list[object]) -> list[StoredEvent]:
    """Events as a store wrote them before notices listed their recipients: a
    ``NotificationQueued`` per recipient and delivery events without a position."""
    stored = []
    for event in events:
        record = services.app.mapper.to_stored_event(event)  # type: ignore[arg-type]
        state = json.loads(record.state)
        state.pop("position", None)
        stored.append(dataclasses.replace(record, state=json.dumps(state).encode()))
    return stored


class TestAStoreWrittenWithOneNotificationPerRecipient:
    @pytest.fixture
    def old(self, college: Services, clock: SettableClock) -> Notification:
        """An old-shape notice: queued, attempted once and failed, before the change."""
        about = UUID(int=7)
        notification = Notification._create(
            Notification.NotificationQueued,
            id=Notification.identity(about, 1, "approval_request", APPROVER),
            timestamp=clock.now(),
            kind="approval_request",
            recipient=APPROVER,
            subject="Approve?",
            body="Reply YES",
            about_id=about,
            queued_at=clock.now(),
            reply_to=None,
        )
        notification.begin_attempt(clock.now(), timedelta(minutes=10))
        notification.mark_failed("451 try later", clock.now(), DEFAULT_RETRY_SCHEDULE)
        college.app.recorder.insert_events(old_shape(college, notification.collect_events()))
        return notification

    def test_its_events_load_as_recorded_and_the_history_reads_as_before(
        self, college: Services, old: Notification
    ) -> None:
        history = college.histories.history(old.id)

        assert [e.type for e in history.events] == [
            "NotificationQueued",
            "DeliveryAttempted",
            "DeliveryFailed",
        ]
        assert all("position" not in e.data for e in history.events)
        assert history.events[0].data["recipient"] == APPROVER
        assert (history.state["recipient"], history.state["attempts"]) == (APPROVER, 1)
        assert history.state["last_error"] == "451 try later"
        assert "recipients" not in history.state

    def test_the_outbox_shows_it_as_one_row_under_its_old_message_id(
        self, college: Services, old: Notification
    ) -> None:
        (row,) = [m for m in college.outbox.messages() if m.notification_id == old.id]

        assert (row.recipient, row.position, row.attempts) == (APPROVER, 0, 1)
        assert row.message_id == f"<{old.id}@carepassport>"
        assert row.last_error == "451 try later"

    def test_it_is_delivered_at_its_retry_and_rebuilt_views_agree(
        self, college: Services, old: Notification, mailer: InMemoryMailer, clock: SettableClock
    ) -> None:
        clock.set(REQUESTED_AT + timedelta(minutes=5))

        college.outbox.deliver()

        (row,) = [m for m in college.outbox.messages() if m.notification_id == old.id]
        assert row.sent_at == clock.now() and row.attempts == 2
        assert [m.message_id for m in mailer.sent if m.recipient == APPROVER] == [row.message_id]
        assert college.histories.history(old.id).state["sent_at"] == clock.now()
