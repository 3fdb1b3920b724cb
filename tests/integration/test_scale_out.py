"""Scale-out on PostgreSQL (ADR 0028): four API processes and two workers share one schema
through a renewal's whole flow (requests, approvals, enablement, registrations, access, a
midnight sync with results, publication), with ``kill -9`` of a worker while it holds claims.
Afterwards every read model equals a rebuild from the log, every deadline was performed once,
and every message reached the SMTP server (aiosmtpd) once."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.application.services import Services
from carepassport.bootstrap import bootstrap
from tests.conftest import APPROVER, toronto
from tests.integration.cluster import Cluster, wait_for
from tests.integration.smtp_server import SmtpServer
from tests.stores import RawStore

EMPLOYEES = 40
PASSING = 30
"""Employees whose result passes; the rest fail their one attempt (a second remains)."""
REQUESTED = toronto(2026, 5, 5, 10, 0)  # Tuesday
ENABLED = toronto(2026, 5, 6, 9, 0)  # the next business day
RESULTS_IN = toronto(2026, 5, 6, 15, 0)
PUBLISHED = toronto(2026, 5, 7, 10, 0)  # after the midnight sync of 05-07
LEASE = 5.0

READ_MODELS = {
    "deadlines": "SELECT aggregate_id, action, rule, due_at, priority, sequence, settled "
    "FROM cp_deadlines",
    "outbox": "SELECT notification_id, position, sequence, kind, about_id, queued_at, sent_at, "
    "reply_to, recipient_index, attempts, next_attempt_at, last_error, abandoned_at "
    "FROM cp_outbox",
    "held results": "SELECT result_id, record_id, student_number, student_index, held_since "
    "FROM cp_held_results",
    "report employees": "SELECT * FROM cp_report_employees",
    "report facts": "SELECT * FROM cp_report_facts",
    "report owners": "SELECT * FROM cp_report_owners",
}
"""Every read model's rows, without the claims (who holds a row is not derived from events) and
the outbox's sealed recipient, subject and body (sealed afresh: compared opened instead)."""


def read_models(raw: RawStore) -> dict[str, list[str]]:
    return {name: sorted(map(repr, raw.execute(query))) for name, query in READ_MODELS.items()}


def unfinished(raw: RawStore, now: datetime) -> int:
    """Due work not yet settled plus mail not yet sent (or given up)."""
    ((due,),) = raw.execute(
        f"SELECT COUNT(*) FROM cp_deadlines WHERE NOT settled AND due_at <= '{now.isoformat()}'"
    )
    ((mail,),) = raw.execute(
        "SELECT COUNT(*) FROM cp_outbox WHERE sent_at IS NULL AND abandoned_at IS NULL"
    )
    return int(due) + int(mail)


def performed(raw: RawStore, topic: str) -> Counter[str]:
    """How many times each aggregate recorded ``topic``."""
    rows = raw.execute(
        f"SELECT originator_id FROM carepassport_events WHERE topic LIKE '%.{topic}'"
    )
    return Counter(str(originator) for (originator,) in rows)


def held_by(raw: RawStore, pid: int) -> int:
    rows = raw.execute(
        "SELECT (SELECT COUNT(*) FROM cp_deadlines WHERE claimed_by LIKE "
        f"'%:{pid}:%') + (SELECT COUNT(*) FROM cp_outbox WHERE claimed_by LIKE '%:{pid}:%')"
    )
    return int(rows[0][0])


