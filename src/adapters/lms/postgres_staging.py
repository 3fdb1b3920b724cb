"""The CLI's staging LMS on a PostgreSQL store: imported results in a table of the store's schema,
shared by every process that uses the store, through the application's connection pool."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.postgres import PostgresDatastore, PostgresFactory, PostgresRecorder
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier

from carepassport.application.training.ports import StagedResult
from carepassport.domain.time import local
from carepassport.domain.training.lms import QuizResult

TABLE = (
    "CREATE TABLE IF NOT EXISTS {schema}.cp_staged_results ("
    "position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, record_id text NOT NULL UNIQUE, "
    "student_number text NOT NULL, credential_code text NOT NULL, attempt integer NOT NULL, "
    "score numeric NOT NULL, passed boolean NOT NULL, attempted_at timestamptz NOT NULL, "
    "held_at timestamptz NOT NULL)"
)


class PostgresStagingLms(PostgresRecorder):
    """Holds what ``lms import`` staged, each from the import's time, in import order.

    An import locks the table against other imports (readers go on), so positions become
    visible in order and a sync reading forward never passes one committed later.
    """

    def __init__(self, datastore: PostgresDatastore) -> None:
        super().__init__(datastore)
        self.sql_create_statements.append(self.sql(TABLE))

    @classmethod
    def on(cls, factory: InfrastructureFactory[Any]) -> PostgresStagingLms:
        """The staging table in the store that ``factory`` opened, created if missing."""
        if not isinstance(factory, PostgresFactory):
            raise TypeError("a PostgreSQL staging LMS needs a PostgreSQL store")
        staging = cls(factory.datastore)
        staging.create_table()
        return staging

    def sql(self, text: str) -> Composed:
        """``text`` with ``{schema}`` bound to the store's schema."""
        return SQL(text).format(schema=Identifier(self.datastore.schema))

    def stage(self, results: Sequence[QuizResult], held_at: datetime) -> int:
        """Stage new results in one transaction; a record id staged meanwhile by another
        import is left as it is. Returns how many were staged."""
        if not results:
            return 0
        with self.datastore.transaction(commit=True) as c:
            c.execute(self.sql("LOCK TABLE {schema}.cp_staged_results IN EXCLUSIVE MODE"))
            c.executemany(
                self.sql(
                    "INSERT INTO {schema}.cp_staged_results (record_id, student_number, "
                    "credential_code, attempt, score, passed, attempted_at, held_at) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (record_id) DO NOTHING"
                ),
                [
                    (
                        r.record_id,
                        r.student_number,
                        r.credential_code,
                        r.attempt,
                        r.score,
                        r.passed,
                        r.attempted_at,
                        held_at,
                    )
                    for r in results
                ],
            )
            return c.rowcount

    def find(self, record_ids: Sequence[str]) -> dict[str, QuizResult]:
        """The staged results with these record ids."""
        rows = self._select(
            "SELECT * FROM {schema}.cp_staged_results WHERE record_id = ANY(%s)",
            (list(record_ids),),
        )
        return {row["record_id"]: self._result(row) for row in rows}

    def latest_held_at(self) -> datetime | None:
        """When the last import staged its results."""
        rows = self._select("SELECT MAX(held_at) AS latest FROM {schema}.cp_staged_results", ())
        latest: datetime | None = rows[0]["latest"]
        return latest.astimezone(UTC) if latest else None

    def results_since(self, cursor: int, limit: int) -> list[StagedResult]:
        """Results after position ``cursor``, in import order."""
        rows = self._select(
            "SELECT * FROM {schema}.cp_staged_results WHERE position > %s "
            "ORDER BY position LIMIT %s",
            (cursor, limit),
        )
        return [self._staged(row) for row in rows]

    def results_at(self, positions: Sequence[int]) -> list[StagedResult]:
        """The results at these positions."""
        rows = self._select(
            "SELECT * FROM {schema}.cp_staged_results WHERE position = ANY(%s)",
            (list(positions),),
        )
        return [self._staged(row) for row in rows]

    @classmethod
    def _staged(cls, row: DictRow) -> StagedResult:
        return StagedResult(row["position"], row["held_at"].astimezone(UTC), cls._result(row))

    def _select(self, query: str, params: tuple[object, ...]) -> list[DictRow]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.sql(query), params)
            return curs.fetchall()

    @staticmethod
    def _result(row: DictRow) -> QuizResult:
        return QuizResult(
            record_id=row["record_id"],
            student_number=row["student_number"],
            credential_code=row["credential_code"],
            attempt=row["attempt"],
            score=row["score"],
            passed=row["passed"],
            attempted_at=local(row["attempted_at"]),
        )
