"""The views contract, the same on every store: a batch applies whole and only on top of the
position it was read from; settling respects scheduling order."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from uuid import UUID

import attrs
import pytest
from eventsourcing.persistence import IntegrityError

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.application.ports import DueItem, OutboxEntry, Settled, ViewChanges, Views
from carepassport.application.services import Services
from carepassport.bootstrap import bootstrap
from carepassport.domain.mail.notification import Notification
from tests.conftest import toronto

AGGREGATE = UUID("00000000-0000-0000-0000-0000000000a1")
OTHER = UUID("00000000-0000-0000-0000-0000000000a2")
LATER = toronto(2030, 1, 1)


def item(sequence: int, day: int = 2) -> DueItem:
    return DueItem(AGGREGATE, "grant_access", "R6", toronto(2026, 4, day, 9, 0), sequence)


@pytest.fixture
def views(services: Services) -> Views:
    return services.app.views


class TestApply:
    def test_a_batch_applies_its_changes_and_its_position_together(self, views: Views) -> None:
        views.apply(ViewChanges(scheduled=[item(1)]), after=0, position=3)

        assert views.position() == 3
        assert views.due(LATER, 10) == [item(1)]

    def test_each_recipients_row_is_kept_on_its_own_and_the_position_moves(
        self, views: Views
    ) -> None:
        sent = toronto(2026, 4, 1, 9, 5)
        notice = OutboxEntry(
            notification_id=AGGREGATE,
            kind="test",
            recipient="a@example.org",
            subject="Subject",
            body="Body",
            about_id=OTHER,
            queued_at=toronto(2026, 4, 1, 9, 0),
            sent_at=None,
            sequence=1,
        )
        copies = [notice, attrs.evolve(notice, recipient="b@example.org", position=1)]
        views.apply(ViewChanges(queued=copies), after=0, position=1)

        views.apply(ViewChanges(sent=[(AGGREGATE, sent, 1)]), after=1, position=7)

        assert views.position() == 7
        assert [(e.position, e.sent_at) for e in views.outbox()] == [(0, None), (1, sent)]
        assert [e.message_id for e in views.deliverable(LATER, 10)] == [
            f"<{AGGREGATE}@carepassport>"
        ]

    def test_a_batch_read_from_a_position_the_views_have_left_is_refused_whole(
        self, views: Views
    ) -> None:
        views.apply(ViewChanges(scheduled=[item(1)]), after=0, position=1)

        with pytest.raises(IntegrityError):
            views.apply(ViewChanges(scheduled=[item(2, day=3)]), after=0, position=2)

        assert views.position() == 1
        assert views.due(LATER, 10) == [item(1)]


class TestSettling:
    def test_an_event_settles_only_what_was_scheduled_before_it(self, views: Views) -> None:
        views.apply(
            ViewChanges(scheduled=[item(5)], settled=[Settled(AGGREGATE, "grant_access", 5)]),
            after=0,
            position=5,
        )
        kept = views.due(LATER, 10)
        views.apply(
            ViewChanges(settled=[Settled(AGGREGATE, "grant_access", 6)]), after=5, position=6
        )

        assert kept == [item(5)]
        assert views.due(LATER, 10) == []

    def test_resolving_a_stale_item_leaves_the_item_scheduled_since(self, views: Views) -> None:
        views.apply(ViewChanges(scheduled=[item(1)]), after=0, position=1)
        views.apply(ViewChanges(scheduled=[item(2, day=3)]), after=1, position=2)

        views.resolve(AGGREGATE, "grant_access", 1)
        still = views.due(LATER, 10)
        views.resolve(AGGREGATE, "grant_access", 2)

        assert still == [item(2, day=3)]
        assert views.pending_count() == 0


NOW = toronto(2026, 4, 5, 12, 0)
UNTIL = toronto(2026, 4, 5, 12, 1)


def at(sequence: int, day: int, priority: int = 5, aggregate: UUID | None = None) -> DueItem:
    return DueItem(
        aggregate or UUID(int=sequence),
        "grant_access",
        "R6",
        toronto(2026, 4, day, 9, 0),
        sequence,
        priority,
    )


class TestClaimingDueWork:
    def test_a_claim_takes_only_the_earliest_due_time_and_priority(self, views: Views) -> None:
        first, same, lower, later = at(1, 2), at(2, 2), at(3, 2, priority=7), at(4, 3)
        views.apply(ViewChanges(scheduled=[later, lower, same, first]), after=0, position=4)

        assert views.claim_due(NOW, "a", UNTIL, 10) == [first, same]

    def test_another_holder_skips_claimed_items_and_does_not_move_past_them(
        self, views: Views
    ) -> None:
        views.apply(ViewChanges(scheduled=[at(1, 2), at(2, 2), at(3, 3)]), after=0, position=3)

        mine = views.claim_due(NOW, "a", UNTIL, 1)
        theirs = views.claim_due(NOW, "b", UNTIL, 10)
        nothing_left = views.claim_due(NOW, "c", UNTIL, 10)

        assert (mine, theirs, nothing_left) == ([at(1, 2)], [at(2, 2)], [])

    def test_a_claim_that_ran_out_is_taken_over(self, views: Views) -> None:
        views.apply(ViewChanges(scheduled=[at(1, 2)]), after=0, position=1)
        views.claim_due(NOW, "dead", UNTIL, 10)

        before_it_ran_out = views.claim_due(UNTIL - timedelta(seconds=1), "b", UNTIL, 10)
        after = views.claim_due(UNTIL, "b", UNTIL + timedelta(minutes=1), 10)

        assert (before_it_ran_out, after) == ([], [at(1, 2)])

    def test_renewing_keeps_a_claim_past_its_first_lease(self, views: Views) -> None:
        views.apply(ViewChanges(scheduled=[at(1, 2)]), after=0, position=1)
        views.claim_due(NOW, "a", UNTIL, 10)

        renewed = views.renew_claims("a", UNTIL + timedelta(minutes=5))

        assert renewed == 1
        assert views.claim_due(UNTIL + timedelta(minutes=1), "b", UNTIL, 10) == []

    def test_a_released_claim_is_free_at_once(self, views: Views) -> None:
        views.apply(ViewChanges(scheduled=[at(1, 2)]), after=0, position=1)
        views.claim_due(NOW, "a", UNTIL, 10)

        views.release_claims("a")

        assert views.claim_due(NOW, "b", UNTIL, 10) == [at(1, 2)]

    def test_settling_an_item_ends_its_claim_and_the_next_tier_opens(self, views: Views) -> None:
        views.apply(ViewChanges(scheduled=[at(1, 2), at(2, 3)]), after=0, position=2)
        views.claim_due(NOW, "a", UNTIL, 10)
        views.apply(
            ViewChanges(settled=[Settled(UUID(int=1), "grant_access", 3)]), after=2, position=3
        )

        assert views.claim_due(NOW, "b", UNTIL, 10) == [at(2, 3)]
        assert views.renew_claims("a", UNTIL) == 0


class TestClaimingMail:
    def test_two_holders_never_claim_the_same_message(self, services: Services) -> None:
        app = services.app
        messages = [queued(about=UUID(int=n)) for n in range(1, 6)]
        app.record(*messages)

        first = app.views.claim_mail(NOW, "a", UNTIL, 3)
        second = app.views.claim_mail(NOW, "b", UNTIL, 3)

        ids = [e.notification_id for e in first + second]
        assert sorted(map(str, ids)) == sorted(str(m.id) for m in messages)
        assert len(first) == 3

    def test_a_message_claim_that_ran_out_is_taken_over(self, services: Services) -> None:
        app = services.app
        app.record(queued())
        app.views.claim_mail(NOW, "dead", UNTIL, 10)

        held = app.views.claim_mail(NOW, "b", UNTIL, 10)
        taken = app.views.claim_mail(UNTIL, "b", UNTIL + timedelta(minutes=1), 10)

        assert held == []
        assert len(taken) == 1


def queued(about: UUID = AGGREGATE) -> Notification:
    return Notification.queue(
        kind="test",
        recipient="someone@example.org",
        subject="Subject",
        body="Body",
        about_id=about,
        cause_version=1,
        queued_at=toronto(2026, 4, 1, 9, 0),
    )


class TestRecording:
    def test_a_command_leaves_the_views_at_its_last_event(self, services: Services) -> None:
        app = services.app
        message = queued()

        app.record(message)

        assert app.views.position() == app.recorder.max_notification_id()
        assert [e.notification_id for e in app.views.outbox()] == [message.id]

    def test_on_a_durable_store_the_views_change_in_the_events_transaction(
        self, durable_url: str, clock: SettableClock, mailer: InMemoryMailer
    ) -> None:
        cp = bootstrap(durable_url, clock=clock, mailer=mailer)
        try:
            app = cp.app
            app.record(queued())
            before = app.recorder.max_notification_id()
            given: list[Sequence[int]] = []

            def failing(ids: Sequence[int]) -> ViewChanges:
                given.append(list(ids))
                raise RuntimeError("the views' changes could not be made")

            with pytest.raises(RuntimeError):
                app.save(queued(about=OTHER), **app.views.alongside(failing))

            assert given == [[before + 1]]  # called in the insert's transaction, with its id
            assert app.recorder.max_notification_id() == before  # the events were undone too
            assert app.views.position() == before
        finally:
            cp.close()