def kill_while_holding_claims(cluster: Cluster, raw: RawStore) -> int:
    """``kill -9`` a worker at a moment it holds claims: the first seen holding some is stopped
    (SIGSTOP), and killed if it still holds them; how many it left behind."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for n, worker in enumerate(cluster.workers):
            if held_by(raw, worker.pid) > 0:
                os.kill(worker.pid, signal.SIGSTOP)
                held = held_by(raw, worker.pid)
                if held > 0:
                    cluster.kill_worker(n)
                    return held
                os.kill(worker.pid, signal.SIGCONT)
        time.sleep(0.01)
    raise AssertionError("no worker was seen holding a claim")


@pytest.fixture
def seeded(postgres_url: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """IPAC, one employer with its approver, EMPLOYEES employees, and tokens."""
    services = bootstrap(
        postgres_url, clock=SettableClock(toronto(2026, 5, 4, 9, 0)), mailer=InMemoryMailer()
    )
    try:
        services.reference.add_micro_credential("IPAC", "IPAC")
        services.reference.add_employer("SUNNY", name="Sunny", approvers=[APPROVER])
        tokens = {
            "approver": services.api_tokens.issue("approver", "SUNNY").token,
            "college": services.api_tokens.issue("college", "college").token,
            "lms": services.api_tokens.issue("lms", "lms").token,
        }
        for n in range(EMPLOYEES):
            services.reference.add_employee(
                f"E{n}", employer="SUNNY", email=f"e{n}@example.org", student_number_=f"C{n:07d}"
            )
            tokens[f"E{n}"] = services.api_tokens.issue("employee", f"E{n}").token
    finally:
        services.close()
    yield tokens


def message_id(notification: object, position: int) -> str:
    """A recipient's copy's Message-ID (ADR 0026): the first recipient's has no suffix."""
    return f"<{notification}{f'.{position}' if position else ''}@carepassport>"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def report_read(api: httpx.Client, tokens: dict[str, str]) -> None:
    """The approver reads the compliance report (a reader advances the projection)."""
    report = api.get("/employers/SUNNY/compliance", headers=bearer(tokens["approver"]))
    assert report.status_code == 200, report.text


def run_phase(cluster: Cluster, raw: RawStore) -> None:
    wait_for(lambda: unfinished(raw, cluster.now()) == 0, "the phase's work and mail")


