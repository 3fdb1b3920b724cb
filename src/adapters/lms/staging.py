"""The CLI's staging LMS: imported results kept in a SQLite file beside the store."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from carepassport.application.training.ports import StagedResult
from carepassport.domain.training.lms import QuizResult

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS staged_results ("
    "position INTEGER PRIMARY KEY AUTOINCREMENT, record_id TEXT NOT NULL UNIQUE, "
    "student_number TEXT NOT NULL, credential_code TEXT NOT NULL, attempt INTEGER NOT NULL, "
    "score TEXT NOT NULL, passed INTEGER NOT NULL, attempted_at TEXT NOT NULL, "
    "held_at TEXT NOT NULL)"
)


class SQLiteStagingLms:
    """Holds what ``lms import`` staged, each from the import's time, in import order."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with self._connection() as db:
            db.execute(SCHEMA)

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=10)) as db, db:
            db.row_factory = sqlite3.Row
            yield db

    def stage(self, results: Sequence[QuizResult], held_at: datetime) -> int:
        """Stage new results in one transaction; a record id staged meanwhile by another
        import is left as it is. Returns how many were staged."""
        with self._connection() as db:
            before = db.total_changes
            db.executemany(
                "INSERT OR IGNORE INTO staged_results (record_id, student_number, credential_code, "
                "attempt, score, passed, attempted_at, held_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        r.record_id,
                        r.student_number,
                        r.credential_code,
                        r.attempt,
                        str(r.score),
                        int(r.passed),
                        r.attempted_at.isoformat(),
                        held_at.astimezone(UTC).isoformat(),
                    )
                    for r in results
                ],
            )
            return db.total_changes - before

    def find(self, record_ids: Sequence[str]) -> dict[str, QuizResult]:
        """The staged results with these record ids."""
        rows = self._rows_where("record_id", list(record_ids))
        return {row["record_id"]: self._result(row) for row in rows}

    def latest_held_at(self) -> datetime | None:
        """When the last import staged its results."""
        with self._connection() as db:
            row = db.execute("SELECT MAX(held_at) FROM staged_results").fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    def results_since(self, cursor: int, limit: int) -> list[StagedResult]:
        """Results after position ``cursor``, in import order."""
        with self._connection() as db:
            rows = db.execute(
                "SELECT * FROM staged_results WHERE position > ? ORDER BY position LIMIT ?",
                (cursor, limit),
            ).fetchall()
        return [self._staged(row) for row in rows]

    def results_at(self, positions: Sequence[int]) -> list[StagedResult]:
        """The results at these positions."""
        return [self._staged(row) for row in self._rows_where("position", list(positions))]

    def _rows_where(self, column: str, values: list[str] | list[int]) -> list[sqlite3.Row]:
        """The rows whose ``column`` is one of ``values``, 500 values a statement."""
        rows: list[sqlite3.Row] = []
        with self._connection() as db:
            for start in range(0, len(values), 500):
                chunk = values[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows += db.execute(
                    f"SELECT * FROM staged_results WHERE {column} IN ({marks})", chunk
                ).fetchall()
        return rows

    @classmethod
    def _staged(cls, row: sqlite3.Row) -> StagedResult:
        return StagedResult(
            row["position"], datetime.fromisoformat(row["held_at"]), cls._result(row)
        )

    @staticmethod
    def _result(row: sqlite3.Row) -> QuizResult:
        return QuizResult(
            record_id=row["record_id"],
            student_number=row["student_number"],
            credential_code=row["credential_code"],
            attempt=row["attempt"],
            score=Decimal(row["score"]),
            passed=bool(row["passed"]),
            attempted_at=datetime.fromisoformat(row["attempted_at"]),
        )
