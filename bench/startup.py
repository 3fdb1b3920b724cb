"""Measurement 12: how long a ``carepassport`` command takes, start to exit (issue 17).

Whole processes, as a script calling the CLI sees them: ``python -c pass`` (the interpreter's
own start, the baseline), ``carepassport --help``, a read on a SQLite store (``catalog list``)
and a write on it (``catalog add``, one event). The four alternate, round after round, so all
see the same machine; each figure is the median of the rounds (with p95 and min), and its ratio
to ``python -c pass`` in the same run.

The children compile bytecode into a cache of their own (``PYTHONPYCACHEPREFIX``, warmed by a
first round that is not counted), as an installed package has it: without it every command
would compile the project's modules again, which no installation does.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import percentile, sized

ROUNDS = 10
GOALS_S = {"help": 0.25, "read": 0.45, "write": 0.6}
"""Issue 17's goals: whole-process seconds, median."""


def _commands(store: str) -> dict[str, list[str]]:
    cli = str(Path(sys.executable).with_name("carepassport"))
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "help": [cli, "--help"],
        "read": [cli, "--store", store, "--json", "catalog", "list"],
        "write": [cli, "--store", store, "--json", "catalog", "add", "{code}", "--title", "T"],
    }


def _wall(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def measure(rounds: int | None = None) -> list[dict[str, Any]]:
    rounds = rounds or sized(ROUNDS)
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "PYTHONPYCACHEPREFIX": str(Path(folder) / "pycache")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        commands = _commands(f"sqlite:///{folder}/cp.db")
        times: dict[str, list[float]] = {name: [] for name in commands}
        _wall([a.format(code="MC-FIRST") for a in commands["write"]], env)  # the store
        for number in range(rounds + 1):  # round 0 compiles the bytecode; it is not counted
            for name, argv in commands.items():
                seconds = _wall([a.format(code=f"MC-{number}") for a in argv], env)
                if number:
                    times[name].append(seconds)
    baseline = statistics.median(times["python -c pass"])
    rows = []
    for name, found in times.items():
        found.sort()
        median = statistics.median(found)
        rows.append(
            {
                "store": "-" if name in {"python -c pass", "help"} else "sqlite",
                "command": name,
                "rounds": rounds,
                "median_s": round(median, 3),
                "p95_s": percentile(found, 0.95),
                "min_s": round(found[0], 3),
                "baseline_s": round(baseline, 3),
                "ratio_to_python": round(median / baseline, 1),
                "goal_s": GOALS_S.get(name),
            }
        )
    return rows
