"""The compliance read model in process memory."""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import attrs
from eventsourcing.persistence import InfrastructureFactory, IntegrityError

from carepassport.application.ports import EmployeeRow, FactRow, OwnerRow


@attrs.define
class _Tables:
    position: int = 0
    employees: dict[str, EmployeeRow] = attrs.Factory(dict)
    facts: dict[tuple[str, str], FactRow] = attrs.Factory(dict)
    owners: dict[UUID, OwnerRow] = attrs.Factory(dict)


class _Tx:
    def __init__(self, tables: _Tables) -> None:
        self.tables = tables

    def employee(self, employee_id: str) -> EmployeeRow | None:
        return self.tables.employees.get(employee_id)

    def put_employee(self, row: EmployeeRow) -> None:
        self.tables.employees[row.employee_id] = row

    def fact(self, employee_id: str, code: str) -> FactRow | None:
        return self.tables.facts.get((employee_id, code))

    def put_fact(self, row: FactRow) -> None:
        self.tables.facts[(row.employee_id, row.code)] = row

    def owner(self, aggregate_id: UUID) -> OwnerRow | None:
        return self.tables.owners.get(aggregate_id)

    def put_owner(self, row: OwnerRow) -> None:
        self.tables.owners[row.aggregate_id] = row


class MemoryCompliance:
    """Dictionaries; a transaction works on a copy that replaces the tables on success."""

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
            working = copy.deepcopy(self._tables)
            yield _Tx(working)
            working.position = position
            self._tables = working

    def rows(
        self, employer_id: str, job_function: str | None
    ) -> list[tuple[EmployeeRow, list[FactRow]]]:
        """Current employees of the employer and their facts."""
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
            (row, [f for (e, _), f in tables.facts.items() if e == row.employee_id])
            for row in sorted(chosen, key=lambda r: r.employee_id)
        ]

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._tables = _Tables()
