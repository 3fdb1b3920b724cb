"""Both sides of a match over HTTP: the employer invites, the employee accepts, the interview
and its outcome are recorded; the e-mail appears only after acceptance, and a step out of
order is refused with nothing recorded."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.lms.memory import InMemoryLms
from carepassport.application.services import Services
from tests.conftest import EMPLOYEE_EMAIL, toronto
from tests.integration.helpers import complete, footprint
from tests.integration.http_helpers import Headers, assert_problem


@pytest.fixture
def vacancy(api_services: Services, clock: SettableClock, lms: InMemoryLms) -> str:
    """SUNNY's vacancy needing IPAC, which E1 holds and opted in to be matched with."""
    complete(api_services, clock, lms, "IPAC", toronto(2026, 4, 7, 14, 0))
    clock.set(toronto(2026, 5, 4, 10, 0))
    api_services.matching.opt_in("E1", region="Toronto")
    return api_services.matching.post(
        "SUNNY",
        title="Personal support worker",
        noc="33102",
        region="Toronto",
        starts=date(2026, 7, 6),
        requires=["IPAC"],
        pay_min="45000",
        pay_max="52000",
        existing=True,
    ).vacancy_id


def test_the_candidates_email_is_shown_to_the_employer_only_after_acceptance(
    api: TestClient, tokens: dict[str, Headers], vacancy: str
) -> None:
    employer, employee = tokens["approver"], tokens["employee"]
    engagement = f"/vacancies/{vacancy}/candidates/E1"

    invited = api.post(f"{engagement}/invite", headers=employer)
    mine = api.get(engagement, headers=employee)
    accepted = api.post(f"/employees/E1/matches/{vacancy}/accept", headers=employee)
    seen = api.get(engagement, headers=employer)

    assert invited.status_code == 200, invited.text
    assert (invited.json()["stage"], invited.json()["candidate_email"]) == ("invited", None)
    assert mine.json()["stage"] == "invited"
    assert accepted.json()["stage"] == "accepted"
    assert seen.json()["candidate_email"] == EMPLOYEE_EMAIL


def test_an_interview_sets_the_outcome_due_45_days_later_and_the_outcome_closes_it(
    api: TestClient, tokens: dict[str, Headers], vacancy: str
) -> None:
    employer, employee = tokens["approver"], tokens["employee"]
    engagement = f"/vacancies/{vacancy}/candidates/E1"
    api.post(f"{engagement}/invite", headers=employer)
    api.post(f"/employees/E1/matches/{vacancy}/accept", headers=employee)

    interviewed = api.post(
        f"{engagement}/interview",
        headers=employer,
        json={"interviewed_at": "2026-05-04T09:00:00-04:00"},
    )
    hired = api.post(f"{engagement}/outcome", headers=employer, json={"hired": True})

    assert interviewed.json()["outcome_due"].startswith("2026-06-18T09:00")
    assert hired.json()["stage"] == "hired"


def test_accepting_without_an_invitation_is_refused_and_records_nothing(
    api: TestClient, api_services: Services, tokens: dict[str, Headers], vacancy: str
) -> None:
    before = footprint(api_services)

    response = api.post(f"/employees/E1/matches/{vacancy}/accept", headers=tokens["employee"])

    assert_problem(response, 404, "not_found")
    assert footprint(api_services) == before


def test_a_rejection_without_a_reason_is_refused_and_records_nothing(
    api: TestClient, api_services: Services, tokens: dict[str, Headers], vacancy: str
) -> None:
    api.post(f"/employees/E1/matches/{vacancy}/interest", headers=tokens["employee"])
    before = footprint(api_services)

    response = api.post(
        f"/vacancies/{vacancy}/candidates/E1/reject", headers=tokens["approver"], json={}
    )

    assert response.status_code == 422
    assert footprint(api_services) == before
