"""Shared pieces of the HTTP API tests: a seeded core, tokens per role, problem assertions."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.lms.memory import InMemoryLms
from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.application.services import Services
from carepassport.bootstrap import bootstrap
from carepassport.entrypoints.http import PROBLEM_BASE, PROBLEM_JSON, create_app
from carepassport.entrypoints.http.core import Core
from tests.conftest import APPROVAL_SECRET, APPROVER, EMPLOYEE_EMAIL, REPLY_DOMAIN

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


def get_while_the_core_is_held(api: TestClient, path: str) -> httpx.Response:
    """GET ``path`` while another call holds the app's core (as a long tick would)."""
    core: Core = api.app.state.core  # type: ignore[attr-defined]
    release = threading.Event()
    holding = threading.Thread(target=core.call, args=(lambda _: release.wait(30),))
    holding.start()
    try:
        return api.get(path)
    finally:
        release.set()
        holding.join()


@pytest.fixture
def api_services(
    clock: SettableClock, mailer: InMemoryMailer, lms: InMemoryLms
) -> Iterator[Services]:
    """The core the API serves: memory store, seeded (see ``seed``), replies readable."""
    services = bootstrap(
        "memory://",
        clock=clock,
        mailer=mailer,
        lms=lms,
        approval_secret=APPROVAL_SECRET,
        reply_domain=REPLY_DOMAIN,
    )
    seed(services)
    yield services
    services.close()


@pytest.fixture
def tokens(api_services: Services) -> dict[str, Headers]:
    """Authorization headers per role: employee E1, approver of SUNNY, college, auditor, lms."""
    return role_headers(api_services)


@pytest.fixture
def api(api_services: Services) -> Iterator[TestClient]:
    """The API on ``api_services``; server errors are answered, not raised."""
    with TestClient(create_app(lambda: api_services), raise_server_exceptions=False) as client:
        yield client
