"""The scheduler loop that ``serve`` runs beside the API, and what ``/healthz`` says about it and
the store. The loop runs without a server: its wait is injected, the core is in memory."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.application.services import Services
from carepassport.application.store import StoreUnavailable
from carepassport.bootstrap import bootstrap
from carepassport.entrypoints.http import create_app
from carepassport.entrypoints.http.core import Core
from carepassport.entrypoints.http.scheduler_loop import (
    Phase,
    SchedulerLoop,
    SchedulerState,
    summarise,
)
from tests.conftest import APPROVER, toronto
from tests.integration.http_helpers import seed

GENEROUS = 30.0


@pytest.fixture
def services(clock: SettableClock, mailer: InMemoryMailer) -> Iterator[Services]:
    services = bootstrap("memory://", clock=clock, mailer=mailer)
    seed(services)
    yield services
    services.close()


def approved_and_due(services: Services, clock: SettableClock) -> str:
    """A sponsorship approved and its enablement due now; the sponsorship's id."""
    sponsorship = services.sponsorships.request("E1", ["IPAC"])
    clock.set(toronto(2026, 4, 2, 15, 0))
    approved = services.sponsorships.approve(sponsorship.sponsorship_id, by=APPROVER)
    assert approved.self_registration_at is not None
    clock.set(approved.self_registration_at)
    return sponsorship.sponsorship_id


class Waits:
    """An injected wait: records each delay and the loop's state then; asks to stop after
    ``stop_after`` waits."""

    def __init__(self, stop_after: int) -> None:
        self.stop_after = stop_after
        self.delays: list[float] = []
        self.states: list[SchedulerState] = []
        self.loop: SchedulerLoop | None = None

    def __call__(self, seconds: float) -> bool:
        assert self.loop is not None
        self.delays.append(seconds)
        self.states.append(self.loop.state())
        return len(self.delays) >= self.stop_after


def loop_on(
    factory: Callable[[], Services], waits: Waits, every: float = 60, longest: float = 900
) -> SchedulerLoop:
    loop = SchedulerLoop(Core(factory), every=every, longest=longest, wait=waits)
    waits.loop = loop
    return loop


class FlakyStore:
    """A services factory whose store fails ``failures`` times before it answers."""

    def __init__(self, services: Services, failures: int, error: Exception) -> None:
        self.services = services
        self.failures = failures
        self.error = error

    def __call__(self) -> Services:
        if self.failures:
            self.failures -= 1
            raise self.error
        return self.services


class TestSchedulerLoop:
    def test_it_ticks_then_waits_the_interval(
        self, services: Services, clock: SettableClock
    ) -> None:
        sponsorship_id = approved_and_due(services, clock)
        waits = Waits(stop_after=2)

        loop_on(lambda: services, waits).run()

        assert waits.delays == [60, 60]
        assert services.sponsorships.show(sponsorship_id).status == "enabled"
        assert waits.states[0].state is Phase.RUNNING
        assert waits.states[0].last_tick_at == clock.now()

    def test_it_backs_off_after_store_errors_and_carries_on(
        self, services: Services, clock: SettableClock
    ) -> None:
        sponsorship_id = approved_and_due(services, clock)
        flaky = FlakyStore(services, 3, StoreUnavailable("cannot open the store: disk I/O error"))
        waits = Waits(stop_after=4)

        loop_on(flaky, waits, every=60, longest=300).run()

        assert waits.delays == [120, 240, 300, 60]
        assert [s.state for s in waits.states] == [Phase.BACKING_OFF] * 3 + [Phase.RUNNING]
        assert [s.consecutive_failures for s in waits.states] == [1, 2, 3, 0]
        assert waits.states[0].last_error == (
            "StoreUnavailable: cannot open the store: disk I/O error"
        )
        assert waits.states[3].last_error is None
        assert services.sponsorships.show(sponsorship_id).status == "enabled"

    def test_an_error_inside_a_tick_is_survived_too(self, services: Services) -> None:
        ticks = 0

        def broken_tick() -> Services:
            nonlocal ticks
            ticks += 1
            if ticks == 1:
                raise sqlite3.OperationalError("database is locked")
            return services

        waits = Waits(stop_after=2)

        loop_on(broken_tick, waits).run()

        assert [s.state for s in waits.states] == [Phase.BACKING_OFF, Phase.RUNNING]
        assert waits.states[0].last_error == "OperationalError: database is locked"

    def test_it_reports_stopped_once_it_ends(self, services: Services) -> None:
        loop = loop_on(lambda: services, Waits(stop_after=1))

        loop.run()

        assert loop.state().state is Phase.STOPPED

    def test_it_stops_promptly_when_asked_during_its_wait(self, services: Services) -> None:
        loop = SchedulerLoop(Core(lambda: services), every=3600)
        loop.start()
        deadline = time.monotonic() + GENEROUS
        while loop.state().last_tick_at is None:
            assert time.monotonic() < deadline, "the loop did not tick"
            time.sleep(0.01)

        loop.stop(timeout=GENEROUS)

        assert loop.state().state is Phase.STOPPED
        assert not any(t.name == "scheduler-loop" for t in threading.enumerate())

    def test_a_tick_under_way_finishes_before_it_stops(self, services: Services) -> None:
        entered, release = threading.Event(), threading.Event()
        finished: list[bool] = []

        def slow() -> Services:
            entered.set()
            release.wait(GENEROUS)
            finished.append(True)
            return services

        loop = SchedulerLoop(Core(slow), every=3600)
        loop.start()
        assert entered.wait(GENEROUS)
        stopper = threading.Thread(target=loop.stop, args=(GENEROUS,))
        stopper.start()
        release.set()
        stopper.join(GENEROUS)

        assert finished == [True]
        assert loop.state().state is Phase.STOPPED
        assert loop.state().last_tick_at is not None


