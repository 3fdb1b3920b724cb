"""Every route by every role (ADR 0015): allowed calls succeed, any other role is 403, a record
out of the caller's scope is 404, and a refused call records nothing. The table is written here,
independently of the app; a route without a row fails ``test_the_table_covers_every_route``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import attrs
import pytest
from fastapi.testclient import TestClient

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.lms.memory import InMemoryLms
from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.application.ports import OutboxEntry
from carepassport.application.services import Services
from carepassport.entrypoints.http import create_app
from carepassport.entrypoints.http.core import is_public
from tests.conftest import APPROVER, toronto
from tests.integration.helpers import complete, footprint
from tests.integration.http_helpers import SUBJECTS, Headers, assert_problem
from tests.integration.reply_helpers import reply

ROLES = tuple(SUBJECTS)
EMPLOYEE, APPROVER_ROLE, COLLEGE, AUDITOR, LMS = ROLES
READERS = {COLLEGE, AUDITOR}
SEES_EMPLOYEES = {EMPLOYEE, APPROVER_ROLE, *READERS}
CSV = (
    "record_id,student_number,credential_code,attempt,score,passed,attempted_at\n"
    "csv-1,C0912345,IPAC,1,80,true,2026-04-07T11:00-04:00\n"
)
RESULT = {
    "record_id": "json-1",
    "student_number": "C0912345",
    "credential_code": "IPAC",
    "attempt": 1,
    "score": 80,
    "passed": True,
    "attempted_at": "2026-04-07T11:00-04:00",
}
Ids = dict[str, str]
VACANCY = {
    "title": "Personal support worker",
    "noc": "33102",
    "region": "Toronto",
    "starts": "2027-06-01",
    "requires": ["FIRE"],
    "pay_min": "45000",
    "pay_max": "52000",
    "existing": True,
}


@attrs.frozen
class Row:
    """One route: how to call it with the ids of a world, who may, and who is scoped."""

    method: str
    path: str
    allowed: frozenset[str]
    scoped: frozenset[str] = frozenset()
    request: Callable[[Ids], dict[str, Any]] = lambda _: {}
    prepare: Callable[[Services, Ids], object] = lambda _s, _i: None
    """Brings the world to where the call is valid (e.g. an invitation before an acceptance)."""

    def call(self, api: TestClient, headers: Headers, ids: Ids) -> Any:
        options = self.request(ids)
        headers = {**headers, **options.pop("headers", {})}
        return api.request(self.method, self.path.format(**ids), headers=headers, **options)


def row(
    method: str,
    path: str,
    allowed: set[str],
    scoped: set[str] | None = None,
    request: Callable[[Ids], dict[str, Any]] = lambda _: {},
    prepare: Callable[[Services, Ids], object] = lambda _s, _i: None,
) -> Row:
    return Row(method, path, frozenset(allowed), frozenset(scoped or ()), request, prepare)


def steps(*names: str) -> Callable[[Services, Ids], None]:
    """Take these engagement steps on the world's vacancy and candidate, in order."""

    def take(services: Services, ids: Ids) -> None:
        vacancy, candidate = ids["vacancy"], ids["employee"]
        for name in names:
            if name == "interview":
                services.engagements.interview(vacancy, candidate, toronto(2027, 3, 22, 9, 0))
            else:
                getattr(services.engagements, name)(vacancy, candidate)

    return take


ENGAGEMENT = "/vacancies/{vacancy}/candidates/{employee}"
MY_MATCH = "/employees/{employee}/matches/{vacancy}"


def json(make: Callable[[Ids], Any]) -> Callable[[Ids], dict[str, Any]]:
    return lambda ids: {"json": make(ids)}


