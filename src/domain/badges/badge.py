"""Badge: one signed Open Badges 3.0 credential, issued once for one published completion.

Its identity is derived from what it attests (a completion, or a pathway's components), so
issuing twice is impossible: the second try finds the first. The signed document is recorded
as issued, with its SHA-256, the status-list entry it was given and the key that signed it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from carepassport.domain.base import CreatedEvent, DomainEvent, aggregate_id
from carepassport.domain.errors import InvalidTransition


class BadgeKind(StrEnum):
    """What a badge attests."""

    MICRO_CREDENTIAL = "micro-credential"
    PATHWAY = "pathway"


class BadgeStatus(StrEnum):
    """A badge's status as shown to people (the status lists carry the same)."""

    ACTIVE = "active"
    EXPIRED = "expired"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


class Badge(Aggregate):
    """A signed credential and what the college decided about it since."""

    class BadgeIssued(CreatedEvent):
        kind: str
        employee_id: str
        code: str
        completion_id: UUID | None
        status_list: int
        status_index: int
        key_id: str
        valid_from: datetime
        valid_until: datetime | None
        document: dict[str, Any]
        digest: str
        components: list[UUID]
        """The component badges a pathway badge stacks (empty for a micro-credential)."""
        issued_at: datetime
        business_time_field = "issued_at"

    class _StatusChanged(DomainEvent):
        personal: ClassVar[dict[str, str]] = {"reason": "person:employee_id"}
        reason: str
        changed_at: datetime
        employee_id: str = ""
        """Whose badge (recorded since personal data is sealed, ADR 0023)."""
        business_time_field = "changed_at"

    class BadgeSuspended(_StatusChanged):
        def apply(self, aggregate: Badge) -> None:
            aggregate.suspended = True

    class BadgeReinstated(_StatusChanged):
        def apply(self, aggregate: Badge) -> None:
            aggregate.suspended = False

    class BadgeRevoked(_StatusChanged):
        def apply(self, aggregate: Badge) -> None:
            aggregate.revoked = True

    def __init__(
        self,
        kind: str,
        employee_id: str,
        code: str,
        completion_id: UUID | None,
        status_list: int,
        status_index: int,
        key_id: str,
        valid_from: datetime,
        valid_until: datetime | None,
        document: dict[str, Any],
        digest: str,
        components: list[UUID],
        issued_at: datetime,
    ) -> None:
        self.kind = BadgeKind(kind)
        self.employee_id = employee_id
        self.code = code
        self.completion_id = completion_id
        self.status_list = status_list
        self.status_index = status_index
        self.key_id = key_id
        self.valid_from = valid_from
        self.valid_until = valid_until
        self.document = document
        self.digest = digest
        self.components = list(components)
        self.issued_at = issued_at
        self.suspended = False
        self.revoked = False

    @staticmethod
    def for_completion(completion_id: UUID) -> UUID:
        """The badge of a published completion (there is at most one)."""
        return aggregate_id("badge", completion_id)

    @staticmethod
    def for_pathway(employee_id: str, pathway: str, components: tuple[UUID, ...]) -> UUID:
        """The pathway badge earned with these component badges (one per set of components)."""
        return aggregate_id("badge", "pathway", employee_id, pathway, *sorted(map(str, components)))

    @classmethod
    def issue(
        cls,
        badge_id: UUID,
        kind: BadgeKind,
        employee_id: str,
        code: str,
        completion_id: UUID | None,
        status: tuple[int, int],
        key_id: str,
        valid_from: datetime,
        valid_until: datetime | None,
        document: dict[str, Any],
        digest: str,
        at: datetime,
        components: tuple[UUID, ...] = (),
    ) -> Badge:
        """Record a signed credential as issued."""
        return cls._create(
            cls.BadgeIssued,
            id=badge_id,
            timestamp=at,
            kind=kind.value,
            employee_id=employee_id,
            code=code,
            completion_id=completion_id,
            status_list=status[0],
            status_index=status[1],
            key_id=key_id,
            valid_from=valid_from,
            valid_until=valid_until,
            document=document,
            digest=digest,
            components=list(components),
            issued_at=at,
        )

    def status(self, now: datetime) -> BadgeStatus:
        """Revoked, suspended, expired (past ``valid_until``) or active."""
        if self.revoked:
            return BadgeStatus.REVOKED
        if self.suspended:
            return BadgeStatus.SUSPENDED
        if self.valid_until is not None and now > self.valid_until:
            return BadgeStatus.EXPIRED
        return BadgeStatus.ACTIVE

    def suspend(self, reason: str, at: datetime) -> bool:
        """Suspended (its suspension bit set); False if it already is, or is revoked."""
        if self.suspended or self.revoked:
            return False
        self.trigger_event(
            self.BadgeSuspended,
            timestamp=at,
            reason=reason,
            changed_at=at,
            employee_id=self.employee_id,
        )
        return True

    def reinstate(self, reason: str, at: datetime) -> bool:
        """No longer suspended; False if it was not."""
        if not self.suspended or self.revoked:
            return False
        self.trigger_event(
            self.BadgeReinstated,
            timestamp=at,
            reason=reason,
            changed_at=at,
            employee_id=self.employee_id,
        )
        return True

    def revoke(self, reason: str, at: datetime) -> bool:
        """Revoked for good (its revocation bit set); False if it already is."""
        if self.revoked:
            return False
        self.trigger_event(
            self.BadgeRevoked,
            timestamp=at,
            reason=reason,
            changed_at=at,
            employee_id=self.employee_id,
        )
        return True

    def require_active(self, now: datetime) -> None:
        """Refuse what only an active badge may do."""
        status = self.status(now)
        if status is not BadgeStatus.ACTIVE:
            raise InvalidTransition(f"badge {self.id} is {status.value}")