class TestHealth:
    def test_it_reports_the_store_pending_deadlines_and_a_manual_scheduler(
        self, services: Services, clock: SettableClock
    ) -> None:
        approved_and_due(services, clock)
        with TestClient(create_app(lambda: services)) as client:
            response = client.get("/healthz")

        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "ok" and body["store"] == "ok"
        assert body["pending_deadlines"] >= 1
        assert body["scheduler"]["state"] == "manual"

    def test_a_store_that_fails_is_503_with_a_plain_json_body(self, services: Services) -> None:
        error = sqlite3.OperationalError("unable to open database file")
        app = create_app(FlakyStore(services, 1, error))

        with TestClient(app, raise_server_exceptions=False) as client:
            response = client.get("/healthz")

        assert response.status_code == 503
        assert response.headers["content-type"] == "application/json"
        body = response.json()
        assert body["status"] == "unavailable" and body["store"] == "unavailable"
        assert body["store_error"] == "OperationalError: unable to open database file"
        assert body["pending_deadlines"] is None

    def test_it_reports_a_scheduler_backing_off_with_its_last_error(
        self, services: Services
    ) -> None:
        flaky = FlakyStore(services, 1, StoreUnavailable("the disk is full"))
        app = create_app(flaky, lambda core: SchedulerLoop(core, every=60))
        app.state.scheduler.tick_once()  # the loop's first tick, without starting its thread

        client = TestClient(app, raise_server_exceptions=False)  # no lifespan: no loop thread
        scheduler = client.get("/healthz").json()["scheduler"]

        assert scheduler["state"] == "backing_off"
        assert scheduler["consecutive_failures"] == 1
        assert scheduler["last_error"] == "StoreUnavailable: the disk is full"

    def test_the_app_stops_its_scheduler_loop_on_shutdown(self, services: Services) -> None:
        app = create_app(lambda: services, lambda core: SchedulerLoop(core, every=3600))

        with TestClient(app) as client:
            assert client.get("/healthz").json()["scheduler"]["state"] in {"running", "stopped"}

        assert app.state.scheduler.state().state is Phase.STOPPED


def test_an_error_summary_masks_the_credentials_in_urls() -> None:
    error = RuntimeError("cannot reach postgresql://app:s3cret@db.internal:5432/cp\nmore")

    assert summarise(error) == "RuntimeError: cannot reach postgresql://***@db.internal:5432/cp"


def test_a_closed_core_refuses_calls_instead_of_reopening_the_store(services: Services) -> None:
    opened: list[Services] = []

    def factory() -> Services:
        opened.append(services)
        return services

    core = Core(factory)
    core.call(lambda s: s.scheduler.pending())
    core.close()

    with pytest.raises(RuntimeError, match="closed"):
        core.call(lambda s: s.scheduler.pending())
    assert len(opened) == 1
