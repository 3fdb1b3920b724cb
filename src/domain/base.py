"""What every aggregate shares: deterministic identities and event metadata for schedules."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any, ClassVar
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from carepassport.domain.values import Deadline

NAMESPACE = UUID("6f1b1c1e-6a2f-4f8e-9d59-8c2b0f5a7c3d")


def aggregate_id(kind: str, *parts: object) -> UUID:
    """A stable identity derived from a kind and natural keys (uuid5: replays give the same id)."""
    return _named("/".join([kind, *(str(part) for part in parts)]))


@lru_cache(maxsize=4096)
def _named(name: str) -> UUID:
    """uuid5 in our namespace; a command derives the same few ids many times (a SHA-1 each)."""
    return uuid5(NAMESPACE, name)


class DomainEvent(Aggregate.Event):
    """Base of every event: names its business-time field, the deadlines it sets and settles.

    ``business_time_field`` names the attribute holding when the fact happened in the world (the
    library's ``timestamp`` is when it was recorded). ``schedules`` names attributes holding
    :class:`Deadline` values this event sets; ``settles`` names scheduled actions it completes.
    """

    business_time_field: ClassVar[str] = ""
    schedules: ClassVar[tuple[str, ...]] = ()
    settles: ClassVar[tuple[str, ...]] = ()

    @property
    def business_time(self) -> datetime:
        """When the fact happened in the world."""
        value: datetime = getattr(self, self.business_time_field)
        return value

    def deadlines(self) -> tuple[Deadline, ...]:
        """The deadlines this event sets (a field may hold one or a list)."""
        found: list[Deadline] = []
        for name in self.schedules:
            value = getattr(self, name)
            found.extend(value if isinstance(value, list | tuple) else [value])
        return tuple(found)

    def settled_actions(self) -> tuple[str, ...]:
        """The scheduled actions this event completes or cancels."""
        return self.settles


class CreatedEvent(Aggregate.Created, DomainEvent):
    """Base of every aggregate's first event."""


def payload(event: Aggregate.Event) -> dict[str, Any]:
    """An event's own attributes, without the library's envelope."""
    skip = {"originator_id", "originator_version", "timestamp", "originator_topic"}
    return {key: value for key, value in event.__dict__.items() if key not in skip}
