"""The key tables on each store: the keys of one write stored together, and a key another
process made first kept, never replaced (ADR 0023)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.bootstrap import bootstrap
from tests.conftest import toronto


@pytest.fixture
def table(durable_url: str) -> Iterator[Any]:
    core = bootstrap(
        durable_url, clock=SettableClock(toronto(2026, 7, 1, 9)), mailer=InMemoryMailer()
    )
    try:
        yield core.app.personal.table
    finally:
        core.close()


def test_rows_stored_together_are_all_stored_as_given(table: Any) -> None:
    rows = [(f"record:R{n}/1", f"record:R{n}", 1, os.urandom(32)) for n in range(600)]

    stored = table.insert_all(rows)

    assert stored == {r[0] for r in rows}
    assert [table.get(r[0]) for r in rows] == rows


def test_rows_are_read_together_and_ids_it_lacks_left_out(table: Any) -> None:
    rows = [(f"record:R{n}/1", f"record:R{n}", 1, os.urandom(32)) for n in range(600)]
    table.insert_all(rows)

    found = table.get_all([r[0] for r in rows] + ["record:nobody/1"])

    assert sorted(found) == sorted(rows)


def test_a_key_another_process_made_first_is_kept_and_left_out(table: Any) -> None:
    theirs = ("person:P1/1", "person:P1", 1, os.urandom(32))
    table.insert(theirs)
    ours = [
        ("person:P1/1", "person:P1", 1, os.urandom(32)),
        ("person:P2/1", "person:P2", 1, os.urandom(32)),
    ]

    stored = table.insert_all(ours)

    assert stored == {"person:P2/1"}
    assert table.get("person:P1/1") == theirs
