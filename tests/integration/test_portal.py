"""The portal's pages through the app (no browser): signing in, sessions and CSRF, the security
headers, and each role's page doing its job on the same use cases as the HTTP API."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.lms.memory import InMemoryLms
from carepassport.application.services import Services
from carepassport.domain.values import EmployeeId
from carepassport.entrypoints.http import create_app
from tests.conftest import APPROVER, toronto
from tests.integration.helpers import complete, footprint
from tests.integration.lms_helpers import deliver, registered, result

CSRF = re.compile(r'name="csrf" value="([^"]+)"')
WRONG = "C0000000"


@pytest.fixture
def psw(college: Services) -> Services:
    """Job function PSW requires IPAC and WHMIS; E1 is a PSW."""
    college.job_functions.add("PSW", ["IPAC", "WHMIS"])
    college.job_functions.assign("E1", "PSW")
    return college


@pytest.fixture
def portal(psw: Services) -> TestClient:
    """The app on ``psw``; not entered, so its lifespan leaves the store to the fixture (which
    re-derives it at the end)."""
    return TestClient(
        create_app(lambda: psw), raise_server_exceptions=False, follow_redirects=False
    )


def sign_in(portal: TestClient, services: Services, role: str, subject: str) -> str:
    """Sign in with a fresh token of ``role``; the CSRF token of the session's first page."""
    token = services.api_tokens.issue(role, subject).token
    answer = portal.post("/portal/sign-in", data={"token": token})
    assert answer.status_code == 303, answer.text
    home = portal.get("/portal")
    assert home.status_code == 200, home.text
    found = CSRF.search(home.text)
    assert found is not None
    return found.group(1)


class TestSigningIn:
    def test_a_valid_token_starts_a_session_in_a_cookie_scripts_cannot_read(
        self, portal: TestClient, psw: Services
    ) -> None:
        token = psw.api_tokens.issue("employee", "E1").token

        answer = portal.post("/portal/sign-in", data={"token": token})

        cookie = answer.headers["set-cookie"].lower()
        assert answer.status_code == 303 and answer.headers["location"] == "/portal"
        assert "cp_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
        assert token not in answer.headers["set-cookie"]

    def test_a_wrong_token_is_refused_and_starts_no_session(self, portal: TestClient) -> None:
        answer = portal.post("/portal/sign-in", data={"token": "not-a-token"})

        assert answer.status_code == 401 and "not valid" in answer.text
        assert "set-cookie" not in answer.headers

    def test_a_page_without_a_session_sends_the_visitor_to_sign_in(
        self, portal: TestClient
    ) -> None:
        answer = portal.get("/portal")

        assert (answer.status_code, answer.headers["location"]) == (303, "/portal/sign-in")

    def test_signing_out_ends_the_session(self, portal: TestClient, psw: Services) -> None:
        csrf = sign_in(portal, psw, "employee", "E1")

        portal.post("/portal/sign-out", data={"csrf": csrf})

        assert portal.get("/portal").status_code == 303

    def test_a_revoked_token_ends_its_sessions(self, portal: TestClient, psw: Services) -> None:
        issued = psw.api_tokens.issue("employee", "E1")
        portal.post("/portal/sign-in", data={"token": issued.token})

        psw.api_tokens.revoke(issued.token_id)

        assert portal.get("/portal").status_code == 303


def test_every_page_forbids_inline_script_framing_and_sniffing(portal: TestClient) -> None:
    headers = portal.get("/portal/sign-in").headers

    assert "script-src 'self'" in headers["content-security-policy"]
    assert "unsafe-inline" not in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"


