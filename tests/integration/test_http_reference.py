"""Reference data over HTTP: the college keeps the catalogue, employers, employees, job
functions and settings; an approver reads their own employer and employees."""

from __future__ import annotations

from fastapi.testclient import TestClient

from carepassport.application.services import Services
from tests.integration.helpers import footprint
from tests.integration.http_helpers import Headers, assert_problem


def test_the_college_adds_a_micro_credential_and_an_auditor_lists_the_catalogue(
    api: TestClient, tokens: dict[str, Headers]
) -> None:
    added = api.post(
        "/catalogue",
        json={"code": "WHMIS", "title": "WHMIS 2015", "fee": "95.00", "prerequisites": ["IPAC"]},
        headers=tokens["college"],
    )

    listed = api.get("/catalogue", headers=tokens["auditor"])

    assert added.status_code == 201, added.text
    assert added.json()["fee"] == "95.00"
    assert [entry["code"] for entry in listed.json()] == ["IPAC", "WHMIS"]


def test_an_employer_that_exists_is_409_and_nothing_is_recorded(
    api: TestClient, api_services: Services, tokens: dict[str, Headers]
) -> None:
    before = footprint(api_services)

    response = api.post(
        "/employers",
        json={"employer_id": "SUNNY", "name": "Sunny", "approvers": ["a@sunny.example"]},
        headers=tokens["college"],
    )

    assert_problem(response, 409, "already_exists")
    assert footprint(api_services) == before


def test_an_employee_is_added_then_given_a_job_function_and_a_requirement(
    api: TestClient, tokens: dict[str, Headers]
) -> None:
    college = tokens["college"]
    api.post("/job-functions", json={"name": "PSW", "requires": ["IPAC"]}, headers=college)
    added = api.post(
        "/employees",
        json={"employee_id": "E3", "employer_id": "SUNNY", "email": "e3@example.org"},
        headers=college,
    )
    api.post("/catalogue", json={"code": "FIRE", "title": "Fire"}, headers=college)

    assigned = api.post("/employees/E3/job-function", json={"name": "PSW"}, headers=college)
    required = api.post("/employees/E3/requirements", json={"code": "FIRE"}, headers=college)

    assert added.status_code == 201, added.text
    assert (assigned.json()["job_function"], list(assigned.json()["requires"])) == (
        "PSW",
        ["IPAC"],
    )
    assert required.json()["requires"].keys() == {"IPAC", "FIRE"}


def test_a_student_number_is_set_and_shown(api: TestClient, tokens: dict[str, Headers]) -> None:
    api.post(
        "/employees/E1/student-number",
        json={"student_number": "C0955555"},
        headers=tokens["college"],
    )

    shown = api.get("/employees/E1", headers=tokens["approver"])

    assert shown.json()["student_number"] == "C0955555"


def test_an_approver_reads_their_employer_but_not_another(
    api: TestClient, tokens: dict[str, Headers]
) -> None:
    approver = tokens["approver"]

    assert api.get("/employers/SUNNY", headers=approver).json()["employer_id"] == "SUNNY"
    assert_problem(api.get("/employers/SHADY", headers=approver), 404, "not_found")
    assert_problem(api.get("/employees/E2", headers=approver), 404, "not_found")


def test_a_setting_is_changed_and_shown(api: TestClient, tokens: dict[str, Headers]) -> None:
    changed = api.post(
        "/settings",
        json={"key": "college_email", "value": "desk@college.example"},
        headers=tokens["college"],
    )

    shown = api.get("/settings", headers=tokens["auditor"])

    assert changed.status_code == 200, changed.text
    assert shown.json()["college_email"] == "desk@college.example"


def test_an_unknown_setting_is_refused_and_nothing_is_recorded(
    api: TestClient, api_services: Services, tokens: dict[str, Headers]
) -> None:
    before = footprint(api_services)

    response = api.post(
        "/settings", json={"key": "colour", "value": "blue"}, headers=tokens["college"]
    )

    assert_problem(response, 422, "invalid_value")
    assert footprint(api_services) == before


def test_a_catalogue_entry_without_a_title_names_the_field(
    api: TestClient, tokens: dict[str, Headers]
) -> None:
    response = api.post("/catalogue", json={"code": "X"}, headers=tokens["college"])

    body = assert_problem(response, 422, "validation_error")
    assert body["errors"][0]["field"] == "title"  # type: ignore[index]
