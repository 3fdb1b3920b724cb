"""The CLI's matching commands on SQLite and PostgreSQL: a vacancy posted, an employee who
holds its requirement matched, listed as JSON and CSV; bad postings refused."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.integration.cli_helpers import Cli

HEADER = "record_id,student_number,credential_code,attempt,score,passed,attempted_at\n"
POST = [
    "vacancies", "post", "SUNNY", "--title", "PSW, days", "--noc", "33102",
    "--region", "Toronto", "--starts", "2026-10-01", "--requires", "IPAC",
    "--skill", "INFECTION-CONTROL:5", "--pay-min", "45000", "--pay-max", "52000",
]  # fmt: skip


@pytest.fixture
def matched(cp: Cli, tmp_path: Path) -> tuple[Cli, str]:
    """E1 holds IPAC (published 2026-08-03), opted in; a vacancy needing IPAC is posted."""
    cp.run("skills", "add-curated", now="2026-07-01T09:00")
    cp.run("catalog", "set-skills", "IPAC", "--skill", "INFECTION-CONTROL", now="2026-07-01T09:00")
    cp.run("register", "E1", "IPAC", "--self-pay", now="2026-07-27T10:00")
    results = tmp_path / "r.csv"
    results.write_text(HEADER + "R1,C0912345,IPAC,1,90,true,2026-07-31T16:00\n")
    cp.run("lms", "import", str(results), now="2026-07-31T20:00")
    cp.run("tick", now="2026-08-03T10:00")
    cp.run("candidates", "opt-in", "E1", "--region", "Toronto", now="2026-08-04T09:00")
    vacancy = cp.run(*POST, "--existing", now="2026-08-04T10:00")
    return cp, vacancy["vacancy_id"]


def test_the_employee_is_listed_eligible_with_full_marks(matched: tuple[Cli, str]) -> None:
    cp, vacancy_id = matched

    (found,) = cp.run("matches", "list", vacancy_id, now="2026-08-04T11:00")

    assert (found["candidate_id"], found["outcome"], found["score"], found["stars"]) == (
        "E1",
        "eligible",
        100,
        5,
    )
    assert cp.run("matches", "for", "E1", now="2026-08-04T11:00")[0]["vacancy_id"] == vacancy_id


def test_the_matches_as_csv_name_each_requirements_state(matched: tuple[Cli, str]) -> None:
    cp, vacancy_id = matched

    text = cp.run("matches", "list", vacancy_id, "--csv", now="2026-08-04T11:00", ok=False).stdout

    (row,) = csv.DictReader(io.StringIO(text))
    assert (row["candidate_id"], row["requirements"]) == ("E1", "IPAC held")


def test_a_posting_that_does_not_say_whether_the_vacancy_exists_is_refused(cp: Cli) -> None:
    before = cp.events()

    result = cp.run(*POST, now="2026-08-04T10:00", ok=False)

    assert result.exit_code == 2
    assert "--existing or --future" in result.output
    assert cp.events() == before


def test_a_weight_outside_1_to_5_is_refused_and_nothing_recorded(cp: Cli) -> None:
    cp.run("skills", "add-curated", now="2026-07-01T09:00")
    before = cp.events()
    bad = [*POST[:-6], "--skill", "PPE:9", "--pay-min", "45000", "--pay-max", "52000"]

    result = cp.run(*bad, "--future", now="2026-08-04T10:00", ok=False)

    assert result.exit_code == 1
    assert "from 1 to 5" in result.stderr
    assert cp.events() == before


def test_an_invitation_accepted_shows_the_employer_the_candidates_address(
    matched: tuple[Cli, str],
) -> None:
    cp, vacancy_id = matched

    invited = cp.run("matches", "invite", vacancy_id, "E1", now="2026-08-04T12:00")
    accepted = cp.run("matches", "accept", vacancy_id, "E1", now="2026-08-05T09:00")
    interviewed = cp.run(
        "matches", "interview", vacancy_id, "E1", "--at", "2026-08-10T14:00",
        now="2026-08-10T16:00",
    )  # fmt: skip

    assert (invited["stage"], invited["candidate_email"]) == ("invited", None)
    assert (accepted["stage"], accepted["candidate_email"]) == ("accepted", "pat@example.org")
    assert interviewed["outcome_due"].startswith("2026-09-24T14:00")


def test_report_skills_gap_reads_a_target_csv_and_refuses_a_bad_one(
    matched: tuple[Cli, str], tmp_path: Path
) -> None:
    cp, _ = matched
    good, bad = tmp_path / "target.csv", tmp_path / "bad.csv"
    good.write_text("skill,headcount\nINFECTION-CONTROL,2\n")
    bad.write_text("skill,headcount\nINFECTION-CONTROL,none\n")
    before = cp.events()

    found = cp.run(
        "report", "skills-gap", "SUNNY", "--target", str(good), "--on", "2026-10-01",
        now="2026-08-04T12:00",
    )  # fmt: skip
    refused = cp.run(
        "report", "skills-gap", "SUNNY", "--target", str(bad), now="2026-08-04T12:00", ok=False
    )

    (gap,) = found["gaps"]
    assert (gap["target"], gap["needed"], gap["holding"], gap["gap"]) == (
        "INFECTION-CONTROL",
        2,
        1,
        1,
    )
    assert refused.exit_code == 1 and "line 2" in refused.stderr
    assert cp.events() == before


def test_report_skills_gap_for_a_college_lists_its_demand_as_csv(matched: tuple[Cli, str]) -> None:
    cp, _ = matched
    cp.run("employees", "require", "E1", "IPAC", now="2026-08-04T12:00")

    text = cp.run(
        "report", "skills-gap", "--college", "HOME", "--on", "2026-10-01", "--csv",
        now="2026-08-04T12:30", ok=False,
    ).stdout  # fmt: skip

    rows = {r["code"]: r for r in csv.DictReader(io.StringIO(text))}
    assert (rows["IPAC"]["needed"], rows["IPAC"]["holding"], rows["IPAC"]["gap"]) == ("1", "1", "0")


def test_report_skills_gap_names_an_employer_or_a_college_not_both(
    matched: tuple[Cli, str],
) -> None:
    cp, _ = matched

    both = cp.run("report", "skills-gap", "SUNNY", "--college", "HOME", ok=False)
    neither = cp.run("report", "skills-gap", ok=False)

    assert both.exit_code == neither.exit_code == 2
    assert "one of the two" in both.stderr
