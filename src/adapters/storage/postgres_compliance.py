"""The compliance read model as tables in the store's PostgreSQL schema, with tracking."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from uuid import UUID

from psycopg import Cursor
from psycopg.rows import DictRow

from carepassport.adapters.storage.postgres_tracking import PostgresTrackedTables
from carepassport.application.compliance.ports import EmployeeRow, FactRow, OwnerRow

TRACKING_NAME = "CarePassport.compliance"
TABLES = ("cp_report_employees", "cp_report_facts", "cp_report_owners")


class _Tx:
    def __init__(self, store: PostgresCompliance, c: Cursor[DictRow]) -> None:
        self.store = store
        self.c = c

    def _all(self, query: str, keys: Collection[object]) -> list[DictRow]:
        self.c.execute(self.store.sql(query), (list(keys),))
        return self.c.fetchall()

    def owners(self, aggregate_ids: Collection[UUID]) -> list[OwnerRow]:
        rows = self._all(
            "SELECT * FROM {schema}.cp_report_owners WHERE aggregate_id = ANY(%s)", aggregate_ids
        )
        return [
            OwnerRow(row["aggregate_id"], row["employee_id"], row["code"], row["registration_id"])
            for row in rows
        ]

    def employees(self, employee_ids: Collection[str]) -> list[EmployeeRow]:
        rows = self._all(
            "SELECT * FROM {schema}.cp_report_employees WHERE employee_id = ANY(%s)", employee_ids
        )
        return [_employee(row) for row in rows]

    def facts(self, employee_ids: Collection[str]) -> list[FactRow]:
        rows = self._all(
            "SELECT * FROM {schema}.cp_report_facts WHERE employee_id = ANY(%s)", employee_ids
        )
        return [_fact(row) for row in rows]

    def put_employees(self, rows: Sequence[EmployeeRow]) -> None:
        self.c.executemany(
            self.store.sql(
                "INSERT INTO {schema}.cp_report_employees VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (employee_id) DO UPDATE SET employer_id = excluded.employer_id, "
                "job_function = excluded.job_function, has_left = excluded.has_left"
            ),
            [(row.employee_id, row.employer_id, row.job_function, row.left) for row in rows],
        )

    def put_facts(self, rows: Sequence[FactRow]) -> None:
        self.c.executemany(
            self.store.sql(
                "INSERT INTO {schema}.cp_report_facts VALUES (%s, %s, %s, %s, %s, %s, %s) "
                "ON CONFLICT (employee_id, code) DO UPDATE SET sources = excluded.sources, "
                "latest_registration = excluded.latest_registration, "
                "progress = excluded.progress, valid_until = excluded.valid_until, "
                "standing = excluded.standing"
            ),
            [
                (
                    row.employee_id,
                    row.code,
                    sorted(row.sources),
                    row.latest_registration,
                    row.progress,
                    row.valid_until,
                    row.standing,
                )
                for row in rows
            ],
        )

    def put_owners(self, rows: Sequence[OwnerRow]) -> None:
        self.c.executemany(
            self.store.sql(
                "INSERT INTO {schema}.cp_report_owners VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (aggregate_id) DO UPDATE SET employee_id = excluded.employee_id, "
                "code = excluded.code, registration_id = excluded.registration_id"
            ),
            [(row.aggregate_id, row.employee_id, row.code, row.registration_id) for row in rows],
        )


def _employee(row: DictRow) -> EmployeeRow:
    return EmployeeRow(row["employee_id"], row["employer_id"], row["job_function"], row["has_left"])


def _fact(row: DictRow) -> FactRow:
    return FactRow(
        employee_id=row["employee_id"],
        code=row["code"],
        sources=frozenset(row["sources"]),
        latest_registration=row["latest_registration"],
        progress=row["progress"],
        valid_until=row["valid_until"],
        standing=row["standing"],
    )


class PostgresCompliance(PostgresTrackedTables):
    """Employees, facts and owners tables; each batch and its position in one transaction."""

    tracking_name = TRACKING_NAME
    create_statements = (
        "CREATE TABLE IF NOT EXISTS {schema}.cp_report_employees (employee_id text PRIMARY KEY, "
        "employer_id text NOT NULL, job_function text, has_left boolean NOT NULL)",
        "CREATE INDEX IF NOT EXISTS cp_report_employees_employer "
        "ON {schema}.cp_report_employees (employer_id)",
        "CREATE TABLE IF NOT EXISTS {schema}.cp_report_facts (employee_id text NOT NULL, "
        "code text NOT NULL, sources text[] NOT NULL, latest_registration uuid, "
        "progress text NOT NULL, valid_until date, standing text NOT NULL, "
        "PRIMARY KEY (employee_id, code))",
        "CREATE TABLE IF NOT EXISTS {schema}.cp_report_owners (aggregate_id uuid PRIMARY KEY, "
        "employee_id text NOT NULL, code text NOT NULL, registration_id uuid)",
    )

    @contextmanager
    def transaction(self, after: int, position: int) -> Iterator[_Tx]:
        """All or nothing, and only on top of ``after`` (the tracking row is locked first)."""
        with self.advancing(after, position) as c:
            yield _Tx(self, c)

    def employer_ids(self) -> list[str]:
        rows = self.select(
            "SELECT DISTINCT employer_id FROM {schema}.cp_report_employees WHERE NOT has_left "
            "ORDER BY employer_id"
        )
        return [str(r["employer_id"]) for r in rows]

    def rows(
        self, employer_id: str, job_function: str | None
    ) -> list[tuple[EmployeeRow, list[FactRow]]]:
        """Current employees of the employer and their facts, through the employer index (one
        statement, so one consistent snapshot)."""
        rows = self.select(
            "SELECT e.*, f.code, f.sources, f.latest_registration, f.progress, f.valid_until, "
            "f.standing FROM {schema}.cp_report_employees e LEFT JOIN {schema}.cp_report_facts f "
            "ON f.employee_id = e.employee_id WHERE e.employer_id = %s AND NOT e.has_left "
            "ORDER BY e.employee_id, f.code",
            (employer_id,),
        )
        found: dict[str, tuple[EmployeeRow, list[FactRow]]] = {}
        for row in rows:
            employee = _employee(row)
            if job_function is not None and (
                (employee.job_function or "").casefold() != job_function.casefold()
            ):
                continue
            _, facts = found.setdefault(employee.employee_id, (employee, []))
            if row["code"] is not None:
                facts.append(_fact(row))
        return list(found.values())

    def clear(self) -> None:
        """Forget everything, position included."""
        with self.datastore.transaction(commit=True) as c:
            for table in TABLES:
                c.execute(self.sql(f"DELETE FROM {{schema}}.{table}"))
            self.reset(c)
