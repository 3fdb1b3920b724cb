"""Profiles of the measured paths with pyinstrument (dev extra), for docs/benchmarks.md.

``python -m bench.profiling workflow|sync|sync-postgresql|replay [SIZE]`` prints
pyinstrument's call tree of the measured part only (seeding is left out). (The sync
optimisation branch has its own ``bench/profile_sync.py``; this is the suite's.)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from pyinstrument import Profiler

from bench import replay, sync, workflow
from bench.common import postgres_schema
from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.bootstrap import bootstrap
from carepassport.domain.training.lms import LmsSync


def _print(profiler: Profiler) -> None:
    print(profiler.output_text(unicode=False, color=False, show_all=False))


def profile_workflow(flows: int) -> None:
    """The workflow on a SQLite file."""
    with tempfile.TemporaryDirectory() as tmp:
        profiler = Profiler(interval=0.0005)
        profiler.start()
        workflow.run_flows(f"sqlite:///{Path(tmp) / 'core.db'}", flows)
        profiler.stop()
    _print(profiler)


def profile_sync(results: int, store: str = "sqlite") -> None:
    """The midnight sync on a seeded SQLite file or PostgreSQL schema."""
    if store == "postgresql":
        with postgres_schema("cpbench_profile") as (_, url):
            sync.seed_store(url, results)
            _profile_sync(url)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "core.db"
        sync.seed_store(str(path), results)
        _profile_sync(f"sqlite:///{path}")


def _profile_sync(url: str) -> None:
    cp = bootstrap(url, clock=SettableClock(sync.MIDNIGHT), mailer=InMemoryMailer())
    try:
        profiler = Profiler(interval=0.001)
        profiler.start()
        with cp.outbox.deferred():  # as a scheduler tick runs it: mail after the work
            cp.sync.run_midnight(LmsSync.identity(), sync.MIDNIGHT)
        profiler.stop()
    finally:
        cp.close()
    _print(profiler)


def profile_replay(events: int) -> None:
    """The compliance read model's rebuild."""
    original: Any = replay._replay

    def profiled(cp: Any, path: Path, total: int) -> dict[str, Any]:
        profiler = Profiler(interval=0.001)
        profiler.start()
        cp.reports.rebuild()
        profiler.stop()
        _print(profiler)
        return dict(original(cp, path, total))

    replay._replay = profiled
    replay.measure(events)


def main(argv: list[str]) -> None:
    """Profile one path."""
    what = argv[0]
    size = int(argv[1]) if len(argv) > 1 else 0
    if what == "workflow":
        profile_workflow(size or 100)
    elif what == "sync":
        profile_sync(size or 10_000)
    elif what == "sync-postgresql":
        profile_sync(size or 10_000, "postgresql")
    elif what == "replay":
        profile_replay(size or 100_000)
    else:
        raise SystemExit(f"unknown path {what!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
