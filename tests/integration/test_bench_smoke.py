"""The benchmark suite (``make bench``, issue 7) still runs: a smoke run at a tiny BENCH_SCALE."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parents[2]
MEASUREMENTS = ("workflow", "sync", "scheduler", "replay", "status")


def smoke_run(tmp_path: Path) -> dict[str, Any]:
    output = tmp_path / "results.json"
    run = subprocess.run(
        [sys.executable, "-m", "bench.run", "--output", str(output)],
        cwd=ROOT,
        env={**os.environ, "BENCH_SCALE": "0.005"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    results: dict[str, Any] = json.loads(output.read_text())
    return results


def test_a_smoke_run_reports_every_measurement_beside_both_baselines(tmp_path: Path) -> None:
    results = smoke_run(tmp_path)

    measured = results["measurements"]
    assert set(measured) == set(MEASUREMENTS)
    for name in MEASUREMENTS:
        for store in {row["store"] for row in measured[name]}:
            sizes = [row for row in measured[name] if row["store"] == store]
            assert len(sizes) == 3, f"{name} on {store} is not measured at three sizes"
        for row in measured[name]:
            for key in ("baseline_a", "baseline_b", "ratio_a", "ratio_b", "figure", "size"):
                assert key in row, f"{name} row lacks {key}: {row}"
            assert row["ratio_a"] > 0 and row["ratio_b"] > 0
    stores = {row["store"] for row in measured["workflow"]}
    skipped = {s["store"] for s in results["skipped"]}
    assert stores | skipped == {"memory", "sqlite", "postgresql"}
    assert results["goals"] and all("met" in goal for goal in results["goals"])
    assert results["errors"] == []
