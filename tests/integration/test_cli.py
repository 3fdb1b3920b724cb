"""The CLI contract: global options, JSON keys, refusals that exit non-zero and record nothing."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from carepassport.entrypoints.cli import cli
from tests.integration.cli_helpers import APPROVER, Cli


class TestWorkflowThroughTheCli:
    def test_request_approve_tick_register_show(self, cp: Cli) -> None:
        requested = cp.run("sponsorships", "request", "E1", "IPAC", "WHMIS", now="2026-04-01T10:00")
        sid = requested["sponsorship_id"]
        approved = cp.run("sponsorships", "approve", sid, "--by", APPROVER, now="2026-04-02T15:00")
        ticked = cp.run("tick", now="2026-04-06T09:00")
        registered = cp.run("register", "E1", "IPAC", now="2026-04-06T13:30")
        shown = cp.run(
            "registrations", "show", registered["registration_id"], now="2026-04-06T16:00"
        )
        sponsorship = cp.run("sponsorships", "show", sid, now="2026-04-06T16:00")

        assert requested["status"] == "requested"
        assert approved["status"] == "approved"
        assert approved["self_registration_at"] == "2026-04-06T09:00:00-04:00"
        assert [p["action"] for p in ticked["processed"]] == ["enable_self_registration"]
        assert registered["access_from"] == "2026-04-06T15:30:00-04:00"
        assert registered["access_until"] == "2026-04-20T23:59:59-04:00"
        assert registered["fee_payer"] == "employer"
        assert shown["status"] == "registered"
        assert {k: sponsorship[k] for k in ("employee_id", "status", "credentials")} == {
            "employee_id": "E1",
            "status": "enabled",
            "credentials": ["IPAC", "WHMIS"],
        }
        assert sponsorship["approved_at"] == "2026-04-02T15:00:00-04:00"

    def test_mail_outbox_lists_messages_with_their_kind_and_writes_eml_files(self, cp: Cli) -> None:
        cp.run("sponsorships", "request", "E1", "IPAC", now="2026-04-01T10:00")

        outbox = cp.run("mail", "outbox", "--to", APPROVER)

        assert [m["kind"] for m in outbox] == ["approval_request"]
        assert {"to", "subject", "body", "sent_at", "kind"} <= set(outbox[0])
        assert outbox[0]["sent_at"] == "2026-04-01T10:00:00-04:00"
        files = list(cp.outbox.glob("*.eml"))
        assert len(files) == 1 and APPROVER in files[0].read_text()

    def test_history_shows_business_and_recording_times_and_state_as_of(self, cp: Cli) -> None:
        sid = cp.run("sponsorships", "request", "E1", "IPAC", now="2026-04-01T10:00")[
            "sponsorship_id"
        ]
        cp.run("sponsorships", "approve", sid, "--by", APPROVER, now="2026-04-02T15:00")
        cp.run("tick", now="2026-04-07T08:00")

        full = cp.run("history", sid, now="2026-04-08T00:00")
        then = cp.run("history", sid, "--as-of", "2026-04-02T12:00", now="2026-04-08T00:00")

        assert [e["type"] for e in full["events"]] == [
            "SponsorshipRequested",
            "ApprovalGranted",
            "SelfRegistrationEnabled",
        ]
        enabled = full["events"][2]
        assert enabled["business_time"] == "2026-04-06T09:00:00-04:00"
        assert enabled["recorded_at"] == "2026-04-07T08:00:00-04:00"
        assert [e["type"] for e in then["events"]] == ["SponsorshipRequested"]
        assert then["state"]["status"] == "requested"

    def test_settings_set_and_show(self, cp: Cli) -> None:
        cp.run("settings", "set", "optional_holidays", "on", now="2026-04-01T10:00")
        shown = cp.run("settings", "show")

        assert shown["optional_holidays"] is True
        assert "+easter_monday+civic_holiday" in shown["calendar_id"]

    def test_catalog_list_shows_every_entry_with_its_defaults(self, cp: Cli) -> None:
        listed = cp.run("catalog", "list")

        assert [
            (e["code"], e["validity_days"], e["access_days"], e["max_attempts"]) for e in listed
        ] == [("IPAC", 365, 14, 2), ("WHMIS", 365, 14, 2)]


class TestRefusals:
    @pytest.mark.parametrize(
        "args",
        [
            ("sponsorships", "request", "NOBODY", "IPAC"),
            ("sponsorships", "request", "E1", "NOPE"),
            ("register", "E1", "IPAC"),
            ("employees", "add", "E9", "--employer", "NONE", "--email", "x@example.org"),
            ("settings", "set", "colour", "blue"),
        ],
        ids=[
            "unknown-employee",
            "unknown-credential",
            "register-unsponsored",
            "employee-of-unknown-employer",
            "unknown-setting",
        ],
    )
    def test_refused_command_exits_non_zero_with_a_reason_and_records_nothing(
        self, cp: Cli, args: tuple[str, ...]
    ) -> None:
        before = cp.events()

        result = cp.run(*args, now="2026-04-01T10:00", ok=False)

        assert result.exit_code == 1
        assert json.loads(result.stderr)["message"]
        assert result.stdout == ""
        assert cp.events() == before

    def test_approval_by_a_non_approver_is_refused_and_records_nothing(self, cp: Cli) -> None:
        sid = cp.run("sponsorships", "request", "E1", "IPAC", now="2026-04-01T10:00")[
            "sponsorship_id"
        ]
        before = cp.events()

        result = cp.run(
            "sponsorships",
            "approve",
            sid,
            "--by",
            "pat@example.org",
            now="2026-04-02T10:00",
            ok=False,
        )

        assert result.exit_code == 1
        assert json.loads(result.stderr)["error"] == "not_an_approver"
        assert cp.events() == before

    @pytest.mark.parametrize("bad", ["yesterday", "2026-13-01T00:00", "2026-04-01 25:00"])
    def test_malformed_now_is_a_usage_error_and_records_nothing(self, cp: Cli, bad: str) -> None:
        before = cp.events()

        result = cp.run("sponsorships", "request", "E1", "IPAC", now=bad, ok=False)

        assert result.exit_code == 2
        assert "--now" in result.stderr
        assert cp.events() == before

    def test_now_earlier_than_the_latest_event_is_refused_for_writes(self, cp: Cli) -> None:
        before = cp.events()

        result = cp.run("sponsorships", "request", "E1", "IPAC", now="2026-03-01T10:00", ok=False)

        assert result.exit_code == 1
        assert json.loads(result.stderr)["error"] == "clock_went_backwards"
        assert cp.events() == before

    def test_text_mode_prints_the_reason_on_stderr(self, cp: Cli) -> None:
        result = cp.runner.invoke(cli, ["--store", cp.url, "register", "E1", "IPAC"])

        assert result.exit_code == 1
        assert result.stderr.startswith("error: no approved sponsorship covers IPAC")


class TestConsoleScript:
    def test_installed_console_script_runs_the_demo(self) -> None:
        executable = shutil.which("carepassport") or str(
            Path(__file__).parents[2] / ".venv" / "bin" / "carepassport"
        )

        result = subprocess.run(
            [executable, "--json", "demo"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

        assert result.returncode == 0, result.stderr
        timeline = json.loads(result.stdout)
        assert any("enable_self_registration" in line["what"] for line in timeline)
        assert any("registers in IPAC" in line["what"] for line in timeline)


class TestOddInput:
    @pytest.mark.parametrize(
        "args",
        [
            ("catalog", "add", "F", "--title", "F", "--fee", "1e30"),
            ("catalog", "add", "F", "--title", "F", "--fee", "NaN"),
            ("catalog", "add", "F", "--title", "F", "--access-days", "999999999"),
            ("catalog", "add", "F", "--title", "F", "--max-attempts", "3"),
            ("catalog", "add", "F", "--title", "   "),
            ("catalog", "add", "bad code!", "--title", "F"),
            ("employers", "add", "X", "--name", "X", "--approver", "not-an-address"),
            (
                "employers",
                "add",
                "X",
                "--name",
                "X",
                "--approver",
                "a@b.example",
                "--retakes-covered",
                "-1",
            ),
            ("sponsorships", "show", "not-a-uuid"),
            ("history", "00000000-0000-0000-0000-000000000000"),
        ],
        ids=[
            "huge-fee",
            "nan-fee",
            "huge-access-days",
            "three-attempts",
            "blank-title",
            "bad-code",
            "bad-email",
            "negative-retakes",
            "bad-id",
            "unknown-id",
        ],
    )
    def test_bad_values_are_refused_with_a_reason_not_a_traceback(
        self, cp: Cli, args: tuple[str, ...]
    ) -> None:
        before = cp.events()

        result = cp.run(*args, now="2026-04-01T10:00", ok=False)

        assert result.exit_code == 1, result.output
        assert "Traceback" not in result.stderr
        assert json.loads(result.stderr)["message"]
        assert cp.events() == before

    @pytest.mark.parametrize(
        ("now", "says"),
        [
            ("", "ISO-8601"),
            ("2026-03-08T02:30", "does not exist"),
            ("2026-11-01T01:30", "happens twice"),
        ],
        ids=["empty", "skipped-by-dst", "repeated-by-dst"],
    )
    def test_a_now_that_names_no_single_instant_is_a_usage_error(
        self, cp: Cli, now: str, says: str
    ) -> None:
        before = cp.events()

        result = cp.runner.invoke(cli, ["--store", cp.url, "--now", now, "tick"])

        assert result.exit_code == 2
        assert says in result.stderr
        assert cp.events() == before

    def test_a_read_on_a_store_that_does_not_exist_is_refused_and_creates_nothing(
        self, tmp_path: Path
    ) -> None:
        missing = tmp_path / "nowhere" / "cp.db"

        result = CliRunner().invoke(cli, ["--store", f"sqlite:///{missing}", "catalog", "list"])

        assert result.exit_code == 1
        assert "no store" in result.stderr
        assert not missing.parent.exists()

    def test_a_store_path_that_is_a_folder_is_refused(self, tmp_path: Path) -> None:
        result = CliRunner().invoke(
            cli, ["--store", f"sqlite:///{tmp_path}", "catalog", "add", "X", "--title", "X"]
        )

        assert result.exit_code == 1
        assert "names no database file" in result.stderr

    def test_a_file_that_is_not_a_database_is_refused(self, tmp_path: Path) -> None:
        junk = tmp_path / "junk.db"
        junk.write_text("this is not a database" * 100)

        result = CliRunner().invoke(
            cli, ["--store", f"sqlite:///{junk}", "catalog", "add", "X", "--title", "X"]
        )

        assert result.exit_code == 1
        assert "Traceback" not in result.stderr and result.stderr.startswith("error:")
