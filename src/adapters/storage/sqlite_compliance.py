"""The compliance read model as tables in the application's SQLite file, with tracking."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.sqlite import SQLiteCursor, SQLiteTrackingRecorder

from carepassport.application.compliance.ports import EmployeeRow, FactRow, OwnerRow

TRACKING_NAME = "CarePassport.compliance"
TABLES = ("cp_report_employees", "cp_report_facts", "cp_report_owners")


_IN = "IN (SELECT value FROM json_each(?))"
"""Many keys as one parameter (a JSON array): one statement text whatever their number."""


def _keys(values: Collection[object]) -> str:
    return json.dumps([str(v) for v in values])


class _Tx:
    def __init__(self, c: SQLiteCursor) -> None:
        self.c = c

    def owners(self, aggregate_ids: Collection[UUID]) -> list[OwnerRow]:
        self.c.execute(
            f"SELECT * FROM cp_report_owners WHERE aggregate_id {_IN}", (_keys(aggregate_ids),)
        )
        return [
            OwnerRow(
                UUID(row["aggregate_id"]),
                row["employee_id"],
                row["code"],
                UUID(row["registration_id"]) if row["registration_id"] else None,
            )
            for row in self.c.fetchall()
        ]

    def employees(self, employee_ids: Collection[str]) -> list[EmployeeRow]:
        self.c.execute(
            f"SELECT * FROM cp_report_employees WHERE employee_id {_IN}", (_keys(employee_ids),)
        )
        return [_employee(row) for row in self.c.fetchall()]

    def facts(self, employee_ids: Collection[str]) -> list[FactRow]:
        self.c.execute(
            f"SELECT * FROM cp_report_facts WHERE employee_id {_IN}", (_keys(employee_ids),)
        )
        return [_fact(row) for row in self.c.fetchall()]

    def put_owners(self, rows: Sequence[OwnerRow]) -> None:
        self.c.executemany(
            "INSERT OR REPLACE INTO cp_report_owners VALUES (?, ?, ?, ?)",
            [
                (
                    str(row.aggregate_id),
                    row.employee_id,
                    row.code,
                    str(row.registration_id) if row.registration_id else None,
                )
                for row in rows
            ],
        )

    def put_employees(self, rows: Sequence[EmployeeRow]) -> None:
        self.c.executemany(
            "INSERT OR REPLACE INTO cp_report_employees VALUES (?, ?, ?, ?)",
            [(row.employee_id, row.employer_id, row.job_function, int(row.left)) for row in rows],
        )

    def put_facts(self, rows: Sequence[FactRow]) -> None:
        self.c.executemany(
            "INSERT OR REPLACE INTO cp_report_facts VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    row.employee_id,
                    row.code,
                    ",".join(sorted(row.sources)),
                    str(row.latest_registration) if row.latest_registration else None,
                    row.progress,
                    row.valid_until.isoformat() if row.valid_until else None,
                    row.standing,
                )
                for row in rows
            ],
        )


def _employee(row: object) -> EmployeeRow:
    r: dict[str, object] = dict(row)  # type: ignore[call-overload]
    return EmployeeRow(
        str(r["employee_id"]),
        str(r["employer_id"]),
        str(r["job_function"]) if r["job_function"] else None,
        bool(r["has_left"]),
    )


def _fact(r: Any) -> FactRow:
    latest, valid_until = r["latest_registration"], r["valid_until"]
    return FactRow(
        employee_id=r["employee_id"],
        code=r["code"],
        sources=frozenset(s for s in (r["sources"] or "").split(",") if s),
        latest_registration=UUID(latest) if latest else None,
        progress=r["progress"],
        valid_until=date.fromisoformat(valid_until) if valid_until else None,
        standing=r["standing"],
    )


class SQLiteCompliance(SQLiteTrackingRecorder):
    """Employees, facts and owners tables; each batch and its position in one transaction."""

    def construct_create_table_statements(self) -> list[str]:
        """The tracking table plus the read model's tables."""
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS cp_report_employees (employee_id TEXT PRIMARY KEY, "
            "employer_id TEXT NOT NULL, job_function TEXT, has_left INTEGER NOT NULL)",
            "CREATE INDEX IF NOT EXISTS cp_report_employees_employer "
            "ON cp_report_employees (employer_id)",
            "CREATE TABLE IF NOT EXISTS cp_report_facts (employee_id TEXT NOT NULL, "
            "code TEXT NOT NULL, sources TEXT NOT NULL, latest_registration TEXT, "
            "progress TEXT NOT NULL, valid_until TEXT, standing TEXT NOT NULL, "
            "PRIMARY KEY (employee_id, code))",
            "CREATE TABLE IF NOT EXISTS cp_report_owners (aggregate_id TEXT PRIMARY KEY, "
            "employee_id TEXT NOT NULL, code TEXT NOT NULL, registration_id TEXT)",
        ]

    def position(self) -> int:
        """The last notification id applied."""
        return self.max_tracking_id(TRACKING_NAME) or 0

    @contextmanager
    def transaction(self, after: int, position: int) -> Iterator[_Tx]:
        """All or nothing, and only on top of ``after`` (the write lock is taken first)."""
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                "UPDATE tracking SET notification_id = notification_id WHERE application_name = ?",
                (TRACKING_NAME,),
            )
            current = self._max_tracking_id(TRACKING_NAME, c) or 0
            if current != after:
                raise IntegrityError(f"compliance model is at {current}, not {after}")
            yield _Tx(c)
            self._insert_tracking(c, Tracking(TRACKING_NAME, position))

    def employer_ids(self) -> list[str]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT DISTINCT employer_id FROM cp_report_employees WHERE has_left = 0 "
                "ORDER BY employer_id"
            )
            return [str(r["employer_id"]) for r in c.fetchall()]

    def rows(
        self, employer_id: str, job_function: str | None
    ) -> list[tuple[EmployeeRow, list[FactRow]]]:
        """Current employees of the employer and their facts, through the employer index."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT * FROM cp_report_employees WHERE employer_id = ? AND has_left = 0 "
                "ORDER BY employee_id",
                (employer_id,),
            )
            employees = [_employee(r) for r in c.fetchall()]
            c.execute(
                "SELECT f.* FROM cp_report_facts f JOIN cp_report_employees e "
                "ON e.employee_id = f.employee_id WHERE e.employer_id = ? AND e.has_left = 0",
                (employer_id,),
            )
            facts = [_fact(r) for r in c.fetchall()]
        if job_function is not None:
            employees = [
                e for e in employees if (e.job_function or "").casefold() == job_function.casefold()
            ]
        by_employee: dict[str, list[FactRow]] = {}
        for fact in facts:
            by_employee.setdefault(fact.employee_id, []).append(fact)
        return [(e, by_employee.get(e.employee_id, [])) for e in employees]

    def clear(self) -> None:
        """Forget everything, position included."""
        with self.datastore.transaction(commit=True) as c:
            for table in TABLES:
                c.execute(f"DELETE FROM {table}")
            c.execute("DELETE FROM tracking WHERE application_name = ?", (TRACKING_NAME,))
