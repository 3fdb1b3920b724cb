"""Stacking and recognition rules: pathways of micro-credentials, foreign achievements
accepted as equivalent, and each employee's wallet of pathway and recognised badges."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from carepassport.domain.badges.issuer import IMAGE_TYPES
from carepassport.domain.base import CreatedEvent, DomainEvent, aggregate_id
from carepassport.domain.errors import AlreadyExists, InvalidValue, NotFound

PATHWAY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
PATHWAY_TYPE = "ext:Pathway"
"""The ``achievementType`` of a pathway credential (OB 3.0 allows ``ext:`` types)."""


@dataclass(frozen=True)
class Pathway:
    """A stack of micro-credentials that together earn a pathway credential."""

    name: str
    title: str
    codes: tuple[str, ...]


@dataclass(frozen=True)
class Equivalent:
    """A foreign achievement a catalogue entry accepts in its place."""

    code: str
    achievement_id: str
    issuer_id: str


class BadgeRules(Aggregate):
    """The store's pathways and accepted equivalents."""

    class RulesOpened(CreatedEvent):
        opened_at: datetime
        business_time_field = "opened_at"

    class PathwayAdded(DomainEvent):
        name: str
        title: str
        codes: list[str]
        added_at: datetime
        business_time_field = "added_at"

        def apply(self, aggregate: BadgeRules) -> None:
            aggregate.pathways[self.name] = Pathway(self.name, self.title, tuple(self.codes))

    class EquivalentAccepted(DomainEvent):
        code: str
        achievement_id: str
        issuer_id: str
        accepted_at: datetime
        business_time_field = "accepted_at"

        def apply(self, aggregate: BadgeRules) -> None:
            aggregate.equivalents.append(Equivalent(self.code, self.achievement_id, self.issuer_id))

    class EntryImageSet(DomainEvent):
        """A catalogue entry's own badge image (a PNG or SVG data URL; empty: the drawn one)."""

        code: str
        media_type: str
        data_url: str
        set_at: datetime
        business_time_field = "set_at"

        def apply(self, aggregate: BadgeRules) -> None:
            if self.data_url:
                aggregate.images[self.code] = (self.media_type, self.data_url)
            else:
                aggregate.images.pop(self.code, None)

    def __init__(self, opened_at: datetime) -> None:
        self.pathways: dict[str, Pathway] = {}
        self.equivalents: list[Equivalent] = []
        self.images: dict[str, tuple[str, str]] = {}
        """Catalogue code -> (media type, data URL) of the entry's own badge image."""

    @staticmethod
    def identity() -> UUID:
        return aggregate_id("badge-rules")

    @classmethod
    def open(cls, at: datetime) -> BadgeRules:
        return cls._create(cls.RulesOpened, id=cls.identity(), timestamp=at, opened_at=at)

    def add_pathway(self, name: str, title: str, codes: list[str], at: datetime) -> Pathway:
        """A new pathway of at least two distinct micro-credentials."""
        if not PATHWAY_NAME.match(name):
            raise InvalidValue(f"pathway name {name!r} is not a simple name")
        if name in self.pathways:
            raise AlreadyExists(f"there is already a pathway {name}")
        unique = list(dict.fromkeys(codes))
        if len(unique) < 2:
            raise InvalidValue("a pathway stacks at least two micro-credentials")
        self.trigger_event(
            self.PathwayAdded,
            timestamp=at,
            name=name,
            title=title or name,
            codes=unique,
            added_at=at,
        )
        return self.pathways[name]

    def pathways_with(self, code: str) -> list[Pathway]:
        """The pathways that ``code`` is a component of."""
        return [p for p in self.pathways.values() if code in p.codes]

    def pathway(self, name: str) -> Pathway:
        found = self.pathways.get(name)
        if found is None:
            raise NotFound(f"there is no pathway {name}")
        return found

    def accept(self, code: str, achievement_id: str, issuer_id: str, at: datetime) -> None:
        """``code`` accepts the foreign achievement (from ``issuer_id``, or any issuer)."""
        if not achievement_id.strip():
            raise InvalidValue("name the foreign achievement's id")
        wanted = Equivalent(code, achievement_id.strip(), issuer_id.strip())
        if wanted in self.equivalents:
            return
        self.trigger_event(
            self.EquivalentAccepted,
            timestamp=at,
            code=wanted.code,
            achievement_id=wanted.achievement_id,
            issuer_id=wanted.issuer_id,
            accepted_at=at,
        )

    def set_image(self, code: str, media_type: str, data_url: str, at: datetime) -> None:
        """``code``'s badges show this image (``data_url`` empty: the drawn one again)."""
        if data_url and media_type not in IMAGE_TYPES:
            raise InvalidValue(f"a badge image is one of {', '.join(IMAGE_TYPES)}")
        if self.images.get(code, ("", "")) == (media_type, data_url) or (
            not data_url and code not in self.images
        ):
            return
        self.trigger_event(
            self.EntryImageSet,
            timestamp=at,
            code=code,
            media_type=media_type if data_url else "",
            data_url=data_url,
            set_at=at,
        )

    def image_of(self, code: str, media_type: str) -> str | None:
        """The data URL of ``code``'s own image if it is of ``media_type``."""
        found = self.images.get(code)
        return found[1] if found and found[0] == media_type else None

    def equivalent_of(self, achievement_id: str, issuer_id: str) -> str | None:
        """The catalogue code a foreign achievement counts as, if any."""
        for rule in self.equivalents:
            if rule.achievement_id == achievement_id and rule.issuer_id in ("", issuer_id):
                return rule.code
        return None


