"""Measure (and optionally profile) the nightly LMS-results sync at scale (issue 7, item 2).

    .venv/bin/python bench/profile_sync.py --results 10000 --store sqlite
    .venv/bin/python bench/profile_sync.py --results 10000 --store postgresql --profile

What it does:
1. seeds a store with a catalogue (3 micro-credentials), 50 employers, employees with student
   numbers and one self-paid registration per employee and micro-credential, all registered on
   Tuesday 2026-07-28 08:00 (access from 10:00). Employees and registrations are built with the
   same domain factories the use cases call (``Employee.add`` + ``StudentNumberClaim.assign``,
   ``Registration.register`` with ``funding_for_registration``), so the events are exactly
   those of ``reference.add_employee`` and ``registrations.register(..., self_pay=True)``;
   they are only saved 500 aggregates a ``record`` to keep seeding 100k registrations quick.
   Access is not granted (the scheduler's AccessGranted events): the sync does not read them.
2. stages N results in the CLI's SQLite staging LMS (its own file; read a page at a time, so
   the feed costs no memory), with its record-id uniqueness lifted so an LMS re-delivery reaches
   the sync, all held from 23:55, in this mix per 20
   registrations: 8 passes, 3 fail-then-pass, 2 fail-twice, 2 single fails, 5 without a result;
   then every 10th result is followed by a re-delivery of an earlier one (duplicate) and every
   20th by a result for a student number nobody holds (unmatched, held for the college).
3. runs the midnight sync of 2026-07-29 00:00 as the scheduler does (deliveries deferred: the
   tick sends mail after its work; mail is not measured here) in a fresh process, so the peak
   RSS is the sync's own (seeding is not timed and does not count towards it).
4. measures baseline A on the same kind of store: a trivial aggregate saving the same number
   of events in the same number of transactions (same events per transaction).

Prints one JSON object (``--json``) or a short table.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.lms.staging import SCHEMA, SQLiteStagingLms
from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.application.services import Services
from carepassport.bootstrap import bootstrap, store_config
from carepassport.domain.reference import Employee
from carepassport.domain.time import TORONTO
from carepassport.domain.training.lms import LmsSync, QuizResult
from carepassport.domain.training.policies import funding_for_registration
from carepassport.domain.training.registration import Registration
from carepassport.domain.training.student_numbers import StudentNumberClaim
from carepassport.domain.values import (
    credential_code,
    email_address,
    employee_id,
    employer_id,
    student_number,
)

PG_SERVER = os.environ.get(
    "CAREPASSPORT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/carepassport_test"
)
CODES = ("IPAC", "WHMIS", "FIRE")
EMPLOYERS = 50
SEED_BATCH = 500
SEEDED_AT = datetime(2026, 7, 1, 9, 0, tzinfo=TORONTO)
REGISTERED_AT = datetime(2026, 7, 28, 8, 0, tzinfo=TORONTO)  # access 10:00 to 08-11
FIRST_ATTEMPT = datetime(2026, 7, 28, 10, 30, tzinfo=TORONTO)
HELD_AT = datetime(2026, 7, 28, 23, 55, tzinfo=TORONTO)  # after the last attempt
MIDNIGHT = datetime(2026, 7, 29, 0, 0, tzinfo=TORONTO)
PATTERNS = ("P",) * 8 + (("F", "P"),) * 3 + (("F", "F"),) * 2 + (("F",),) * 2 + ((),) * 5
"""What the LMS reports for 20 consecutive registrations (P pass, F fail)."""
MATCHED_SHARE = 20 / 23  # per 20 matched results: 2 duplicates and 1 unmatched


# --- the plan: registrations and the feed, both derived from the result count --------------


def registrations_for(results: int) -> int:
    """Registrations needed so the feed holds ``results`` results in the mix above."""
    matched = int(results * MATCHED_SHARE) + 1
    per_cycle = sum(len(p) if isinstance(p, tuple) else 1 for p in PATTERNS)  # 20
    regs = -(-matched * len(PATTERNS) // per_cycle)
    return -(-regs // len(CODES)) * len(CODES)


def employee_of(index: int) -> str:
    return f"E{index:07d}"


def number_of(index: int) -> str:
    return f"S{index:08d}"


def feed(results: int) -> Iterator[QuizResult]:
    """``results`` results in feed order (attempted_at grows mostly; retries come later)."""
    emitted = 0
    recent: list[QuizResult] = []
    regs = registrations_for(results)
    minute = timedelta(seconds=0)
    for reg in range(regs):
        pattern = PATTERNS[reg % len(PATTERNS)]
        steps = pattern if isinstance(pattern, tuple) else (pattern,)
        employee, code = divmod(reg, len(CODES))
        for attempt, outcome in enumerate(steps, start=1):
            minute += timedelta(seconds=0.4)
            attempted = FIRST_ATTEMPT + (minute % timedelta(hours=13)) + timedelta(hours=0)
            if attempt == 2:
                attempted += timedelta(minutes=1)
            passed = outcome == "P"
            item = QuizResult(
                record_id=f"L{reg:07d}-{attempt}",
                student_number=number_of(employee),
                credential_code=CODES[code],
                attempt=attempt,
                score=Decimal("85") if passed else Decimal("40"),
                passed=passed,
                attempted_at=attempted,
            )
            for extra in [item, *_extras(emitted + 1, item, recent)]:
                if emitted == results:
                    return
                yield extra
                emitted += 1
            recent = [*recent[-49:], item]
    raise AssertionError("the plan ran out of registrations")


def _extras(position: int, item: QuizResult, recent: list[QuizResult]) -> list[QuizResult]:
    extras: list[QuizResult] = []
    if position % 10 == 0 and recent:
        extras.append(recent[position % len(recent)])  # a re-delivery, identical
    if position % 20 == 0:
        extras.append(
            QuizResult(
                record_id=f"U{position:08d}",
                student_number=f"X{position:08d}",  # nobody holds it
                credential_code=item.credential_code,
                attempt=1,
                score=Decimal("90"),
                passed=True,
                attempted_at=item.attempted_at,
            )
        )
    return extras


class FeedFile(SQLiteStagingLms):
    """The staging LMS over its own SQLite file, except that a record id may be delivered twice
    (as an LMS can), so the sync's duplicate handling is exercised."""

    def __init__(self, path: Path) -> None:
        with closing(sqlite3.connect(path)) as db, db:
            db.execute(SCHEMA.replace("record_id TEXT NOT NULL UNIQUE", "record_id TEXT NOT NULL"))
        super().__init__(path)

    def stage_all(self, results: Iterator[QuizResult]) -> int:
        """Stage the feed 10,000 results a transaction, all held since HELD_AT."""
        staged = 0
        while chunk := list(islice(results, 10_000)):
            staged += self.stage(chunk, HELD_AT)
        return staged


