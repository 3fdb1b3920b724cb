"""Measurements 4 and 5 on one SQLite store of N events.

4. Replay: rebuild the employee-status read model (the compliance projection, which keeps each
   employee's facts per micro-credential) from the whole log, against reading and decoding the
   same notification log with nothing done (baseline A: the library's read path) and fetching
   the rows with plain SQL (baseline B).
5. Status reads: p50/p99 latency of ``statuses.of_employee`` for random employees, against
   loading the employee aggregate through the library (A) and selecting its rows in SQL (B).

The store holds employees, each with two registrations (one passed): EmployeeAdded,
StudentNumberAssigned, 2 x (Registered, AccessGranted), RegistrationSucceeded; seven events per
employee, made by the domain's factories and commands and saved in big batches.
"""

from __future__ import annotations

import random
import sqlite3
import statistics
import tempfile
from collections.abc import Callable
from contextlib import closing
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench import seed
from bench.common import now, percentile, rate_figures, sized
from carepassport.domain.reference import Employee
from carepassport.domain.values import EmployeeId

SIZES = (10_000, 100_000, 1_000_000)
"""Events in the store at scale 1."""
EVENTS_PER_EMPLOYEE = 7
READ_BATCH = 500
"""As the projection reads (``reports.BATCH``)."""
SAMPLES = 2000


def read_and_decode(cp: Any) -> int:
    """Baseline A: the notification log read and decoded a batch at a time, nothing done."""
    position, count = 0, 0
    while batch := cp.app.recorder.select_notifications(start=position + 1, limit=READ_BATCH):
        for notification in batch:
            cp.app.mapper.to_domain_event(notification)
        count += len(batch)
        position = batch[-1].id
    return count


def read_rows(path: Path) -> int:
    """Baseline B: the same rows fetched with plain SQL, a batch at a time."""
    count, position = 0, 0
    with closing(sqlite3.connect(path)) as db:
        while rows := db.execute(
            "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
            "WHERE rowid > ? ORDER BY rowid LIMIT ?",
            (position, READ_BATCH),
        ).fetchall():
            count += len(rows)
            position = rows[-1][0]
    return count


def _latencies(action: Callable[[str], object], employees: list[str]) -> list[float]:
    times = []
    for employee in employees:
        started = now()
        action(employee)
        times.append((now() - started) * 1000)
    return sorted(times)


def measure(events: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Seed a store of about ``events`` events; the replay row and the status-read row."""
    employees = max(2, events // EVENTS_PER_EMPLOYEE)
    with tempfile.TemporaryDirectory(prefix="cpbench-replay-") as tmp:
        path = Path(tmp) / "core.db"
        cp, clock = seed.open_store(path)
        try:
            started = now()
            seed.save_all(cp, seed.registered_employees(cp, employees))
            clock.set(seed.START + timedelta(days=3))
            seed.catch_up(cp)
            seed_s = now() - started
            total = cp.app.recorder.max_notification_id() or 0
            replay = _replay(cp, path, total)
            status = _status(cp, path, employees)
        finally:
            cp.close()
    replay.update(seed_s=round(seed_s, 1))
    return replay, {**status, "events": total}


def _replay(cp: Any, path: Path, total: int) -> dict[str, Any]:
    started = now()
    applied = cp.reports.rebuild()
    seconds = now() - started
    assert applied == total, f"rebuilt from {applied} of {total} events"
    started = now()
    decoded = read_and_decode(cp)
    a = now() - started
    started = now()
    fetched = read_rows(path)
    b = now() - started
    assert decoded == fetched == total
    return {"store": "sqlite", **rate_figures(total, seconds, a, b)}


def _status(cp: Any, path: Path, employees: int) -> dict[str, Any]:
    chosen = random.Random(7).choices(range(employees), k=sized(SAMPLES, minimum=20))
    ids = [seed.employee_id(n) for n in chosen]
    cp.statuses.of_employee(ids[0])  # warm-up
    status = _latencies(cp.statuses.of_employee, ids)
    library = _latencies(lambda e: cp.app.repository.get(Employee.identity(EmployeeId(e))), ids)
    sql = _latencies(_sql_reader(path), ids)
    assert all(len(cp.statuses.of_employee(e).credentials) == 2 for e in ids[:5])
    p50, a50, b50 = percentile(status, 0.5), percentile(library, 0.5), percentile(sql, 0.5)
    return {
        "store": "sqlite",
        "samples": len(ids),
        "p50_ms": p50,
        "p99_ms": percentile(status, 0.99),
        "mean_ms": round(statistics.fmean(status), 3),
        "baseline_a_p50_ms": a50,
        "baseline_b_p50_ms": b50,
        "ratio_a": round(a50 / p50, 3),
        "ratio_b": round(b50 / p50, 3),
    }


def _sql_reader(path: Path) -> Callable[[str], object]:
    db = sqlite3.connect(path, check_same_thread=False)

    def read(employee: str) -> object:
        key = str(Employee.identity(EmployeeId(employee)))
        return db.execute(
            "SELECT topic, state FROM stored_events WHERE originator_id = ? "
            "ORDER BY originator_version",
            (key,),
        ).fetchall()

    return read


def sizes() -> list[int]:
    """The sizes at the current scale."""
    return [sized(n, minimum=200) for n in SIZES]
