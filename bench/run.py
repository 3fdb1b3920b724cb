"""``make bench``: run every measurement, write ``bench/results.json``, print the table.

``BENCH_SCALE`` (default 1) shrinks every size for a smoke run; ``--only NAME`` runs a subset
(workflow, sync, scheduler, replay, status). A measurement that cannot run (PostgreSQL down) is
reported as skipped with the reason; one that fails is reported with its error, and the run
exits non-zero.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import common, sync, workflow

RESULTS = Path(__file__).with_name("results.json")


def machine() -> dict[str, Any]:
    """The machine the figures were measured on."""
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split()[1])
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory": memory,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def run_workflow(results: dict[str, Any]) -> None:
    """Measurement 1 on every store."""
    problem = common.postgres_problem()
    rows = results["measurements"].setdefault("workflow", [])
    workflow.measure("memory", 2)  # warm-up: imports and first-call costs stay out of the figures
    for kind in common.STORES:
        if kind == "postgresql" and problem:
            results["skipped"].append({"measurement": "workflow", "store": kind, "why": problem})
            continue
        for flows in workflow.SIZES:
            row = workflow.measure(kind, common.sized(flows))
            rows.append(row)
            print(
                f"  workflow {kind:<10} {row['flows']:>5} flows {row['events_per_s']:>9.0f} ev/s"
                f"  ratio A {row['ratio_a']:.2f}",
                flush=True,
            )


def run_sync(results: dict[str, Any]) -> None:
    """Measurement 2 on a SQLite file, each size in fresh processes."""
    rows = results["measurements"].setdefault("sync", [])
    for size in sync.sizes():
        row = sync.measure(size)
        rows.append(row)
        print(
            f"  sync {row['results']:>7} results {row['seconds']:>7.1f} s "
            f"{row['events_per_s']:>8.0f} ev/s  ratio A {row['ratio_a']:.2f}  "
            f"peak {row['peak_rss_mib']:.0f} MiB",
            flush=True,
        )


MEASUREMENTS: dict[str, Callable[[dict[str, Any]], None]] = {
    "workflow": run_workflow,
    "sync": run_sync,
}


def table(results: dict[str, Any]) -> str:
    """The results as a fixed-width table."""
    lines = [
        f"{'measurement':<11} {'store':<10} {'size':>9} {'figure':>14} {'baseline A':>13} "
        f"{'baseline B':>13} {'ratio A':>8} {'ratio B':>8}  note",
    ]
    for name, rows in results["measurements"].items():
        for row in rows:
            lines.append(
                f"{name:<11} {row['store']:<10} {row['size']:>9} "
                f"{row['figure']:>14} {row['baseline_a']:>13} {row['baseline_b']:>13} "
                f"{row['ratio_a']:>8.3f} {row['ratio_b']:>8.3f}  {row.get('note', '')}"
            )
    for skipped in results["skipped"]:
        lines.append(f"SKIPPED {skipped['measurement']} on {skipped['store']}: {skipped['why']}")
    for failed in results["errors"]:
        lines.append(f"FAILED {failed['measurement']}: {failed['error']}")
    return "\n".join(lines)


def normalise(results: dict[str, Any]) -> None:
    """Give every row the table's columns (size, figure, baseline A/B) from its own keys."""
    for name, rows in results["measurements"].items():
        for row in rows:
            if name == "workflow":
                row.setdefault("size", f"{row['flows']} fl")
                row.setdefault("figure", f"{row['events_per_s']:.0f} ev/s")
                row.setdefault("baseline_a", f"{row['baseline_a_events_per_s']:.0f} ev/s")
                row.setdefault("baseline_b", f"{row['baseline_b_events_per_s']:.0f} ev/s")
            elif name == "sync":
                row.setdefault("size", f"{row['results']} res")
                row.setdefault("figure", f"{row['seconds']:.1f}s {row['events_per_s']:.0f}/s")
                row.setdefault("baseline_a", f"{row['baseline_a_events_per_s']:.0f} ev/s")
                row.setdefault("baseline_b", f"{row['baseline_b_events_per_s']:.0f} ev/s")
                row.setdefault("note", f"peak RSS {row['peak_rss_mib']:.0f} MiB")


def main(argv: list[str] | None = None) -> int:
    """Run the chosen measurements and write the results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", action="append", choices=sorted(MEASUREMENTS))
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    chosen = args.only or list(MEASUREMENTS)
    results: dict[str, Any] = {
        "scale": common.scale(),
        "machine": machine(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "measurements": {},
        "skipped": [],
        "errors": [],
        "durations_s": {},
    }
    problem = common.postgres_problem()
    if problem:
        print(f"WARNING: {problem}; PostgreSQL measurements are skipped", file=sys.stderr)
    for name in chosen:
        print(f"{name} ...", flush=True)
        started = time.perf_counter()
        try:
            MEASUREMENTS[name](results)
        except Exception as error:  # reported, and the run fails at the end
            traceback.print_exc()
            results["errors"].append({"measurement": name, "error": repr(error)})
        results["durations_s"][name] = round(time.perf_counter() - started, 1)
    normalise(results)
    args.output.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(table(results))
    print(f"written {args.output}; took {sum(results['durations_s'].values()):.0f} s")
    return 1 if results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
