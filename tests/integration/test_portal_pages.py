"""The portal's further pages: an employee registers where their sponsorship is enabled and
follows each credential's timeline; an approver reads the compliance report, filtered and as
CSV; an auditor reads a record's history as known at a time."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.lms.memory import InMemoryLms
from carepassport.application.services import Services
from carepassport.domain.compliance.job_function import JobFunction
from carepassport.domain.values import EmployeeId
from tests.conftest import APPROVER, toronto
from tests.integration.helpers import complete
from tests.integration.test_portal import portal, psw, sign_in

__all__ = ["portal", "psw"]  # the portal's fixtures, shared


def test_an_employee_registers_where_the_sponsorship_is_enabled(
    portal: TestClient, psw: Services, clock: SettableClock
) -> None:
    clock.set(toronto(2026, 4, 6, 10, 0))
    view = psw.sponsorships.request("E1", ["IPAC"])
    psw.sponsorships.approve(view.sponsorship_id, by=APPROVER)
    clock.set(toronto(2026, 4, 7, 9, 30))  # R4: enabled at 09:00 the next business day
    psw.scheduler.tick()
    csrf = sign_in(portal, psw, "employee", "E1")
    assert "Register in IPAC" in portal.get("/portal/credentials").text

    answer = portal.post("/portal/registrations", data={"csrf": csrf, "code": "IPAC"})

    page = portal.get("/portal/credentials").text
    assert answer.status_code == 303 and answer.headers["location"] == "/portal/credentials"
    assert "Register in IPAC" not in page
    assert "Registered" in page and "Access until" in page and "2 left" in page
    (registration,) = psw.registrations.of_employee(EmployeeId("E1"), "IPAC")
    assert registration.sponsorship_id == view.sponsorship_id


def test_a_published_credential_shows_its_whole_timeline_and_badge_section(
    portal: TestClient, psw: Services, clock: SettableClock, lms: InMemoryLms
) -> None:
    complete(psw, clock, lms, "IPAC", toronto(2026, 4, 7, 14, 0))
    sign_in(portal, psw, "employee", "E1")

    page = portal.get("/portal/credentials").text

    for step in ("Registered", "Access from", "Recorded", "Published"):
        assert step in page
    assert "Valid until Apr 7, 2027" in page
    assert "My badges" in page


def test_an_approver_filters_the_compliance_report_and_downloads_it(
    portal: TestClient, psw: Services, clock: SettableClock, lms: InMemoryLms
) -> None:
    complete(psw, clock, lms, "IPAC", toronto(2026, 4, 7, 14, 0))
    sign_in(portal, psw, "approver", "SUNNY")

    everything = portal.get("/portal/compliance").text
    never = portal.get("/portal/compliance?state=never_completed").text
    csv = portal.get("/portal/compliance.csv")

    assert "IPAC" in everything and "WHMIS" in everything
    assert "WHMIS" in never and ">IPAC<" not in never
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0].startswith("employer_id,employee_id")


def test_an_unknown_report_state_is_refused_with_a_page(portal: TestClient, psw: Services) -> None:
    sign_in(portal, psw, "approver", "SUNNY")

    answer = portal.get("/portal/compliance?state=<b>bogus</b>")

    assert answer.status_code == 400 and "<b>bogus</b>" not in answer.text


def test_an_employee_may_not_read_the_compliance_report(portal: TestClient, psw: Services) -> None:
    sign_in(portal, psw, "employee", "E1")

    assert portal.get("/portal/compliance").status_code == 403
    assert portal.get("/portal/compliance.csv").status_code == 403


def test_an_auditor_reads_a_history_as_known_at_a_time(
    portal: TestClient, psw: Services, clock: SettableClock
) -> None:
    clock.set(toronto(2026, 4, 6, 10, 0))
    view = psw.sponsorships.request("E1", ["IPAC"])
    clock.set(toronto(2026, 4, 6, 15, 0))
    psw.sponsorships.approve(view.sponsorship_id, by=APPROVER)
    sign_in(portal, psw, "auditor", "audit")

    now = portal.get(f"/portal/history?record={view.sponsorship_id}").text
    then = portal.get(
        f"/portal/history?record={view.sponsorship_id}&known_at=2026-04-06T12:00"
    ).text

    assert "ApprovalGranted" in now
    assert "SponsorshipRequested" in then and "ApprovalGranted" not in then


def test_an_employee_may_not_read_histories(portal: TestClient, psw: Services) -> None:
    sign_in(portal, psw, "employee", "E1")

    assert portal.get("/portal/history").status_code == 403


def test_a_long_history_is_shown_fifty_events_a_page(portal: TestClient, psw: Services) -> None:
    for n in range(2, 62):  # 60 more members: the job function's 62nd event and beyond
        psw.reference.add_employee(
            f"E{n:02d}", employer="SUNNY", email=f"e{n}@example.org", job_function="PSW"
        )
    record = JobFunction.identity("PSW")
    total = len(psw.histories.history(str(record)).events)
    sign_in(portal, psw, "auditor", "audit")

    first = portal.get(f"/portal/history?record={record}").text
    second = portal.get(f"/portal/history?record={record}&page=2").text

    rows = re.compile(r"<tr><td>(\d+)</td><td>\w+</td>")
    assert total > 60 and f"{total} events" in first and "page 1 of 2" in first
    assert rows.findall(first) == [str(v) for v in range(1, 51)]
    assert rows.findall(second) == [str(v) for v in range(51, total + 1)]
    assert f"record={record}&amp;known_at=&amp;page=2" in first
