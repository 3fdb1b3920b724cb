"""Measurement 6: the HTTP API (``carepassport serve``) beside the same calls made in-process.

A SQLite file is seeded with N employees, each registered in two micro-credentials (one passed;
the store shape of measurement 5, seeded the same way by ``bench/seed.py``), and tokens are
issued through the application. A real ``carepassport serve --tick-every 0`` runs on a free
loopback port (the integration tests' ``live_server``), and one ``httpx`` client with
keep-alive makes the requests, one at a time:

a. ``GET /employees/{id}/status`` with an auditor token: p50/p99 latency. Baseline A is
   ``statuses.of_employee`` called directly through the services of a core wired as the
   server's is (same store, same fixed clock, same mailer), open beside the server: each id is
   read directly, then over HTTP, in turn. The difference of the p50s is the HTTP overhead,
   token authentication included.
b. ``POST /sponsorships`` with the employee's own token (one token per employee): requests/s.
   Baseline A is ``sponsorships.request`` called directly, before the server starts, for other
   employees of the same store (every employee asks for micro-credentials no earlier request
   covers, in the same rounds on both sides).

Baseline B is the HTTP floor: the same request refused with 401 for want of a token (the
server, its middleware and the client; no store read, no routing).
"""

from __future__ import annotations

import random
import statistics
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from tests.integration.live_server import assert_clean_exit, live_server

from bench import seed
from bench.common import now, percentile, sized, timed
from carepassport.application.services import Services
from carepassport.bootstrap import bootstrap

SIZES = (100, 1_000, 10_000)
"""Employees in the store at scale 1."""
READS = 1_000
"""Status reads each way at scale 1."""
REQUESTS = 200
"""Sponsorship requests each way at scale 1."""
WARM_UP = 3
"""Untimed calls each way before the timed ones (the server opens its core on first use)."""
FREE_CODES = len(seed.CODES) - 2
"""Micro-credentials an employee is not registered in, so may ask sponsorship for."""
AT = seed.START + timedelta(days=3)
"""The fixed clock of the seeding's last step, the direct calls and the server."""
STATUS = "/employees/{}/status"


