"""The HTTP API (first slice): the sponsorship-to-registration flow, problem details, OpenAPI,
and the real server on a loopback port."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from carepassport.adapters.clocks import SettableClock
from carepassport.application.services import Services
from carepassport.entrypoints.http import create_app
from tests.conftest import APPROVER, toronto
from tests.integration.helpers import footprint
from tests.integration.http_helpers import Headers, assert_problem
from tests.integration.live_server import free_port


@pytest.fixture
def services(api_services: Services) -> Services:
    return api_services


def test_request_approve_tick_register_over_http(
    api: TestClient, tokens: dict[str, Headers], clock: SettableClock
) -> None:
    employee, approver, college = tokens["employee"], tokens["approver"], tokens["college"]
    requested = api.post(
        "/sponsorships", json={"employee_id": "E1", "credentials": ["IPAC"]}, headers=employee
    )
    assert requested.status_code == 201, requested.text
    sponsorship_id = requested.json()["sponsorship_id"]

    clock.set(toronto(2026, 4, 2, 15, 0))
    approved = api.post(
        f"/sponsorships/{sponsorship_id}/approve", json={"by": APPROVER}, headers=approver
    )
    assert approved.status_code == 200, approved.text
    enable_at = datetime.fromisoformat(approved.json()["self_registration_at"])

    clock.set(enable_at)
    ticked = api.post("/tick", headers=college)
    assert ticked.status_code == 200, ticked.text

    registered = api.post(
        "/registrations", json={"employee_id": "E1", "code": "IPAC"}, headers=employee
    )
    assert registered.status_code == 201, registered.text
    registration = registered.json()
    assert registration["fee_payer"] == "employer"

    shown = api.get(f"/registrations/{registration['registration_id']}", headers=employee)
    assert shown.status_code == 200
    assert shown.json()["registration_id"] == registration["registration_id"]
    shown_sponsorship = api.get(f"/sponsorships/{sponsorship_id}", headers=employee).json()
    assert shown_sponsorship["sponsorship_id"] == sponsorship_id
    assert api.get("/employees/E1/status", headers=employee).status_code == 200
    assert api.get("/employees/E1/requirements", headers=employee).status_code == 200


def test_a_refusal_is_a_problem_and_records_nothing(
    api: TestClient, services: Services, tokens: dict[str, Headers]
) -> None:
    sponsorship_id = api.post(
        "/sponsorships",
        json={"employee_id": "E1", "credentials": ["IPAC"]},
        headers=tokens["employee"],
    ).json()["sponsorship_id"]
    before = footprint(services)

    response = api.post(
        f"/sponsorships/{sponsorship_id}/approve",
        json={"by": "someone@elsewhere.example"},
        headers=tokens["approver"],
    )

    body = assert_problem(response, 400, "not_an_approver")
    assert "someone@elsewhere.example" in str(body["detail"])
    assert footprint(services) == before


def test_unknown_things_are_404_problems(api: TestClient, tokens: dict[str, Headers]) -> None:
    college = tokens["college"]
    assert_problem(api.get("/employees/NOBODY/status", headers=college), 404, "not_found")
    assert_problem(api.get("/no/such/route", headers=college), 404, "not_found")


def test_a_validation_error_names_the_field(
    api: TestClient, services: Services, tokens: dict[str, Headers]
) -> None:
    before = footprint(services)

    response = api.post(
        "/registrations", json={"employee_id": "E1", "self_pay": "maybe"}, headers=tokens["college"]
    )

    body = assert_problem(response, 422, "validation_error")
    fields = {error["field"] for error in body["errors"]}  # type: ignore[attr-defined]
    assert fields == {"code", "self_pay"}
    assert "code" in str(body["detail"])
    assert footprint(services) == before


def test_an_unexpected_error_is_a_500_problem_without_details(services: Services) -> None:
    def broken() -> Services:
        raise RuntimeError("secret internals /etc/passwd")

    with TestClient(create_app(broken), raise_server_exceptions=False) as api:
        response = api.get("/healthz")

    body = assert_problem(response, 500, "internal_error")
    assert "detail" not in body
    assert "secret" not in response.text and "Traceback" not in response.text


def test_openapi_lists_the_routes(api: TestClient) -> None:
    paths = api.get("/openapi.json").json()["paths"]

    assert {
        "/healthz",
        "/sponsorships",
        "/sponsorships/{sponsorship_id}",
        "/sponsorships/{sponsorship_id}/approve",
        "/sponsorships/{sponsorship_id}/decline",
        "/registrations",
        "/registrations/{registration_id}",
        "/employees/{employee_id}/status",
        "/employees/{employee_id}/requirements",
        "/tick",
    } <= set(paths)
    assert "post" in paths["/sponsorships"]


def test_serve_runs_uvicorn_on_a_loopback_port(tmp_path: Path) -> None:
    port = free_port()
    command = [str(Path(sys.executable).parent / "carepassport")]
    command += ["--store", "memory://", "serve", "--port", str(port)]
    server = subprocess.Popen(
        command,
        cwd=tmp_path,
        env={**os.environ},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.communicate()[1]
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        assert response.status_code == 200
        assert response.json()["status"] == "ok"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_conflict_is_a_409_problem(
    api: TestClient, services: Services, tokens: dict[str, Headers]
) -> None:
    body = {"employee_id": "E1", "credentials": ["IPAC"]}
    employee = tokens["employee"]
    assert api.post("/sponsorships", json=body, headers=employee).status_code == 201
    before = footprint(services)

    assert_problem(api.post("/sponsorships", json=body, headers=employee), 409, "already_requested")
    assert footprint(services) == before
