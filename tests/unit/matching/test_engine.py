"""The vectorised matcher gives, vacancy by vacancy, the reference matcher's top 50, and one
changed candidate the same vacancies."""

from __future__ import annotations

from datetime import timedelta

import pytest
from bench.matching import CODES, SKILLS, TODAY, engine, market, profiles

from carepassport.application.matching.engine import Board, Engine
from carepassport.domain.matching.matcher import Outcome, in_region, match

CANDIDATES, VACANCIES = 3000, 30


@pytest.fixture(scope="module")
def sample():  # type: ignore[no-untyped-def]
    m = market(CANDIDATES, VACANCIES, seed=11)
    return m, engine(m), profiles(m)


def reference_top(m, people, need, k=50):  # type: ignore[no-untyped-def]
    results = [match(need, p, m.teaches, {}, TODAY) for p in people if in_region(need, p)]
    eligible = [r for r in results if r.outcome is Outcome.ELIGIBLE]
    ranked = sorted(eligible, key=lambda r: (-r.score, r.candidate_id))[:k]
    return [r.candidate_id for r in ranked], [r.score for r in ranked], len(eligible)


def test_every_vacancys_top_50_is_the_reference_matchers(sample) -> None:  # type: ignore[no-untyped-def]
    m, e, people = sample
    compared = 0
    for need in m.needs:
        found = e.top(need)
        assert (found.candidates, found.scores, found.eligible) == reference_top(m, people, need)
        compared += found.eligible
    assert compared > 0  # the sample has eligible candidates to compare


def test_the_engine_built_from_profiles_answers_the_same(sample) -> None:  # type: ignore[no-untyped-def]
    m, e, people = sample
    rebuilt = Engine.from_profiles(people, CODES, SKILLS, m.teaches, TODAY)
    for need in m.needs[:10]:
        assert rebuilt.top(need) == e.top(need)


def test_a_changed_candidate_is_eligible_for_the_vacancies_the_reference_says(sample) -> None:  # type: ignore[no-untyped-def]
    m, e, people = sample
    board = Board.of(e, m.needs)
    for row in range(0, CANDIDATES, 7):
        flags = e.vacancies_for(row, board)
        expected = [
            in_region(need, people[row])
            and match(need, people[row], m.teaches, {}, TODAY).outcome is Outcome.ELIGIBLE
            for need in m.needs
        ]
        assert flags.tolist() == expected


def test_a_start_after_every_credential_expires_leaves_nobody_eligible(sample) -> None:  # type: ignore[no-untyped-def]
    m, e, _ = sample
    need = m.needs[0]
    late = type(need)(need.region, TODAY + timedelta(days=4000), need.requires, need.skills)
    assert e.top(late).eligible == 0
