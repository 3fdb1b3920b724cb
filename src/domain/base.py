"""What every aggregate shares: deterministic identities and event metadata for schedules."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from hashlib import sha1
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from carepassport.domain.values import Deadline

NAMESPACE = UUID("6f1b1c1e-6a2f-4f8e-9d59-8c2b0f5a7c3d")
_NAMESPACE_BYTES = NAMESPACE.bytes
IDENTITIES_REMEMBERED = 8192
"""Recently derived identities kept (a sync batch derives each result's, claim's and
registrations' several times); bounded, so memory stays flat."""


@lru_cache(maxsize=IDENTITIES_REMEMBERED, typed=True)
def aggregate_id(kind: str, *parts: object) -> UUID:
    """A stable identity derived from a kind and natural keys (uuid5: replays give the same id).

    ``uuid.uuid5`` computed directly (same digest, same version bits), and remembered: it is a
    pure function of its arguments (``typed``, so ``1`` and ``True`` stay apart)."""
    name = "/".join([kind, *map(str, parts)])
    return UUID(bytes=sha1(_NAMESPACE_BYTES + name.encode()).digest()[:16], version=5)


class DomainEvent(Aggregate.Event):
    """Base of every event: names its business-time field, the deadlines it sets and settles.

    ``business_time_field`` names the attribute holding when the fact happened in the world (the
    library's ``timestamp`` is when it was recorded). ``schedules`` names attributes holding
    :class:`Deadline` values this event sets; ``settles`` names scheduled actions it completes.
    """

    business_time_field: ClassVar[str] = ""
    schedules: ClassVar[tuple[str, ...]] = ()
    settles: ClassVar[tuple[str, ...]] = ()
    personal: ClassVar[dict[str, str]] = {}
    """Attributes holding personal data, each with whose it is, for the store to seal them
    (docs/adr/0023): ``"email"`` or ``"student"`` for an e-mail address or student number
    (or a list of them), each the subject of its own key; ``"email:F"``, ``"student:F"`` for
    text about the address or number in attribute ``F``; ``"person:F"`` for text about the
    person whose id is in ``F``; ``"record"`` for text that may name several people (sealed
    under a key of this aggregate's own); ``"json:..."`` before any of these for a structured
    value. Once a subject is erased, its values read as ``ERASED``."""

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
