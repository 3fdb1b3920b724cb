"""Running the CLI as separate invocations against one SQLite file."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from carepassport.entrypoints.cli import cli

APPROVER = "boss@sunny.example"


class Cli:
    """Runs the CLI against one SQLite file, as separate invocations would."""

    def __init__(self, store: Path) -> None:
        self.store = store
        self.runner = CliRunner()
        self.env: dict[str, str] = {}
        """Environment variables for every invocation (e.g. CAREPASSPORT_MAIL)."""

    def run(self, *args: str, now: str | None = None, ok: bool = True) -> Any:
        options = ["--store", f"sqlite:///{self.store}", "--json"]
        if now:
            options += ["--now", now]
        result = self.runner.invoke(cli, [*options, *args], env=self.env)
        if ok:
            assert result.exit_code == 0, result.output + result.stderr
            return json.loads(result.stdout)
        return result

    def events(self) -> int:
        if not self.store.exists():
            return 0
        with sqlite3.connect(self.store) as db:
            return int(db.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0])


@pytest.fixture
def cp(tmp_path: Path) -> Cli:
    c = Cli(tmp_path / "cp.db")
    c.run(
        "catalog",
        "add",
        "IPAC",
        "--title",
        "Infection Prevention",
        "--fee",
        "125",
        now="2026-03-30T09:00",
    )
    c.run("catalog", "add", "WHMIS", "--title", "WHMIS", now="2026-03-30T09:00")
    c.run(
        "employers",
        "add",
        "SUNNY",
        "--name",
        "Sunny LTC",
        "--approver",
        APPROVER,
        "--retakes-covered",
        "1",
        now="2026-03-30T09:00",
    )
    c.run(
        "employees",
        "add",
        "E1",
        "--employer",
        "SUNNY",
        "--email",
        "pat@example.org",
        "--student-number",
        "C0912345",
        "--job-function",
        "PSW",
        now="2026-03-30T09:00",
    )
    return c