# --- seeding ---------------------------------------------------------------------------------


def wire(url: str, feed_path: Path, at: datetime) -> tuple[Services, SettableClock]:
    clock = SettableClock(at)
    services = bootstrap(url, clock=clock, mailer=InMemoryMailer(), lms=FeedFile(feed_path))
    return services, clock


def seed(url: str, feed_path: Path, results: int) -> dict[str, Any]:
    started = time.perf_counter()
    services, clock = wire(url, feed_path, SEEDED_AT)
    app = services.app
    ref = services.reference
    ref.change_setting("college_email", "registrar@college.example")
    for code in CODES:
        ref.add_micro_credential(code, f"{code} course", fee="100")
    for e in range(EMPLOYERS):
        ref.add_employer(
            f"ER{e:03d}",
            name=f"Employer {e}",
            approvers=[f"approver{e}@employer.example", f"backup{e}@employer.example"],
            retakes_covered=1,
        )
    regs = registrations_for(results)
    employees = regs // len(CODES)
    clock.set(SEEDED_AT + timedelta(hours=1))
    now = app.now_for_write()
    batch: list[Aggregate] = []
    for index in range(employees):
        eid = employee_id(employee_of(index))
        number = student_number(number_of(index))
        batch.append(
            Employee.add(
                eid,
                employer_id(f"ER{index % EMPLOYERS:03d}"),
                email_address(f"{employee_of(index).lower()}@example.org"),
                number,
                None,
                now,
            )
        )
        batch.append(
            StudentNumberClaim.assign(number, app.personal.index("student", number), eid, now)
        )
        if len(batch) >= SEED_BATCH:
            app.record(*batch)
            batch.clear()
    clock.set(REGISTERED_AT)
    now = app.now_for_write()
    catalogue = ref.catalogue()
    assert catalogue is not None
    version = app.settings().version
    basis = funding_for_registration(
        credential="IPAC",
        history=[],
        sponsorship_unavailable="no approved sponsorship covers it",
        retakes_covered=1,
        self_pay=True,
    )
    batch.append(LmsSync.open(now))  # what the first registration's ensure_scheduled adds
    for reg in range(regs):
        employee, code = divmod(reg, len(CODES))
        entry = catalogue.entry(credential_code(CODES[code]))
        batch.append(
            Registration.register(
                employee_id(employee_of(employee)),
                employer_id(f"ER{employee % EMPLOYERS:03d}"),
                entry,
                1,
                basis,
                None,
                now,
                version,
            )
        )
        if len(batch) >= SEED_BATCH:
            app.record(*batch)
            batch.clear()
    if batch:
        app.record(*batch)
    staged = FeedFile(feed_path).stage_all(feed(results))
    events = app.recorder.max_notification_id() or 0
    services.close()
    return {
        "employees": employees,
        "registrations": regs,
        "staged": staged,
        "seed_events": events,
        "seed_s": round(time.perf_counter() - started, 1),
    }


