"""Erasures of a person's personal data (crypto-shredding, ADR 0023): who asked, when and why,
and how much was made unreadable; never what it was."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate

from carepassport.domain.base import CreatedEvent, DomainEvent, aggregate_id
from carepassport.domain.errors import InvalidValue

REASON_MAX = 500


def erasure_reason(value: str) -> str:
    """Why a person's data is erased: one line of text, required."""
    reason = " ".join(value.split())
    if not reason:
        raise InvalidValue("an erasure needs a reason (e.g. the request's reference)")
    if len(reason) > REASON_MAX:
        raise InvalidValue(f"an erasure's reason is at most {REASON_MAX} characters")
    return reason


class _Erased(DomainEvent):
    """What an erasure records: whose, by whom, why, when, and how much; never what."""

    person_id: str
    erased_by: str
    reason: str
    erased_at: datetime
    keys: int
    """Data keys deleted (the person's own, their addresses' and their numbers')."""
    records: int
    """Records naming them (messages, replies, stored answers) whose keys were deleted."""
    business_time_field = "erased_at"


class PersonErasures(Aggregate):
    """Every erasure of one person's personal data (a person may be erased again, after new
    data about them was recorded)."""

    class PersonalDataErased(CreatedEvent, _Erased):
        """The first erasure of this person."""

    class PersonalDataErasedAgain(_Erased):
        """A later erasure (of what was recorded about them since)."""

        def apply(self, aggregate: PersonErasures) -> None:
            aggregate.count += 1
            aggregate.last_erased_at = self.erased_at

    def __init__(
        self,
        person_id: str,
        erased_by: str,
        reason: str,
        erased_at: datetime,
        keys: int,
        records: int,
    ) -> None:
        self.person_id = person_id
        self.count = 1
        self.last_erased_at = erased_at

    @staticmethod
    def identity(person_id: str) -> UUID:
        return aggregate_id("person-erasures", person_id)

    @classmethod
    def first(
        cls, person_id: str, by: str, reason: str, at: datetime, keys: int, records: int
    ) -> PersonErasures:
        """The first erasure of ``person_id``."""
        return cls._create(
            cls.PersonalDataErased,
            id=cls.identity(person_id),
            timestamp=at,
            person_id=person_id,
            erased_by=by,
            reason=erasure_reason(reason),
            erased_at=at,
            keys=keys,
            records=records,
        )

    def again(self, by: str, reason: str, at: datetime, keys: int, records: int) -> None:
        """Another erasure of the same person."""
        self.trigger_event(
            self.PersonalDataErasedAgain,
            timestamp=at,
            person_id=self.person_id,
            erased_by=by,
            reason=erasure_reason(reason),
            erased_at=at,
            keys=keys,
            records=records,
        )
