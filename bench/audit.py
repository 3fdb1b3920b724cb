"""Measurement 9 (audit): ``audit verify`` over a store of N events beside the floor (the same
rows read with plain SQL and hashed into the same tree with ``hashlib`` alone), and an
incremental checkpoint after 1,000 new events on that store.

The store is seeded as for the replay (seven events an employee, saved in big batches); the
tree is built by a first checkpoint before anything is timed.
"""

from __future__ import annotations

import hashlib
import sqlite3
import statistics
import struct
import tempfile
from contextlib import closing
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from bench import seed
from bench.common import now, sized
from carepassport.audit.merkle import LEAF_FORMAT

SIZE = 1_000_000
NEW_EVENTS = 1_000
ROUNDS = 5
"""Incremental checkpoints timed (median), each after ``NEW_EVENTS`` new events."""


def floor_root(path: Path) -> tuple[int, bytes]:
    """Baseline: the rows fetched with plain SQL and hashed into the RFC 9162 root with
    ``hashlib`` alone (the same leaf bytes, a bottom-up tree)."""
    sha = hashlib.sha256
    hashes: list[bytes] = []
    with closing(sqlite3.connect(path)) as db:
        for rowid, originator, version, topic, state in db.execute(
            "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
            "ORDER BY rowid"
        ):
            name = topic.encode()
            data = b"".join(
                (
                    LEAF_FORMAT,
                    struct.pack(">QQ", rowid, version),
                    UUID(originator).bytes,
                    struct.pack(">I", len(name)),
                    name,
                    struct.pack(">Q", len(state)),
                    state,
                )
            )
            hashes.append(sha(b"\x00" + data).digest())
    count, level = len(hashes), hashes
    while len(level) > 1:
        paired = [
            sha(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)
        ]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return count, level[0] if level else sha(b"").digest()


def measure() -> dict[str, Any]:
    events = sized(SIZE, minimum=500)
    employees = max(2, events // 7)  # seven events an employee
    with tempfile.TemporaryDirectory(prefix="cpbench-audit-") as tmp:
        path = Path(tmp) / "core.db"
        cp, clock = seed.open_store(path)
        try:
            seed.save_all(cp, seed.registered_employees(cp, employees))
            clock.set(seed.START + timedelta(days=3))
            started = now()
            first = cp.audit.checkpoint()
            build_s = now() - started
            started = now()
            report = cp.audit.verify()
            verify_s = now() - started
            started = now()
            count, root = floor_root(path)
            floor_s = now() - started
            assert report.verified and count == report.size and root.hex() == report.root
            incremental = []
            for round_ in range(ROUNDS):
                first_new = employees + round_ * NEW_EVENTS
                more = range(first_new, first_new + NEW_EVENTS // 2)  # two events an employee
                seed.save_all(cp, (a for n in more for a in seed.employee(cp, n, seed.START)))
                started = now()
                cp.audit.checkpoint()
                incremental.append(now() - started)
        finally:
            cp.close()
    return {
        "store": "sqlite",
        "events": report.size,
        "first_checkpoint_s": round(build_s, 2),
        "verify_s": round(verify_s, 2),
        "floor_s": round(floor_s, 2),
        "ratio_a": round(floor_s / verify_s, 3),
        "checkpoint_after_new_ms": round(statistics.median(incremental) * 1000, 1),
        "new_events": NEW_EVENTS,
        "first_size": first.size,
    }
