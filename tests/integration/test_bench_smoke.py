"""The benchmark suite (``make bench``, issue 7) still runs: a smoke run at a tiny BENCH_SCALE."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parents[2]
MEASUREMENTS = ("workflow", "sync", "scheduler", "replay", "status", "http")
"""The measurements at three sizes beside two baselines (badges has its own shape)."""


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One smoke run of every measurement, shared by the tests of this module."""
    return smoke_run(tmp_path_factory.mktemp("bench"))


def smoke_run(tmp_path: Path) -> dict[str, Any]:
    output = tmp_path / "results.json"
    run = subprocess.run(
        [sys.executable, "-m", "bench.run", "--output", str(output)],
        cwd=ROOT,
        env={**os.environ, "BENCH_SCALE": "0.005"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    results: dict[str, Any] = json.loads(output.read_text())
    return results


def test_a_smoke_run_reports_every_measurement_beside_both_baselines(
    results: dict[str, Any],
) -> None:
    measured = results["measurements"]
    others = {"badges", "matching", "audit", "privacy", "startup", "portal", "processes"}
    assert set(measured) == {*MEASUREMENTS, *others}
    for name in MEASUREMENTS:
        for kind in {(row["store"], row.get("request")) for row in measured[name]}:
            sizes = [row for row in measured[name] if (row["store"], row.get("request")) == kind]
            assert len(sizes) == 3, f"{name} {kind} is not measured at three sizes"
        for row in measured[name]:
            for key in ("baseline_a", "baseline_b", "ratio_a", "ratio_b", "figure", "size"):
                assert key in row, f"{name} row lacks {key}: {row}"
            assert row["ratio_a"] > 0 and row["ratio_b"] > 0
    stores = {row["store"] for row in measured["workflow"]}
    skipped = {s["store"] for s in results["skipped"]}
    assert stores | skipped == {"memory", "sqlite", "postgresql"}
    assert results["goals"] and all("met" in goal for goal in results["goals"])
    assert results["errors"] == []


def test_badges_are_measured_beside_the_pyld_and_cryptography_floor(
    results: dict[str, Any],
) -> None:
    proofs = [row for row in results["measurements"]["badges"] if "credentials" in row]
    (publications,) = [row for row in results["measurements"]["badges"] if "publications" in row]

    assert len(proofs) == 2
    for row in proofs:
        assert row["sign_ratio"] > 0 and row["verify_ratio"] > 0
    assert publications["ratio_with_without"] > 0
    goals = [g["goal"] for g in results["goals"] if g["goal"].startswith("badges")]
    assert len(goals) == 5


def test_start_up_is_measured_beside_python_itself_against_the_three_goals(
    results: dict[str, Any],
) -> None:
    rows = {row["command"]: row for row in results["measurements"]["startup"]}
    goals = [g["goal"] for g in results["goals"] if g["goal"].startswith("carepassport ")]

    assert set(rows) == {"python -c pass", "help", "read", "write"}
    assert all(row["ratio_to_python"] > 0 for row in rows.values())
    assert len(goals) == 3


def test_api_processes_are_measured_at_1_2_and_4_with_the_mail_latency(
    results: dict[str, Any],
) -> None:
    rows = results["measurements"]["processes"]
    runs = [row for row in rows if "processes" in row]
    (mail,) = [row["mail_latency"] for row in rows if "mail_latency" in row]
    goals = [g["goal"] for g in results["goals"] if g["goal"].startswith("mail handed to SMTP")]

    assert [row["processes"] for row in runs] == [1, 2, 4]
    assert runs[0]["scaling"] == 1.0
    assert all(row["commands_per_s"] > 0 and row["api_cpu_s"] > 0 for row in runs)
    assert 0 < mail["p50_s"] <= mail["max_s"]
    assert len(goals) == 1


def test_the_http_api_is_measured_beside_the_direct_calls(results: dict[str, Any]) -> None:
    rows = results["measurements"]["http"]
    reads = [row for row in rows if row["request"] == "GET status"]
    posts = [row for row in rows if row["request"] == "POST sponsorships"]
    assert [row["employees"] for row in reads] == [row["employees"] for row in posts]
    assert len({row["employees"] for row in reads}) == 3
    for row in reads:
        assert row["samples"] >= 20
        assert row["direct_p50_ms"] > 0 and 0 < row["floor_p50_ms"] <= row["p99_ms"]
        assert row["overhead_p50_ms"] == pytest.approx(
            row["p50_ms"] - row["direct_p50_ms"], abs=2e-3
        )
    for row in posts:
        assert row["requests"] >= 10
        assert row["requests_per_s"] > 0 and row["direct_requests_per_s"] > 0
    goals = [goal["goal"] for goal in results["goals"]]
    assert sum(goal.startswith("HTTP status read p50 within 2 ms") for goal in goals) == 3
    assert any(goal.startswith("HTTP status read p50 flat") for goal in goals)


def test_matching_is_measured_beside_the_anchors_and_checked_against_the_reference(
    results: dict[str, Any],
) -> None:
    row, post = results["measurements"]["matching"]

    assert row["all_s"] > 0 and row["post_ms"] > 0 and row["change_ms"] > 0
    assert post["post_s"] > 0 and post["recorded"] > 0 and post["read_floor_s"] > 0
    assert row["top50_equal"] is True
    goals = [g["goal"] for g in results["goals"] if g["goal"].startswith("matching")]
    assert len(goals) == 5


def test_the_audit_log_is_measured_beside_the_hashlib_floor(results: dict[str, Any]) -> None:
    (row,) = results["measurements"]["audit"]

    assert row["verify_s"] > 0 and row["floor_s"] > 0 and row["ratio_a"] > 0
    assert row["checkpoint_after_new_ms"] > 0 and row["new_events"] == 1000
    goals = [g["goal"] for g in results["goals"] if g["goal"].startswith(("audit", "checkpoint"))]
    assert len(goals) == 2


def test_sealing_is_measured_beside_the_same_workflow_without(results: dict[str, Any]) -> None:
    (row,) = results["measurements"]["privacy"]

    assert row["sealed_s"] > 0 and row["plain_s"] > 0 and row["ratio_a"] > 0
    goals = [g["goal"] for g in results["goals"] if "sealed" in g["goal"]]
    assert len(goals) == 1


def test_the_portal_page_is_measured_beside_the_json_route_against_both_goals(
    results: dict[str, Any],
) -> None:
    (row,) = results["measurements"]["portal"]
    goals = [g["goal"] for g in results["goals"] if g["goal"].startswith("portal ")]

    assert row["lines"] == 4 * row["employees"] and row["samples"] >= 20
    assert row["p95_ms"] > 0 and row["json_p95_ms"] > 0 and row["ratio_p95"] > 0
    assert len(goals) == 2
