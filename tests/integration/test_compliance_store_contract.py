"""The compliance store contract, the same on every store: rows are read and written many at a
time, and a batch commits whole, with its position, only on top of the position it was read
from."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError

from carepassport.application.compliance.ports import (
    ComplianceStore,
    EmployeeRow,
    FactRow,
    OwnerRow,
)
from carepassport.application.services import Services

EMPLOYEE = UUID("00000000-0000-0000-0000-0000000000e1")
REGISTRATION = UUID("00000000-0000-0000-0000-0000000000a1")
OTHER = UUID("00000000-0000-0000-0000-0000000000a2")


def rows() -> tuple[list[OwnerRow], list[EmployeeRow], list[FactRow]]:
    return (
        [OwnerRow(EMPLOYEE, "E1"), OwnerRow(REGISTRATION, "E1", "IPAC", REGISTRATION)],
        [EmployeeRow("E1", "SUNNY", "PSW"), EmployeeRow("E2", "SUNNY", None, left=True)],
        [
            FactRow("E1", "IPAC", frozenset({"PSW", "individual"}), REGISTRATION, "open"),
            FactRow("E1", "WHMIS", valid_until=date(2027, 4, 7), standing="suspended"),
            FactRow("E2", "IPAC"),
        ],
    )


@pytest.fixture
def store(services: Services) -> ComplianceStore:
    kept: ComplianceStore = services.reports._store
    return kept


def test_rows_written_in_a_batch_are_read_back_many_at_a_time(store: ComplianceStore) -> None:
    owners, employees, facts = rows()
    with store.transaction(0, 3) as tx:
        tx.put_owners(owners)
        tx.put_employees(employees)
        tx.put_facts(facts)
    changed = FactRow("E1", "IPAC", frozenset({"PSW"}), REGISTRATION, "failed")

    with store.transaction(3, 4) as tx:
        tx.put_facts([changed])
        found = (
            tx.owners([EMPLOYEE, REGISTRATION, OTHER]),
            tx.employees(["E1", "E2", "E3"]),
            tx.facts(["E1", "E3"]),
        )

    assert store.position() == 4
    assert sorted(found[0], key=lambda o: o.employee_id + o.code) == owners
    assert sorted(found[1], key=lambda e: e.employee_id) == employees
    assert sorted(found[2], key=lambda f: f.code) == [changed, facts[1]]


def test_a_batch_on_a_position_the_model_has_left_or_that_fails_changes_nothing(
    store: ComplianceStore,
) -> None:
    owners, employees, facts = rows()
    with store.transaction(0, 1) as tx:
        tx.put_employees(employees[:1])

    with pytest.raises(IntegrityError), store.transaction(0, 2) as tx:
        tx.put_facts(facts)
    with pytest.raises(LookupError), store.transaction(1, 2) as tx:
        tx.put_owners(owners)
        raise LookupError("a fold failed half-way")

    assert store.position() == 1
    with store.transaction(1, 2) as tx:
        assert tx.owners([EMPLOYEE, REGISTRATION]) == []
        assert tx.employees(["E1", "E2"]) == employees[:1]
        assert tx.facts(["E1", "E2"]) == []
