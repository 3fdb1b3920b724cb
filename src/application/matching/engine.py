"""The matcher for many at once: every candidate against every vacancy, exactly as
:func:`carepassport.domain.matching.matcher.match` scores eligible candidates, with numpy.

Layout (C candidates, K micro-credentials, S skills):

* ``valid``: C x K ``int16`` days (the last valid day of an *active* credential, counted from
  2000-01-01 and capped at 2089-09-18, :data:`NEVER`; 0 where none is held). A requirement is
  held on a start date ``s`` when ``valid[c, k] >= day(s)``. 400 MB at 1M candidates.
* per micro-credential, only its holders, sorted by that day, latest first: those valid on
  ``s`` are a prefix, found by binary search. A vacancy starts from the shortest such prefix
  among its requirements and keeps, requirement by requirement, those holding the others
  (filter first).
* ``teaches``: for each skill the micro-credentials that teach it; ``declared``: per candidate,
  a sorted array of declared skills.

Scores are integers computed as the reference does (half up on exact fractions), so the top 50
are the same list, which a test checks against the reference on a sample.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from itertools import pairwise

import attrs
import numpy as np
import numpy.typing as npt

from carepassport.domain.matching.matcher import Need, Profile, State, _requirement

EPOCH = date(1999, 12, 31).toordinal()
NEVER = int(np.iinfo(np.int16).max)
"""The day held by a credential that never expires (and by any after 2089-09-18)."""


def day(moment: date) -> int:
    """``moment`` as the engine's day number (1 = 2000-01-01)."""
    return max(1, min(moment.toordinal() - EPOCH, NEVER))


Ints = npt.NDArray[np.int64]


@attrs.frozen
class Ranked:
    """One vacancy's best eligible candidates, best first."""

    candidates: list[str]
    scores: list[int]
    eligible: int


class Engine:
    """Holds the candidates' validity table and answers vacancies and changed candidates."""

    def __init__(
        self,
        candidate_ids: Sequence[str],
        codes: Sequence[str],
        valid: npt.NDArray[np.int16],
        regions: npt.NDArray[np.int32],
        relocate: npt.NDArray[np.bool_],
        region_names: Sequence[str],
        declared: Sequence[Ints],
        skills: Sequence[str],
        teaches: Mapping[str, Sequence[str]],
    ) -> None:
        self.ids = list(candidate_ids)
        self.code_index = {code: i for i, code in enumerate(codes)}
        self.skill_index = {skill: i for i, skill in enumerate(skills)}
        self.region_index = {name.casefold(): i for i, name in enumerate(region_names)}
        self.valid = valid
        self.regions = regions
        self.relocate = relocate
        self.declared = declared
        self.id_rank = np.argsort(np.argsort(np.array(self.ids, dtype=object), kind="stable"))
        self.holders: list[npt.NDArray[np.int32]] = []
        self.holder_days: list[npt.NDArray[np.int16]] = []  # negated: ascending
        for k in range(valid.shape[1]):
            column = valid[:, k]
            rows = np.flatnonzero(column).astype(np.int32)
            rows = rows[np.argsort(-column[rows], kind="stable")]
            self.holders.append(rows)
            self.holder_days.append((-column[rows]).astype(np.int16))
        self.declared_by = _declared_by(declared)
        self.teaching = {
            self.skill_index[s]: np.array(
                sorted(self.code_index[c] for c in cs if c in self.code_index), dtype=np.int64
            )
            for s, cs in _by_skill(teaches).items()
            if s in self.skill_index
        }

    @classmethod
    def from_profiles(
        cls,
        profiles: Sequence[Profile],
        codes: Sequence[str],
        skills: Sequence[str],
        teaches: Mapping[str, Sequence[str]],
        today: date,
    ) -> Engine:
        """An engine over ``profiles`` (what the reference matcher reads), for tests and for
        building from the store."""
        code_index = {c: i for i, c in enumerate(codes)}
        skill_index = {s: i for i, s in enumerate(skills)}
        names = sorted({p.region.casefold() for p in profiles})
        region_of = {n: i for i, n in enumerate(names)}
        valid = np.zeros((len(profiles), len(codes)), dtype=np.int16)
        for row, profile in enumerate(profiles):
            for held in profile.held:
                if held.code not in code_index:
                    continue
                state = _requirement(held.code, [held], today, today)
                if state.state is State.HELD or state.state is State.EXPIRES_BEFORE_START:
                    until = NEVER if held.valid_until is None else day(held.valid_until)
                    column = code_index[held.code]
                    valid[row, column] = max(int(valid[row, column]), until)
        return cls(
            [p.candidate_id for p in profiles],
            codes,
            valid,
            np.array([region_of[p.region.casefold()] for p in profiles], dtype=np.int32),
            np.array([p.relocate for p in profiles], dtype=np.bool_),
            names,
            [
                np.array(
                    sorted(skill_index[s] for s in p.declared if s in skill_index), dtype=np.int64
                )
                for p in profiles
            ],
            skills,
            teaches,
        )

    # --- one vacancy against every candidate ---------------------------------------------

    def eligible(self, need: Need) -> Ints:
        """Rows of the candidates holding every requirement on the start date, in region."""
        start = np.int16(day(need.starts))
        required = [self.code_index[c] for c in need.requires]
        if required:
            lengths = [
                int(self.holder_days[k].searchsorted(-start, side="right")) for k in required
            ]
            first = int(np.argmin(lengths))
            rows: Ints = self.holders[required[first]][: lengths[first]].astype(np.int64)
            for i, k in enumerate(required):
                if i != first and rows.size:
                    rows = rows[self.valid[rows, k] >= start]
        else:
            rows = np.arange(len(self.ids), dtype=np.int64)
        region = self.region_index.get(need.region.casefold(), -1)
        found: Ints = rows[(self.regions[rows] == region) | self.relocate[rows]]
        return found

    def scores(self, need: Need, rows: Ints) -> Ints:
        """The reference's score of each eligible row (requirements all held)."""
        start = np.int16(day(need.starts))
        total = sum(w for _, w in need.skills)
        if not total or not rows.size:
            return np.full(rows.size, 100, dtype=np.int64)
        credit2 = np.zeros(rows.size, dtype=np.int64)  # twice the covered weight
        for skill, weight in need.skills:
            index = self.skill_index.get(skill, -1)
            codes = self.teaching.get(index)
            covered = (
                (self.valid[rows][:, codes] >= start).any(axis=1)
                if codes is not None and codes.size
                else np.zeros(rows.size, dtype=np.bool_)
            )
            who = self.declared_by.get(index)
            declared = (
                np.isin(rows, who, assume_unique=True)
                if who is not None
                else np.zeros(rows.size, dtype=np.bool_)
            )
            credit2 += np.where(covered, 2 * weight, np.where(declared, weight, 0))
        denominator = 2 * total
        doubled = 50 * (denominator + credit2)  # 100 x (1 + soft) / 2, over the denominator
        return (2 * doubled + denominator) // (2 * denominator)

    def top(self, need: Need, k: int = 50) -> Ranked:
        """The ``k`` best eligible candidates: highest score first, then by candidate id."""
        rows = self.eligible(need)
        scores = self.scores(need, rows)
        best = np.lexsort((self.id_rank[rows], -scores))[:k]
        return Ranked(
            [self.ids[int(r)] for r in rows[best]], [int(s) for s in scores[best]], int(rows.size)
        )

    # --- one candidate against every vacancy ---------------------------------------------

    def vacancies_for(self, row: int, board: Board) -> npt.NDArray[np.bool_]:
        """Which of ``board``'s vacancies candidate ``row`` is eligible for."""
        if not board.size:
            return np.zeros(0, dtype=np.bool_)
        held = self.valid[row][board.codes] >= board.starts_per_code
        ok: npt.NDArray[np.bool_] = np.logical_and.reduceat(held, board.indptr[:-1])
        region = self.regions[row]
        here: npt.NDArray[np.bool_] = ok & ((board.regions == region) | bool(self.relocate[row]))
        return here


