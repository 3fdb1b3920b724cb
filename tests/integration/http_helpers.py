"""Shared pieces of the HTTP API tests: a seeded core, tokens per role, problem assertions."""

from __future__ import annotations

import httpx

from carepassport.application.services import Services
from carepassport.entrypoints.http import PROBLEM_BASE, PROBLEM_JSON
from tests.conftest import APPROVER, EMPLOYEE_EMAIL

Headers = dict[str, str]

SUBJECTS = {
    "employee": "E1",
    "approver": "SUNNY",
    "college": "registrar",
    "auditor": "audit",
    "lms": "brightspace",
}
"""The subject of each role's token in the seeded core."""

OTHER_APPROVER = "boss@shady.example"


def seed(services: Services) -> None:
    """A catalogue of one, employer SUNNY with employee E1, employer SHADY with employee E2."""
    services.reference.add_micro_credential("IPAC", "Infection Prevention and Control")
    services.reference.add_employer("SUNNY", name="Sunny", approvers=[APPROVER])
    services.reference.add_employer("SHADY", name="Shady", approvers=[OTHER_APPROVER])
    services.reference.add_employee(
        "E1", employer="SUNNY", email=EMPLOYEE_EMAIL, student_number_="C0912345"
    )
    services.reference.add_employee(
        "E2", employer="SHADY", email="e2@shady.example", student_number_="C0900002"
    )


def bearer(token: str) -> Headers:
    return {"Authorization": f"Bearer {token}"}


def role_headers(services: Services) -> dict[str, Headers]:
    """Authorization headers per role (see SUBJECTS)."""
    return {
        role: bearer(services.api_tokens.issue(role, subject).token)
        for role, subject in SUBJECTS.items()
    }


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    """The response is an RFC 9457 problem with this status and code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, object] = response.json()
    assert body["type"] == PROBLEM_BASE + code
    assert body["status"] == status
    assert body["title"]
    return body
