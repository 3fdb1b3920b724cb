"""Running the CLI as separate invocations against one durable store (SQLite or PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner

from carepassport.bootstrap import store_config
from carepassport.entrypoints.cli import cli
from tests.stores import RawStore

APPROVER = "boss@sunny.example"


class Cli:
    """Runs the CLI against one store, as separate invocations would."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.outbox = Path.cwd() / (store_config(url).outbox_folder or "")
        self.runner = CliRunner()
        self.env: dict[str, str] = {}
        """Environment variables for every invocation (e.g. CAREPASSPORT_MAIL)."""

    def run(self, *args: str, now: str | None = None, ok: bool = True) -> Any:
        options = ["--store", self.url, "--json"]
        if now:
            options += ["--now", now]
        result = self.runner.invoke(cli, [*options, *args], env=self.env)
        if ok:
            assert result.exit_code == 0, result.output + result.stderr
            return json.loads(result.stdout)
        return result

    def events(self) -> int:
        """How many events the store holds (0 where nothing was ever recorded)."""
        raw = RawStore(self.url)
        if raw.kind == "sqlite" and not Path(self.url.removeprefix("sqlite:///")).exists():
            return 0
        try:
            return int(raw.execute(f"SELECT COUNT(*) FROM {raw.events_table}")[0][0])
        except psycopg.errors.UndefinedTable:
            return 0


@pytest.fixture(params=["sqlite", "postgresql"])
def cp(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """The CLI on a store holding a catalogue, an employer and an employee; run from a
    scratch folder (where a PostgreSQL store's mail folder goes)."""
    monkeypatch.chdir(tmp_path)
    if request.param == "postgresql":
        c = Cli(request.getfixturevalue("postgres_url"))
    else:
        c = Cli(f"sqlite:///{tmp_path / 'cp.db'}")
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
