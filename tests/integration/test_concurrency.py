"""Several processes on one SQLite store: nothing lost, nothing recorded or sent twice."""

from __future__ import annotations

import sqlite3
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import pytest

from carepassport.adapters.mail import InMemoryMailer
from carepassport.bootstrap import bootstrap
from tests.conftest import APPROVER, toronto
from tests.integration.concurrent_workers import request_sponsorship, tick

EMPLOYEES = 24


@pytest.fixture
def store(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    services = bootstrap(url, now=toronto(2026, 4, 1, 9, 0), mailer=InMemoryMailer())
    services.reference.add_micro_credential("IPAC", "IPAC")
    services.reference.add_employer("SUNNY", name="Sunny", approvers=[APPROVER])
    for n in range(EMPLOYEES):
        services.reference.add_employee(f"E{n}", employer="SUNNY", email=f"e{n}@example.org")
    services.close()
    return url


def topics(url: str) -> Counter[str]:
    path = url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT topic FROM stored_events").fetchall()
    return Counter(topic.rsplit(".", 1)[-1] for (topic,) in rows)


def test_concurrent_requests_all_succeed_and_each_mail_is_marked_sent_once(store: str) -> None:
    now = toronto(2026, 4, 1, 10, 0)
    with ProcessPoolExecutor(max_workers=4, mp_context=get_context("spawn")) as pool:
        outcomes = list(
            pool.map(
                request_sponsorship,
                [store] * EMPLOYEES,
                [now] * EMPLOYEES,
                [f"E{n}" for n in range(EMPLOYEES)],
            )
        )

    counts = topics(store)
    assert outcomes == ["ok"] * EMPLOYEES
    assert counts["SponsorshipRequested"] == EMPLOYEES
    assert counts["NotificationQueued"] == EMPLOYEES
    assert counts["NotificationSent"] == EMPLOYEES


def test_concurrent_ticks_perform_each_due_item_exactly_once(store: str) -> None:
    services = bootstrap(store, now=toronto(2026, 4, 1, 10, 0), mailer=InMemoryMailer())
    for n in range(EMPLOYEES):
        view = services.sponsorships.request(f"E{n}", ["IPAC"])
        services.sponsorships.approve(view.sponsorship_id, by=APPROVER)
    services.close()
    due = toronto(2026, 4, 2, 9, 0)

    with ProcessPoolExecutor(max_workers=3, mp_context=get_context("spawn")) as pool:
        reports = list(pool.map(tick, [store] * 3, [due] * 3))

    done = [line for report in reports for line in report if line.endswith(":done")]
    counts = topics(store)
    assert len(done) == EMPLOYEES
    assert len(set(done)) == EMPLOYEES
    assert counts["SelfRegistrationEnabled"] == EMPLOYEES
    assert counts["NotificationSent"] == counts["NotificationQueued"] == EMPLOYEES * 2
