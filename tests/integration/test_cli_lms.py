"""The CLI's LMS commands: import, sync, status, held results and student numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.cli_helpers import APPROVER, Cli

HEADER = "record_id,student_number,credential_code,attempt,score,passed,attempted_at\n"


@pytest.fixture
def enrolled(cp: Cli) -> tuple[Cli, str]:
    sid = cp.run("sponsorships", "request", "E1", "IPAC", now="2026-07-23T10:00")["sponsorship_id"]
    cp.run("sponsorships", "approve", sid, "--by", APPROVER, now="2026-07-24T15:00")
    cp.run("tick", now="2026-07-27T09:00")
    registration = cp.run("register", "E1", "IPAC", now="2026-07-27T10:00")
    return cp, registration["registration_id"]


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


class TestLmsThroughTheCli:
    def test_import_tick_and_status_show_the_published_completion(
        self, enrolled: tuple[Cli, str], tmp_path: Path
    ) -> None:
        cp, rid = enrolled
        csv = write(
            tmp_path,
            "results.csv",
            HEADER
            + (
                "R1,C0912345,IPAC,1,40,false,2026-07-30T14:00\n"
                "R2,C0912345,IPAC,2,88,true,2026-07-31T16:00\n"
            ),
        )

        staged = cp.run("lms", "import", csv, now="2026-07-31T20:00")
        cp.run("tick", now="2026-08-03T10:00")
        status = cp.run("status", "E1", now="2026-08-03T10:05")
        shown = cp.run("registrations", "show", rid, now="2026-08-03T10:05")

        assert staged["staged"] == 2
        assert status["employee_id"] == "E1"
        assert status["credentials"] == [
            {
                "code": "IPAC",
                "state": "valid",
                "registration_id": rid,
                "completed_at": "2026-07-31T16:00:00-04:00",
                "recorded_at": "2026-08-01T00:00:00-04:00",
                "published_at": "2026-08-03T10:00:00-04:00",
                "valid_until": "2027-07-31",
            }
        ]
        assert shown["status"] == "passed"
        assert [a["passed"] for a in shown["attempts"]] == [False, True]

    def test_a_bad_csv_is_refused_with_every_bad_line_and_stages_nothing(
        self, enrolled: tuple[Cli, str], tmp_path: Path
    ) -> None:
        cp, _ = enrolled
        csv = write(
            tmp_path,
            "bad.csv",
            HEADER
            + (
                "R1,C0912345,IPAC,1,40,false,2026-07-30T14:00\n"
                "R2,C0912345,IPAC,9,88,true,2026-07-31T16:00\n"
                "R3,C0912345,XYZ,1,88,true,2026-07-31T16:00\n"
            ),
        )

        result = cp.run("lms", "import", csv, now="2026-07-31T20:00", ok=False)
        synced = cp.run("lms", "sync", now="2026-07-31T21:00")

        error = json.loads(result.stderr)
        assert result.exit_code == 1
        assert error["error"] == "invalid_csv"
        assert [p["line"] for p in error["problems"]] == [3, 4]
        assert synced["counted"] == 0 and synced["kind"] == "manual"

    def test_held_results_are_listed_and_applied_when_the_number_is_corrected(
        self, enrolled: tuple[Cli, str], tmp_path: Path
    ) -> None:
        cp, _ = enrolled
        csv = write(
            tmp_path, "results.csv", HEADER + ("R1,C0000000,IPAC,1,88,true,2026-07-30T14:00\n")
        )
        cp.run("lms", "import", csv, now="2026-07-30T20:00")
        cp.run("tick", now="2026-07-31T00:00")

        held = cp.run("completions", "unmatched", now="2026-07-31T08:00")
        cp.run("employees", "set-student-number", "E1", "C0000000", now="2026-07-31T08:00")
        after = cp.run("completions", "unmatched", now="2026-07-31T08:05")
        status = cp.run("status", "E1", now="2026-07-31T08:05")

        assert [(h["record_id"], h["student_number"]) for h in held] == [("R1", "C0000000")]
        assert after == []
        assert status["credentials"][0]["state"] == "pending_publication"
        assert status["credentials"][0]["recorded_at"] == "2026-07-31T08:00:00-04:00"

    def test_a_file_that_is_not_utf8_is_a_usage_error(
        self, enrolled: tuple[Cli, str], tmp_path: Path
    ) -> None:
        cp, _ = enrolled
        path = tmp_path / "binary.csv"
        path.write_bytes(b"\xff\xfe\x00garbage")

        result = cp.run("lms", "import", str(path), now="2026-07-31T20:00", ok=False)

        assert result.exit_code == 2
        assert "UTF-8" in result.stderr
