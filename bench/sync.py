"""Measurement 2: the nightly sync of N staged LMS results on a SQLite file and on PostgreSQL.

Each size runs in two fresh processes: one seeds the store (employees, student numbers and
registrations with access granted, then N staged results: passes, fail-then-pass, two fails,
re-delivered duplicates and unknown student numbers), the other opens it and runs the midnight
sync once. The second process's peak RSS is therefore that size's alone. The results are staged
where the store's own staging LMS keeps them (``<store>.lms.db`` beside a SQLite file, the
``cp_staged_results`` table of a PostgreSQL schema).

(``bench/profile_sync.py`` belongs to the sync optimisation branch; this module only measures.)
"""

from __future__ import annotations

import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import StoredEvent

from bench import seed
from bench.common import (
    Writes,
    baseline_library,
    baseline_store,
    now,
    postgres_env,
    postgres_schema,
    rate_figures,
    recording_writes,
    sized,
    sqlite_env,
)
from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.bootstrap import bootstrap
from carepassport.domain.time import TORONTO
from carepassport.domain.training.lms import LmsResult, LmsSync, QuizResult

SIZES = (1_000, 10_000, 100_000)
"""Staged results per night at scale 1."""
DAY = datetime(2026, 4, 7, tzinfo=TORONTO)
"""The attempts' day; the sync runs at the midnight that ends it."""
MIDNIGHT = DAY + timedelta(days=1)
STAGE_BATCH = 5_000


def _result(record: str, n: int, attempt: int, passed: bool, code: str) -> QuizResult:
    return QuizResult(
        record_id=record,
        student_number=seed.student_number(n),
        credential_code=code,
        attempt=attempt,
        score=Decimal(85 if passed else 40),
        passed=passed,
        attempted_at=DAY + timedelta(hours=9 + 4 * attempt, seconds=n % 3600),
    )


def results_for(registrations: int, unmatched: int) -> Iterator[QuizResult]:
    """The night's feed: per 10 registrations 6 first-time passes, 2 fail-then-pass, 1 two
    fails, 1 pass taken on an earlier night and delivered again (a duplicate, see
    ``already_taken``); then results for unknown student numbers."""
    for n in range(registrations):
        code, kind = seed.code_of(n), n % 10
        if kind <= 5 or kind == 9:
            yield _result(f"R{n}-1", n, 1, True, code)
        else:
            yield _result(f"R{n}-1", n, 1, False, code)
            yield _result(f"R{n}-2", n, 2, kind != 8, code)
    for n in range(registrations, registrations + unmatched):
        yield _result(f"U{n}-1", n, 1, True, seed.code_of(n))


def already_taken(n: int) -> LmsResult | None:
    """The earlier night's record of a result that is re-delivered (every 10th registration):
    the sync finds it in the store and counts a duplicate."""
    if n % 10 != 9:
        return None
    result = _result(f"R{n}-1", n, 1, True, seed.code_of(n))
    return LmsResult.receive(result, DAY, DAY)


