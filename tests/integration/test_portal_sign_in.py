"""Signing in to the portal by e-mail: one link per identity, once, within 15 minutes, to the
registered address only; the request answers the same whether or not the address is known."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.application.services import Services
from carepassport.entrypoints.http import create_app
from tests.conftest import APPROVER, EMPLOYEE_EMAIL
from tests.integration.helpers import footprint

LINK = re.compile(r"http://portal\.example/portal/sign-in/([A-Za-z0-9_-]+)")


@pytest.fixture
def portal(college: Services) -> TestClient:
    return TestClient(
        create_app(lambda: college), raise_server_exceptions=False, follow_redirects=False
    )


def links_sent(mailer: InMemoryMailer, to: str) -> list[str]:
    return [
        secret
        for m in mailer.sent
        if m.recipient == to and m.kind == "sign_in_link"
        for secret in LINK.findall(m.body)
    ]


def ask(portal: TestClient, college: Services, address: str) -> str:
    answer = portal.post("/portal/sign-in/email", data={"email": address})
    assert answer.status_code == 200, answer.text
    college.outbox.deliver()
    return answer.text


def test_a_registered_employee_gets_a_link_that_signs_them_in(
    portal: TestClient, college: Services, mailer: InMemoryMailer
) -> None:
    ask(portal, college, EMPLOYEE_EMAIL)
    (secret,) = links_sent(mailer, EMPLOYEE_EMAIL)

    shown = portal.get(f"/portal/sign-in/{secret}")  # a mail scanner's GET uses nothing
    answer = portal.post(f"/portal/sign-in/{secret}")

    assert shown.status_code == 200 and answer.status_code == 303
    assert "My requirements" in portal.get("/portal").text


def test_an_approver_gets_a_link_that_signs_them_in_for_their_employer(
    portal: TestClient, college: Services, mailer: InMemoryMailer
) -> None:
    ask(portal, college, APPROVER.upper())
    (secret,) = links_sent(mailer, APPROVER)

    portal.post(f"/portal/sign-in/{secret}")

    assert "Sponsorship requests for" in portal.get("/portal").text


def test_an_unknown_address_gets_the_same_answer_and_no_mail(
    portal: TestClient, college: Services, mailer: InMemoryMailer
) -> None:
    known = ask(portal, college, EMPLOYEE_EMAIL)
    before = footprint(college)

    unknown = ask(portal, college, "nobody@example.org")

    assert unknown == known
    assert links_sent(mailer, "nobody@example.org") == []
    assert footprint(college) == before


def test_a_link_works_only_once(
    portal: TestClient, college: Services, mailer: InMemoryMailer
) -> None:
    ask(portal, college, EMPLOYEE_EMAIL)
    (secret,) = links_sent(mailer, EMPLOYEE_EMAIL)
    portal.post(f"/portal/sign-in/{secret}")
    portal.cookies.clear()

    again = portal.post(f"/portal/sign-in/{secret}")

    assert again.status_code == 400 and "used already" in again.text
    assert "set-cookie" not in again.headers


def test_a_link_expires_after_15_minutes(
    portal: TestClient, college: Services, mailer: InMemoryMailer, clock: SettableClock
) -> None:
    ask(portal, college, EMPLOYEE_EMAIL)
    (secret,) = links_sent(mailer, EMPLOYEE_EMAIL)
    clock.set(clock.now() + timedelta(minutes=15))

    late = portal.post(f"/portal/sign-in/{secret}")

    assert late.status_code == 400 and "expired" in late.text


def test_a_made_up_link_is_refused(portal: TestClient) -> None:
    answer = portal.post("/portal/sign-in/not-a-real-link")

    assert answer.status_code == 400 and "not valid" in answer.text


def test_an_erased_persons_address_signs_in_as_nobody(
    portal: TestClient, college: Services, mailer: InMemoryMailer
) -> None:
    college.people.erase("E1", "erasure request 2026-114", by="college:registrar")

    ask(portal, college, EMPLOYEE_EMAIL)

    assert links_sent(mailer, EMPLOYEE_EMAIL) == []
