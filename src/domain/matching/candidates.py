"""Candidates: employees and job seekers who opted in to being matched.

What the matcher reads of a candidate is here and only here (the region, whether they would
relocate, their declared skills); a job seeker's name and e-mail are in :class:`JobSeeker`,
which the matcher never reads."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from carepassport.domain.base import CreatedEvent, DomainEvent, aggregate_id
from carepassport.domain.errors import InvalidValue

REGION = re.compile(r"^[A-Za-z][A-Za-z .'-]{0,63}$")


def region_name(value: str) -> str:
    """An Ontario region as people name it (e.g. ``Toronto``, ``Ottawa``), compared as written
    with the case folded."""
    value = " ".join(value.split())
    if not REGION.match(value):
        raise InvalidValue(f"region {value!r} must be 1-64 letters, spaces, '.', ''' or '-'")
    return value.title()


class CandidateKind(StrEnum):
    EMPLOYEE = "employee"
    SEEKER = "seeker"


class JobSeeker(Aggregate):
    """Someone looking for work who is not an employee of a member employer."""

    class SeekerAdded(CreatedEvent):
        personal: ClassVar[dict[str, str]] = {"email": "email", "name": "person:seeker_id"}
        seeker_id: str
        email: str
        name: str
        added_at: datetime
        business_time_field = "added_at"

    def __init__(self, seeker_id: str, email: str, name: str, added_at: datetime) -> None:
        self.seeker_id = seeker_id
        self.email = email
        self.name = name

    @staticmethod
    def identity(seeker_id: str) -> UUID:
        return aggregate_id("job-seeker", seeker_id)

    @classmethod
    def add(cls, seeker_id: str, email: str, name: str, at: datetime) -> JobSeeker:
        if not name.strip():
            raise InvalidValue("a job seeker needs a name")
        return cls._create(
            cls.SeekerAdded,
            id=cls.identity(seeker_id),
            timestamp=at,
            seeker_id=seeker_id,
            email=email,
            name=name.strip(),
            added_at=at,
        )


class Candidate(Aggregate):
    """One candidate's matching profile: matched only while opted in."""

    class CandidateOpened(CreatedEvent):
        candidate_id: str
        kind: str
        region: str
        relocate: bool
        opened_at: datetime
        business_time_field = "opened_at"

    class OptedIn(DomainEvent):
        region: str
        relocate: bool
        opted_at: datetime
        business_time_field = "opted_at"

        def apply(self, aggregate: Candidate) -> None:
            aggregate.opted_in = True
            aggregate.region = self.region
            aggregate.relocate = self.relocate

    class OptedOut(DomainEvent):
        opted_at: datetime
        business_time_field = "opted_at"

        def apply(self, aggregate: Candidate) -> None:
            aggregate.opted_in = False

    class SkillsDeclared(DomainEvent):
        skills: list[str]
        declared_at: datetime
        business_time_field = "declared_at"

        def apply(self, aggregate: Candidate) -> None:
            aggregate.declared = tuple(self.skills)

    def __init__(
        self, candidate_id: str, kind: str, region: str, relocate: bool, opened_at: datetime
    ) -> None:
        self.candidate_id = candidate_id
        self.kind = CandidateKind(kind)
        self.region = region
        self.relocate = relocate
        self.opted_in = False
        self.declared: tuple[str, ...] = ()

    @staticmethod
    def identity(candidate_id: str) -> UUID:
        return aggregate_id("candidate", candidate_id)

    @classmethod
    def open(
        cls, candidate_id: str, kind: CandidateKind, region: str, relocate: bool, at: datetime
    ) -> Candidate:
        return cls._create(
            cls.CandidateOpened,
            id=cls.identity(candidate_id),
            timestamp=at,
            candidate_id=candidate_id,
            kind=kind.value,
            region=region_name(region),
            relocate=relocate,
            opened_at=at,
        )

    def opt_in(self, region: str | None, relocate: bool | None, at: datetime) -> bool:
        """Matched from now (with a new region or relocation choice if given)."""
        chosen = region_name(region) if region else self.region
        moves = self.relocate if relocate is None else relocate
        if self.opted_in and (chosen, moves) == (self.region, self.relocate):
            return False
        self.trigger_event(self.OptedIn, timestamp=at, region=chosen, relocate=moves, opted_at=at)
        return True

    def opt_out(self, at: datetime) -> bool:
        if not self.opted_in:
            return False
        self.trigger_event(self.OptedOut, timestamp=at, opted_at=at)
        return True

    def declare(self, skills: list[str], at: datetime) -> bool:
        """Skills the candidate says they have (weighted lower; never a hard requirement)."""
        wanted = tuple(dict.fromkeys(skills))
        if wanted == self.declared:
            return False
        self.trigger_event(self.SkillsDeclared, timestamp=at, skills=list(wanted), declared_at=at)
        return True


class CandidatePool(Aggregate):
    """Who is opted in: the candidates a new vacancy is matched against."""

    class PoolOpened(CreatedEvent):
        opened_at: datetime
        business_time_field = "opened_at"

    class Joined(DomainEvent):
        candidate_id: str
        joined_at: datetime
        business_time_field = "joined_at"

        def apply(self, aggregate: CandidatePool) -> None:
            aggregate.members.add(self.candidate_id)

    class Left(DomainEvent):
        candidate_id: str
        left_at: datetime
        business_time_field = "left_at"

        def apply(self, aggregate: CandidatePool) -> None:
            aggregate.members.discard(self.candidate_id)

    def __init__(self, opened_at: datetime) -> None:
        self.members: set[str] = set()

    @staticmethod
    def identity() -> UUID:
        return aggregate_id("candidate-pool")

    @classmethod
    def open(cls, at: datetime) -> CandidatePool:
        return cls._create(cls.PoolOpened, id=cls.identity(), timestamp=at, opened_at=at)

    def join(self, candidate_id: str, at: datetime) -> None:
        if candidate_id not in self.members:
            self.trigger_event(self.Joined, timestamp=at, candidate_id=candidate_id, joined_at=at)

    def leave(self, candidate_id: str, at: datetime) -> None:
        if candidate_id in self.members:
            self.trigger_event(self.Left, timestamp=at, candidate_id=candidate_id, left_at=at)
