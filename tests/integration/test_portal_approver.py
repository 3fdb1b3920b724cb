"""The approver's planning pages: who expires in the next 30/60/90 days, the 90-day expiry
calendar (a chart with the same figures as a table), the skills gap, and the vacancies."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.lms.memory import InMemoryLms
from carepassport.application.services import Services
from tests.conftest import toronto
from tests.integration.helpers import complete
from tests.integration.test_portal import portal, psw, sign_in

__all__ = ["portal", "psw"]  # the portal's fixtures, shared


def test_the_expiring_list_holds_who_expires_within_the_chosen_days(
    portal: TestClient, psw: Services, clock: SettableClock, lms: InMemoryLms
) -> None:
    complete(psw, clock, lms, "IPAC", toronto(2026, 4, 7, 14, 0))  # valid until 2027-04-07
    clock.set(toronto(2027, 3, 1, 10, 0))
    sign_in(portal, psw, "approver", "SUNNY")

    within_30 = portal.get("/portal/expiring?within=30").text
    within_60 = portal.get("/portal/expiring?within=60").text

    assert "Apr 7, 2027" not in within_30 and "Nothing to show." in within_30
    assert "Apr 7, 2027" in within_60 and "IPAC" in within_60 and "E1" in within_60


def test_an_expiring_period_other_than_30_60_or_90_days_is_refused(
    portal: TestClient, psw: Services
) -> None:
    sign_in(portal, psw, "approver", "SUNNY")

    answer = portal.get("/portal/expiring?within=7")

    assert answer.status_code == 400 and "30, 60 or 90" in answer.text


def test_the_calendar_counts_each_last_valid_day_in_chart_and_table_alike(
    portal: TestClient, psw: Services, clock: SettableClock, lms: InMemoryLms
) -> None:
    complete(psw, clock, lms, "IPAC", toronto(2026, 4, 7, 14, 0))  # valid until 2027-04-07
    clock.set(toronto(2027, 3, 1, 10, 0))
    sign_in(portal, psw, "approver", "SUNNY")

    page = portal.get("/portal/calendar").text

    assert '<time datetime="2027-04-07">7</time> <strong>1</strong>' in page
    assert re.search(r'<svg role="img" aria-labelledby="weeks-title"', page)
    values = re.findall(r'class="value">(\d+)</text>', page)
    assert len(values) == 13 and sorted(values)[-1] == "1" and values.count("1") == 1


def test_the_calendar_shows_nothing_beyond_ninety_days(
    portal: TestClient, psw: Services, clock: SettableClock, lms: InMemoryLms
) -> None:
    complete(psw, clock, lms, "IPAC", toronto(2026, 4, 7, 14, 0))
    clock.set(toronto(2026, 12, 1, 10, 0))  # 2027-04-07 is 127 days away
    sign_in(portal, psw, "approver", "SUNNY")

    page = portal.get("/portal/calendar").text

    assert "</time> <strong>" not in page and "2027-04-07" not in page


def test_the_skills_gap_page_lists_each_required_micro_credential_short(
    portal: TestClient, psw: Services, clock: SettableClock, lms: InMemoryLms
) -> None:
    complete(psw, clock, lms, "IPAC", toronto(2026, 4, 7, 14, 0))
    sign_in(portal, psw, "approver", "SUNNY")

    page = portal.get("/portal/skills-gap").text

    rows = dict(re.findall(r"<tr><td>(IPAC|WHMIS)</td><td>1</td><td>(\d)</td>", page))
    assert rows == {"IPAC": "1", "WHMIS": "0"}


def test_a_skills_gap_date_in_the_past_is_refused_with_its_reason(
    portal: TestClient, psw: Services
) -> None:
    sign_in(portal, psw, "approver", "SUNNY")

    answer = portal.get("/portal/skills-gap?on=2000-01-01")

    assert answer.status_code == 400 and "in the past" in answer.text


def test_an_employer_without_vacancies_is_told_how_to_post_one(
    portal: TestClient, psw: Services
) -> None:
    sign_in(portal, psw, "approver", "SUNNY")

    page = portal.get("/portal/vacancies").text

    assert "No vacancy is posted" in page


def test_an_employee_cannot_open_the_approvers_pages(portal: TestClient, psw: Services) -> None:
    sign_in(portal, psw, "employee", "E1")

    statuses = {
        path: portal.get(path).status_code
        for path in (
            "/portal/expiring",
            "/portal/calendar",
            "/portal/skills-gap",
            "/portal/vacancies",
        )
    }

    assert set(statuses.values()) == {403}, statuses


def test_the_compliance_report_pages_fifty_rows_at_a_time_keeping_its_filters(
    portal: TestClient, psw: Services
) -> None:
    for n in range(2, 32):  # with E1, 31 PSWs: 62 lines
        psw.reference.add_employee(
            f"E{n:02d}", employer="SUNNY", email=f"e{n}@example.org", job_function="PSW"
        )
    sign_in(portal, psw, "approver", "SUNNY")

    first = portal.get("/portal/compliance?state=never_completed").text
    second = portal.get("/portal/compliance?state=never_completed&page=2").text

    rows = re.compile(r"<tr><td>(E\d+)</td>")
    assert len(rows.findall(first)) == 50 and len(rows.findall(second)) == 12
    assert 'href="?state=never_completed&amp;job_function=&amp;q=&amp;page=2">Next' in first
    assert 'page=1">Previous' in second and ">Next<" not in second
    assert not set(rows.findall(first)) & set(rows.findall(second))


def test_the_trend_page_shows_twelve_months_in_chart_and_table_alike(
    portal: TestClient, psw: Services, clock: SettableClock, lms: InMemoryLms
) -> None:
    complete(psw, clock, lms, "IPAC", toronto(2026, 4, 7, 14, 0))
    complete(psw, clock, lms, "WHMIS", toronto(2026, 6, 10, 14, 0))
    clock.set(toronto(2026, 8, 15, 12, 0))
    sign_in(portal, psw, "approver", "SUNNY")

    page = portal.get("/portal/trend").text

    rows = re.findall(r'<th scope="row">(\d{4}-\d\d)</th><td>(\d+)</td><td>(\d+)</td>', page)
    bars = re.findall(r'class="value">(\d+)</text>', page)
    assert len(rows) == len(bars) == 12
    assert dict((m, c) for m, _, c in rows)["2026-05"] == "0"
    assert bars[-1] == "100" and bars[0] == "0"


def test_the_compliance_report_is_searched_by_employee_or_micro_credential(
    portal: TestClient, psw: Services
) -> None:
    for n in range(2, 5):
        psw.reference.add_employee(
            f"E{n:02d}", employer="SUNNY", email=f"e{n}@example.org", job_function="PSW"
        )
    sign_in(portal, psw, "approver", "SUNNY")

    by_employee = portal.get("/portal/compliance?q=e03").text
    by_code = portal.get("/portal/compliance?q=whmis").text

    rows = re.compile(r"<tr><td>(E\d+)</td><td>PSW</td><td>(\w+)</td>")
    assert rows.findall(by_employee) == [("E03", "IPAC"), ("E03", "WHMIS")]
    assert {code for _, code in rows.findall(by_code)} == {"WHMIS"}
    assert len(rows.findall(by_code)) == 4
