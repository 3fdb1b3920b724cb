"""The skills-gap analysis on every store: holders on a date, gaps, and the cheapest training
from approved colleges that closes each; a target framework as CSV."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.lms.memory import InMemoryLms
from carepassport.application.matching.gaps import Plan, parse_target
from carepassport.application.services import Services
from carepassport.domain.errors import InvalidValue, NotFound
from tests.conftest import toronto
from tests.integration.helpers import complete

PASSED = toronto(2026, 4, 7, 14)


@pytest.fixture
def workforce(college: Services, clock: SettableClock, lms: InMemoryLms) -> Services:
    """E1 and E2 must hold IPAC, E1 FIRE too; E1 holds IPAC. IPAC and FIRE start on June 1
    at the home college; IPAC teaches infection control."""
    college.reference.add_employee(
        "E2", employer="SUNNY", email="sam@example.org", student_number_="C0900002"
    )
    for employee, code in (("E1", "IPAC"), ("E1", "FIRE"), ("E2", "IPAC")):
        college.job_functions.require(employee, code)
    college.matching.add_curated_skills()
    college.matching.teach("IPAC", ["INFECTION-CONTROL"])
    for code in ("IPAC", "FIRE"):
        college.matching.add_intake(code, date(2026, 6, 1))
    complete(college, clock, lms, "IPAC", PASSED)
    return college


def test_each_required_micro_credential_shows_its_gap_and_the_cheapest_plan(
    workforce: Services,
) -> None:
    found = workforce.skills_gaps.report("SUNNY", on=date(2026, 9, 1))

    gaps = {g.target: g for g in found.gaps}
    assert (gaps["IPAC"].needed, gaps["IPAC"].holding, gaps["IPAC"].gap) == (2, 1, 1)
    assert gaps["IPAC"].plan == Plan(
        "IPAC", "HOME", 1, Decimal("125.00"), Decimal("125.00"), date(2026, 6, 15)
    )
    assert (gaps["FIRE"].gap, gaps["FIRE"].plan.total_fees if gaps["FIRE"].plan else None) == (
        1,
        Decimal("60.00"),
    )
    assert found.total_fees == Decimal("185.00")


def test_a_credential_expiring_before_the_date_counts_as_a_gap(workforce: Services) -> None:
    found = workforce.skills_gaps.report("SUNNY", on=date(2027, 6, 1))

    (ipac,) = [g for g in found.gaps if g.target == "IPAC"]
    assert (ipac.holding, ipac.expiring_before, ipac.gap) == (0, 1, 2)


def test_a_target_framework_counts_holders_of_the_skill_and_names_what_nothing_teaches(
    workforce: Services,
) -> None:
    target = parse_target("skill,headcount\nINFECTION-CONTROL,3\nDEMENTIA-CARE,1\n")

    found = workforce.skills_gaps.report("SUNNY", on=date(2026, 9, 1), target=target)

    infection, dementia = found.gaps
    assert (infection.holding, infection.gap) == (1, 2)
    assert infection.plan is not None and (infection.plan.code, infection.plan.seats) == ("IPAC", 2)
    assert (dementia.gap, dementia.plan, dementia.note) == (
        1,
        None,
        "no micro-credential teaches it",
    )


def test_a_target_csv_with_bad_lines_is_refused_whole_with_every_line_named() -> None:
    with pytest.raises(InvalidValue) as refused:
        parse_target("skill,headcount\nPPE,0\n,3\nPPE,2,extra\nPPE,2\nPPE,1\n")

    message = str(refused.value)
    for line in ("line 2", "line 3", "line 4", "line 6"):
        assert line in message
    assert "line 5" not in message


def test_a_date_in_the_past_is_refused(workforce: Services) -> None:
    with pytest.raises(InvalidValue, match="in the past"):
        workforce.skills_gaps.report("SUNNY", on=date(2026, 1, 1))


@pytest.fixture
def two_employers(workforce: Services) -> Services:
    """Besides SUNNY (E1, E2): SHADY, whose E3 must hold IPAC and does not."""
    workforce.reference.add_employer("SHADY", name="Shady Pines", approvers=["hr@shady.example"])
    workforce.reference.add_employee(
        "E3", employer="SHADY", email="e3@shady.example", student_number_="C0900003"
    )
    workforce.job_functions.require("E3", "IPAC")
    return workforce


def test_a_colleges_demand_adds_up_its_micro_credentials_across_employers(
    two_employers: Services,
) -> None:
    found = two_employers.skills_gaps.for_college("HOME", on=date(2026, 9, 1))

    ipac, fire = found.demand
    assert found.employers == ["SHADY", "SUNNY"]
    assert (ipac.code, ipac.employers, ipac.needed, ipac.holding, ipac.gap) == (
        "IPAC", 2, 3, 1, 2,
    )  # fmt: skip
    assert ipac.plan is not None and (ipac.plan.seats, ipac.plan.total_fees) == (
        2,
        Decimal("250.00"),
    )
    assert (fire.code, fire.employers, fire.gap) == ("FIRE", 1, 1)
    assert found.total_fees == Decimal("310.00")


def test_a_college_sees_only_the_micro_credentials_it_offers(two_employers: Services) -> None:
    two_employers.matching.add_college("NORTH", "Northern College", approved=True)
    two_employers.matching.offer("FIRE", "NORTH")

    north = two_employers.skills_gaps.for_college("NORTH", on=date(2026, 9, 1))
    home = two_employers.skills_gaps.for_college("HOME", on=date(2026, 9, 1))

    assert [d.code for d in north.demand] == ["FIRE"] and north.employers == ["SUNNY"]
    assert [d.code for d in home.demand] == ["IPAC"]


def test_an_unapproved_colleges_demand_has_no_plan_and_says_why(two_employers: Services) -> None:
    two_employers.matching.add_college("WEST", "Western Institute", approved=False)
    two_employers.matching.offer("FIRE", "WEST")

    (fire,) = two_employers.skills_gaps.for_college("WEST", on=date(2026, 9, 1)).demand

    assert (fire.gap, fire.plan) == (1, None)
    assert "not approved" in fire.note


def test_an_unknown_college_is_not_found(two_employers: Services) -> None:
    with pytest.raises(NotFound, match="college NOPE not found"):
        two_employers.skills_gaps.for_college("NOPE")
