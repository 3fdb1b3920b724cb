"""The CLI's compliance commands: job functions, requirements, credentials, reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from carepassport.entrypoints.cli import cli
from tests.integration.cli_helpers import APPROVER, Cli

HEADER = "record_id,student_number,credential_code,attempt,score,passed,attempted_at\n"


@pytest.fixture
def staffed(cp: Cli, tmp_path: Path) -> Cli:
    """PSW requires IPAC and WHMIS; E1 is a PSW who passed IPAC on 2026-07-31."""
    cp.run(
        "jobfunctions",
        "add",
        "PSW",
        "--requires",
        "IPAC",
        "--requires",
        "WHMIS",
        now="2026-07-01T09:00",
    )
    cp.run("employees", "assign-job-function", "E1", "PSW", now="2026-07-01T09:00")
    cp.run("register", "E1", "IPAC", "--self-pay", now="2026-07-27T10:00")
    csv = tmp_path / "r.csv"
    csv.write_text(HEADER + "R1,C0912345,IPAC,1,90,true,2026-07-31T16:00\n")
    cp.run("lms", "import", str(csv), now="2026-07-31T20:00")
    cp.run("tick", now="2026-08-03T10:00")
    return cp


class TestComplianceThroughTheCli:
    def test_requirements_show_each_code_with_its_state_and_validity(self, staffed: Cli) -> None:
        listing = staffed.run("requirements", "E1", now="2026-08-03T11:00")

        assert listing["employee_id"] == "E1"
        assert [(r["code"], r["state"], r["valid_until"]) for r in listing["requirements"]] == [
            ("IPAC", "valid", "2027-07-31"),
            ("WHMIS", "never_completed", None),
        ]

    def test_requirements_csv_is_printed_as_csv(self, staffed: Cli) -> None:
        result = staffed.runner.invoke(
            cli,
            [
                "--store",
                staffed.url,
                "--now",
                "2027-06-15T12:00",
                "requirements",
                "E1",
                "--csv",
            ],
        )

        assert result.exit_code == 0
        assert result.stdout.splitlines() == [
            "employee_id,code,title,state,valid_until",
            "E1,IPAC,Infection Prevention,expiring,2027-07-31",
            "E1,WHMIS,WHMIS,never_completed,",
        ]

    def test_request_renewals_returns_the_new_sponsorship(self, staffed: Cli) -> None:
        view = staffed.run("sponsorships", "request-renewals", "E1", now="2027-06-15T12:00")

        assert {k: view[k] for k in ("status", "credentials")} == {
            "status": "requested",
            "credentials": ["IPAC"],
        }
        assert view["sponsorship_id"]

    def test_credential_decisions_change_the_state_and_need_a_reason(self, staffed: Cli) -> None:
        suspended = staffed.run(
            "credentials", "suspend", "E1", "IPAC", "--reason", "audit", now="2026-08-04T09:00"
        )
        refused = staffed.run(
            "credentials",
            "reinstate",
            "E1",
            "WHMIS",
            "--reason",
            "x",
            now="2026-08-04T09:05",
            ok=False,
        )
        staffed.run(
            "credentials", "reinstate", "E1", "IPAC", "--reason", "cleared", now="2026-08-04T09:10"
        )
        staffed.run(
            "credentials",
            "revoke",
            "E1",
            "IPAC",
            "--reason",
            "falsified",
            "--notes",
            "see file 12",
            now="2026-08-04T09:20",
        )
        listing = staffed.run("requirements", "E1", now="2026-08-04T09:30")

        assert suspended["standing"] == "suspended"
        assert refused.exit_code == 1 and json.loads(refused.stderr)["error"] == "not_found"
        assert listing["requirements"][0]["state"] == "revoked"
        told = staffed.run("mail", "outbox", "--to", APPROVER, now="2026-08-04T09:30")
        assert [m["kind"] for m in told].count("credential_status_changed") == 3

    def test_the_compliance_report_in_json_and_csv(self, staffed: Cli) -> None:
        report = staffed.run("report", "compliance", "SUNNY", now="2026-08-04T09:00")
        by_function = staffed.run(
            "report", "compliance", "SUNNY", "--job-function", "NURSE", now="2026-08-04T09:00"
        )

        assert report["employees"] == 1
        assert report["standing"] == {"never_completed": ["E1"]}
        assert [(line["code"], line["state"]) for line in report["lines"]] == [
            ("IPAC", "valid"),
            ("WHMIS", "never_completed"),
        ]
        assert by_function["employees"] == 0

    def test_an_employee_who_left_is_not_in_the_report(self, staffed: Cli) -> None:
        staffed.run("employees", "leave", "E1", now="2026-08-04T09:00")

        report = staffed.run("report", "compliance", "SUNNY", now="2026-08-04T09:05")

        assert report["employees"] == 0

    def test_catalog_add_takes_prerequisites_and_a_renewal_basis(self, cp: Cli) -> None:
        entry = cp.run(
            "catalog",
            "add",
            "ADV",
            "--title",
            "Advanced",
            "--prerequisite",
            "IPAC",
            "--renewal-basis",
            "from_previous_expiry",
            now="2026-04-01T10:00",
        )
        refused = cp.run("register", "E1", "ADV", "--self-pay", now="2026-04-01T10:05", ok=False)

        assert entry["prerequisites"] == ["IPAC"]
        assert entry["renewal_basis"] == "from_previous_expiry"
        assert "IPAC (never_completed)" in json.loads(refused.stderr)["message"]