def sizes() -> list[int]:
    """The sizes at the current scale (at least 5, 50 and 500 employees)."""
    return [sized(n, minimum=n // 20) for n in SIZES]


def plan(employees: int, count: int) -> list[tuple[str, str]]:
    """``count`` sponsorship requests (employee, code) that no earlier one covers: round r asks
    every employee for the r-th micro-credential they are not registered in."""
    assert count <= employees * FREE_CODES, f"{count} requests for {employees} employees"
    return [
        (seed.employee_id(i % employees), seed.code_of(i % employees + 2 + i // employees))
        for i in range(count)
    ]


def bearer(token: str) -> dict[str, str]:
    """An Authorization header."""
    return {"Authorization": f"Bearer {token}"}


def _seed(path: Path, employees: int, posters: list[str]) -> tuple[int, str, dict[str, str]]:
    """The store's events, an auditor token, and a token for each employee in ``posters``."""
    cp, clock = seed.open_store(path)
    try:
        seed.save_all(cp, seed.registered_employees(cp, employees))
        clock.set(AT)
        seed.catch_up(cp)
        auditor = cp.api_tokens.issue("auditor", "bench").token
        tokens = {e: cp.api_tokens.issue("employee", e).token for e in dict.fromkeys(posters)}
        events: int = cp.app.recorder.max_notification_id() or 0
    finally:
        cp.close()
    return events, auditor, tokens


def _check(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, f"{response.status_code}: {response.text[:500]}"


def measure(employees: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Seed a store of ``employees``; the status-read row and the sponsorship row."""
    requests = sized(REQUESTS, minimum=10)
    requested = plan(employees, 2 * (requests + WARM_UP))
    direct_plan, http_plan = requested[0::2], requested[1::2]
    ids = [
        seed.employee_id(n)
        for n in random.Random(7).choices(range(employees), k=sized(READS, minimum=20) + WARM_UP)
    ]
    with tempfile.TemporaryDirectory(prefix="cpbench-http-") as tmp:
        path = Path(tmp) / "core.db"
        url = f"sqlite:///{path}"
        started = now()
        events, auditor, tokens = _seed(path, employees, [e for e, _ in http_plan])
        seed_s = now() - started
        cp = bootstrap(url, now=AT)  # wired as `serve` wires its core
        try:
            direct_rate = _direct_requests(cp, direct_plan)
            with (
                live_server(url, "--tick-every", "0", now=AT.isoformat()) as (base, stopped),
                httpx.Client(base_url=base, timeout=60) as client,
            ):
                reads = _status_reads(cp, client, ids, auditor)
                posts = _http_requests(client, http_plan, tokens)
        finally:
            cp.close()
    assert_clean_exit(stopped)
    common = {"store": "sqlite", "employees": employees, "events": events}
    status_row = {**common, "request": "GET status", **reads, "seed_s": round(seed_s, 1)}
    http_rate = posts["requests_per_s"]
    post_row = {
        **common,
        "request": "POST sponsorships",
        **posts,
        "direct_requests_per_s": round(direct_rate, 1),
        "overhead_ms": round(1000 / http_rate - 1000 / direct_rate, 3),
        "ratio_a": round(http_rate / direct_rate, 3),
        "ratio_b": round(http_rate / posts["floor_requests_per_s"], 3),
    }
    return status_row, post_row


def _direct_requests(cp: Services, requested: list[tuple[str, str]]) -> float:
    """Requests/s of ``sponsorships.request`` called directly."""
    for employee, code in requested[:WARM_UP]:
        cp.sponsorships.request(employee, [code])

    def run() -> None:
        for employee, code in requested[WARM_UP:]:
            cp.sponsorships.request(employee, [code])

    return (len(requested) - WARM_UP) / timed(run)


def _status_reads(
    cp: Services, client: httpx.Client, ids: list[str], auditor: str
) -> dict[str, Any]:
    """Each id read directly, then over HTTP (the first few untimed, and checked to agree);
    then the 401 floor as many times."""
    headers = bearer(auditor)
    for employee in ids[:WARM_UP]:
        response = client.get(STATUS.format(employee), headers=headers)
        _check(response, 200)
        direct_status = cp.statuses.of_employee(employee)
        assert len(response.json()["credentials"]) == len(direct_status.credentials) > 0
    direct: list[float] = []
    over_http: list[float] = []
    floor: list[float] = []
    for employee in ids[WARM_UP:]:
        started = now()
        cp.statuses.of_employee(employee)
        direct.append((now() - started) * 1000)
        started = now()
        response = client.get(STATUS.format(employee), headers=headers)
        over_http.append((now() - started) * 1000)
        _check(response, 200)
    for employee in ids[WARM_UP:]:
        started = now()
        response = client.get(STATUS.format(employee))
        floor.append((now() - started) * 1000)
        _check(response, 401)
    direct.sort()
    over_http.sort()
    floor.sort()
    p50, d50, f50 = (percentile(t, 0.5) for t in (over_http, direct, floor))
    return {
        "samples": len(over_http),
        "p50_ms": p50,
        "p99_ms": percentile(over_http, 0.99),
        "mean_ms": round(statistics.fmean(over_http), 3),
        "direct_p50_ms": d50,
        "direct_p99_ms": percentile(direct, 0.99),
        "overhead_p50_ms": round(p50 - d50, 3),
        "floor_p50_ms": f50,
        "ratio_a": round(d50 / p50, 3),
        "ratio_b": round(f50 / p50, 3),
    }


def _http_requests(
    client: httpx.Client, requested: list[tuple[str, str]], tokens: dict[str, str]
) -> dict[str, Any]:
    """Requests/s of ``POST /sponsorships``, each with the employee's token; then the floor."""

    def post(employee: str, code: str, headers: dict[str, str] | None, status: int) -> None:
        body = {"employee_id": employee, "credentials": [code]}
        _check(client.post("/sponsorships", json=body, headers=headers), status)

    for employee, code in requested[:WARM_UP]:
        post(employee, code, bearer(tokens[employee]), 201)
    measured = requested[WARM_UP:]

    def run() -> None:
        for employee, code in measured:
            post(employee, code, bearer(tokens[employee]), 201)

    def refused() -> None:
        for employee, code in measured:
            post(employee, code, None, 401)

    return {
        "requests": len(measured),
        "requests_per_s": round(len(measured) / timed(run), 1),
        "floor_requests_per_s": round(len(measured) / timed(refused), 1),
    }
