"""Badges over HTTP: public badge pages, status lists, the DID document and POST /verify;
an employee's badges under the status rules."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from carepassport.adapters.badges.baking import ImageBaking
from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.lms.memory import InMemoryLms
from carepassport.application.services import Services
from carepassport.domain.badges.status_list import bit, decode_bits
from tests.conftest import toronto
from tests.integration.helpers import complete, footprint
from tests.integration.http_helpers import Headers, assert_problem


@pytest.fixture
def badge_id(api_services: Services, clock: SettableClock, lms: InMemoryLms) -> str:
    api_services.issuer.set_profile("Care College", url="https://college.example")
    api_services.issuer.init_key()
    complete(api_services, clock, lms, "IPAC", toronto(2026, 4, 7, 14))
    (view,) = api_services.badges.of_employee("E1")
    return view.badge_id


def test_a_badge_is_served_as_json_ld_without_a_token(api: TestClient, badge_id: str) -> None:
    response = api.get(f"/badges/{badge_id}", headers={"Accept": "application/ld+json"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/ld+json")
    assert response.json()["id"] == f"https://college.example/badges/{badge_id}"


def test_a_browser_gets_a_page_with_the_qr_code(api: TestClient, badge_id: str) -> None:
    response = api.get(f"/badges/{badge_id}", headers={"Accept": "text/html,*/*;q=0.8"})

    assert response.headers["content-type"].startswith("text/html")
    assert "Infection Prevention and Control" in response.text
    assert "data:image/png;base64," in response.text


def test_asking_for_png_gets_the_baked_image(api: TestClient, badge_id: str) -> None:
    response = api.get(f"/badges/{badge_id}", headers={"Accept": "image/png"})

    assert response.headers["content-type"] == "image/png"
    assert ImageBaking().unbake(response.content)["id"].endswith(badge_id)
    assert api.get(f"/badges/{badge_id}.png").content == response.content


def test_an_unknown_badge_is_not_found(api: TestClient, badge_id: str) -> None:
    response = api.get("/badges/8b0f6a0e-5f43-4c1d-9a43-2f0f7e1d3b9a")

    assert_problem(response, 404, "not_found")


def test_the_did_document_is_public(api: TestClient, badge_id: str) -> None:
    response = api.get("/.well-known/did.json")

    assert response.status_code == 200
    assert response.json()["id"] == "did:web:college.example"


def test_post_verify_checks_a_baked_png_without_a_token(
    api: TestClient, api_services: Services, badge_id: str
) -> None:
    png = api.get(f"/badges/{badge_id}.png").content
    before = footprint(api_services)

    response = api.post("/verify", content=png, headers={"Content-Type": "image/png"})

    assert response.status_code == 200
    assert response.json()["verified"] is True
    assert footprint(api_services) == before


def test_post_verify_reports_the_failed_check_of_a_tampered_credential(
    api: TestClient, badge_id: str
) -> None:
    document = api.get(f"/badges/{badge_id}").json()
    document["validFrom"] = "2026-01-01T00:00:00Z"

    body = api.post("/verify", json=document).json()

    assert body["verified"] is False
    assert "proof" in {c["check"] for c in body["checks"] if not c["passed"]}


def test_post_verify_refuses_an_upload_over_5_mib(api: TestClient, badge_id: str) -> None:
    response = api.post("/verify", content=b"{" + b" " * (5 * 1024 * 1024) + b"}")

    assert_problem(response, 413, "payload_too_large")


def test_the_status_list_credential_shows_a_suspension(
    api: TestClient, api_services: Services, badge_id: str
) -> None:
    api_services.credentials.suspend("E1", "IPAC", "under investigation")
    entry = next(
        e
        for e in api.get(f"/badges/{badge_id}").json()["credentialStatus"]
        if e["statusPurpose"] == "suspension"
    )

    published = api.get("/badges/status/1/suspension").json()

    assert published["id"] == entry["statusListCredential"]
    encoded = published["credentialSubject"]["encodedList"]
    assert bit(decode_bits(encoded), int(entry["statusListIndex"]))


def test_an_employee_sees_their_badges(
    api: TestClient, tokens: dict[str, Headers], badge_id: str
) -> None:
    response = api.get("/employees/E1/badges", headers=tokens["employee"])

    assert response.status_code == 200
    assert [b["badge_id"] for b in response.json()] == [badge_id]


def test_another_employee_cannot_see_them(
    api: TestClient, api_services: Services, badge_id: str
) -> None:
    other = {"Authorization": f"Bearer {api_services.api_tokens.issue('employee', 'E2').token}"}

    response = api.get("/employees/E1/badges", headers=other)

    assert response.status_code in (403, 404)


def test_the_employees_badges_need_a_token(api: TestClient, badge_id: str) -> None:
    assert_problem(api.get("/employees/E1/badges"), 401, "unauthenticated")


def test_verify_takes_another_issuers_did_document_in_a_wrapper(
    api: TestClient, badge_id: str
) -> None:
    document = api.get(f"/badges/{badge_id}").json()

    body = api.post(
        "/verify",
        json={"credential": document, "issuer_documents": [], "status_lists": []},
    ).json()

    assert body["verified"] is True
    assert json.dumps(body)
