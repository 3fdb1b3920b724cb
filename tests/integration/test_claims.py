"""A holder's claims: renewed by a heartbeat while it works, released when it stops, taken over
by another holder once they run out (ADR 0028)."""

from __future__ import annotations

import time
from datetime import timedelta
from uuid import UUID

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.storage.memory import MemoryViews
from carepassport.application.claims import Claims
from carepassport.application.ports import DueItem, ViewChanges
from tests.conftest import toronto

START = toronto(2026, 4, 5, 12, 0)
ITEM = DueItem(UUID(int=1), "grant_access", "R6", toronto(2026, 4, 2, 9, 0), 1)


def scheduled(clock: SettableClock) -> tuple[MemoryViews, Claims]:
    views = MemoryViews()
    views.apply(ViewChanges(scheduled=[ITEM]), after=0, position=1)
    return views, Claims(views, clock, "worker-a", lease=timedelta(seconds=0.3))


def claimable_by_another(views: MemoryViews, clock: SettableClock) -> bool:
    return views.claim_due(clock.now(), "worker-b", clock.now(), 10) != []


class TestHeartbeat:
    def test_claims_are_renewed_while_the_holder_works(self) -> None:
        clock = SettableClock(START)
        views, claims = scheduled(clock)
        with claims.kept_alive():
            views.claim_due(clock.now(), claims.holder, claims.until(), 10)
            clock.set(START + timedelta(seconds=1))  # past the first lease
            time.sleep(0.5)  # a beat every 0.1 s: several renewals from the new time

            assert not claimable_by_another(views, clock)

    def test_claims_are_released_when_the_work_ends(self) -> None:
        clock = SettableClock(START)
        views, claims = scheduled(clock)
        with claims.kept_alive():
            views.claim_due(clock.now(), claims.holder, claims.until(), 10)
            held = claimable_by_another(views, clock)

        assert not held
        assert claimable_by_another(views, clock)

    def test_without_a_heartbeat_a_claim_runs_out_and_is_taken_over(self) -> None:
        clock = SettableClock(START)
        views, claims = scheduled(clock)
        views.claim_due(clock.now(), claims.holder, claims.until(), 10)  # then the holder died

        held = claimable_by_another(views, clock)
        clock.set(START + claims.lease)

        assert not held
        assert claimable_by_another(views, clock)
