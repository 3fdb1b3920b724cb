"""Personal data sealed per person on SQLite and PostgreSQL (ADR 0023): after a whole workflow
no e-mail address or student number is stored in plain text anywhere in the store; after
``people erase`` the person's data reads as erased, and replay, commands, reports, badges,
re-derivation and the audit log all still work."""

from __future__ import annotations

import json
from contextlib import closing
from pathlib import Path
from typing import Any

import psycopg
import pytest

from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.bootstrap import bootstrap
from carepassport.domain.values import ERASED
from tests.integration.cli_helpers import APPROVER, Cli
from tests.integration.test_cli_badges import verify

HEADER = "record_id,student_number,credential_code,attempt,score,passed,attempted_at\n"
EMAIL, NUMBER, UNKNOWN_NUMBER = "pat@example.org", "C0912345", "C0999999"
PLAINTEXTS = (EMAIL, NUMBER, UNKNOWN_NUMBER, APPROVER)


@pytest.fixture
def worked(cp: Cli, tmp_path: Path) -> Cli:
    """A whole workflow: an approved sponsorship, a registration, results imported (one for a
    student number nobody has), the midnight sync, publication with a badge, mail sent."""
    cp.env = {
        "CAREPASSPORT_KEYS": str(tmp_path / "keys"),
        "CAREPASSPORT_CHECKPOINTS": str(tmp_path / "checkpoints"),
    }
    cp.run(
        "badges", "issuer", "set", "--name", "Care College", "--url", "https://college.example",
        now="2026-07-01T09:00",
    )  # fmt: skip
    cp.run("keys", "init", now="2026-07-01T09:00")
    cp.run("jobfunctions", "add", "PSW", "--requires", "IPAC", now="2026-07-01T09:00")
    cp.run("employees", "assign-job-function", "E1", "PSW", now="2026-07-01T09:00")
    sid = cp.run("sponsorships", "request", "E1", "IPAC", now="2026-07-22T09:00")["sponsorship_id"]
    cp.run("sponsorships", "approve", sid, "--by", APPROVER, now="2026-07-22T15:00")
    cp.run("tick", now="2026-07-23T09:00")
    cp.run("register", "E1", "IPAC", now="2026-07-27T10:00")
    results = tmp_path / "r.csv"
    results.write_text(
        HEADER
        + f"R1,{NUMBER},IPAC,1,90,true,2026-07-31T16:00\n"
        + f"R2,{UNKNOWN_NUMBER},IPAC,1,40,false,2026-07-31T16:30\n"
    )
    cp.run("lms", "import", str(results), now="2026-07-31T20:00")
    cp.run("tick", now="2026-08-03T10:00")
    cp.run("audit", "checkpoint", now="2026-08-03T11:00")
    return cp


def stored_bytes(cp: Cli, tmp_path: Path) -> bytes:
    """Everything the store holds: its SQLite files (with their write-ahead logs), or every
    table of its PostgreSQL schema and of the key store's schema, as text."""
    if cp.url.startswith("sqlite:///"):
        return b"".join(p.read_bytes() for p in sorted(tmp_path.glob("cp.*")) if p.is_file())
    conninfo, schema = cp.url.split("?schema=", 1)
    dump: list[str] = []
    with closing(psycopg.connect(conninfo)) as pg:
        tables = pg.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema IN (%s, %s)",
            (schema, f"{schema}_keys"),
        ).fetchall()
        for table_schema, table in tables:
            rows = pg.execute(f'SELECT t::text FROM "{table_schema}"."{table}" t').fetchall()
            dump.extend(row[0] for row in rows)
    assert len(tables) > 10, tables  # the events, the views, the reports, the keys
    return "\n".join(dump).encode()


def test_after_a_whole_workflow_no_address_or_student_number_is_stored_in_plain_text(
    worked: Cli, tmp_path: Path
) -> None:
    stored = stored_bytes(worked, tmp_path)

    found = [p for p in PLAINTEXTS if p.encode() in stored or p.lower().encode() in stored]
    assert found == []
    assert b"sealed" in stored  # the values are there, sealed


def test_the_workflow_reads_its_personal_data_back(worked: Cli) -> None:
    messages = worked.run("mail", "outbox")
    held = worked.run("completions", "unmatched")

    assert {m["to"] for m in messages} >= {APPROVER, EMAIL}
    assert [h["student_number"] for h in held] == [UNKNOWN_NUMBER]