# --- the measured run ------------------------------------------------------------------------


def run_sync(url: str, feed_path: Path, profile: str | None) -> dict[str, Any]:
    services, _clock = wire(url, feed_path, MIDNIGHT + timedelta(minutes=1))
    app = services.app
    app.catch_up()
    before = app.recorder.max_notification_id() or 0
    rss_before = peak_rss_mb()
    profiler = None
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.005)
        profiler.start()
    started, cpu = time.perf_counter(), time.process_time()
    with services.outbox.deferred():
        ran = services.sync.run_midnight(LmsSync.identity())
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    if profiler is not None:
        profiler.stop()
        Path(profile).write_text(profiler.output_text(unicode=False, color=False, show_all=False))
    assert ran, "the midnight sync did not run"
    after = app.recorder.max_notification_id() or 0
    feed_state = app.find(LmsSync, LmsSync.identity())
    assert feed_state is not None
    taken = _last_taken(services)
    services.close()
    return {
        "sync_s": round(elapsed, 3),
        "sync_cpu_s": round(cpu, 3),
        "events": after - before,
        "cursor": feed_state.cursor,
        "taken": taken,
        "rss_before_mb": rss_before,
        "peak_rss_mb": peak_rss_mb(),
    }


def _last_taken(services: Services) -> int:
    history = services.histories.history(LmsSync.identity())
    return int(history.events[-1].data["taken"])


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# --- baseline A: the library alone -----------------------------------------------------------


class Trivial(Aggregate):
    """The library's simplest aggregate: created, then one small event a time."""

    @event("Created")
    def __init__(self, n: int) -> None:
        self.n = n

    @event("Bumped")
    def bump(self, n: int) -> None:
        self.n = n


