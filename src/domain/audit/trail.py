"""The audit trail: the log's name (its origin), the keys that sign its checkpoints and the
checkpoints made, one a day at 00:05 after the midnight sync (scheduled) or on demand."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from uuid import UUID

import attrs
from eventsourcing.domain import Aggregate

from carepassport.domain.base import CreatedEvent, DomainEvent, aggregate_id
from carepassport.domain.errors import InvalidValue
from carepassport.domain.time import at_local, local
from carepassport.domain.values import Deadline

AUDIT_CHECKPOINT = "audit_checkpoint"
CHECKPOINT_TIME = time(0, 5)
"""Five minutes after the midnight sync (R9), every day, America/Toronto."""
CHECKPOINT_CALENDAR = "daily-00:05:America/Toronto"


def next_checkpoint(moment: datetime) -> datetime:
    """The first 00:05 (Toronto) strictly after ``moment``."""
    today = at_local(local(moment).date(), CHECKPOINT_TIME)
    return (
        today
        if today > moment
        else at_local(local(moment).date() + timedelta(days=1), CHECKPOINT_TIME)
    )


@attrs.frozen
class AuditKey:
    """A checkpoint signing key: its key id in the key folder, its note name, its public key."""

    key_id: str
    name: str
    public_key: str
    """Multikey (``z6Mk…``)."""
    created_at: datetime


@attrs.frozen
class Made:
    """One checkpoint as recorded: the tree head it signs and the note."""

    size: int
    root: str
    """Hex."""
    key_id: str
    note: str
    made_at: datetime
    scheduled: bool


@attrs.frozen
class Verified:
    """One verification of the log as recorded: how much it covered and what it found."""

    verified_at: datetime
    by: str
    size: int
    verified: bool
    checkpoints: int
    failed_checkpoints: int
    divergence_at: int | None
    """The leaf index where the log first differed (None when it did not)."""


class AuditTrail(Aggregate):
    """One per store."""

    class TrailOpened(CreatedEvent):
        origin: str
        opened_at: datetime
        first: Deadline
        business_time_field = "opened_at"
        schedules = ("first",)

    class AuditKeyCreated(DomainEvent):
        key_id: str
        name: str
        public_key: str
        created_at: datetime
        business_time_field = "created_at"

        def apply(self, aggregate: AuditTrail) -> None:
            aggregate.keys.append(
                AuditKey(self.key_id, self.name, self.public_key, self.created_at)
            )

    class CheckpointMade(DomainEvent):
        size: int
        root: str
        key_id: str
        note: str
        made_at: datetime
        business_time_field = "made_at"

        def apply(self, aggregate: AuditTrail) -> None:
            aggregate.checkpoints.append(
                Made(self.size, self.root, self.key_id, self.note, self.made_at, False)
            )

    class DailyCheckpointMade(CheckpointMade):
        next: Deadline
        schedules = ("next",)
        settles = (AUDIT_CHECKPOINT,)

        def apply(self, aggregate: AuditTrail) -> None:
            aggregate.checkpoints.append(
                Made(self.size, self.root, self.key_id, self.note, self.made_at, True)
            )
            aggregate.next = self.next

    class DailyCheckpointSkipped(DomainEvent):
        reason: str
        skipped_at: datetime
        next: Deadline
        business_time_field = "skipped_at"
        schedules = ("next",)
        settles = (AUDIT_CHECKPOINT,)

        def apply(self, aggregate: AuditTrail) -> None:
            aggregate.next = self.next

    class LogVerified(DomainEvent):
        verified_at: datetime
        by: str
        size: int
        verified: bool
        checkpoints: int
        failed_checkpoints: int
        divergence_at: int | None
        business_time_field = "verified_at"

        def apply(self, aggregate: AuditTrail) -> None:
            aggregate.verifications.append(
                Verified(
                    self.verified_at,
                    self.by,
                    self.size,
                    self.verified,
                    self.checkpoints,
                    self.failed_checkpoints,
                    self.divergence_at,
                )
            )

    def __init__(self, origin: str, opened_at: datetime, first: Deadline) -> None:
        self.origin = origin
        self.next = first
        self.keys: list[AuditKey] = []
        self.checkpoints: list[Made] = []
        self.verifications: list[Verified] = []

    @staticmethod
    def identity() -> UUID:
        return aggregate_id("audit-trail")

    @classmethod
    def open(cls, origin: str, at: datetime) -> AuditTrail:
        if not origin or any(c.isspace() or c == "+" for c in origin):
            raise InvalidValue(f"the log's origin {origin!r} must be one word without '+'")
        return cls._create(
            cls.TrailOpened,
            id=cls.identity(),
            timestamp=at,
            origin=origin,
            opened_at=at,
            first=_deadline(next_checkpoint(at)),
        )

    @property
    def key(self) -> AuditKey | None:
        """The key that signs new checkpoints (the latest created)."""
        return self.keys[-1] if self.keys else None

    def add_key(self, key_id: str, public_key: str, at: datetime) -> AuditKey:
        self.trigger_event(
            self.AuditKeyCreated,
            timestamp=at,
            key_id=key_id,
            name=self.origin,
            public_key=public_key,
            created_at=at,
        )
        return self.keys[-1]

    def made(self, size: int, root: str, note: str, at: datetime, scheduled: bool) -> None:
        """A checkpoint of the first ``size`` events was signed with the current key."""
        key = self.key
        if key is None:
            raise InvalidValue("the audit trail has no key to sign with")
        fields = {"size": size, "root": root, "key_id": key.key_id, "note": note, "made_at": at}
        if scheduled:
            after = max(self.next.due_at, at)  # missed days are not made up one by one
            self.trigger_event(
                self.DailyCheckpointMade,
                timestamp=at,
                **fields,
                next=_deadline(next_checkpoint(after)),
            )
        else:
            self.trigger_event(self.CheckpointMade, timestamp=at, **fields)

    def skipped(self, reason: str, at: datetime) -> None:
        """The daily checkpoint could not be signed (no key folder): tried again tomorrow."""
        self.trigger_event(
            self.DailyCheckpointSkipped,
            timestamp=at,
            reason=reason,
            skipped_at=at,
            next=_deadline(next_checkpoint(max(self.next.due_at, at))),
        )

    def verification(self, found: Verified) -> None:
        """The log was verified (by whom, how far, with what result)."""
        self.trigger_event(
            self.LogVerified,
            timestamp=found.verified_at,
            **attrs.asdict(found),
        )


def _deadline(due: datetime) -> Deadline:
    return Deadline(AUDIT_CHECKPOINT, "A1", due, CHECKPOINT_CALENDAR, 0)