def erase(cp: Cli) -> dict[str, Any]:
    erased: dict[str, Any] = cp.run(
        "people", "erase", "E1", "--reason", "erasure request 2026-114", now="2026-08-10T09:00"
    )
    return erased


def open_store(cp: Cli) -> Any:
    return bootstrap(cp.url, mailer=InMemoryMailer(), environ=cp.env)


def test_an_erased_persons_data_reads_as_erased_and_is_gone_from_the_key_store(
    worked: Cli,
) -> None:
    erased = erase(worked)

    services = open_store(worked)
    try:
        employee = services.reference.show_employee("E1")
        mail = [m for m in services.outbox.messages() if m.recipient in (EMAIL, ERASED)]
    finally:
        services.close()
    assert (erased["person_id"], erased["reason"]) == ("E1", "erasure request 2026-114")
    assert erased["keys"] >= 2 and erased["records"] >= 1
    assert (employee.email, employee.student_number) == (ERASED, ERASED)
    assert mail and all(m.recipient == ERASED and m.body == ERASED for m in mail)


def test_the_erasure_is_recorded_without_the_erased_values(worked: Cli, tmp_path: Path) -> None:
    erase(worked)

    history = worked.run("history", person_erasures_id(worked))
    (event,) = history["events"]

    assert event["type"] == "PersonalDataErased"
    assert EMAIL not in json.dumps(event) and NUMBER not in json.dumps(event)
    assert event["data"]["erased_by"].startswith("cli:")


def person_erasures_id(cp: Cli) -> str:
    from carepassport.domain.erasure import PersonErasures

    return str(PersonErasures.identity("E1"))


def test_after_erasure_the_log_verifies_and_rederives(worked: Cli, tmp_path: Path) -> None:
    kept = next((tmp_path / "checkpoints").iterdir())
    erase(worked)

    verified = worked.run("audit", "verify", "--checkpoint", str(kept), ok=False)
    rederived = worked.run("audit", "rederive", ok=False)

    assert verified.exit_code == 0, verified.output
    assert rederived.exit_code == 0, rederived.output


def test_after_erasure_the_report_still_counts_the_person(worked: Cli) -> None:
    before = worked.run("report", "compliance", "SUNNY", now="2026-08-10T08:00")
    erase(worked)

    after = worked.run("report", "compliance", "SUNNY", now="2026-08-10T10:00")

    assert before["employees"] == 1 and before["compliant"]
    assert {k: v for k, v in after.items() if k != "as_of"} == {
        k: v for k, v in before.items() if k != "as_of"
    }


def test_after_erasure_the_persons_badge_still_verifies(worked: Cli, tmp_path: Path) -> None:
    (badge,) = worked.run("badges", "list", "E1", now="2026-08-04T09:00")
    held = tmp_path / "badge.json"  # the badge as its holder keeps it
    held.write_text(json.dumps(worked.run("badges", "show", badge["badge_id"])))
    erase(worked)

    code, report = verify(worked, held, now="2026-08-11T09:00")

    assert (code, report["verified"]) == (0, True)


def test_after_erasure_commands_about_the_person_still_work(worked: Cli) -> None:
    erase(worked)

    request = worked.run("sponsorships", "request", "E1", "WHMIS", now="2026-08-11T09:00")
    ticked = worked.run("tick", now="2026-08-11T10:00")
    status = worked.run("status", "E1", now="2026-08-11T10:00")

    assert request["status"] == "requested"
    assert ticked is not None
    assert status["employee_id"] == "E1"
    assert [c["code"] for c in status["credentials"]] == ["IPAC"]


def test_erasing_nobody_is_refused_and_records_nothing(worked: Cli) -> None:
    events = worked.events()

    refused = worked.run("people", "erase", "NOBODY", "--reason", "x", ok=False)

    assert refused.exit_code != 0 and "no employee or job seeker" in refused.output
    assert worked.events() == events


def test_an_erasure_without_a_reason_is_refused_and_records_nothing(worked: Cli) -> None:
    events = worked.events()

    refused = worked.run("people", "erase", "E1", "--reason", "  ", ok=False)

    assert refused.exit_code != 0 and "reason" in refused.output
    assert worked.events() == events
