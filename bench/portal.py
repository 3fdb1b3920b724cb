"""Measurement 11: the employer's compliance page of the portal beside the JSON route for the
same data.

A SQLite file is seeded with N employees of one employer, all members of the job function
``PSW``, which requires four micro-credentials (``seed.CODES[:4]``). Each employee is registered
in two of them (``code_of(n)`` passed, ``code_of(n + 1)`` in progress; the seeding of
measurement 5), so the report holds 4N lines in every state but failed. An approver token is
issued through the application. A real ``carepassport serve --tick-every 0`` runs on a free
loopback port and one ``httpx`` client with keep-alive asks, one request at a time and in turn:

a. ``GET /portal/compliance`` signed in with the approver's session: the HTML page (the first
   50 rows, the counts, the filters, the navigation);
b. ``GET /employers/{id}/compliance`` with the same token: the whole report as JSON.

Both read the same projection through the same use case. The figure is each one's p50/p95 and
the ratio of the page's p95 to the route's (goal: ≤ 1.5, and the page's p95 ≤ 150 ms).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from eventsourcing.domain import Aggregate
from tests.integration.live_server import assert_clean_exit, live_server

from bench import seed
from bench.common import now, percentile, sized
from carepassport.domain.compliance.job_function import JobFunction
from carepassport.domain.values import EmployeeId

SIZES = (10_000,)
"""Employees in the store at scale 1."""
REQUESTS = 200
"""Requests each way at scale 1."""
WARM_UP = 3
JOB_FUNCTION = "PSW"
REQUIRED = seed.CODES[:4]
AT = seed.START + timedelta(days=3)
GOAL_MS = 150.0
GOAL_RATIO = 1.5


def sizes() -> list[int]:
    """The sizes at the current scale (at least 100 employees)."""
    return [sized(n, minimum=100) for n in SIZES]


def members(cp: Any, employees: int) -> Iterator[Aggregate]:
    """``employees`` employees in the job function, each with two registrations; then the job
    function with its members."""
    job_function = JobFunction.open(JOB_FUNCTION, seed.START)
    job_function.define(list(map(seed.CredentialCode, REQUIRED)), seed.START)
    for n in range(employees):
        person, claim = seed.employee(cp, n, seed.START)
        person.assign_job_function(JOB_FUNCTION, list(job_function.requires), seed.START)
        job_function.join(EmployeeId(seed.employee_id(n)), seed.START)
        passed = seed.registration(cp, n, required_code(n), seed.START)
        passed_at = seed.START + timedelta(days=2)
        passed.succeed(passed_at, passed_at, passed_at)
        yield from (person, claim, passed, seed.registration(cp, n, required_code(n + 1), AT))
    yield job_function


def required_code(n: int) -> Any:
    """A required micro-credential for the n-th item, round robin."""
    return seed.CredentialCode(REQUIRED[n % len(REQUIRED)])


def _seed(path: Path, employees: int) -> tuple[int, str]:
    cp, clock = seed.open_store(path)
    try:
        seed.save_all(cp, members(cp, employees))
        clock.set(AT)
        seed.catch_up(cp)
        report = cp.reports.compliance(seed.EMPLOYER)
        assert len(report.lines) == len(REQUIRED) * employees, len(report.lines)
        token: str = cp.api_tokens.issue("approver", seed.EMPLOYER).token
        events: int = cp.app.recorder.max_notification_id() or 0
    finally:
        cp.close()
    return events, token


def _check(response: httpx.Response, status: int = 200) -> None:
    assert response.status_code == status, f"{response.status_code}: {response.text[:500]}"


def measure(employees: int) -> dict[str, Any]:
    """Seed a store of ``employees``; the page's and the route's latencies side by side."""
    requests = sized(REQUESTS, minimum=20)
    with tempfile.TemporaryDirectory(prefix="cpbench-portal-") as tmp:
        path = Path(tmp) / "core.db"
        started = now()
        events, token = _seed(path, employees)
        seed_s = now() - started
        with (
            live_server(f"sqlite:///{path}", "--tick-every", "0", now=AT.isoformat()) as (
                base,
                stopped,
            ),
            httpx.Client(base_url=base, timeout=120) as client,
        ):
            page, route = _latencies(client, token, requests)
    assert_clean_exit(stopped)
    p95, r95 = percentile(page, 0.95), percentile(route, 0.95)
    return {
        "store": "sqlite",
        "employees": employees,
        "events": events,
        "lines": len(REQUIRED) * employees,
        "samples": len(page),
        "p50_ms": percentile(page, 0.5),
        "p95_ms": p95,
        "json_p50_ms": percentile(route, 0.5),
        "json_p95_ms": r95,
        "ratio_p95": round(p95 / r95, 3),
        "goal_met": p95 <= GOAL_MS and p95 / r95 <= GOAL_RATIO,
        "seed_s": round(seed_s, 1),
    }


def _latencies(client: httpx.Client, token: str, requests: int) -> tuple[list[float], list[float]]:
    """Sign in, check both answers agree, then time each request in turn (ms, sorted)."""
    signed = client.post("/portal/sign-in", data={"token": token})
    _check(signed, 303)
    headers = {"Authorization": f"Bearer {token}"}
    json_path = f"/employers/{seed.EMPLOYER}/compliance"
    for _ in range(WARM_UP):
        html = client.get("/portal/compliance")
        _check(html)
        _check(client.get(json_path, headers=headers))
    assert "E0000000" in html.text and "<table" in html.text, html.text[:500]
    page: list[float] = []
    route: list[float] = []
    for _ in range(requests):
        started = now()
        _check(client.get("/portal/compliance"))
        page.append((now() - started) * 1000)
        started = now()
        _check(client.get(json_path, headers=headers))
        route.append((now() - started) * 1000)
    return sorted(page), sorted(route)
