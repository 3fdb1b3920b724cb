"""Mail over HTTP: the outbox for operators, a retry, and approvers' replies delivered by the
mail gateway's webhook."""

from __future__ import annotations

from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from carepassport.application.services import Services
from tests.conftest import APPROVER
from tests.integration.helpers import footprint
from tests.integration.http_helpers import Headers, assert_problem
from tests.integration.reply_helpers import reply

RFC822 = {"Content-Type": "message/rfc822"}


@pytest.fixture
def requested(api_services: Services) -> UUID:
    """E1 asked for IPAC: an approval request is queued for SUNNY's approver."""
    return api_services.sponsorships.request("E1", ["IPAC"]).sponsorship_id


def test_the_outbox_lists_messages_to_one_recipient(
    api: TestClient, requested: UUID, tokens: dict[str, Headers]
) -> None:
    response = api.get("/mail/outbox", params={"to": APPROVER}, headers=tokens["college"])

    (message,) = response.json()
    assert (message["to"], message["kind"]) == (APPROVER, "approval_request")
    assert message["message_id"].endswith("@carepassport>")


def test_a_message_that_was_not_abandoned_cannot_be_retried(
    api: TestClient, api_services: Services, requested: UUID, tokens: dict[str, Headers]
) -> None:
    (message,) = api_services.outbox.messages(APPROVER)
    before = footprint(api_services)

    response = api.post(f"/mail/outbox/{message.notification_id}/retry", headers=tokens["college"])

    assert_problem(response, 409, "invalid_state")
    assert footprint(api_services) == before


@pytest.mark.parametrize(
    ("verdict", "outcome", "status"),
    [("dkim=pass", "approved", "approved"), ("dkim=fail", "refused", "requested")],
)
def test_a_yes_reply_approves_unless_the_gateways_checks_failed(
    api: TestClient,
    api_services: Services,
    requested: UUID,
    tokens: dict[str, Headers],
    verdict: str,
    outcome: str,
    status: str,
) -> None:
    response = api.post(
        "/mail/replies",
        content=reply(requested, "YES"),
        headers={**tokens["college"], **RFC822, "Authentication-Results": verdict},
    )

    assert response.json()["outcome"] == outcome, response.text
    assert api_services.sponsorships.show(requested).status == status


def test_a_reply_without_a_body_names_the_missing_message(
    api: TestClient, tokens: dict[str, Headers]
) -> None:
    response = api.post("/mail/replies", headers={**tokens["college"], **RFC822})

    assert_problem(response, 422, "validation_error")