@dataclass(frozen=True)
class Recognised:
    """A verified credential of another issuer, recorded for an employee."""

    credential_id: str
    digest: str
    issuer_id: str
    issuer_name: str
    achievement_id: str
    achievement_name: str
    valid_from: datetime
    valid_until: datetime | None
    counts_as: str | None
    recognised_at: datetime


class BadgeWallet(Aggregate):
    """An employee's pathway badges and recognised foreign credentials (their micro-credential
    badges are found from their credentials)."""

    class WalletOpened(CreatedEvent):
        employee_id: str
        opened_at: datetime
        business_time_field = "opened_at"

    class PathwayBadgeAdded(DomainEvent):
        badge_id: UUID
        pathway: str
        added_at: datetime
        business_time_field = "added_at"

        def apply(self, aggregate: BadgeWallet) -> None:
            aggregate.pathway_badges.append(self.badge_id)

    class ForeignBadgeRecognised(DomainEvent):
        credential_id: str
        digest: str
        issuer_id: str
        issuer_name: str
        achievement_id: str
        achievement_name: str
        valid_from: datetime
        valid_until: datetime | None
        counts_as: str | None
        document: dict[str, Any]
        recognised_at: datetime
        business_time_field = "recognised_at"

        def apply(self, aggregate: BadgeWallet) -> None:
            fields = {name: getattr(self, name) for name in Recognised.__dataclass_fields__}
            aggregate.recognised.append(Recognised(**fields))

    def __init__(self, employee_id: str, opened_at: datetime) -> None:
        self.employee_id = employee_id
        self.pathway_badges: list[UUID] = []
        self.recognised: list[Recognised] = []

    @staticmethod
    def identity(employee_id: str) -> UUID:
        return aggregate_id("badge-wallet", employee_id)

    @classmethod
    def open(cls, employee_id: str, at: datetime) -> BadgeWallet:
        return cls._create(
            cls.WalletOpened,
            id=cls.identity(employee_id),
            timestamp=at,
            employee_id=employee_id,
            opened_at=at,
        )

    def add_pathway_badge(self, badge_id: UUID, pathway: str, at: datetime) -> None:
        if badge_id not in self.pathway_badges:
            self.trigger_event(
                self.PathwayBadgeAdded,
                timestamp=at,
                badge_id=badge_id,
                pathway=pathway,
                added_at=at,
            )

    def recognise(self, found: Recognised, document: dict[str, Any]) -> None:
        """Record a verified foreign credential (the same one twice is refused)."""
        if any(r.digest == found.digest for r in self.recognised):
            raise AlreadyExists(f"credential {found.credential_id} is already recognised")
        self.trigger_event(
            self.ForeignBadgeRecognised,
            timestamp=found.recognised_at,
            credential_id=found.credential_id,
            digest=found.digest,
            issuer_id=found.issuer_id,
            issuer_name=found.issuer_name,
            achievement_id=found.achievement_id,
            achievement_name=found.achievement_name,
            valid_from=found.valid_from,
            valid_until=found.valid_until,
            counts_as=found.counts_as,
            document=document,
            recognised_at=found.recognised_at,
        )