def shape(results: int) -> tuple[int, int]:
    """Registrations and unmatched results that make about ``results`` staged results."""
    unmatched = max(1, results // 20)
    return max(1, round((results - unmatched) / 1.3)), unmatched


COLLEGE_EMAIL = "registrar@college.example"


def store_url(target: str) -> str:
    """The store a step works on: a PostgreSQL URL as given, else a SQLite file's path."""
    return target if target.startswith("postgresql:") else f"sqlite:///{target}"


def seed_store(target: str, results: int) -> dict[str, Any]:
    """Subprocess 1: the registrations and the staged results."""
    registrations, unmatched = shape(results)
    started = now()
    cp, clock = seed.open_store(store_url(target))
    try:
        # As deployed: results for unknown student numbers are held and flagged to the college.
        cp.reference.change_setting("college_email", COLLEGE_EMAIL)

        def aggregates() -> Iterator[Aggregate]:
            for n in range(registrations):
                yield from seed.employee(cp, n, seed.START)
                yield seed.registration(cp, n, seed.code_of(n), seed.START)
                if (taken := already_taken(n)) is not None:
                    yield taken

        events = seed.save_all(cp, aggregates())
        clock.set(DAY + timedelta(minutes=1))
        cp.sync.start(DAY)  # the first midnight: the one that ends DAY
        seed.catch_up(cp)
        staging = cp._staging  # the store's own staging LMS, as `lms import` fills it
        batch: list[QuizResult] = []
        staged = 0
        for result in results_for(registrations, unmatched):
            batch.append(result)
            if len(batch) == STAGE_BATCH:
                staged += staging.stage(batch, DAY + timedelta(hours=22))
                batch.clear()
        staged += staging.stage(batch, DAY + timedelta(hours=22))
    finally:
        cp.close()
    return {"seed_events": events, "staged": staged, "seed_s": round(now() - started, 1)}


def _max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rows_after(path: Path, position: int) -> list[StoredEvent]:
    with closing(sqlite3.connect(path)) as db:
        rows = db.execute(
            "SELECT originator_id, originator_version, topic, state FROM stored_events "
            "WHERE rowid > ? ORDER BY rowid",
            (position,),
        ).fetchall()
    return [StoredEvent(*row) for row in rows]


def _log_after(cp: Any, position: int) -> list[StoredEvent]:
    """The events recorded after ``position``, through the library's notification log."""
    rows: list[StoredEvent] = []
    while page := cp.app.recorder.select_notifications(start=position + 1, limit=10_000):
        rows += (StoredEvent(n.originator_id, n.originator_version, n.topic, n.state) for n in page)
        position = page[-1].id
    return rows


def run_sync(target: str) -> dict[str, Any]:
    """Subprocess 2: the midnight sync, timed, its peak memory, and both baselines."""
    url = store_url(target)
    cp = bootstrap(url, clock=SettableClock(MIDNIGHT), mailer=InMemoryMailer())
    try:
        position = cp.app.recorder.max_notification_id() or 0
        rss_before = _max_rss_mib()
        with recording_writes(cp.app, keep_rows=False) as writes:
            started = now()
            with cp.outbox.deferred():  # as a scheduler tick runs it: mail after the work
                ran = cp.sync.run_midnight(LmsSync.identity(), MIDNIGHT)
            seconds = now() - started
        rss_peak = _max_rss_mib()
        assert ran, "the midnight sync did not run"
        rows = _log_after(cp, position) if url.startswith("postgresql:") else []
    finally:
        cp.close()
    rows = rows or _rows_after(Path(target), position)
    taken = Counter(row.topic.rsplit(".", 1)[-1] for row in rows if "LmsResult" in row.topic)
    with tempfile.TemporaryDirectory(prefix="cpbench-sync-") as tmp:
        if url.startswith("postgresql:"):
            with postgres_schema("cpbench_a") as (schema, _):
                a = baseline_library(postgres_env(schema), writes.batches)
                b = baseline_store("postgresql", Path(tmp), schema, rows)
        else:
            a = baseline_library(sqlite_env(Path(tmp) / "baseline.db"), writes.batches)
            b = baseline_store("sqlite", Path(tmp), "", rows)
    return _figures(writes, seconds, a, b, rss_before, rss_peak, taken)


def _figures(
    writes: Writes,
    seconds: float,
    a: float,
    b: float,
    rss_before: float,
    rss_peak: float,
    taken: Counter[str],
) -> dict[str, Any]:
    return {
        "batches": len(writes.batches),
        "mean_batch": round(writes.events / max(1, len(writes.batches)), 1),
        **rate_figures(writes.events, seconds, a, b),
        "rss_before_mib": round(rss_before, 1),
        "peak_rss_mib": round(rss_peak, 1),
        "rss_growth_mib": round(rss_peak - rss_before, 1),
        "result_events": dict(taken),
    }


def _subprocess(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.sync", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).parents[1],
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench.sync {args[0]} failed:\n{done.stderr[-3000:]}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def measure(results: int, store: str = "sqlite") -> dict[str, Any]:
    """One size on ``store`` (sqlite or postgresql): seed in one process, sync in a fresh one."""
    if store == "postgresql":
        with postgres_schema("cpbench_sync") as (_, url):
            seeded = _subprocess("seed", url, str(results))
            figures = _subprocess("sync", url)
    else:
        with tempfile.TemporaryDirectory(prefix="cpbench-sync-") as tmp:
            path = str(Path(tmp) / "core.db")
            seeded = _subprocess("seed", path, str(results))
            figures = _subprocess("sync", path)
    return {"store": store, "results": seeded["staged"], **seeded, **figures}


def sizes() -> list[int]:
    """The sizes at the current scale."""
    return [sized(n, minimum=20) for n in SIZES]


def main(argv: list[str]) -> None:
    """``python -m bench.sync seed PATH|URL N`` or ``python -m bench.sync sync PATH|URL``."""
    if argv[0] == "seed":
        print(json.dumps(seed_store(argv[1], int(argv[2]))))
    elif argv[0] == "sync":
        print(json.dumps(run_sync(argv[1])))
    else:
        raise SystemExit(f"unknown step {argv[0]!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