TABLE = [
    # sponsorships
    row(
        "POST",
        "/sponsorships",
        {EMPLOYEE, APPROVER_ROLE},
        {EMPLOYEE, APPROVER_ROLE},
        json(lambda ids: {"employee_id": ids["employee"], "credentials": ["WHMIS"]}),
    ),
    row(
        "POST",
        "/employees/{employee}/renewals",
        {EMPLOYEE, APPROVER_ROLE},
        {EMPLOYEE, APPROVER_ROLE},
    ),
    row(
        "POST",
        "/sponsorships/{sponsorship}/approve",
        {APPROVER_ROLE},
        {APPROVER_ROLE},
        json(lambda ids: {"by": ids["approver"]}),
    ),
    row(
        "POST",
        "/sponsorships/{sponsorship}/decline",
        {APPROVER_ROLE},
        {APPROVER_ROLE},
        json(lambda ids: {"by": ids["approver"]}),
    ),
    row("GET", "/sponsorships/{sponsorship}", SEES_EMPLOYEES, {EMPLOYEE, APPROVER_ROLE}),
    # registrations
    row(
        "POST",
        "/registrations",
        {EMPLOYEE, COLLEGE},
        {EMPLOYEE},
        json(lambda ids: {"employee_id": ids["employee"], "code": "WHMIS", "self_pay": True}),
    ),
    row("GET", "/registrations/{registration}", SEES_EMPLOYEES, {EMPLOYEE, APPROVER_ROLE}),
    # employees' status and requirements
    row("GET", "/employees/{employee}/status", SEES_EMPLOYEES, {EMPLOYEE, APPROVER_ROLE}),
    row("GET", "/employees/{employee}/badges", SEES_EMPLOYEES, {EMPLOYEE, APPROVER_ROLE}),
    # matching
    row(
        "POST",
        "/vacancies",
        {APPROVER_ROLE, COLLEGE},
        {APPROVER_ROLE},
        json(lambda ids: {**VACANCY, "employer_id": ids["employer"]}),
    ),
    row("GET", "/employers/{employer}/vacancies", {APPROVER_ROLE, *READERS}, {APPROVER_ROLE}),
    row("GET", "/vacancies/{vacancy}", {APPROVER_ROLE, *READERS}, {APPROVER_ROLE}),
    row("POST", "/vacancies/{vacancy}/close", {APPROVER_ROLE, COLLEGE}, {APPROVER_ROLE}),
    row("GET", "/vacancies/{vacancy}/matches", {APPROVER_ROLE, *READERS}, {APPROVER_ROLE}),
    row("GET", "/employees/{employee}/matches", {EMPLOYEE, *READERS}, {EMPLOYEE}),
    row(
        "POST",
        "/employees/{employee}/matching/opt-in",
        {EMPLOYEE, COLLEGE},
        {EMPLOYEE},
        json(lambda _: {"region": "Toronto"}),
    ),
    row("POST", "/employees/{employee}/matching/opt-out", {EMPLOYEE, COLLEGE}, {EMPLOYEE}),
    # both sides of a match
    row(
        "GET",
        ENGAGEMENT,
        {EMPLOYEE, APPROVER_ROLE, *READERS},
        {EMPLOYEE, APPROVER_ROLE},
        prepare=steps("invite"),
    ),
    row("POST", f"{ENGAGEMENT}/invite", {APPROVER_ROLE, COLLEGE}, {APPROVER_ROLE}),
    row(
        "POST",
        f"{ENGAGEMENT}/reject",
        {APPROVER_ROLE, COLLEGE},
        {APPROVER_ROLE},
        json(lambda _: {"reason": "the post needs night shifts"}),
        steps("invite"),
    ),
    row(
        "POST",
        f"{ENGAGEMENT}/interview",
        {APPROVER_ROLE, COLLEGE},
        {APPROVER_ROLE},
        json(lambda _: {"interviewed_at": "2027-03-22T09:00:00-04:00"}),
        steps("invite", "accept"),
    ),
    row(
        "POST",
        f"{ENGAGEMENT}/outcome",
        {APPROVER_ROLE, COLLEGE},
        {APPROVER_ROLE},
        json(lambda _: {"hired": True}),
        steps("invite", "accept", "interview"),
    ),
    row("POST", f"{MY_MATCH}/interest", {EMPLOYEE, COLLEGE}, {EMPLOYEE}),
    row("POST", f"{MY_MATCH}/accept", {EMPLOYEE, COLLEGE}, {EMPLOYEE}, prepare=steps("invite")),
    row(
        "POST",
        f"{MY_MATCH}/decline",
        {EMPLOYEE, COLLEGE},
        {EMPLOYEE},
        json(lambda _: {"reason": "moving away"}),
        steps("invite"),
    ),
    row("GET", "/employees/{employee}/requirements", SEES_EMPLOYEES, {EMPLOYEE, APPROVER_ROLE}),
    row("GET", "/employees/{employee}/requirements.csv", SEES_EMPLOYEES, {EMPLOYEE, APPROVER_ROLE}),
    # reports
    row("GET", "/employers/{employer}/compliance", {APPROVER_ROLE, *READERS}, {APPROVER_ROLE}),
    row("GET", "/employers/{employer}/compliance.csv", {APPROVER_ROLE, *READERS}, {APPROVER_ROLE}),
    # reference data
    row(
        "POST",
        "/catalogue",
        {COLLEGE},
        request=json(lambda _: {"code": "NEW", "title": "Something new"}),
    ),
    row("GET", "/catalogue", READERS),
    row(
        "POST",
        "/employers",
        {COLLEGE},
        request=json(lambda _: {"employer_id": "NEW", "name": "New", "approvers": [APPROVER]}),
    ),
    row("GET", "/employers/{employer}", {APPROVER_ROLE, *READERS}, {APPROVER_ROLE}),
    row(
        "POST",
        "/employees",
        {COLLEGE},
        request=json(
            lambda _: {"employee_id": "E9", "employer_id": "SUNNY", "email": "e9@example.org"}
        ),
    ),
    row("GET", "/employees/{employee}", {APPROVER_ROLE, *READERS}, {APPROVER_ROLE}),
    row(
        "POST",
        "/employees/{employee}/student-number",
        {COLLEGE},
        request=json(lambda _: {"student_number": "C0999999"}),
    ),
    row(
        "POST",
        "/people/{employee}/erase",
        {COLLEGE},
        request=json(lambda _: {"reason": "request 2026-114"}),
    ),
    row(
        "POST",
        "/employees/{employee}/job-function",
        {COLLEGE},
        request=json(lambda _: {"name": "RN"}),
    ),
    row(
        "POST",
        "/employees/{employee}/requirements",
        {COLLEGE},
        request=json(lambda _: {"code": "WHMIS"}),
    ),
    row("POST", "/employees/{employee}/leave", {COLLEGE}),
    row(
        "POST",
        "/job-functions",
        {COLLEGE},
        request=json(lambda _: {"name": "PSW", "requires": ["IPAC"]}),
    ),
    row(
        "POST",
        "/job-functions/RN/requirements",
        {COLLEGE},
        request=json(lambda _: {"requires": ["IPAC", "WHMIS"]}),
    ),
    row(
        "POST",
        "/settings",
        {COLLEGE},
        request=json(lambda _: {"key": "college_email", "value": "desk@college.example"}),
    ),
    row("GET", "/settings", READERS),
    # credential decisions
    row(
        "POST",
        "/employees/{employee}/credentials/FIRE/{decision}",
        {COLLEGE},
        request=json(lambda _: {"reason": "audit finding", "notes": "see file 12"}),
    ),
    # LMS results
    row("POST", "/lms/results", {LMS, COLLEGE}, request=json(lambda _: {"results": [RESULT]})),
    row(
        "POST",
        "/lms/results/csv",
        {LMS, COLLEGE},
        request=lambda _: {"content": CSV, "headers": {"Content-Type": "text/csv"}},
    ),
    row("POST", "/lms/sync", {COLLEGE}),
    row("GET", "/lms/results/unmatched", {COLLEGE}),
    # records, mail, operations
    row("GET", "/records/{sponsorship}/history", READERS),
    row("GET", "/mail/outbox", {COLLEGE}),
    row("POST", "/mail/outbox/{message}/retry", {COLLEGE}),
    row(
        "POST",
        "/mail/replies",
        {COLLEGE},
        request=lambda ids: {
            "content": ids["reply"],
            "headers": {"Content-Type": "message/rfc822"},
        },
    ),
    row("POST", "/tick", {COLLEGE}),
]

