"""Several processes on one durable store (SQLite file or PostgreSQL schema): nothing lost,
nothing recorded or sent twice, conflicts refused clearly, due work done once and in order."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any

import pytest

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.application.services import Services
from carepassport.bootstrap import bootstrap
from tests.conftest import APPROVER, toronto
from tests.integration.concurrent_workers import (
    decide,
    import_csv,
    open_store,
    request_sponsorship,
    tick,
)
from tests.stores import RawStore

EMPLOYEES = 24
WORKERS = 4
HEADER = "record_id,student_number,credential_code,attempt,score,passed,attempted_at\n"


@pytest.fixture(scope="module")
def pool() -> Iterator[ProcessPoolExecutor]:
    """Worker processes, started once for the module (each call opens the store anew)."""
    with ProcessPoolExecutor(max_workers=WORKERS, mp_context=get_context("spawn")) as workers:
        list(workers.map(time.sleep, [0.0] * WORKERS))
        yield workers


def at_once(
    pool: ProcessPoolExecutor, work: Callable[..., Any], *calls: tuple[Any, ...]
) -> list[Any]:
    """Run the calls in the worker processes, all starting at the same moment."""
    start_at = time.time() + 0.6
    futures = [pool.submit(work, *args, start_at=start_at) for args in calls]
    return [future.result(timeout=60) for future in futures]


def topics(url: str) -> Counter[str]:
    return Counter(RawStore(url).topics())


def staffed(url: str, clock: SettableClock | None = None, employees: int = EMPLOYEES) -> Services:
    """A store with IPAC, one employer and ``employees`` employees (E0, E1, ...)."""
    clock = clock or SettableClock(toronto(2026, 4, 1, 9, 0))
    services = bootstrap(url, clock=clock, mailer=InMemoryMailer())
    services.reference.add_micro_credential("IPAC", "IPAC")
    services.reference.add_employer("SUNNY", name="Sunny", approvers=[APPROVER])
    for n in range(employees):
        services.reference.add_employee(
            f"E{n}", employer="SUNNY", email=f"e{n}@example.org", student_number_=f"C{n:07d}"
        )
    return services


class TestCommands:
    def test_concurrent_requests_all_succeed_and_each_mail_is_marked_sent_once(
        self, durable_url: str, pool: ProcessPoolExecutor
    ) -> None:
        staffed(durable_url).close()
        now = toronto(2026, 4, 1, 10, 0)

        outcomes = at_once(
            pool, request_sponsorship, *[(durable_url, now, f"E{n}") for n in range(EMPLOYEES)]
        )

        counts = topics(durable_url)
        assert outcomes == ["ok"] * EMPLOYEES
        assert counts["SponsorshipRequested"] == EMPLOYEES
        assert counts["NoticeQueued"] == EMPLOYEES
        assert counts["NotificationSent"] == EMPLOYEES

    def test_concurrent_requests_for_one_employee_record_one_and_refuse_the_rest_clearly(
        self, durable_url: str, pool: ProcessPoolExecutor
    ) -> None:
        staffed(durable_url, employees=1).close()
        now = toronto(2026, 4, 1, 10, 0)

        outcomes = at_once(pool, request_sponsorship, *[(durable_url, now, "E0")] * WORKERS)

        counts = topics(durable_url)
        assert outcomes.count("ok") == 1
        assert set(outcomes) - {"ok"} <= {"conflict", "already_requested"}
        assert counts["SponsorshipRequested"] == 1
        assert counts["NoticeQueued"] == counts["NotificationSent"] == 1

    def test_a_concurrent_approval_and_decline_record_exactly_one_decision(
        self, durable_url: str, pool: ProcessPoolExecutor
    ) -> None:
        services = staffed(durable_url, employees=1)
        sid = str(services.sponsorships.request("E0", ["IPAC"]).sponsorship_id)
        services.close()
        now = toronto(2026, 4, 2, 15, 0)

        outcomes = at_once(
            pool, decide, *[(durable_url, now, sid, APPROVER, n % 2 == 0) for n in range(WORKERS)]
        )

        counts = topics(durable_url)
        decisions = [o for o in outcomes if o in ("approved", "declined")]
        assert len(decisions) == 1
        assert set(outcomes) - set(decisions) <= {"conflict", "invalid_state"}
        assert counts["ApprovalGranted"] + counts["ApprovalDeclined"] == 1

    def test_concurrent_imports_of_one_file_stage_each_record_once(
        self, durable_url: str, pool: ProcessPoolExecutor
    ) -> None:
        staffed(durable_url, employees=0).close()
        rows = [f"L-{n},C{n:07d},IPAC,1,90,true,2026-04-01T11:{n:02d}" for n in range(40)]
        text = HEADER + "\n".join(rows) + "\n"
        now = toronto(2026, 4, 1, 12, 0)

        staged = at_once(pool, import_csv, *[(durable_url, now, text)] * WORKERS)

        held = RawStore(durable_url).staged_record_ids()
        assert sum(staged) == 40
        assert sorted(held) == sorted(f"L-{n}" for n in range(40))

    def test_processes_opening_a_new_postgresql_store_at_once_all_open_it(
        self, postgres_url: str, pool: ProcessPoolExecutor
    ) -> None:
        now = toronto(2026, 4, 1, 9, 0)

        opened = at_once(pool, open_store, *[(postgres_url, now)] * WORKERS)

        assert opened == ["0"] * WORKERS


class TestScheduler:
    def test_concurrent_ticks_perform_each_due_item_exactly_once(
        self, durable_url: str, pool: ProcessPoolExecutor
    ) -> None:
        clock = SettableClock(toronto(2026, 4, 1, 9, 0))
        services = staffed(durable_url, clock)
        clock.set(toronto(2026, 4, 1, 10, 0))
        for n in range(EMPLOYEES):
            view = services.sponsorships.request(f"E{n}", ["IPAC"])
            services.sponsorships.approve(view.sponsorship_id, by=APPROVER)
        services.close()
        due = toronto(2026, 4, 2, 9, 0)

        reports = at_once(pool, tick, *[(durable_url, due)] * 3)

        done = [line for report in reports for line in report if line.endswith(":done")]
        counts = topics(durable_url)
        assert len(done) == EMPLOYEES
        assert len(set(done)) == EMPLOYEES
        assert counts["SelfRegistrationEnabled"] == EMPLOYEES
        assert counts["NotificationSent"] == counts["NoticeQueued"] == EMPLOYEES * 2

    def test_concurrent_ticks_keep_due_order_so_a_pass_on_the_last_day_of_access_counts(
        self, durable_url: str, pool: ProcessPoolExecutor
    ) -> None:
        learners = 6
        clock = SettableClock(toronto(2026, 7, 20, 9, 0))
        services = staffed(durable_url, clock, employees=learners)
        clock.set(toronto(2026, 7, 23, 10, 0))
        views = [services.sponsorships.request(f"E{n}", ["IPAC"]) for n in range(learners)]
        clock.set(toronto(2026, 7, 24, 15, 0))
        for view in views:
            services.sponsorships.approve(view.sponsorship_id, by=APPROVER)
        clock.set(toronto(2026, 7, 27, 9, 0))
        services.scheduler.tick()  # enables; the midnight chain starts 07-28
        clock.set(toronto(2026, 7, 27, 10, 0))
        for n in range(learners):  # access until Monday 08-10 23:59:59
            services.registrations.register(f"E{n}", "IPAC")
        clock.set(toronto(2026, 8, 10, 23, 30))
        services.lms_import.import_csv(
            HEADER
            + "".join(f"L-{n},C{n:07d},IPAC,1,90,true,2026-08-10T23:00\n" for n in range(learners))
        )
        services.close()

        reports = at_once(pool, tick, *[(durable_url, toronto(2026, 8, 11, 9, 0))] * 3)

        done = [line for report in reports for line in report if line.endswith(":done")]
        counts = topics(durable_url)
        outcome = (
            "AccessGranted",
            "MidnightSyncRan",
            "RegistrationSucceeded",
            "RegistrationFailed",
        )
        assert len(done) == len(set(done))
        assert {kind: counts[kind] for kind in outcome} == {
            "AccessGranted": learners,
            "MidnightSyncRan": 15,  # 07-28 .. 08-11, each once
            "RegistrationSucceeded": learners,
            "RegistrationFailed": 0,
        }