def test_four_api_processes_and_two_workers_do_everything_once(
    postgres_url: str,
    seeded: dict[str, str],
    smtp_server: SmtpServer,
    tmp_path: Path,
) -> None:
    raw = RawStore(postgres_url)
    tokens = seeded
    sponsorships: list[str] = []

    @contextmanager
    def phase(at: datetime) -> Iterator[Cluster]:
        """The processes at simulated time ``at``; their logs are printed if the phase fails."""
        cluster = Cluster(postgres_url, smtp_server.url, at, lease=LEASE, cwd=tmp_path)
        try:
            yield cluster
        except BaseException:
            print(cluster.logs())
            raise
        finally:
            cluster.close()

    # Requests and approvals through the API processes; the workers deliver the mail.
    with phase(REQUESTED) as cluster:
        with httpx.Client(base_url=cluster.base_url, timeout=30) as api:
            for n in range(EMPLOYEES):
                made = api.post(
                    "/sponsorships",
                    json={"employee_id": f"E{n}", "credentials": ["IPAC"]},
                    headers=bearer(tokens[f"E{n}"]),
                )
                assert made.status_code == 201, made.text
                sponsorships.append(made.json()["sponsorship_id"])
                if n % 10 == 0:
                    report_read(api, tokens)
            for sponsorship in sponsorships:
                approved = api.post(
                    f"/sponsorships/{sponsorship}/approve",
                    json={"by": APPROVER},
                    headers=bearer(tokens["approver"]),
                )
                assert approved.status_code == 200, approved.text
        run_phase(cluster, raw)

    # The next business day: the workers enable self-registration; one is killed mid-work.
    with phase(ENABLED) as cluster:
        left_behind = kill_while_holding_claims(cluster, raw)
        wait_for(
            lambda: performed(raw, "SelfRegistrationEnabled").total() == EMPLOYEES,
            "every enablement",
        )
        with httpx.Client(base_url=cluster.base_url, timeout=30) as api:
            for n in range(EMPLOYEES):
                registered = api.post(
                    "/registrations",
                    json={"employee_id": f"E{n}", "code": "IPAC"},
                    headers=bearer(tokens[f"E{n}"]),
                )
                assert registered.status_code == 201, registered.text
                if n % 10 == 0:
                    report_read(api, tokens)
        run_phase(cluster, raw)

    # Results come in; the midnight sync takes them and the 10:00 publication follows.
    with phase(RESULTS_IN) as cluster:
        results = [
            {
                "record_id": f"R{n}",
                "student_number": f"C{n:07d}",
                "credential_code": "IPAC",
                "attempt": 1,
                "score": 90 if n < PASSING else 40,
                "passed": n < PASSING,
                "attempted_at": "2026-05-06T14:00:00-04:00",
            }
            for n in range(EMPLOYEES)
        ]
        with httpx.Client(base_url=cluster.base_url, timeout=30) as api:
            staged = api.post(
                "/lms/results", json={"results": results}, headers=bearer(tokens["lms"])
            )
            assert staged.status_code == 200, staged.text
        run_phase(cluster, raw)
    with phase(PUBLISHED) as cluster:
        run_phase(cluster, raw)
        with httpx.Client(base_url=cluster.base_url, timeout=30) as api:
            report_read(api, tokens)  # brings the compliance projection up to the log's end
            probes = [api.get(path).status_code for path in ("/healthz", "/readyz") * 4]
            scrape = api.get("/metrics").text

    kept = read_models(raw)
    statuses = statuses_at(postgres_url, PUBLISHED)
    outbox = opened_outbox(postgres_url)
    rebuilt_store = RawStore(postgres_url)
    rebuilt_store.execute(
        "DELETE FROM cp_deadlines",
        "DELETE FROM cp_outbox",
        "DELETE FROM cp_held_results",
        "DELETE FROM carepassport_tracking WHERE application_name = 'CarePassport.views'",
    )
    rebuilt = bootstrap(postgres_url, clock=SettableClock(PUBLISHED), mailer=InMemoryMailer())
    try:
        rebuilt.app.catch_up()
        rebuilt.reports.rebuild()
    finally:
        rebuilt.close()

    assert probes == [200] * 8  # whichever of the four processes answered
    assert "carepassport_outbox_undelivered 0.0" in scrape
    assert 'route="/employers/{employer_id}/compliance"' in scrape  # summed over processes
    assert left_behind > 0  # the killed worker held claims, which the other took over
    assert read_models(raw) == kept
    assert opened_outbox(postgres_url) == outbox
    assert statuses_at(postgres_url, PUBLISHED) == statuses
    for topic, expected in {
        "SelfRegistrationEnabled": EMPLOYEES,
        "AccessGranted": EMPLOYEES,
        "RegistrationSucceeded": PASSING,
        "CompletionPublished": PASSING,
    }.items():
        counts = performed(raw, topic)
        assert (topic, counts.total(), max(counts.values())) == (topic, expected, 1)
    (sync,) = performed(raw, "MidnightSyncRan")
    assert midnights(postgres_url, sync) == [
        (toronto(2026, 5, 6, 0, 0), 0),
        (toronto(2026, 5, 7, 0, 0), EMPLOYEES),  # each midnight once; it took every result
    ]

    rows = raw.execute("SELECT notification_id, position, attempts FROM cp_outbox")
    attempts = {message_id(notification, n): tries for notification, n, tries in rows}
    received = Counter(str(m["Message-ID"]) for m in smtp_server.messages)
    assert set(received) == set(attempts)  # none lost, none invented
    twice = [message for message, times in received.items() if times > 1]
    # Only a message the killed worker had handed over but not yet recorded may go twice:
    # at most one (it records each outcome at once), under the same Message-ID, re-attempted.
    assert len(twice) <= 1 and all(attempts[m] >= 2 for m in twice)
    assert max(received.values()) <= 2


@contextmanager
def reading(url: str, at: datetime = PUBLISHED) -> Iterator[Services]:
    """A core that reads the store at ``at`` (and creates nothing)."""
    services = bootstrap(url, clock=SettableClock(at), mailer=InMemoryMailer(), create=False)
    try:
        yield services
    finally:
        services.close()


def opened_outbox(url: str) -> list[Any]:
    with reading(url) as services:
        return services.outbox.messages()


def midnights(url: str, sync: str) -> list[tuple[datetime, int]]:
    """Each midnight the nightly sync ran for, with how many results it took."""
    with reading(url) as services:
        return [
            (event.midnight, event.taken)
            for event in services.app.events.get(UUID(sync))
            if type(event).__name__ == "MidnightSyncRan"
        ]


def statuses_at(url: str, at: datetime) -> dict[str, Any]:
    with reading(url, at) as services:
        return {f"E{n}": services.statuses.of_employee(f"E{n}") for n in range(EMPLOYEES)}
