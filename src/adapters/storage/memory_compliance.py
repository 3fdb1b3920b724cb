"""The compliance read model in process memory."""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import attrs
from eventsourcing.persistence import InfrastructureFactory, IntegrityError

from carepassport.application.compliance.ports import EmployeeRow, FactRow, OwnerRow


@attrs.define
class _Tables:
    position: int = 0
    employees: dict[str, EmployeeRow] = attrs.Factory(dict)
    facts: dict[str, dict[str, FactRow]] = attrs.Factory(dict)
    """Each employee's facts by micro-credential."""
    owners: dict[UUID, OwnerRow] = attrs.Factory(dict)


class _Tx:
    """Reads see the tables and this transaction's writes; the writes are kept aside until the
    transaction succeeds."""

    def __init__(self, tables: _Tables) -> None:
        self.tables = tables
        self.new = _Tables()

    def owners(self, aggregate_ids: Collection[UUID]) -> list[OwnerRow]:
        new, old = self.new.owners, self.tables.owners
        found = [new.get(i) or old.get(i) for i in aggregate_ids]
        return [o for o in found if o is not None]

    def employees(self, employee_ids: Collection[str]) -> list[EmployeeRow]:
        new, old = self.new.employees, self.tables.employees
        found = [new.get(i) or old.get(i) for i in employee_ids]
        return [e for e in found if e is not None]

    def facts(self, employee_ids: Collection[str]) -> list[FactRow]:
        new, old = self.new.facts, self.tables.facts
        return [f for i in employee_ids for f in {**old.get(i, {}), **new.get(i, {})}.values()]

    def put_owners(self, rows: Sequence[OwnerRow]) -> None:
        self.new.owners.update((r.aggregate_id, r) for r in rows)

    def put_employees(self, rows: Sequence[EmployeeRow]) -> None:
        self.new.employees.update((r.employee_id, r) for r in rows)

    def put_facts(self, rows: Sequence[FactRow]) -> None:
        for r in rows:
            self.new.facts.setdefault(r.employee_id, {})[r.code] = r

    def apply(self, position: int) -> None:
        """Write the changes into the tables."""
        self.tables.owners.update(self.new.owners)
        self.tables.employees.update(self.new.employees)
        for employee, facts in self.new.facts.items():
            self.tables.facts.setdefault(employee, {}).update(facts)
        self.tables.position = position


class MemoryCompliance:
    """Dictionaries; a transaction's writes go into them only on success, under the lock that
    readers take too, so a reader sees whole batches."""

    def __init__(self, factory: InfrastructureFactory[Any] | None = None) -> None:
        self._lock = threading.Lock()
        self._tables = _Tables()

    def position(self) -> int:
        """The last notification id applied."""
        return self._tables.position

    @contextmanager
    def transaction(self, after: int, position: int) -> Iterator[_Tx]:
        """All or nothing, and only on top of ``after``."""
        with self._lock:
            if self._tables.position != after:
                raise IntegrityError(f"compliance model is at {self._tables.position}")
            tx = _Tx(self._tables)
            yield tx
            tx.apply(position)

    def rows(
        self, employer_id: str, job_function: str | None
    ) -> list[tuple[EmployeeRow, list[FactRow]]]:
        """Current employees of the employer and their facts."""
        with self._lock:
            tables = self._tables
            chosen = [
                row
                for row in tables.employees.values()
                if row.employer_id == employer_id
                and not row.left
                and (
                    job_function is None
                    or (row.job_function or "").casefold() == job_function.casefold()
                )
            ]
            return [
                (row, list(tables.facts.get(row.employee_id, {}).values()))
                for row in sorted(chosen, key=lambda r: r.employee_id)
            ]

    def employer_ids(self) -> list[str]:
        with self._lock:
            rows = self._tables.employees.values()
            return sorted({row.employer_id for row in rows if not row.left})

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._tables = _Tables()
