"""The views contract, the same on every store: a batch applies whole and only on top of the
position it was read from; settling respects scheduling order."""

from __future__ import annotations

from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError

from carepassport.application.ports import DueItem, Settled, ViewChanges, Views
from carepassport.application.services import Services
from tests.conftest import toronto

AGGREGATE = UUID("00000000-0000-0000-0000-0000000000a1")
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
