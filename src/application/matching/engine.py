"""The matcher for many at once: every candidate against every vacancy, exactly as
:func:`carepassport.domain.matching.matcher.match` scores eligible candidates, with numpy.

Layout (C candidates, K micro-credentials, S skills):

* ``valid``: C x K ``int16`` days (the last valid day of an *active* credential, counted from
  2000-01-01 and capped at 2089-09-18, :data:`NEVER`; 0 where none is held). A requirement is
  held on a start date ``s`` when ``valid[c, k] >= day(s)``. 400 MB at 1M candidates.
* per micro-credential, a bitset of its holders (C bits as 64-bit words, 25 MB for 200 at 1M),
  and per region a bitset of those in it or willing to relocate. A vacancy ANDs its region's
  and its requirements' bitsets (a few microseconds each), unpacks the words left non-zero and
  keeps, of those few candidates, the ones whose every requirement is still valid on the start
  date (filter first).
* ``teaches``: a skill x micro-credential matrix; ``declared``: per candidate, its declared
  skills (CSR). A vacancy's skills are scored for all its eligible candidates in a few matrix
  operations.

Scores are integers computed as the reference does (half up on exact fractions), so the top 50
are the same list, which a test checks against the reference on a sample.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

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
        self.id_rank = np.argsort(np.argsort(np.array(self.ids, dtype=object), kind="stable"))
        self.bits = _bitsets(valid)
        self.region_bits = np.stack(
            [_pack((regions == r) | relocate) for r in range(len(region_names))]
            + [_pack(relocate)]  # the last: a region nobody lives in
        )
        counts = np.array([d.size for d in declared], dtype=np.int64)
        self.declared_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.declared_skills = (
            np.concatenate([d.astype(np.int32) for d in declared])
            if counts.sum()
            else np.zeros(0, dtype=np.int32)
        )
        self.teach_matrix = np.zeros((len(skills), len(codes)), dtype=np.float32)
        for skill, taught_by in _by_skill(teaches).items():
            if skill in self.skill_index:
                for code in taught_by:
                    if code in self.code_index:
                        self.teach_matrix[self.skill_index[skill], self.code_index[code]] = 1.0

    @property
    def nbytes(self) -> int:
        """The bytes held by the engine's arrays."""
        arrays: list[npt.NDArray[Any]] = [self.valid, self.regions, self.relocate, self.id_rank]
        arrays.append(self.bits)
        arrays += [self.region_bits, self.declared_ptr, self.declared_skills, self.teach_matrix]
        return sum(a.nbytes for a in arrays)

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
        required = np.array([self.code_index[c] for c in need.requires], dtype=np.int64)
        region = self.region_index.get(need.region.casefold(), len(self.region_bits) - 1)
        words = self.region_bits[region].copy()
        for k in required:
            np.bitwise_and(words, self.bits[k], out=words)
        found = np.flatnonzero(words)
        if not found.size:
            return found
        flags = np.unpackbits(words[found].view(np.uint8), bitorder="little")
        at = np.flatnonzero(flags)
        rows: Ints = found[at >> 6] * 64 + (at & 63)
        if required.size:
            rows = rows[(self.valid[rows[:, None], required] >= start).all(axis=1)]
        return rows

    def scores(self, need: Need, rows: Ints) -> Ints:
        """The reference's score of each eligible row (requirements all held)."""
        total = sum(w for _, w in need.skills)
        if not total or not rows.size:
            return np.full(rows.size, 100, dtype=np.int64)
        known = [(self.skill_index[s], w) for s, w in need.skills if s in self.skill_index]
        index = np.array([i for i, _ in known], dtype=np.int64)
        weights = np.array([w for _, w in known], dtype=np.int64)
        held = (self.valid[rows] >= np.int16(day(need.starts))).astype(np.float32)
        covered = (held @ self.teach_matrix[index].T) > 0  # rows x the vacancy's skills
        declared = np.zeros(covered.shape, dtype=np.bool_)
        starts, ends = self.declared_ptr[rows], self.declared_ptr[rows + 1]
        counts = ends - starts
        if counts.sum():
            owner = np.repeat(np.arange(rows.size), counts)
            offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
            skills = self.declared_skills[np.repeat(starts, counts) + offsets]
            position = np.full(len(self.skill_index), -1, dtype=np.int64)
            position[index] = np.arange(index.size)
            hit = position[skills]
            keep = hit >= 0
            declared[owner[keep], hit[keep]] = True
        credit2 = covered @ (2 * weights) + (declared & ~covered) @ weights  # twice the weight
        denominator = 2 * total
        doubled = 50 * (denominator + credit2)  # 100 x (1 + soft) / 2, over the denominator
        result: Ints = (2 * doubled + denominator) // (2 * denominator)
        return result

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


def _pack(flags: npt.NDArray[np.bool_]) -> npt.NDArray[np.uint64]:
    """``flags`` as a bitset of 64-bit words (bit ``i % 64`` of word ``i // 64``)."""
    packed = np.packbits(flags, bitorder="little")
    padded = np.zeros(-(-packed.size // 8) * 8, dtype=np.uint8)
    padded[: packed.size] = packed
    return padded.view(np.uint64)


def _bitsets(valid: npt.NDArray[np.int16]) -> npt.NDArray[np.uint64]:
    """Per micro-credential (row), the bitset of the candidates holding it on any day."""
    rows, columns = valid.shape
    words = -(-rows // 64)
    packed = np.zeros((columns, words * 8), dtype=np.uint8)
    chunk = 64 * 1024  # rows, a multiple of 8
    for first in range(0, rows, chunk):
        block = np.packbits(valid[first : first + chunk] > 0, axis=0, bitorder="little")
        packed[:, first // 8 : first // 8 + block.shape[0]] = block.T
    return packed.view(np.uint64)


def _by_skill(teaches: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    by: dict[str, list[str]] = {}
    for code, skills in teaches.items():
        for skill in skills:
            by.setdefault(skill, []).append(code)
    return by
