"""A read model's tables beside eventsourcing's tracking table, in the store's PostgreSQL schema.

Each batch of changes and the model's new position commit in one transaction. The model's
tracking row is locked (``SELECT ... FOR UPDATE``) before its position is compared with the
position the batch was read from, so of two processes applying the same events the second
waits, then finds the model moved on and changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar

from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier

from carepassport.adapters.storage.postgres_setup import lock_key


class PostgresTrackedTables(PostgresTrackingRecorder):
    """Tables of one read model (``create_statements``) tracked as ``tracking_name``."""

    tracking_name: ClassVar[str]
    create_statements: ClassVar[Sequence[str]] = ()
    """DDL with ``{schema}`` for the store's schema; run in order, each ``IF NOT EXISTS``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sql_create_statements.extend(self.sql(text) for text in self.create_statements)

    def sql(self, text: str) -> Composed:
        """``text`` with ``{schema}`` and ``{tracking}`` bound to this store's identifiers."""
        return SQL(text).format(
            schema=Identifier(self.datastore.schema),
            tracking=Identifier(self.tracking_table_name),
        )

    def _create_table(self, curs: Cursor[DictRow]) -> None:
        """Create the tables under a lock (another process may be creating them too), then give
        the model its tracking row, at 0 until the first batch."""
        curs.execute(
            "SELECT pg_advisory_xact_lock(%s)",
            (lock_key(self.datastore.schema, self.tracking_name),),
        )
        outdated = self._drop_outdated(curs)
        super()._create_table(curs)
        self._insert_zero(curs)
        if outdated:
            self.reset(curs)

    def _drop_outdated(self, curs: Cursor[DictRow]) -> bool:
        """Drop tables of an older version before they are created; True if any were (the
        model then starts again from the first event)."""
        return False

    def _insert_zero(self, curs: Cursor[DictRow]) -> None:
        curs.execute(
            self.sql(
                "INSERT INTO {schema}.{tracking} (application_name, notification_id) "
                "VALUES (%s, 0) ON CONFLICT (application_name) DO NOTHING"
            ),
            (self.tracking_name,),
        )

    def position(self) -> int:
        """The notification id of the last event applied (0 before any)."""
        return self.max_tracking_id(self.tracking_name) or 0

    @contextmanager
    def advancing(self, after: int, position: int) -> Iterator[Cursor[DictRow]]:
        """A transaction that moves the model from ``after`` to ``position``: IntegrityError,
        and nothing changed, if the model is no longer at ``after``."""
        with self.datastore.transaction(commit=True) as curs:
            self._insert_zero(curs)
            curs.execute(
                self.sql(
                    "SELECT notification_id FROM {schema}.{tracking} "
                    "WHERE application_name = %s FOR UPDATE"
                ),
                (self.tracking_name,),
            )
            row = curs.fetchone()
            current = row["notification_id"] if row else 0
            if current != after:
                raise IntegrityError(f"{self.tracking_name} is at {current}, not {after}")
            yield curs
            self._insert_tracking(curs, Tracking(self.tracking_name, position))

    def reset(self, curs: Cursor[DictRow]) -> None:
        """Move the model back to before the first event (it will be rebuilt from the log)."""
        curs.execute(
            self.sql(
                "UPDATE {schema}.{tracking} SET notification_id = 0 WHERE application_name = %s"
            ),
            (self.tracking_name,),
        )

    def select(self, query: str, params: Sequence[object] = ()) -> list[DictRow]:
        """Rows of one read-only query (``{schema}`` bound), outside any transaction."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.sql(query), params)
            return curs.fetchall()
