"""The match of one candidate to one vacancy: pure, explainable, and blind to who they are.

Inputs are only what a requirement asks about: the micro-credentials a candidate holds (with
their validity and standing, and where the fact comes from), the skills they declared, their
region and whether they would relocate. No name, age, gender, e-mail or address is an input:
:class:`Profile` has no field for one.

* Hard requirements: each required micro-credential valid on the start date.
* Soft: the vacancy's skills, weighted 1-5; a skill taught by a micro-credential the candidate
  holds valid on the start date counts in full, a declared one half (never more).
* ``score`` = 100 x (requirements held / required + weighted skill coverage) / 2, rounded half
  up (a part with nothing asked counts as met); ``stars`` = score / 20, rounded half up.
* ``eligible``: every requirement held. ``trainable``: the ones missing can all be closed by a
  micro-credential of an approved college finishing before the start (an intake on or after
  today, plus its access days, on or before the start date). Otherwise ``unmatched``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

import attrs

ALGORITHM = "carepassport-match/1"
DECLARED_CREDIT = Decimal("0.5")


class Source(StrEnum):
    PUBLISHED = "published"
    RECOGNISED = "recognised"
    DECLARED = "declared"


class State(StrEnum):
    HELD = "held"
    EXPIRES_BEFORE_START = "expires_before_start"
    EXPIRED = "expired"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    MISSING = "missing"


class Outcome(StrEnum):
    ELIGIBLE = "eligible"
    TRAINABLE = "trainable"
    UNMATCHED = "unmatched"


@attrs.frozen
class Held:
    """A micro-credential a candidate holds, and where that fact comes from."""

    code: str
    valid_until: date | None
    standing: str
    source: Source
    reference: str
    """The credential's or recognised badge's id, as the result shows it."""


@attrs.frozen
class Profile:
    """Everything the matcher knows of a candidate."""

    candidate_id: str
    region: str
    relocate: bool
    held: tuple[Held, ...]
    declared: frozenset[str] = frozenset()


@attrs.frozen
class Need:
    """What a vacancy asks."""

    region: str
    starts: date
    requires: tuple[str, ...]
    skills: tuple[tuple[str, int], ...]


@attrs.frozen
class Course:
    """A micro-credential an approved college trains, with its intakes."""

    code: str
    college_id: str
    intakes: tuple[date, ...]
    access_days: int
    fee: Decimal


@attrs.frozen
class PlanStep:
    code: str
    college_id: str
    starts: date
    finishes: date
    fee: Decimal


@attrs.frozen
class Requirement:
    code: str
    state: State
    source: str = ""
    reference: str = ""
    valid_until: date | None = None


@attrs.frozen
class SkillMatch:
    skill: str
    weight: int
    credit: Decimal
    source: str = ""
    via: str = ""


@attrs.frozen
class Result:
    candidate_id: str
    outcome: Outcome
    score: int
    stars: int
    requirements: tuple[Requirement, ...]
    skills: tuple[SkillMatch, ...]
    plan: tuple[PlanStep, ...] = ()
    algorithm: str = ALGORITHM


def in_region(need: Need, profile: Profile) -> bool:
    return profile.relocate or profile.region.casefold() == need.region.casefold()


def _requirement(code: str, held: Sequence[Held], today: date, starts: date) -> Requirement:
    mine = [h for h in held if h.code == code]
    if not mine:
        return Requirement(code, State.MISSING)

    def state(h: Held) -> State:
        if h.standing in ("revoked", "recertification_required"):
            return State.REVOKED
        if h.standing == "suspended":
            return State.SUSPENDED
        if h.valid_until is not None and h.valid_until < today:
            return State.EXPIRED
        if h.valid_until is not None and h.valid_until < starts:
            return State.EXPIRES_BEFORE_START
        return State.HELD

    order = list(State)
    best = min(
        mine, key=lambda h: (order.index(state(h)), -(h.valid_until or date.max).toordinal())
    )
    return Requirement(code, state(best), best.source.value, best.reference, best.valid_until)


def _half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def plan_for(
    missing: Sequence[str], courses: Mapping[str, Sequence[Course]], today: date, starts: date
) -> tuple[PlanStep, ...] | None:
    """The earliest-finishing (then cheapest) way to close each missing requirement before
    ``starts``, or None when one cannot be closed in time."""
    plan = []
    for code in missing:
        options = [
            PlanStep(c.code, c.college_id, s, s + timedelta(days=c.access_days), c.fee)
            for c in courses.get(code, ())
            for s in c.intakes
            if s >= today and s + timedelta(days=c.access_days) <= starts
        ]
        if not options:
            return None
        plan.append(min(options, key=lambda p: (p.finishes, p.fee, p.college_id)))
    return tuple(plan)


def match(
    need: Need,
    profile: Profile,
    teaches: Mapping[str, Sequence[str]],
    courses: Mapping[str, Sequence[Course]],
    today: date,
) -> Result:
    """The result of ``profile`` for ``need`` (see the module's rules)."""
    requirements = tuple(_requirement(c, profile.held, today, need.starts) for c in need.requires)
    met = sum(1 for r in requirements if r.state is State.HELD)
    valid = [
        h for h in profile.held if _requirement(h.code, [h], today, need.starts).state is State.HELD
    ]
    skills = []
    for skill, weight in need.skills:
        teaching = next((h for h in valid if skill in teaches.get(h.code, ())), None)
        if teaching is not None:
            skills.append(
                SkillMatch(skill, weight, Decimal(1), teaching.source.value, teaching.code)
            )
        elif skill in profile.declared:
            skills.append(SkillMatch(skill, weight, DECLARED_CREDIT, Source.DECLARED.value))
        else:
            skills.append(SkillMatch(skill, weight, Decimal(0)))
    hard = Decimal(met) / len(requirements) if requirements else Decimal(1)
    total = sum(s.weight for s in skills)
    covered = sum((s.weight * s.credit for s in skills), Decimal(0))
    soft = covered / total if total else Decimal(1)
    score = _half_up((hard + soft) * 50)
    stars = _half_up(Decimal(score) / 20)
    missing = [r.code for r in requirements if r.state is not State.HELD]
    plan: tuple[PlanStep, ...] = ()
    if not missing:
        outcome = Outcome.ELIGIBLE
    elif (found := plan_for(missing, courses, today, need.starts)) is not None:
        outcome, plan = Outcome.TRAINABLE, found
    else:
        outcome = Outcome.UNMATCHED
    return Result(profile.candidate_id, outcome, score, stars, requirements, tuple(skills), plan)
