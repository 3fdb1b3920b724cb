"""Bitstring Status List: the encoding, and the list aggregate handing out entries."""

from __future__ import annotations

import base64
import gzip
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carepassport.domain.badges.status_list import (
    LIST_SIZE,
    StatusList,
    StatusPurpose,
    bit,
    decode_bits,
    encode_bits,
)
from carepassport.domain.errors import InvalidValue

AT = datetime(2026, 12, 5, 15, tzinfo=UTC)


def test_an_empty_list_is_131072_zero_bits_gzipped_and_base64url_with_the_u_prefix() -> None:
    encoded = encode_bits(set())

    assert encoded.startswith("u")
    raw = gzip.decompress(base64.urlsafe_b64decode(encoded[1:] + "=" * (-len(encoded[1:]) % 4)))
    assert raw == bytes(LIST_SIZE // 8)


def test_index_zero_is_the_most_significant_bit_of_the_first_byte() -> None:
    raw = decode_bits(encode_bits({0, 9}))

    assert raw[0] == 0x80
    assert raw[1] == 0x40


@given(st.sets(st.integers(min_value=0, max_value=LIST_SIZE - 1), max_size=50))
def test_every_set_bit_and_only_those_decode_as_set(indices: set[int]) -> None:
    raw = decode_bits(encode_bits(indices))

    probes = indices | {0, LIST_SIZE - 1, 12345}
    assert {i for i in probes if bit(raw, i)} == indices


def test_an_encoded_list_without_the_multibase_prefix_is_refused() -> None:
    with pytest.raises(InvalidValue):
        decode_bits("H4sIAAAAAAAA")


def test_an_index_outside_the_list_is_refused() -> None:
    with pytest.raises(InvalidValue):
        encode_bits({LIST_SIZE})


def test_a_list_hands_out_distinct_entries_that_are_not_in_order() -> None:
    status_list = StatusList.open(1, AT)

    indices = [status_list.allocate(uuid4(), AT) for _ in range(1000)]

    assert len(set(indices)) == 1000
    assert indices != sorted(indices)
    assert all(status_list.handed_out(i) for i in indices)
    assert sum(status_list.handed_out(i) for i in range(LIST_SIZE)) == 1000


def test_setting_a_bit_of_an_entry_never_handed_out_is_refused() -> None:
    status_list = StatusList.open(1, AT)
    status_list.allocate(uuid4(), AT)

    with pytest.raises(InvalidValue):
        status_list.set(1, StatusPurpose.REVOCATION, True, AT)


def test_setting_and_clearing_a_suspension_bit_leaves_the_revocation_list_alone() -> None:
    status_list = StatusList.open(1, AT)
    index = status_list.allocate(uuid4(), AT)

    status_list.set(index, StatusPurpose.SUSPENSION, True, AT)
    assert status_list.is_set(index, StatusPurpose.SUSPENSION)
    assert not status_list.is_set(index, StatusPurpose.REVOCATION)
    assert bit(decode_bits(status_list.encoded(StatusPurpose.SUSPENSION)), index)

    status_list.set(index, StatusPurpose.SUSPENSION, False, AT)
    assert not status_list.is_set(index, StatusPurpose.SUSPENSION)


def test_setting_a_bit_to_its_value_records_nothing() -> None:
    status_list = StatusList.open(1, AT)
    index = status_list.allocate(uuid4(), AT)
    before = len(status_list.pending_events)

    status_list.set(index, StatusPurpose.REVOCATION, False, AT)

    assert len(status_list.pending_events) == before
