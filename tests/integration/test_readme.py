"""The README's CLI scenario works as written."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.integration.live_server import free_port

ROOT = Path(__file__).parents[2]


def scenario() -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(r"<!-- scenario -->\s*```sh\n(.*?)```", text, re.S)
    assert match, "the README has no scenario block"
    return match.group(1)


def test_the_readme_scenario_runs_and_ends_with_a_valid_credential(tmp_path: Path) -> None:
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    script = scenario() + "\ncare --now 2026-08-03T10:05 --json status E1 > status.json\n"

    run = subprocess.run(
        ["bash", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert run.returncode == 0, run.stderr
    status = json.loads((tmp_path / "status.json").read_text())
    assert status["credentials"][0]["state"] == "valid"
    assert status["credentials"][0]["valid_until"] == "2027-07-31"
    assert list((tmp_path / "scenario.outbox").glob("*.eml"))


def http_walkthrough() -> str:
    text = (ROOT / "README.md").read_text()
    match = re.search(r"<!-- http-walkthrough -->\s*```sh\n(.*?)```", text, re.S)
    assert match, "the README has no HTTP walk-through block"
    return match.group(1)


def test_the_readme_http_walkthrough_runs_and_ends_with_a_valid_credential(
    tmp_path: Path,
) -> None:
    bin_dir = Path(sys.executable).parent
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PORT": str(free_port()),
    }

    run = subprocess.run(
        ["bash", "-c", http_walkthrough()],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert run.returncode == 0, run.stdout + run.stderr
    status = json.loads(run.stdout.strip().splitlines()[-1])
    assert status["credentials"][0]["state"] == "valid"
    assert status["credentials"][0]["valid_until"] == "2027-07-31"
    assert "Traceback" not in (tmp_path / "serve.log").read_text()
