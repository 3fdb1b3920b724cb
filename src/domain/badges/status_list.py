"""W3C Bitstring Status List: which badges are revoked and which suspended.

A list has :data:`LIST_SIZE` entries (the specification's minimum, 131,072, for herd privacy);
each badge holds one index, the same in the revocation and the suspension list. The bits are
published GZIP-compressed and multibase base64url-encoded (``u…``)."""

from __future__ import annotations

import base64
import gzip
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import Aggregate

from carepassport.domain.base import CreatedEvent, DomainEvent, aggregate_id
from carepassport.domain.errors import InvalidValue

LIST_SIZE = 131_072
"""Entries per list: 16 KiB of bits, the minimum the specification asks for."""
BASE64URL = "u"
STRIDE = 40_503
"""Indices are handed out in the order ``n * STRIDE mod LIST_SIZE`` (odd, so every index once):
neighbouring badges do not hold neighbouring entries, and an index tells nothing of when."""
_STRIDE_INVERSE = pow(STRIDE, -1, LIST_SIZE)


class StatusPurpose(StrEnum):
    """The two lists each badge has an entry in."""

    REVOCATION = "revocation"
    SUSPENSION = "suspension"


def encode_bits(set_bits: set[int], size: int = LIST_SIZE) -> str:
    """``encodedList``: the bitstring (index 0 is the most significant bit of the first byte),
    GZIP-compressed, base64url without padding, with the multibase prefix ``u``."""
    data = bytearray(size // 8)
    for index in set_bits:
        if not 0 <= index < size:
            raise InvalidValue(f"status index {index} is outside the list")
        data[index // 8] |= 0x80 >> (index % 8)
    packed = gzip.compress(bytes(data), mtime=0)
    return BASE64URL + base64.urlsafe_b64encode(packed).decode("ascii").rstrip("=")


def decode_bits(encoded: str) -> bytes:
    """The bitstring of an ``encodedList`` (a bad encoding is refused)."""
    if not encoded.startswith(BASE64URL):
        raise InvalidValue("encodedList is not multibase base64url ('u…')")
    body = encoded[1:]
    try:
        packed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        return gzip.decompress(packed)
    except (ValueError, OSError, EOFError) as error:
        raise InvalidValue(f"encodedList does not decode: {error}") from error


def bit(bits: bytes, index: int) -> bool:
    """Whether entry ``index`` of a decoded bitstring is set."""
    if not 0 <= index < len(bits) * 8:
        raise InvalidValue(f"status index {index} is outside the list of {len(bits) * 8}")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


class StatusList(Aggregate):
    """Status list number ``number``: hands out indices in order and keeps the set bits."""

    class StatusListOpened(CreatedEvent):
        number: int
        opened_at: datetime
        business_time_field = "opened_at"

    class StatusIndexAllocated(DomainEvent):
        index: int
        badge_id: UUID
        allocated_at: datetime
        business_time_field = "allocated_at"

        def apply(self, aggregate: StatusList) -> None:
            aggregate.allocated += 1

    class StatusBitChanged(DomainEvent):
        index: int
        purpose: str
        value: bool
        changed_at: datetime
        business_time_field = "changed_at"

        def apply(self, aggregate: StatusList) -> None:
            bits = aggregate.bits.setdefault(self.purpose, [])
            if self.value and self.index not in bits:
                bits.append(self.index)
            elif not self.value and self.index in bits:
                bits.remove(self.index)

    def __init__(self, number: int, opened_at: datetime) -> None:
        self.number = number
        self.allocated = 0
        self.bits: dict[str, list[int]] = {}

    @staticmethod
    def identity(number: int) -> UUID:
        """Status list ``number`` (1, 2, …)."""
        return aggregate_id("status-list", number)

    @classmethod
    def open(cls, number: int, at: datetime) -> StatusList:
        """A new, empty list."""
        return cls._create(
            cls.StatusListOpened,
            id=cls.identity(number),
            timestamp=at,
            number=number,
            opened_at=at,
        )

    @property
    def full(self) -> bool:
        """Whether every index has been handed out."""
        return self.allocated >= LIST_SIZE

    def allocate(self, badge_id: UUID, at: datetime) -> int:
        """The next free index, now ``badge_id``'s."""
        if self.full:
            raise InvalidValue(f"status list {self.number} is full")
        index = self.allocated * STRIDE % LIST_SIZE
        self.trigger_event(
            self.StatusIndexAllocated, timestamp=at, index=index, badge_id=badge_id, allocated_at=at
        )
        return index

    def set(self, index: int, purpose: StatusPurpose, value: bool, at: datetime) -> None:
        """Set or clear entry ``index`` of the ``purpose`` list (no event if unchanged)."""
        if not self.handed_out(index):
            raise InvalidValue(f"status index {index} was never handed out")
        if self.is_set(index, purpose) == value:
            return
        self.trigger_event(
            self.StatusBitChanged,
            timestamp=at,
            index=index,
            purpose=purpose.value,
            value=value,
            changed_at=at,
        )

    def handed_out(self, index: int) -> bool:
        """Whether entry ``index`` belongs to a badge."""
        return 0 <= index < LIST_SIZE and index * _STRIDE_INVERSE % LIST_SIZE < self.allocated

    def is_set(self, index: int, purpose: StatusPurpose) -> bool:
        """Whether entry ``index`` of the ``purpose`` list is set."""
        return index in self.bits.get(purpose.value, [])

    def encoded(self, purpose: StatusPurpose) -> str:
        """The ``encodedList`` of the ``purpose`` list."""
        return encode_bits(set(self.bits.get(purpose.value, [])))