CASES = [
    pytest.param(entry, role, id=f"{entry.method} {entry.path} as {role}")
    for entry in TABLE
    for role in ROLES
]
SCOPED = [
    pytest.param(entry, role, id=f"{entry.method} {entry.path} as {role}")
    for entry in TABLE
    for role in sorted(entry.scoped)
]


@attrs.frozen
class World:
    services: Services
    api: TestClient
    tokens: dict[str, Headers]
    mine: Ids
    theirs: Ids


@pytest.fixture
def world(
    api_services: Services,
    api: TestClient,
    tokens: dict[str, Headers],
    clock: SettableClock,
    mailer: InMemoryMailer,
    lms: InMemoryLms,
) -> World:
    """E1 (SUNNY) holds FIRE, is registered in it, has a pending sponsorship for IPAC whose
    approval requests were abandoned; E2 (SHADY) has the same records, out of reach of E1's
    and SUNNY's tokens. Job function RN exists."""
    services = api_services
    for code in ("WHMIS", "FIRE"):
        services.reference.add_micro_credential(code, code)
    services.job_functions.add("RN", ["IPAC"])
    complete(services, clock, lms, "FIRE", toronto(2026, 4, 7, 14, 0))
    complete(services, clock, lms, "FIRE", toronto(2026, 4, 21, 14, 0), "E2", "C0900002")
    mailer.fail_next(1)
    mine = services.sponsorships.request("E1", ["IPAC"])
    theirs = services.sponsorships.request("E2", ["IPAC"])
    for _ in range(7):
        (entry,) = unsent(services)
        assert entry.next_attempt_at is not None
        clock.set(entry.next_attempt_at)
        mailer.fail_next(1)
        services.outbox.deliver()
    (abandoned,) = unsent(services)
    assert abandoned.abandoned
    services.job_functions.require("E1", "FIRE")
    clock.set(toronto(2027, 3, 22, 10, 0))  # FIRE expires within 60 days: renewals are due
    vacancies = {}
    for employee, employer in (("E1", "SUNNY"), ("E2", "SHADY")):
        services.matching.opt_in(employee, region="Toronto")
        fields = {k: v for k, v in VACANCY.items() if k != "starts"}
        vacancies[employer] = services.matching.post(
            employer,
            starts=date(2027, 4, 1),  # FIRE is valid then: each employee is matched
            **fields,  # type: ignore[arg-type]
        ).vacancy_id

    def ids(employee: str, employer: str, sponsorship: Any, approver: str) -> Ids:
        (registration,) = services.statuses.of_employee(employee).credentials
        return {
            "employee": employee,
            "employer": employer,
            "vacancy": vacancies[employer],
            "sponsorship": str(sponsorship.sponsorship_id),
            "registration": registration.registration_id,
            "approver": approver,
            "message": abandoned.message_id,
            "decision": "suspend",
            "reply": reply(sponsorship.sponsorship_id, "YES", sender=approver).decode(),
        }

    return World(
        services,
        api,
        tokens,
        ids("E1", "SUNNY", mine, APPROVER),
        ids("E2", "SHADY", theirs, "boss@shady.example"),
    )


