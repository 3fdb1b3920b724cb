"""The HTTP API's security: bearer tokens (401 before anything else), scopes that do not leak,
and Idempotency-Key replays (ADR 0015)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from carepassport.application.access.api_access import ApiTokens
from carepassport.application.services import Services
from carepassport.application.store import ConcurrentUpdate, StoreUnavailable
from carepassport.domain.access.api_access import ApiToken
from carepassport.domain.errors import DomainError, NotFound
from carepassport.entrypoints.http.core import REPLAYED
from tests.integration.helpers import footprint
from tests.integration.http_helpers import (
    Headers,
    assert_problem,
    bearer,
    get_while_the_core_is_held,
)

REQUEST = {"employee_id": "E1", "credentials": ["IPAC"]}


@pytest.fixture
def services(api_services: Services) -> Services:
    return api_services


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Bearer cpt_000000000000_guessed"},
    ],
    ids=["none", "empty", "basic", "malformed", "unknown"],
)
def test_a_call_without_a_valid_token_is_401_before_its_body_is_read(
    api: TestClient, services: Services, headers: Headers
) -> None:
    before = footprint(services)

    response = api.post(
        "/sponsorships",
        content=b"{not json",
        headers={**headers, "Content-Type": "application/json"},
    )

    assert_problem(response, 401, "unauthenticated")
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert footprint(services) == before


def test_a_token_with_the_right_id_and_a_wrong_secret_is_401(
    api: TestClient, services: Services
) -> None:
    issued = services.api_tokens.issue("college", "registrar")
    forged = f"cpt_{issued.token_id}_{'x' * 43}"

    assert_problem(api.post("/tick", headers=bearer(forged)), 401, "unauthenticated")


def test_a_revoked_token_is_401(api: TestClient, services: Services) -> None:
    issued = services.api_tokens.issue("college", "registrar")
    assert api.post("/tick", headers=bearer(issued.token)).status_code == 200

    services.api_tokens.revoke(issued.token_id)

    assert_problem(api.post("/tick", headers=bearer(issued.token)), 401, "unauthenticated")


def test_a_token_whose_secret_holds_underscores_authenticates(services: Services) -> None:
    tokens = ApiTokens(services.app, random_part=lambda _: "a_b_c_d")
    issued = tokens.issue("auditor", "audit")

    principal = tokens.authenticate(issued.token)

    assert (principal.role.value, principal.subject) == ("auditor", "audit")


def test_the_store_keeps_a_digest_never_the_token(services: Services) -> None:
    issued = services.api_tokens.issue("lms", "brightspace")

    history = services.histories.history(ApiToken.identity(issued.token_id))

    recorded = str(history.events)
    assert issued.token not in recorded
    assert issued.token.rsplit("_", 1)[-1] not in recorded
    assert len(history.events[0].data["digest"]) == 64


@pytest.mark.parametrize(
    ("role", "subject"), [("employee", "NOBODY"), ("approver", "NO-SUCH-EMPLOYER")]
)
def test_a_token_for_an_unknown_employee_or_employer_is_refused(
    services: Services, role: str, subject: str
) -> None:
    before = footprint(services)
    with pytest.raises(NotFound):
        services.api_tokens.issue(role, subject)
    assert footprint(services) == before


def test_a_role_outside_a_route_is_403_and_records_nothing(
    api: TestClient, services: Services, tokens: dict[str, Headers]
) -> None:
    before = footprint(services)

    response = api.post("/sponsorships", json=REQUEST, headers=tokens["lms"])

    assert_problem(response, 403, "forbidden")
    assert footprint(services) == before


def test_another_employees_records_are_404_as_if_they_did_not_exist(
    api: TestClient, tokens: dict[str, Headers]
) -> None:
    employee = tokens["employee"]

    other = api.get("/employees/E2/status", headers=employee)
    missing = api.get("/employees/NOBODY/status", headers=employee)

    assert_problem(other, 404, "not_found")
    assert_problem(missing, 404, "not_found")
    assert other.json()["detail"] == "employee E2 not found"


def test_an_approver_sees_their_employees_but_not_another_employers(
    api: TestClient, tokens: dict[str, Headers]
) -> None:
    approver = tokens["approver"]

    assert api.get("/employees/E1/status", headers=approver).status_code == 200
    assert_problem(api.get("/employees/E2/status", headers=approver), 404, "not_found")


def test_the_same_idempotency_key_and_body_replays_the_first_answer(
    api: TestClient, services: Services, tokens: dict[str, Headers]
) -> None:
    headers = {**tokens["employee"], "Idempotency-Key": "req-1"}
    first = api.post("/sponsorships", json=REQUEST, headers=headers)
    assert first.status_code == 201, first.text
    before = footprint(services)

    again = api.post("/sponsorships", json=REQUEST, headers=headers)

    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers[REPLAYED] == "true"
    assert REPLAYED not in first.headers
    assert footprint(services) == before


def test_the_same_idempotency_key_with_another_body_is_409(
    api: TestClient, services: Services, tokens: dict[str, Headers]
) -> None:
    headers = {**tokens["employee"], "Idempotency-Key": "req-1"}
    assert api.post("/sponsorships", json=REQUEST, headers=headers).status_code == 201
    before = footprint(services)

    other = api.post("/sponsorships", json={**REQUEST, "credentials": ["OTHER"]}, headers=headers)

    assert_problem(other, 409, "idempotency_conflict")
    assert footprint(services) == before


def test_a_refusal_under_an_idempotency_key_is_replayed_as_the_same_problem(
    api: TestClient, services: Services, tokens: dict[str, Headers]
) -> None:
    headers = {**tokens["employee"], "Idempotency-Key": "req-unknown"}
    body = {"employee_id": "E1", "credentials": ["NOPE"]}
    first = api.post("/sponsorships", json=body, headers=headers)
    assert first.status_code >= 400

    again = api.post("/sponsorships", json=body, headers=headers)

    assert (again.status_code, again.json()) == (first.status_code, first.json())
    assert again.headers[REPLAYED] == "true"


def test_idempotency_keys_belong_to_their_caller(
    api: TestClient, services: Services, tokens: dict[str, Headers]
) -> None:
    employee = {**tokens["employee"], "Idempotency-Key": "shared"}
    approver = {**tokens["approver"], "Idempotency-Key": "shared"}
    assert api.post("/sponsorships", json=REQUEST, headers=employee).status_code == 201

    second = api.post("/sponsorships", json=REQUEST, headers=approver)

    assert_problem(second, 409, "already_requested")
    assert REPLAYED not in second.headers


def test_a_public_path_needs_no_token(api: TestClient) -> None:
    assert api.get("/healthz").status_code == 200
    assert api.get("/openapi.json").status_code == 200


def test_a_request_that_failed_unexpectedly_may_be_retried_with_its_key_at_once(
    api: TestClient,
    api_services: Services,
    tokens: dict[str, Headers],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    headers = {**tokens["employee"], "Idempotency-Key": "req-crash"}
    working = api_services.sponsorships.request

    def broken(*_: object) -> None:
        raise RuntimeError("the disk caught fire")

    monkeypatch.setattr(api_services.sponsorships, "request", broken)
    assert_problem(api.post("/sponsorships", json=REQUEST, headers=headers), 500, "internal_error")
    monkeypatch.setattr(api_services.sponsorships, "request", working)

    retried = api.post("/sponsorships", json=REQUEST, headers=headers)

    assert retried.status_code == 201, retried.text
    assert REPLAYED not in retried.headers


@pytest.mark.parametrize(
    "transient",
    [
        ConcurrentUpdate("another command changed the same records; try again"),
        StoreUnavailable("cannot reach the store"),
    ],
    ids=["conflict", "store-unavailable"],
)
def test_a_transient_refusal_releases_the_idempotency_key_for_a_retry(
    api: TestClient,
    api_services: Services,
    tokens: dict[str, Headers],
    monkeypatch: pytest.MonkeyPatch,
    transient: DomainError,
) -> None:
    headers = {**tokens["employee"], "Idempotency-Key": "req-transient"}
    working = api_services.sponsorships.request

    def refused(*_: object) -> None:
        raise transient

    monkeypatch.setattr(api_services.sponsorships, "request", refused)
    assert api.post("/sponsorships", json=REQUEST, headers=headers).status_code in (409, 503)
    monkeypatch.setattr(api_services.sponsorships, "request", working)

    retried = api.post("/sponsorships", json=REQUEST, headers=headers)

    assert retried.status_code == 201, retried.text
    assert REPLAYED not in retried.headers


def test_a_store_failure_is_a_503_that_does_not_describe_the_store(
    api: TestClient,
    api_services: Services,
    tokens: dict[str, Headers],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def down(*_: object) -> None:
        raise StoreUnavailable("cannot reach postgresql://app:s3cret@db.internal:5432/cp")

    monkeypatch.setattr(api_services.statuses, "of_employee", down)

    response = api.get("/employees/E1/status", headers=tokens["employee"])

    body = assert_problem(response, 503, "store_unavailable")
    assert "detail" not in body
    assert "s3cret" not in response.text and "db.internal" not in response.text


def test_health_answers_busy_while_a_long_call_holds_the_core(api: TestClient) -> None:
    health = get_while_the_core_is_held(api, "/healthz")

    assert health.status_code == 200
    assert (health.json()["status"], health.json()["store"]) == ("ok", "busy")


def test_every_command_documents_its_idempotency_key(api: TestClient) -> None:
    paths = api.get("/openapi.json").json()["paths"]

    commands = [
        op
        for name, path in paths.items()
        if name != "/verify"  # a public check that records nothing: no command
        for method, op in path.items()
        if method == "post"
    ]

    assert commands
    for operation in commands:
        names = [p["name"] for p in operation.get("parameters", [])]
        assert "Idempotency-Key" in names, operation["operationId"]
