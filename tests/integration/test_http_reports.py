"""Reports and credential decisions over HTTP: compliance (JSON and CSV), an employee's
requirements as CSV, and the college's suspend / reinstate / revoke / recertify."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.lms.memory import InMemoryLms
from carepassport.application.services import Services
from tests.conftest import toronto
from tests.integration.helpers import complete, footprint
from tests.integration.http_helpers import Headers, assert_problem


@pytest.fixture
def holder(api_services: Services, clock: SettableClock, lms: InMemoryLms) -> Services:
    """E1 must hold IPAC, and holds it (published)."""
    api_services.job_functions.require("E1", "IPAC")
    complete(api_services, clock, lms, "IPAC", toronto(2026, 4, 7, 14, 0))
    return api_services


def test_an_approver_reads_their_employers_compliance_as_json_and_csv(
    api: TestClient, holder: Services, tokens: dict[str, Headers]
) -> None:
    approver = tokens["approver"]

    report = api.get("/employers/SUNNY/compliance", headers=approver)
    csv = api.get("/employers/SUNNY/compliance.csv", headers=approver)

    assert report.json()["compliant"] == ["E1"]
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0] == "employer_id,employee_id,job_function,code,state,valid_until"
    assert "E1" in csv.text.splitlines()[1]


def test_another_employers_compliance_is_not_found(
    api: TestClient, tokens: dict[str, Headers]
) -> None:
    response = api.get("/employers/SHADY/compliance.csv", headers=tokens["approver"])

    assert_problem(response, 404, "not_found")


def test_an_employee_reads_their_requirements_as_csv(
    api: TestClient, holder: Services, tokens: dict[str, Headers]
) -> None:
    response = api.get("/employees/E1/requirements.csv", headers=tokens["employee"])

    assert response.headers["content-type"].startswith("text/csv")
    assert response.text.splitlines()[1].startswith("E1,IPAC,")


class TestCredentialDecisions:
    def test_the_college_suspends_then_reinstates_a_credential(
        self, api: TestClient, holder: Services, tokens: dict[str, Headers]
    ) -> None:
        reason = {"reason": "audit finding", "notes": "file 12"}

        suspended = api.post(
            "/employees/E1/credentials/IPAC/suspend", json=reason, headers=tokens["college"]
        )
        reinstated = api.post(
            "/employees/E1/credentials/IPAC/reinstate", json=reason, headers=tokens["college"]
        )

        assert suspended.json()["standing"] == "suspended", suspended.text
        assert reinstated.json()["standing"] == "active", reinstated.text

    def test_a_decision_on_a_credential_not_held_is_404_and_records_nothing(
        self, api: TestClient, api_services: Services, tokens: dict[str, Headers]
    ) -> None:
        before = footprint(api_services)

        response = api.post(
            "/employees/E1/credentials/IPAC/revoke",
            json={"reason": "fraud"},
            headers=tokens["college"],
        )

        assert_problem(response, 404, "not_found")
        assert footprint(api_services) == before

    def test_an_unknown_decision_names_the_path_parameter(
        self, api: TestClient, tokens: dict[str, Headers]
    ) -> None:
        response = api.post(
            "/employees/E1/credentials/IPAC/forgive",
            json={"reason": "kindness"},
            headers=tokens["college"],
        )

        body = assert_problem(response, 422, "validation_error")
        assert body["errors"][0]["field"] == "path.decision"  # type: ignore[index]

    def test_a_decision_needs_a_reason(self, api: TestClient, tokens: dict[str, Headers]) -> None:
        response = api.post(
            "/employees/E1/credentials/IPAC/suspend", json={}, headers=tokens["college"]
        )

        body = assert_problem(response, 422, "validation_error")
        assert body["errors"][0]["field"] == "reason"  # type: ignore[index]