def unsent(services: Services) -> list[OutboxEntry]:
    return [m for m in services.outbox.messages() if m.sent_at is None]


@pytest.mark.parametrize(("entry", "role"), CASES)
def test_a_role_in_the_table_succeeds_and_any_other_is_forbidden(
    world: World, entry: Row, role: str
) -> None:
    entry.prepare(world.services, world.mine)
    before = footprint(world.services)

    response = entry.call(world.api, world.tokens[role], world.mine)

    if role in entry.allowed:
        assert 200 <= response.status_code < 300, response.text
    else:
        assert_problem(response, 403, "forbidden")
        assert footprint(world.services) == before


@pytest.mark.parametrize(("entry", "role"), SCOPED)
def test_another_employees_or_employers_record_is_not_found_and_nothing_is_recorded(
    world: World, entry: Row, role: str
) -> None:
    entry.prepare(world.services, world.theirs)
    before = footprint(world.services)

    response = entry.call(world.api, world.tokens[role], world.theirs)

    assert_problem(response, 404, "not_found")
    assert footprint(world.services) == before


def test_the_table_covers_every_route(api_services: Services) -> None:
    # FastAPI 0.16x keeps included routers unexpanded in ``app.routes``; the OpenAPI document
    # is the public list of every operation the app serves.
    paths = create_app(lambda: api_services).openapi()["paths"]
    served = {
        (method.upper(), path)
        for path, operations in paths.items()
        if not is_public(path)
        for method in operations
    }
    tabled = {(entry.method, _template(entry.path)) for entry in TABLE}

    assert served == tabled


def _template(path: str) -> str:
    """The app's path template for a table path (some rows name a fixed record)."""
    return (
        path.replace("/people/{employee}", "/people/{person_id}")
        .replace("{employee}", "{employee_id}")
        .replace("{employer}", "{employer_id}")
        .replace("{sponsorship}/history", "{aggregate_id}/history")
        .replace("{sponsorship}", "{sponsorship_id}")
        .replace("{registration}", "{registration_id}")
        .replace("{message}", "{message_id}")
        .replace("{vacancy}", "{vacancy_id}")
        .replace("/candidates/{employee_id}", "/candidates/{candidate_id}")
        .replace("/RN/", "/{name}/")
        .replace("/FIRE/", "/{code}/")
    )