class TestEmployee:
    def test_an_employee_sees_each_requirement_with_its_state(
        self, portal: TestClient, psw: Services
    ) -> None:
        sign_in(portal, psw, "employee", "E1")

        home = portal.get("/portal").text

        assert "IPAC" in home and "WHMIS" in home and "Never completed" in home
        assert "Ask my employer to sponsor" not in home  # nothing expired or expiring

    def test_an_employee_asks_for_every_expired_and_expiring_one_in_one_step(
        self, portal: TestClient, psw: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        complete(psw, clock, lms, "IPAC", toronto(2026, 4, 7, 14, 0))
        clock.set(toronto(2027, 4, 20, 12, 0))  # IPAC expired
        csrf = sign_in(portal, psw, "employee", "E1")
        assert "Expired" in portal.get("/portal").text

        answer = portal.post("/portal/renewals", data={"csrf": csrf})

        asked = psw.sponsorships.show(psw.sponsorships.of_employee(EmployeeId("E1"))[-1].id)
        assert answer.status_code == 303
        assert (asked.credentials, asked.status) == (["IPAC"], "requested")

    def test_a_form_without_its_csrf_token_is_refused_and_records_nothing(
        self, portal: TestClient, psw: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        complete(psw, clock, lms, "IPAC", toronto(2026, 4, 7, 14, 0))
        clock.set(toronto(2027, 4, 20, 12, 0))
        sign_in(portal, psw, "employee", "E1")
        before = footprint(psw)

        answer = portal.post("/portal/renewals", data={"csrf": "forged"})

        assert answer.status_code == 403
        assert footprint(psw) == before

    def test_an_employee_cannot_open_another_employees_page(
        self, portal: TestClient, psw: Services
    ) -> None:
        psw.reference.add_employee("E2", employer="SUNNY", email="e2@example.org")
        sign_in(portal, psw, "employee", "E1")

        answer = portal.get("/portal/employees/E2")

        assert answer.status_code == 404
        assert answer.headers["content-type"].startswith("text/html")
        assert "Traceback" not in answer.text and "E2 not found" in answer.text


class TestApprover:
    def test_an_approver_approves_a_request_with_the_button(
        self, portal: TestClient, psw: Services
    ) -> None:
        view = psw.sponsorships.request("E1", ["IPAC"])
        csrf = sign_in(portal, psw, "approver", "SUNNY")
        assert str(view.sponsorship_id) in portal.get("/portal").text

        answer = portal.post(
            "/portal/sponsorships/approve",
            data={"csrf": csrf, "sponsorship": str(view.sponsorship_id), "by": APPROVER},
        )

        assert answer.status_code == 303
        assert psw.sponsorships.show(view.sponsorship_id).status == "approved"
        assert str(view.sponsorship_id) not in portal.get("/portal").text

    def test_an_approver_cannot_answer_another_employers_request(
        self, portal: TestClient, psw: Services
    ) -> None:
        psw.reference.add_employer("SHADY", name="Shady", approvers=["boss@shady.example"])
        psw.reference.add_employee("E2", employer="SHADY", email="e2@shady.example")
        theirs = psw.sponsorships.request("E2", ["IPAC"])
        csrf = sign_in(portal, psw, "approver", "SUNNY")
        before = footprint(psw)

        answer = portal.post(
            "/portal/sponsorships/approve",
            data={"csrf": csrf, "sponsorship": str(theirs.sponsorship_id), "by": APPROVER},
        )

        assert answer.status_code == 404
        assert footprint(psw) == before


class TestCollege:
    def test_the_college_sets_a_student_number_and_the_held_result_is_applied(
        self, portal: TestClient, psw: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        registered(psw, clock)
        deliver(lms, result("R1", toronto(2026, 7, 28, 14, 0), passed=True, student=WRONG))
        clock.set(toronto(2026, 7, 30, 0, 0))
        psw.scheduler.tick()
        csrf = sign_in(portal, psw, "college", "registrar")
        assert WRONG in portal.get("/portal").text

        answer = portal.post(
            "/portal/student-numbers",
            data={"csrf": csrf, "employee": "E1", "student_number": WRONG},
        )

        assert answer.status_code == 303
        assert WRONG not in portal.get("/portal").text
        assert psw.statuses.held_results() == []


MARKUP = "<script>alert(1)</script>"
FORMS = [
    pytest.param(None, "/portal/sign-in", ["token"], id="sign-in"),
    pytest.param(
        ("college", "registrar"),
        "/portal/student-numbers",
        ["employee", "student_number"],
        id="student-number",
    ),
    pytest.param(
        ("approver", "SUNNY"), "/portal/sponsorships/approve", ["sponsorship", "by"], id="approve"
    ),
    pytest.param(
        ("approver", "SUNNY"), "/portal/sponsorships/decline", ["sponsorship", "by"], id="decline"
    ),
]


@pytest.mark.parametrize(("who", "path", "fields"), FORMS)
def test_markup_typed_into_any_form_field_is_never_reflected_unescaped(
    portal: TestClient, psw: Services, who: tuple[str, str] | None, path: str, fields: list[str]
) -> None:
    data = {"csrf": sign_in(portal, psw, *who)} if who else {}
    before = footprint(psw)

    answer = portal.post(path, data={**data, **dict.fromkeys(fields, MARKUP)})

    assert answer.status_code in (400, 401, 404)
    assert MARKUP not in answer.text
    assert footprint(psw) == before


def test_the_portal_is_not_part_of_the_api_description(portal: TestClient) -> None:
    paths = portal.get("/openapi.json").json()["paths"]

    assert not [p for p in paths if p.startswith("/portal")]
