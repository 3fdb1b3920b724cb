"""Sealing personal data per subject (ADR 0023): AES-256-GCM under per-subject keys, blind
indexes, erasure, and the mapper that seals the attributes events declare."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from eventsourcing.persistence import JSONTranscoder, StoredEvent, UUIDAsHex
from tests.domain_events import every_event_class

from carepassport.adapters.personal.keys import AesGcmPersonalData, MemoryKeyTable, Row
from carepassport.application.people import RECORDS
from carepassport.application.personal import (
    Sealed,
    SealedAsDict,
    SealingMapper,
    SubjectKeyMissing,
    open_text,
    seal_text,
)
from carepassport.application.transcodings import transcodings
from carepassport.domain.reference import Employee
from carepassport.domain.values import ERASED, EmailAddress, EmployeeId, EmployerId, StudentNumber

AT = datetime(2026, 7, 1, 9, tzinfo=UTC)


@pytest.fixture
def personal() -> AesGcmPersonalData:
    return AesGcmPersonalData(MemoryKeyTable())


def mapper(personal: AesGcmPersonalData) -> SealingMapper:
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), *transcodings(), SealedAsDict()):
        transcoder.register(transcoding)
    return SealingMapper(transcoder=transcoder, personal=personal)


def added(email: str = "pat@example.org", number: str = "C0912345") -> Employee.EmployeeAdded:
    employee = Employee.add(
        EmployeeId("E1"), EmployerId("SUNNY"), EmailAddress(email), StudentNumber(number), None, AT
    )
    (event,) = employee.collect_events()
    assert isinstance(event, Employee.EmployeeAdded)
    return event


class TestSealing:
    def test_a_sealed_value_opens_to_its_plaintext(self, personal: AesGcmPersonalData) -> None:
        sealed = personal.seal("email:abc", "pat@example.org")

        assert personal.open(sealed) == "pat@example.org"
        assert b"pat@example.org" not in sealed.data

    def test_two_seals_of_one_value_differ(self, personal: AesGcmPersonalData) -> None:
        first, second = (personal.seal("email:abc", "pat@example.org") for _ in range(2))

        assert first.key_id == second.key_id and first.data != second.data

    def test_an_erased_subjects_values_open_to_none(self, personal: AesGcmPersonalData) -> None:
        sealed = personal.seal("person:E1", "Pat")

        erased = personal.erase(["person:E1"])

        assert (erased, personal.open(sealed)) == (1, None)

    def test_a_subject_sealed_after_erasure_gets_a_new_key(
        self, personal: AesGcmPersonalData
    ) -> None:
        old = personal.seal("person:E1", "Pat")
        personal.erase(["person:E1"])

        new = personal.seal("person:E1", "Sam")

        assert (old.key_id, new.key_id) == ("person:E1/1", "person:E1/2")
        assert (personal.open(old), personal.open(new)) == (None, "Sam")

    def test_a_key_the_store_never_had_is_an_error_not_an_erasure(
        self, personal: AesGcmPersonalData
    ) -> None:
        sealed = AesGcmPersonalData(MemoryKeyTable()).seal("person:E1", "Pat")

        with pytest.raises(SubjectKeyMissing):
            personal.open(sealed)

    def test_an_edited_ciphertext_does_not_open(self, personal: AesGcmPersonalData) -> None:
        sealed = personal.seal("person:E1", "Pat")
        edited = Sealed(sealed.key_id, sealed.data[:-1] + bytes([sealed.data[-1] ^ 1]))

        with pytest.raises(SubjectKeyMissing, match="does not open"):
            personal.open(edited)

    def test_a_value_moved_under_another_key_id_does_not_open(
        self, personal: AesGcmPersonalData
    ) -> None:
        personal.seal("person:E2", "Sam")
        moved = Sealed("person:E2/1", personal.seal("person:E1", "Pat").data)

        with pytest.raises(SubjectKeyMissing):
            personal.open(moved)  # the key id is the associated data


class TestBlindIndex:
    def test_an_address_is_indexed_whatever_its_case_and_spaces(
        self, personal: AesGcmPersonalData
    ) -> None:
        assert personal.index("email", " Pat@Example.ORG ") == personal.index(
            "email", "pat@example.org"
        )

    def test_the_index_depends_on_the_stores_key(self, personal: AesGcmPersonalData) -> None:
        other = AesGcmPersonalData(MemoryKeyTable())

        assert personal.index("student", "C0912345") != other.index("student", "C0912345")

    def test_an_address_and_a_number_with_the_same_text_index_apart(
        self, personal: AesGcmPersonalData
    ) -> None:
        assert personal.index("email", "c0912345") != personal.index("student", "c0912345")

    def test_an_index_is_the_hmac_of_the_normalised_value_under_the_stores_key(
        self, personal: AesGcmPersonalData
    ) -> None:
        expected = hmac.new(
            personal._index_key, b"email:pat@example.org", hashlib.sha256
        ).hexdigest()

        first = personal.index("email", "Pat@Example.org")
        again = personal.index("email", "Pat@Example.org")

        assert first == again == expected
        assert AesGcmPersonalData(personal.table).index("email", "pat@example.org") == expected


class TestMapper:
    def test_an_events_personal_attributes_are_stored_sealed(
        self, personal: AesGcmPersonalData
    ) -> None:
        stored = mapper(personal).to_stored_event(added())

        assert b"pat@example.org" not in stored.state.lower()
        assert b"C0912345" not in stored.state
        assert b'"_type_":"sealed"' in stored.state

    def test_a_stored_event_reads_back_as_it_was(self, personal: AesGcmPersonalData) -> None:
        event = added()
        m = mapper(personal)

        back = m.to_domain_event(m.to_stored_event(event))

        assert vars(back) == vars(event)

    def test_after_erasure_the_values_read_as_erased_and_the_rest_is_kept(
        self, personal: AesGcmPersonalData
    ) -> None:
        m = mapper(personal)
        stored = m.to_stored_event(added())
        personal.erase(
            [
                f"email:{personal.index('email', 'pat@example.org')}",
                f"student:{personal.index('student', 'C0912345')}",
            ]
        )

        back = m.to_domain_event(stored)

        assert (back.email, back.student_number) == (ERASED, ERASED)
        assert (back.employee_id, back.employer_id) == ("E1", "SUNNY")

    def test_sealing_the_event_leaves_the_event_itself_untouched(
        self, personal: AesGcmPersonalData
    ) -> None:
        event = added()

        mapper(personal).to_stored_event(event)

        assert event.email == "pat@example.org"


class TestViewText:
    def test_a_view_column_opens_and_reads_erased_after_erasure(
        self, personal: AesGcmPersonalData
    ) -> None:
        record = f"record:{uuid4()}"
        text = seal_text(personal, record, "Employee E1 asks")

        opened = open_text(personal, text)
        personal.erase([record])

        assert opened == "Employee E1 asks"
        assert open_text(personal, text) == ERASED

    def test_a_column_written_before_sealing_reads_as_it_is(
        self, personal: AesGcmPersonalData
    ) -> None:
        assert open_text(personal, "pat@example.org") == "pat@example.org"


def test_every_event_with_text_sealed_per_record_is_read_when_a_person_is_erased() -> None:
    per_record = {
        c.__qualname__
        for c in every_event_class()
        if any(spec.removeprefix("json:") == "record" for spec in c.personal.values())
    }

    assert per_record == {c.__qualname__ for c in RECORDS}


def test_the_keys_a_process_remembers_are_bounded_and_still_open_what_they_sealed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from carepassport.adapters.personal import keys

    monkeypatch.setattr(keys, "KEYS_REMEMBERED", 10)
    personal = AesGcmPersonalData(MemoryKeyTable())

    sealed = [personal.seal(f"record:{n}", f"text {n}") for n in range(25)]
    opened = [personal.open(s) for s in sealed]

    assert opened == [f"text {n}" for n in range(25)]
    assert len(personal._current) <= 10 and len(personal._opened) <= 10


class CountingKeyTable(MemoryKeyTable):
    """A key table that counts its writes, and can have a rival process make each key a write
    needs just before the write stores its own."""

    def __init__(self, *, rival: bool = False) -> None:
        super().__init__()
        self.rival = rival
        self.inserts = 0
        self.transactions = 0
        self.reads = 0

    def insert(self, row: Row) -> Row:
        self.inserts += 1
        return super().insert(row)

    def get(self, key_id: str) -> Row | None:
        self.reads += 1
        return super().get(key_id)

    def get_all(self, key_ids: list[str]) -> list[Row]:
        self.reads += 1
        return super().get_all(key_ids)

    def latest(self, subject: str) -> Row | None:
        self.reads += 1
        return super().latest(subject)

    def insert_all(self, rows: list[Row]) -> set[str]:
        self.transactions += 1
        if self.rival:
            for key_id, subject, generation, _ in rows:
                super().insert((key_id, subject, generation, os.urandom(32)))
        return super().insert_all(rows)


def some_added(count: int) -> list[Employee.EmployeeAdded]:
    return [added(f"pat{n}@example.org", f"C09{n:05}") for n in range(count)]


class TestKeysMadeTogether:
    def test_the_keys_of_one_write_are_stored_in_one_transaction(self) -> None:
        table = CountingKeyTable()
        personal = AesGcmPersonalData(table)
        inserts_before = table.inserts

        mapper(personal).to_stored_events(some_added(5))

        assert table.transactions == 1
        assert table.inserts == inserts_before
        assert len({r[1] for r in table._rows.values()}) == 1 + 2 * 5  # the index key, 10 more

    def test_a_write_reads_back_under_the_keys_it_stored(self) -> None:
        personal = AesGcmPersonalData(CountingKeyTable())
        events = some_added(3)
        m = mapper(personal)

        stored = m.to_stored_events(events)

        fresh = AesGcmPersonalData(personal.table)  # another process: no key remembered
        back = [mapper(fresh).to_domain_event(s) for s in stored]
        assert [vars(b) for b in back] == [vars(e) for e in events]

    def test_keys_made_first_by_another_process_are_used_and_the_write_sealed_again(
        self,
    ) -> None:
        table = CountingKeyTable(rival=True)
        personal = AesGcmPersonalData(table)
        events = some_added(2)

        stored = mapper(personal).to_stored_events(events)

        fresh = AesGcmPersonalData(table)
        back = [mapper(fresh).to_domain_event(s) for s in stored]
        assert [vars(b) for b in back] == [vars(e) for e in events]
        assert table.transactions == 1  # the second sealing took each stored key, one by one

    def test_a_write_that_fails_while_sealing_stores_no_key(self) -> None:
        table = CountingKeyTable()
        personal = AesGcmPersonalData(table)
        rows_before = dict(table._rows)

        class Broken(Exception):
            pass

        def sealed() -> None:
            with personal.keys_made_together():
                personal.seal("person:P1", "Pat")
                raise Broken

        with pytest.raises(Broken):
            sealed()

        assert table._rows == rows_before
        assert personal.seal("person:P1", "Pat").key_id == "person:P1/1"

    def test_a_new_record_is_not_looked_up_but_an_existing_one_is(self) -> None:
        table = CountingKeyTable()
        personal = AesGcmPersonalData(table)
        looked_up: list[str] = []
        latest = table.latest
        table.latest = lambda s: looked_up.append(s) or latest(s)  # type: ignore[method-assign]

        with personal.keys_made_together():
            personal.seal("record:R1", "a body", new=True)
            personal.seal("record:R2", "a body")

        assert looked_up == ["record:R2"]


class TestKeysReadTogether:
    def test_the_keys_of_events_read_together_are_read_in_one_query(self) -> None:
        table = CountingKeyTable()
        events = some_added(4)
        stored = mapper(AesGcmPersonalData(table)).to_stored_events(events)
        reader = AesGcmPersonalData(table)  # another process: no key remembered
        table.reads = 0

        back = mapper(reader).to_domain_events(stored)

        assert [vars(b) for b in back] == [vars(e) for e in events]
        assert table.reads == 1

    def test_a_key_opened_is_sealed_under_again_without_a_lookup(self) -> None:
        table = CountingKeyTable()
        stored = mapper(AesGcmPersonalData(table)).to_stored_events(some_added(1))
        reader = AesGcmPersonalData(table)
        mapper(reader).to_domain_events(stored)
        table.reads = 0

        sealed = reader.seal(f"email:{reader.index('email', 'pat0@example.org')}", "again")

        assert table.reads == 0
        assert sealed.key_id == stored_key_ids(stored)[0]

    def test_an_erased_key_opened_is_not_sealed_under_again(self) -> None:
        table = CountingKeyTable()
        stored = mapper(AesGcmPersonalData(table)).to_stored_events(some_added(1))
        subject = f"email:{AesGcmPersonalData(table).index('email', 'pat0@example.org')}"
        AesGcmPersonalData(table).erase([subject])
        reader = AesGcmPersonalData(table)

        (back,) = mapper(reader).to_domain_events(stored)

        assert back.email == ERASED
        assert reader.seal(subject, "again").key_id == f"{subject}/2"


def stored_key_ids(stored: list[StoredEvent]) -> list[str]:
    return re.findall(r'"k":"(email:[0-9a-f]+/\d+)"', b"".join(s.state for s in stored).decode())


def test_a_full_cache_forgets_the_keys_remembered_longest_ago_not_all(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from carepassport.adapters.personal import keys

    monkeypatch.setattr(keys, "KEYS_REMEMBERED", 10)
    table = CountingKeyTable()
    personal = AesGcmPersonalData(table)
    for n in range(25):
        personal.seal(f"record:{n}", f"text {n}")
    table.reads = 0

    for n in range(15, 25):
        personal.seal(f"record:{n}", "again")

    assert table.reads == 0
    assert list(personal._current) == [f"record:{n}" for n in range(15, 25)]


class TestErasureWhileReading:
    def test_a_key_read_while_this_process_erases_it_is_not_sealed_under_again(self) -> None:
        table = CountingKeyTable()
        personal = AesGcmPersonalData(table)
        sealed = personal.seal("person:P1", "Pat")
        personal._opened.clear()
        personal._current.clear()  # the caches expired
        read = table.get_all

        def erased_meanwhile(key_ids: list[str]) -> list[Row]:
            rows = read(key_ids)  # read before the erasure ends...
            personal.erase(["person:P1"])  # ...by another thread of this process
            return rows

        table.get_all = erased_meanwhile  # type: ignore[method-assign]
        personal.preload([sealed.key_id])
        table.get_all = read  # type: ignore[method-assign]

        again = personal.seal("person:P1", "written after the erasure")

        assert again.key_id == "person:P1/2"
        assert personal.open(sealed) is None

    def test_erasing_forgets_the_values_indexed_lately(self) -> None:
        personal = AesGcmPersonalData(MemoryKeyTable())
        personal.index("email", "pat@example.org")

        personal.erase(["person:P1"])

        assert personal._indexes == {}


def test_a_write_within_a_write_joins_it() -> None:
    table = CountingKeyTable()
    personal = AesGcmPersonalData(table)

    with personal.keys_made_together():
        personal.seal("person:P1", "Pat")
        with personal.keys_made_together():
            personal.seal("person:P2", "Sam")
        personal.seal("person:P3", "Lee")

    assert table.transactions == 1
    assert {r[1] for r in table._rows.values()} >= {"person:P1", "person:P2", "person:P3"}
