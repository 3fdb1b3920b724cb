"""The skills a vacancy asks for and a micro-credential teaches."""

from __future__ import annotations

import re
from datetime import datetime
from uuid import UUID

import attrs
from eventsourcing.domain import Aggregate

from carepassport.domain.base import CreatedEvent, DomainEvent, aggregate_id
from carepassport.domain.errors import InvalidValue, NotFound

SKILL_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
URI = re.compile(r"^https?://[^\s<>\"]+$")


def skill_code(value: str) -> str:
    """A skill's code (compared upper-cased)."""
    value = value.strip()
    if not SKILL_CODE.match(value):
        raise InvalidValue(
            f"skill code {value!r} must be 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return value.upper()


@attrs.frozen
class Skill:
    """A skill: its code, name and, where one exists, its URI in a framework (e.g. ESCO)."""

    code: str
    name: str
    uri: str = ""


class SkillFramework(Aggregate):
    """Every skill known to the store, and which skills each micro-credential teaches."""

    class FrameworkOpened(CreatedEvent):
        opened_at: datetime
        business_time_field = "opened_at"

    class SkillAdded(DomainEvent):
        code: str
        name: str
        uri: str
        added_at: datetime
        business_time_field = "added_at"

        def apply(self, aggregate: SkillFramework) -> None:
            aggregate.skills[self.code] = Skill(self.code, self.name, self.uri)

    class SkillsTaught(DomainEvent):
        credential_code: str
        skills: list[str]
        set_at: datetime
        business_time_field = "set_at"

        def apply(self, aggregate: SkillFramework) -> None:
            aggregate.taught[self.credential_code] = tuple(self.skills)

    def __init__(self, opened_at: datetime) -> None:
        self.skills: dict[str, Skill] = {}
        self.taught: dict[str, tuple[str, ...]] = {}

    @staticmethod
    def identity() -> UUID:
        return aggregate_id("skill-framework")

    @classmethod
    def open(cls, at: datetime) -> SkillFramework:
        return cls._create(cls.FrameworkOpened, id=cls.identity(), timestamp=at, opened_at=at)

    def add(self, code: str, name: str, uri: str, at: datetime) -> Skill:
        """A new skill, or a known one renamed or given its URI; the same again changes
        nothing."""
        code, name, uri = skill_code(code), name.strip(), uri.strip()
        if not name:
            raise InvalidValue("a skill needs a name")
        if uri and not URI.match(uri):
            raise InvalidValue(f"{uri!r} is not an http(s) URI")
        wanted = Skill(code, name, uri)
        known = self.skills.get(code)
        if known == wanted:
            return known
        self.trigger_event(
            self.SkillAdded, timestamp=at, code=code, name=name, uri=uri, added_at=at
        )
        return self.skills[code]

    def teach(self, credential_code: str, skills: list[str], at: datetime) -> tuple[str, ...]:
        """``credential_code`` teaches these skills (replacing what it taught before)."""
        codes = list(dict.fromkeys(skill_code(s) for s in skills))
        unknown = [c for c in codes if c not in self.skills]
        if unknown:
            raise NotFound(f"unknown skills: {', '.join(unknown)}")
        if self.taught.get(credential_code, ()) != tuple(codes):
            self.trigger_event(
                self.SkillsTaught,
                timestamp=at,
                credential_code=credential_code,
                skills=codes,
                set_at=at,
            )
        return tuple(codes)

    def known(self, codes: list[str]) -> list[str]:
        """``codes`` as skill codes, every one known (``NotFound`` lists the others)."""
        wanted = [skill_code(c) for c in codes]
        unknown = [c for c in wanted if c not in self.skills]
        if unknown:
            raise NotFound(f"unknown skills: {', '.join(unknown)}")
        return wanted

    def taught_by(self, credential_code: str) -> tuple[str, ...]:
        return self.taught.get(credential_code, ())
