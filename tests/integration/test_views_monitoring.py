"""What an operator watches, the same on every store (ADR 0027): the views' counts of due work
and undelivered mail, and the backlog the metrics read from them."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.application.ports import (
    DeliveryChange,
    DueItem,
    OutboxEntry,
    Settled,
    ViewChanges,
    Views,
)
from carepassport.application.services import Services
from tests.conftest import APPROVER, toronto

AGGREGATE = UUID("00000000-0000-0000-0000-0000000000b1")


def due(action: str, at: datetime, sequence: int) -> DueItem:
    return DueItem(AGGREGATE, action, "R6", at, sequence)


def message(number: int, queued_at: datetime) -> OutboxEntry:
    return OutboxEntry(
        notification_id=UUID(int=number),
        kind="test",
        recipient="sealed",
        subject="Subject",
        body="Body",
        about_id=AGGREGATE,
        queued_at=queued_at,
        sent_at=None,
        sequence=number,
    )


class TestViewsCounts:
    def test_due_count_counts_the_unsettled_items_due_by_then(self, services: Services) -> None:
        views: Views = services.app.views
        views.apply(
            ViewChanges(
                scheduled=[
                    due("a", toronto(2026, 4, 2, 9, 0), 1),
                    due("b", toronto(2026, 4, 3, 9, 0), 2),
                    due("c", toronto(2026, 4, 2, 8, 0), 3),
                ]
            ),
            after=views.position(),
            position=views.position() + 1,
        )
        views.apply(
            ViewChanges(settled=[Settled(AGGREGATE, "c", 4)]),
            after=views.position(),
            position=views.position() + 1,
        )

        assert views.due_count(toronto(2026, 4, 2, 8, 59)) == 0
        assert views.due_count(toronto(2026, 4, 2, 9, 0)) == 1  # "c" is settled
        assert views.due_count(toronto(2026, 5, 1)) == 2
        assert views.pending_count() == 2

    def test_undelivered_mail_is_neither_sent_nor_abandoned(self, services: Services) -> None:
        views: Views = services.app.views
        assert (views.undelivered_count(), views.oldest_undelivered()) == (0, None)
        start = views.position()
        views.apply(
            ViewChanges(
                queued=[
                    message(1, toronto(2026, 4, 1, 8, 0)),
                    message(2, toronto(2026, 4, 1, 9, 30)),
                    message(3, toronto(2026, 4, 1, 10, 0)),
                    message(4, toronto(2026, 4, 1, 7, 0)),
                ],
                deliveries=[
                    DeliveryChange(UUID(int=1), 8, None, "refused", toronto(2026, 4, 1, 18, 0))
                ],
                sent=[(UUID(int=4), toronto(2026, 4, 1, 7, 1), 0)],
            ),
            after=start,
            position=start + 1,
        )

        assert views.undelivered_count() == 2
        assert views.oldest_undelivered() == toronto(2026, 4, 1, 9, 30)


class TestBacklog:
    def test_it_reads_due_work_waiting_mail_and_the_last_sync_at_the_clocks_time(
        self, college: Services, clock: SettableClock, mailer: InMemoryMailer
    ) -> None:
        mailer.fail_next(1000)  # every message stays queued
        college.sponsorships.request("E1", ["IPAC"])
        queued_at = clock.now()

        requested = college.monitoring.backlog()
        clock.set(toronto(2026, 4, 1, 10, 0))  # the approvers' first reminder is due at 09:00
        reminder_due = college.monitoring.backlog()
        college.scheduler.tick()  # sends it (it fails) and starts the nightly sync
        clock.set(toronto(2026, 4, 2, 0, 30))
        college.scheduler.tick()  # the midnight sync of 04-02 runs

        synced = college.monitoring.backlog()
        assert requested.at == queued_at
        assert (requested.deadlines_due, requested.mail_undelivered) == (0, 2)  # two approvers
        assert requested.deadlines_pending >= 1
        assert requested.oldest_undelivered_at == queued_at
        assert requested.last_sync_at is None
        assert reminder_due.deadlines_due == 1
        waited = toronto(2026, 4, 1, 10, 0) - queued_at
        assert reminder_due.oldest_undelivered_age == waited.total_seconds()
        assert synced.deadlines_due == 0
        assert synced.mail_undelivered == 4  # the request and its reminder, to each
        assert synced.last_sync_at == toronto(2026, 4, 2, 0, 0)
        assert college.app.views.pending_count() == synced.deadlines_pending

    def test_ping_asks_the_store_once_and_changes_nothing(self, services: Services) -> None:
        before = services.app.views.position()

        assert services.monitoring.ping() == before
        assert services.app.views.position() == before


def test_an_approver_answer_settles_what_was_due(college: Services, clock: SettableClock) -> None:
    sponsorship = college.sponsorships.request("E1", ["IPAC"])
    clock.set(toronto(2026, 4, 1, 10, 0))
    assert college.monitoring.backlog().deadlines_due == 1

    college.sponsorships.approve(sponsorship.sponsorship_id, by=APPROVER)

    assert college.monitoring.backlog().deadlines_due == 0
