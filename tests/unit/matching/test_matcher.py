"""The matcher: each requirement's state, the score, trainable plans, and what it never reads."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from carepassport.domain.matching.matcher import (
    Course,
    Held,
    Need,
    Outcome,
    Profile,
    Source,
    State,
    match,
)

TODAY = date(2026, 8, 4)
STARTS = date(2026, 10, 1)
NEED = Need("Toronto", STARTS, ("IPAC",), (("INFECTION-CONTROL", 5), ("DEMENTIA-CARE", 3)))
TEACHES = {"IPAC": ("INFECTION-CONTROL",), "DEM": ("DEMENTIA-CARE",)}


def holding(code: str = "IPAC", until: date | None = date(2027, 8, 3), standing: str = "active"):
    return Held(code, until, standing, Source.PUBLISHED, f"cred-{code}")


def profile(*held: Held, declared: frozenset[str] = frozenset()) -> Profile:
    return Profile("E1", "Toronto", False, held, declared)


@pytest.mark.parametrize(
    ("held", "state"),
    [
        (holding(), State.HELD),
        (holding(until=STARTS - timedelta(days=1)), State.EXPIRES_BEFORE_START),
        (holding(until=TODAY - timedelta(days=1)), State.EXPIRED),
        (holding(standing="suspended"), State.SUSPENDED),
        (holding(standing="revoked"), State.REVOKED),
        (holding(standing="recertification_required"), State.REVOKED),
        (holding(code="FIRE"), State.MISSING),
    ],
    ids=["held", "expires-before-start", "expired", "suspended", "revoked", "recert", "missing"],
)
def test_each_requirement_is_named_with_its_state(held: Held, state: State) -> None:
    result = match(NEED, profile(held), TEACHES, {}, TODAY)

    assert result.requirements[0].state is state
    assert result.outcome is (Outcome.ELIGIBLE if state is State.HELD else Outcome.UNMATCHED)


def test_a_valid_until_on_the_start_date_meets_the_requirement() -> None:
    result = match(NEED, profile(holding(until=STARTS)), TEACHES, {}, TODAY)
    assert result.requirements[0].state is State.HELD


def test_the_score_averages_requirements_held_and_weighted_skill_coverage() -> None:
    result = match(NEED, profile(holding()), TEACHES, {}, TODAY)
    # requirements 1/1, skills 5/8 covered by IPAC: (1 + 0.625) / 2 = 81.25
    assert (result.score, result.stars) == (81, 4)
    assert [s.via for s in result.skills] == ["IPAC", ""]


def test_a_declared_skill_counts_half_and_never_meets_a_requirement() -> None:
    need = Need("Toronto", STARTS, ("DEM",), (("DEMENTIA-CARE", 4),))
    result = match(need, profile(declared=frozenset({"DEMENTIA-CARE"})), TEACHES, {}, TODAY)

    assert result.requirements[0].state is State.MISSING
    assert result.skills[0].credit == Decimal("0.5")
    assert result.score == 25


def test_an_expired_credential_teaches_no_skill() -> None:
    result = match(NEED, profile(holding(until=TODAY - timedelta(days=1))), TEACHES, {}, TODAY)
    assert result.score == 0


@pytest.mark.parametrize(
    ("access_days", "outcome"), [(14, Outcome.TRAINABLE), (15, Outcome.UNMATCHED)]
)
def test_trainable_only_when_the_course_finishes_by_the_start(
    access_days: int, outcome: Outcome
) -> None:
    intake = STARTS - timedelta(days=14)
    courses = {"IPAC": [Course("IPAC", "HOME", (intake,), access_days, Decimal("125"))]}

    result = match(NEED, profile(), TEACHES, courses, TODAY)

    assert result.outcome is outcome
    if outcome is Outcome.TRAINABLE:
        (step,) = result.plan
        assert (step.starts, step.finishes, step.fee) == (intake, STARTS, Decimal("125"))


def test_an_intake_already_past_cannot_close_a_gap() -> None:
    courses = {"IPAC": [Course("IPAC", "HOME", (TODAY - timedelta(days=1),), 1, Decimal(0))]}
    assert match(NEED, profile(), TEACHES, courses, TODAY).outcome is Outcome.UNMATCHED


def test_the_profile_has_no_field_for_a_protected_attribute() -> None:
    fields = {f.name for f in attrs.fields(Profile)}
    assert fields == {"candidate_id", "region", "relocate", "held", "declared"}


codes = st.sampled_from(["IPAC", "DEM", "FIRE"])
helds = st.builds(
    Held,
    code=codes,
    valid_until=st.one_of(st.none(), st.dates(date(2026, 1, 1), date(2028, 1, 1))),
    standing=st.sampled_from(["active", "suspended", "revoked"]),
    source=st.sampled_from([Source.PUBLISHED, Source.RECOGNISED]),
    reference=st.just("r"),
)


@given(held=st.lists(helds, max_size=4), extra=helds, declared=st.frozensets(codes))
def test_holding_more_never_lowers_the_score_and_it_stays_in_range(
    held: list[Held], extra: Held, declared: frozenset[str]
) -> None:
    need = Need(
        "Toronto", STARTS, ("IPAC", "DEM"), (("INFECTION-CONTROL", 2), ("DEMENTIA-CARE", 5))
    )
    before = match(need, profile(*held, declared=declared), TEACHES, {}, TODAY)
    after = match(need, profile(*held, extra, declared=declared), TEACHES, {}, TODAY)

    assert 0 <= before.score <= 100 and 0 <= before.stars <= 5
    assert after.score >= before.score
