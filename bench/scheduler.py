"""Measurement 3: how long ``tick`` takes to find and run 1,000 due items while P deadlines are
pending (far in the future), on a SQLite file.

The pending deadlines are real: credentials issued by the domain's factory (``Credential.issue``,
as publication records it), valid for a year and saved through the library in big batches; each
CredentialIssued event schedules four deadlines (reminders 60, 30 and 7 days before expiry, and
the expiry, R14), which the application's own projection puts in the deadline index.
The 1,000 due items are access grants (R6) of registrations made two hours before the tick.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

from eventsourcing.domain import Aggregate

from bench import seed
from bench.common import baselines, now, recording_writes, sized, sqlite_env
from carepassport.domain.compliance.credential import Credential
from carepassport.domain.values import EmployeeId

SIZES = (10_000, 100_000, 1_000_000)
"""Pending deadlines at scale 1."""
DUE = 1_000
VALID_UNTIL = (seed.START + timedelta(days=365)).date()


def _aggregates(cp: Any, pending: int, due: int) -> Iterator[Aggregate]:
    for n in range(due):
        yield from seed.employee(cp, n, seed.START)
        yield seed.registration(cp, n, seed.code_of(n), seed.START, granted=False)
    for n in range(due, due + pending // 4):
        yield Credential.issue(
            EmployeeId(seed.employee_id(n)),
            seed.code_of(n),
            uuid4(),
            seed.START,
            seed.START,
            VALID_UNTIL,
            [60, 30, 7],
            0,
            seed.START,
        )


def measure(pending: int) -> dict[str, Any]:
    """Seed ``pending`` far-future deadlines and ``DUE`` due ones; time one tick."""
    due = sized(DUE, minimum=10)
    with tempfile.TemporaryDirectory(prefix="cpbench-sched-") as tmp:
        path = Path(tmp) / "core.db"
        cp, clock = seed.open_store(path)
        try:
            started = now()
            seed.save_all(cp, _aggregates(cp, pending, due))
            clock.set(seed.START + timedelta(hours=1))
            cp.scheduler.tick()  # starts the nightly schedule; nothing else is due yet
            in_index = cp.scheduler.pending()
            seed_s = now() - started
            clock.set(seed.START + timedelta(hours=2))
            with recording_writes(cp.app) as writes:
                started = now()
                report = cp.scheduler.tick()
                seconds = now() - started
            done = sum(1 for p in report.processed if p.outcome == "done")
            assert done == due, f"{done} of {due} due items were done"
            figures = _figures(tmp, writes, seconds)
        finally:
            cp.close()
    return {
        "store": "sqlite",
        "pending": in_index - due,
        "due": due,
        "seed_s": round(seed_s, 1),
        "per_item_ms": round(seconds / due * 1000, 3),
        **figures,
    }


def _figures(tmp: str, writes: Any, seconds: float) -> dict[str, Any]:
    from bench.common import Store

    store = Store("sqlite", "", sqlite_env(Path(tmp) / "baseline.db"), Path(tmp))
    return baselines(store, writes, seconds)


def sizes() -> list[int]:
    """The sizes at the current scale."""
    return [sized(n, minimum=100) for n in SIZES]