@attrs.frozen
class Board:
    """Every open vacancy's requirements, flattened (CSR) for one-candidate checks."""

    size: int
    codes: Ints
    starts_per_code: npt.NDArray[np.int16]
    indptr: Ints
    counts: Ints
    regions: npt.NDArray[np.int32]

    @classmethod
    def of(cls, engine: Engine, needs: Sequence[Need]) -> Board:
        codes, starts, indptr, counts = [], [], [0], []
        for need in needs:
            required = [engine.code_index[c] for c in need.requires] or [0]
            codes += required
            starts += [day(need.starts) if need.requires else 0] * len(required)
            indptr.append(len(codes))
            counts.append(len(need.requires))
        return cls(
            len(needs),
            np.array(codes, dtype=np.int64),
            np.array(starts, dtype=np.int16),
            np.array(indptr, dtype=np.int64),
            np.array(counts, dtype=np.int64),
            np.array(
                [engine.region_index.get(n.region.casefold(), -1) for n in needs], dtype=np.int32
            ),
        )


def _declared_by(declared: Sequence[Ints]) -> dict[int, Ints]:
    """Skill index -> the sorted rows of the candidates who declared it."""
    if not declared:
        return {}
    counts = np.array([d.size for d in declared], dtype=np.int64)
    rows = np.repeat(np.arange(len(declared), dtype=np.int64), counts)
    skills = np.concatenate([d.astype(np.int64) for d in declared]) if rows.size else rows
    order = np.lexsort((rows, skills))
    rows, skills = rows[order], skills[order]
    starts = np.flatnonzero(np.r_[True, skills[1:] != skills[:-1]]) if skills.size else skills
    bounds = [*starts.tolist(), int(skills.size)]
    return {int(skills[a]): rows[a:b] for a, b in pairwise(bounds)}


def _by_skill(teaches: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    by: dict[str, list[str]] = {}
    for code, skills in teaches.items():
        for skill in skills:
            by.setdefault(skill, []).append(code)
    return by