def baseline_a(kind: str, events: int, per_save: int, workdir: Path) -> dict[str, Any]:
    """Save ``events`` events, ``per_save`` a transaction, as aggregates of 8 events each."""
    if kind == "sqlite":
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(workdir / "baseline.db"),
        }
    elif kind == "postgresql":
        env = store_config(f"{PG_SERVER}?schema=bench_base_{uuid.uuid4().hex[:8]}").env
        _create_schema(env["POSTGRES_SCHEMA"])
    else:
        env = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    app: Application[Any] = Application(env=env)
    per_aggregate = 8
    saved = 0
    started = time.perf_counter()
    while saved < events:
        batch = []
        in_batch = 0
        while in_batch < per_save and saved + in_batch < events:
            aggregate = Trivial(0)
            for n in range(1, min(per_aggregate, per_save - in_batch, events - saved - in_batch)):
                aggregate.bump(n)
            in_batch += len(aggregate.pending_events)
            batch.append(aggregate)
        app.save(*batch)
        saved += in_batch
    elapsed = time.perf_counter() - started
    app.close()
    if kind == "postgresql":
        _drop_schema(env["POSTGRES_SCHEMA"])
    return {"baseline_s": round(elapsed, 3), "baseline_events_per_s": round(saved / elapsed)}


def _create_schema(schema: str) -> None:
    import psycopg

    with closing(psycopg.connect(PG_SERVER, autocommit=True)) as c:
        c.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')


def _drop_schema(schema: str) -> None:
    import psycopg

    with closing(psycopg.connect(PG_SERVER, autocommit=True)) as c:
        c.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


# --- driver ----------------------------------------------------------------------------------


def store_url(kind: str, workdir: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'store.db'}"
    if kind == "postgresql":
        return f"{PG_SERVER}?schema=bench_sync_{uuid.uuid4().hex[:8]}"
    raise SystemExit("--store must be sqlite or postgresql (the memory store cannot be reopened)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--results", type=int, default=10_000)
    parser.add_argument("--store", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--profile", metavar="FILE", help="write a pyinstrument text profile")
    parser.add_argument("--workdir", type=Path, help="keep the store here (default: a temp dir)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--phase", choices=("all", "sync"), default="all", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "sync":
        print(json.dumps(run_sync(args.url, args.workdir / "feed.db", args.profile)))
        return
    with tempfile.TemporaryDirectory(prefix="cp-bench-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        url = store_url(args.store, workdir)
        try:
            report: dict[str, Any] = {"store": args.store, "results": args.results}
            report.update(seed(url, workdir / "feed.db", args.results))
            command = [
                sys.executable,
                __file__,
                "--phase",
                "sync",
                "--url",
                url,
                "--workdir",
                str(workdir),
            ]
            if args.profile:
                command += ["--profile", str(Path(args.profile).resolve())]
            done = subprocess.run(command, check=True, capture_output=True, text=True)
            report.update(json.loads(done.stdout.strip().splitlines()[-1]))
        finally:
            if args.store == "postgresql":
                _drop_schema(url.rsplit("schema=", 1)[1])
        report["results_per_s"] = round(args.results / report["sync_s"])
        report["events_per_s"] = round(report["events"] / report["sync_s"])
        report["events_per_result"] = round(report["events"] / args.results, 2)
        if not args.no_baseline:
            per_save = _events_per_transaction(report)
            report["baseline_events_per_save"] = per_save
            report.update(baseline_a(args.store, report["events"], per_save, workdir))
            report["ratio_to_baseline_a"] = round(
                report["events_per_s"] / report["baseline_events_per_s"], 2
            )
    if args.json:
        print(json.dumps(report))
    else:
        width = max(len(k) for k in report)
        for key, value in report.items():
            print(f"{key:<{width}}  {value}")


def _events_per_transaction(report: dict[str, Any]) -> int:
    """The sync commits one transaction a batch of results (see sync.SYNC_BATCH)."""
    from carepassport.application.training.sync import SYNC_BATCH

    transactions = max(1, -(-report["taken"] // SYNC_BATCH)) + 1  # + the sync's own event
    return max(1, round(report["events"] / transactions))


if __name__ == "__main__":
    main()
