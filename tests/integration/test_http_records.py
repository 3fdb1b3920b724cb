"""Auditors' history over HTTP: a record's events, and what was known at ``as_of``."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from carepassport.adapters.clocks import SettableClock
from carepassport.application.services import Services
from tests.conftest import toronto
from tests.integration.http_helpers import Headers, assert_problem


@pytest.fixture
def sponsorship(api_services: Services, clock: SettableClock) -> str:
    """E1's sponsorship requested on 2026-04-01 and approved on 2026-04-02 (Toronto)."""
    clock.set(toronto(2026, 4, 1, 9, 0))
    view = api_services.sponsorships.request("E1", ["IPAC"])
    clock.set(toronto(2026, 4, 2, 9, 0))
    api_services.sponsorships.approve(view.sponsorship_id, by="hr.approvals@sunnybrook-ltc.example")
    return str(view.sponsorship_id)


def test_an_auditor_reads_a_records_history_as_it_was_known_then(
    api: TestClient, sponsorship: str, tokens: dict[str, Headers]
) -> None:
    path = f"/records/{sponsorship}/history"

    everything = api.get(path, headers=tokens["auditor"])
    then = api.get(path, params={"as_of": "2026-04-01T12:00:00-04:00"}, headers=tokens["auditor"])

    assert everything.json()["state"]["status"] == "approved"
    assert then.json()["state"]["status"] == "requested", then.text
    assert len(then.json()["events"]) < len(everything.json()["events"])


@pytest.mark.parametrize("as_of", ["2026-04-01T12:00:00", "yesterday"])
def test_a_naive_or_malformed_as_of_is_422_naming_the_field(
    api: TestClient, sponsorship: str, tokens: dict[str, Headers], as_of: str
) -> None:
    response = api.get(
        f"/records/{sponsorship}/history", params={"as_of": as_of}, headers=tokens["auditor"]
    )

    body = assert_problem(response, 422, "validation_error")
    assert body["errors"][0]["field"] == "query.as_of"  # type: ignore[index]


def test_an_unknown_record_is_404(api: TestClient, tokens: dict[str, Headers]) -> None:
    response = api.get(
        "/records/00000000-0000-0000-0000-000000000001/history", headers=tokens["college"]
    )

    assert_problem(response, 404, "not_found")
