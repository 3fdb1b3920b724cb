"""End to end over a real server: ``carepassport serve`` on a SQLite store and a loopback port,
driven with httpx; tokens and reference data come from the CLI on the same store.

Time: ``--now`` fixes a process's clock, so the lifecycle moves time the way an operator would
in a simulation: it stops the server (SIGTERM, which must be clean every time) and starts it
again with a later ``--now``. Nothing in ``serve`` exists for tests only; the scheduler loop
does the enabling, the nightly syncs and the publication on its own."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.cli_helpers import Cli
from tests.integration.http_helpers import bearer
from tests.integration.live_server import assert_clean_exit, eventually, live_server

APPROVER = "hr@sunny.example"
LOOP = ("--tick-every", "0.2")

RESULTS = [
    {
        "record_id": "L-1",
        "student_number": "C0912345",
        "credential_code": "IPAC",
        "attempt": 1,
        "score": 52,
        "passed": False,
        "attempted_at": "2026-07-30T14:00:00-04:00",
    },
    {
        "record_id": "L-2",
        "student_number": "C0912345",
        "credential_code": "IPAC",
        "attempt": 2,
        "score": 88,
        "passed": True,
        "attempted_at": "2026-07-31T16:00:00-04:00",
    },
]


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """A SQLite store with a catalogue, an employer and an employee, set up with the CLI."""
    monkeypatch.chdir(tmp_path)
    cp = Cli(f"sqlite:///{tmp_path / 'cp.db'}")
    at = "2026-07-20T09:00"
    cp.run("catalog", "add", "IPAC", "--title", "Infection Prevention", "--fee", "125", now=at)
    cp.run("employers", "add", "SUNNY", "--name", "Sunny LTC", "--approver", APPROVER, now=at)
    cp.run(
        "employees", "add", "E1", "--employer", "SUNNY", "--email", "pat@example.org",
        "--student-number", "C0912345", now=at,
    )  # fmt: skip
    return cp


def tokens(cp: Cli) -> dict[str, dict[str, str]]:
    """Authorization headers per role, issued with ``carepassport tokens issue``."""
    subjects = {"employee": "E1", "approver": "SUNNY", "college": "registrar", "lms": "lms"}
    return {
        role: bearer(cp.run("tokens", "issue", role, subject, now="2026-07-20T09:00")["token"])
        for role, subject in subjects.items()
    }


def deliver_results(cp: Cli, base_url: str, lms: dict[str, str]) -> None:
    answer = httpx.post(f"{base_url}/lms/results", json={"results": RESULTS}, headers=lms)
    assert answer.status_code == 200, answer.text
    assert answer.json()["staged"] == len(RESULTS)


def ipac(base_url: str, headers: dict[str, str]) -> dict[str, Any]:
    status = httpx.get(f"{base_url}/employees/E1/status", headers=headers)
    assert status.status_code == 200, status.text
    found = [c for c in status.json()["credentials"] if c["code"] == "IPAC"]
    return found[0] if found else {}


def test_the_whole_lifecycle_over_http_on_a_real_server(store: Cli) -> None:
    cp, who = store, tokens(store)
    stops = []

    with live_server(cp.url, *LOOP, now="2026-07-23T10:00") as (url, stopped):
        requested = httpx.post(
            f"{url}/sponsorships",
            json={"employee_id": "E1", "credentials": ["IPAC"]},
            headers=who["employee"],
        )
        assert requested.status_code == 201, requested.text
        sponsorship_id = requested.json()["sponsorship_id"]
    stops.append(stopped)

    with live_server(cp.url, *LOOP, now="2026-07-24T15:00") as (url, stopped):
        approved = httpx.post(
            f"{url}/sponsorships/{sponsorship_id}/approve",
            json={"by": APPROVER},
            headers=who["approver"],
        )
        assert approved.status_code == 200, approved.text
        assert approved.json()["self_registration_at"].startswith("2026-07-27T09:00")
    stops.append(stopped)

    with live_server(cp.url, *LOOP, now="2026-07-27T09:00") as (url, stopped):
        sponsorship = f"{url}/sponsorships/{sponsorship_id}"
        eventually(
            lambda: httpx.get(sponsorship, headers=who["college"]).json()["status"] == "enabled",
            "the scheduler loop to enable self-registration",
        )
        registered = httpx.post(
            f"{url}/registrations",
            json={"employee_id": "E1", "code": "IPAC"},
            headers=who["employee"],
        )
        assert registered.status_code == 201, registered.text
        assert registered.json()["fee_payer"] == "employer"
    stops.append(stopped)

    with live_server(cp.url, *LOOP, now="2026-07-31T20:00") as (url, stopped):
        deliver_results(cp, url, who["lms"])
        assert ipac(url, who["employee"]).get("state") != "valid"
    stops.append(stopped)

    with live_server(cp.url, *LOOP, now="2026-08-03T10:00") as (url, stopped):
        # The loop syncs each midnight since, records the pass, and publishes it Monday 10:00.
        eventually(lambda: ipac(url, who["employee"]).get("state") == "valid", "publication")
        credential = ipac(url, who["employee"])
        health = httpx.get(f"{url}/healthz").json()
    stops.append(stopped)

    assert credential["valid_until"] == "2027-07-31"
    assert credential["published_at"].startswith("2026-08-03T10:00")
    assert health["status"] == "ok" and health["scheduler"]["state"] == "running"
    for each in stops:
        assert_clean_exit(each)


def test_serve_demo_seeds_once_and_prints_a_working_token_per_role(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / '.carepassport' / 'carepassport.db'}"
    outputs = []
    for _ in range(2):
        with live_server(store, "--demo", cwd=tmp_path) as (url, stopped):
            health = httpx.get(f"{url}/healthz").json()
        outputs.append(stopped.stdout)
        assert_clean_exit(stopped)
        assert health["status"] == "ok"

    first, second = outputs
    assert first.startswith("Demo data: IPAC, WHMIS, SUNNYBROOK-LTC, E-1001.")
    assert second.startswith("Demo data: already there.")
    printed = dict(re.findall(r"^  (\w+) +(cpt_\S+)$", second, re.MULTILINE))
    assert set(printed) == {"employee", "approver", "college", "auditor", "lms"}
    curl = re.search(r"curl -H 'Authorization: Bearer (\S+)' (\S+)", second)
    assert curl is not None and curl.group(1) == printed["employee"]
    with live_server(store, cwd=tmp_path) as (url, _):
        answer = httpx.get(url + httpx.URL(curl.group(2)).path, headers=bearer(printed["employee"]))
    assert answer.status_code == 200, answer.text
    assert answer.json()["employee_id"] == "E-1001"
