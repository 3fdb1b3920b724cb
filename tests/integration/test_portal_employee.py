"""The employee's further pages: the requirements as CSV, badges to download and share, and
the vacancies they match, answered with a button."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.lms.memory import InMemoryLms
from carepassport.application.services import Services
from tests.conftest import toronto
from tests.integration.helpers import complete
from tests.integration.test_matching import market, post
from tests.integration.test_portal import portal, psw, sign_in

__all__ = ["market", "portal", "psw"]  # the fixtures, shared

PASSED = toronto(2026, 4, 7, 14)


def test_the_employee_downloads_their_requirements_as_csv(
    portal: TestClient, psw: Services
) -> None:
    sign_in(portal, psw, "employee", "E1")
    assert 'href="/portal/requirements.csv"' in portal.get("/portal").text

    answer = portal.get("/portal/requirements.csv")

    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    assert answer.text == psw.requirements.as_csv("E1")
    assert "IPAC" in answer.text and "WHMIS" in answer.text


def test_a_badge_is_offered_as_png_json_and_a_link_to_share(
    portal: TestClient, psw: Services, clock: SettableClock, lms: InMemoryLms
) -> None:
    psw.issuer.set_profile("Care College", url="https://college.example", email="b@c.example")
    psw.issuer.init_key()
    complete(psw, clock, lms, "IPAC", PASSED)
    (badge,) = psw.badges.of_employee("E1")
    sign_in(portal, psw, "employee", "E1")

    page = portal.get("/portal/credentials").text
    png = portal.get(f"/badges/{badge.badge_id}.png")
    document = portal.get(f"/badges/{badge.badge_id}.json", headers={"Accept": "text/html"})

    assert f'href="/badges/{badge.badge_id}.png" download' in page
    assert f'href="/badges/{badge.badge_id}.json" download' in page
    assert re.search(rf'value="{re.escape(badge.url)}" readonly', page)
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    assert document.headers["content-type"] == "application/ld+json"
    assert document.json()["proof"]["cryptosuite"] == "eddsa-rdfc-2022"


def test_the_employee_shows_interest_in_a_vacancy_they_match(
    portal: TestClient, market: Services, clock: SettableClock, lms: InMemoryLms
) -> None:
    complete(market, clock, lms, "IPAC", PASSED)
    market.matching.opt_in("E1", region="Toronto")
    vacancy = post(market)
    csrf = sign_in(portal, market, "employee", "E1")
    assert "I am interested" in portal.get("/portal/matches").text

    answer = portal.post(
        "/portal/matches", data={"csrf": csrf, "vacancy": vacancy, "answer": "interest"}
    )

    assert answer.status_code == 303
    assert market.engagements.show(vacancy, "E1").stage == "interested"
    assert "I am interested" not in portal.get("/portal/matches").text


def test_the_employee_accepts_an_invitation_with_the_button(
    portal: TestClient, market: Services, clock: SettableClock, lms: InMemoryLms
) -> None:
    complete(market, clock, lms, "IPAC", PASSED)
    market.matching.opt_in("E1", region="Toronto")
    vacancy = post(market)
    market.engagements.invite(vacancy, "E1")
    csrf = sign_in(portal, market, "employee", "E1")
    assert "Accept the invitation" in portal.get("/portal/matches").text

    portal.post("/portal/matches", data={"csrf": csrf, "vacancy": vacancy, "answer": "accept"})

    assert market.engagements.show(vacancy, "E1").stage == "accepted"


def test_an_employee_cannot_answer_for_a_vacancy_they_do_not_match(
    portal: TestClient, market: Services
) -> None:
    vacancy = post(market)
    csrf = sign_in(portal, market, "employee", "E1")

    answer = portal.post(
        "/portal/matches", data={"csrf": csrf, "vacancy": vacancy, "answer": "interest"}
    )

    assert answer.status_code in (400, 403, 404) and "Traceback" not in answer.text
