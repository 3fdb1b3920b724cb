"""A store written before the capability layout opens, replays and takes new work with today's
code: its events name the old flat modules, which now resolve to the moved classes."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.integration.cli_helpers import Cli

FIXTURE = Path(__file__).parents[1] / "fixtures" / "store_0_1"
READ_AT = "2026-09-01T12:00"
VIEW_TABLES = (
    "cp_deadlines",
    "cp_outbox",
    "cp_held_results",
    "cp_views_schema",
    "cp_report_employees",
    "cp_report_facts",
    "cp_report_owners",
    "tracking",
)


@pytest.fixture
def old_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """A copy of the fixture store, read through the CLI."""
    monkeypatch.chdir(tmp_path)
    for name in ("carepassport.db", "carepassport.lms.db"):
        shutil.copy(FIXTURE / name, tmp_path / name)
    cli = Cli(f"sqlite:///{tmp_path / 'carepassport.db'}")
    cli.env = {"CAREPASSPORT_MAIL": "memory://"}
    return cli


@pytest.fixture(scope="module")
def expected() -> dict[str, Any]:
    return dict(json.loads((FIXTURE / "expected.json").read_text()))


def stored_topics(cli: Cli) -> set[str]:
    with sqlite3.connect(cli.url.removeprefix("sqlite:///")) as db:
        return {row[0] for row in db.execute("SELECT DISTINCT topic FROM stored_events")}


ADDED_SINCE = {"completions", "badges"}
"""Keys read models gained after the fixture was recorded (derived from the same events: a
credential's list of completions, an employee's badges); everything else must read the same."""


def without_added(value: Any) -> Any:
    """``value`` without the keys in ``ADDED_SINCE``, at any depth."""
    if isinstance(value, dict):
        return {k: without_added(v) for k, v in value.items() if k not in ADDED_SINCE}
    if isinstance(value, list):
        return [without_added(v) for v in value]
    return value


class TestAStoreWrittenBeforeTheLayout:
    def test_its_events_name_the_old_flat_modules(self, old_store: Cli) -> None:
        modules = {topic.split(":")[0] for topic in stored_topics(old_store)}

        assert "carepassport.domain.sponsorship" in modules
        assert not any(module.count(".") > 2 for module in modules)

    def test_every_record_replays_to_the_history_and_state_it_had(
        self, old_store: Cli, expected: dict[str, Any]
    ) -> None:
        for identity, history in expected["histories"].items():
            replayed = old_store.run("history", identity, now=READ_AT)
            assert without_added(replayed) == history, identity

    def test_reports_read_the_same_as_before(
        self, old_store: Cli, expected: dict[str, Any]
    ) -> None:
        assert old_store.run("report", "compliance", "SUNNY", now=READ_AT) == expected["compliance"]
        for employee, status in expected["status"].items():
            assert without_added(old_store.run("status", employee, now=READ_AT)) == status
        for employee, requirements in expected["requirements"].items():
            assert old_store.run("requirements", employee, now=READ_AT) == requirements
        assert old_store.run("mail", "outbox", now=READ_AT) == expected["outbox"]
        assert old_store.run("settings", "show", now=READ_AT) == expected["settings"]

    def test_its_views_rebuilt_from_the_old_events_equal_the_views_it_kept(
        self, old_store: Cli, expected: dict[str, Any]
    ) -> None:
        with sqlite3.connect(old_store.url.removeprefix("sqlite:///")) as db:
            for table in VIEW_TABLES:
                db.execute(f"DROP TABLE {table}")

        assert old_store.run("report", "compliance", "SUNNY", now=READ_AT) == expected["compliance"]
        assert old_store.run("mail", "outbox", now=READ_AT) == expected["outbox"]

    def test_it_takes_new_work_recorded_under_the_new_topics(self, old_store: Cli) -> None:
        before = stored_topics(old_store)

        request = old_store.run("sponsorships", "request", "E3", "IPAC", now="2026-09-02T10:00")
        shown = old_store.run(
            "sponsorships", "show", request["sponsorship_id"], now="2026-09-02T10:01"
        )

        assert shown["status"] == "requested"
        new = stored_topics(old_store) - before
        assert "carepassport.domain.training.sponsorship:Sponsorship.SponsorshipRequested" in new
