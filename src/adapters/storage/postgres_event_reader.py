"""Reading many aggregates' events in one PostgreSQL query; apart from ``event_readers`` so that
only a PostgreSQL store loads psycopg."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from eventsourcing.persistence import Notification, StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder
from psycopg.sql import SQL, Identifier

from carepassport.application.ports import LogRow


class PostgresEventReader:
    """``SELECT ... WHERE originator_id = ANY(%s)`` on the application's events table."""

    def __init__(self, recorder: PostgresAggregateRecorder) -> None:
        self._recorder = recorder
        self._statement = SQL(
            "SELECT * FROM {schema}.{table} WHERE originator_id = ANY(%s) "
            "ORDER BY originator_id, originator_version"
        ).format(
            schema=Identifier(recorder.datastore.schema),
            table=Identifier(recorder.events_table_name),
        )
        self._rows = SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM {schema}.{table} WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
        ).format(
            schema=Identifier(recorder.datastore.schema),
            table=Identifier(recorder.events_table_name),
        )
        self._latest = SQL(
            "SELECT * FROM {schema}.{table} ORDER BY notification_id DESC LIMIT 1"
        ).format(
            schema=Identifier(recorder.datastore.schema),
            table=Identifier(recorder.events_table_name),
        )

    def log_rows(self, after: int, limit: int) -> list[LogRow]:
        """The stored events after ``after``, in order, as stored."""
        with self._recorder.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._rows, (after, limit), prepare=True)
            return [
                (
                    r["notification_id"],
                    r["originator_id"].bytes,
                    r["originator_version"],
                    r["topic"],
                    bytes(r["state"]),
                )
                for r in curs.fetchall()
            ]

    def latest(self) -> Notification | None:
        """The event with the highest notification id, in one query."""
        with self._recorder.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._latest, prepare=True)
            row = curs.fetchone()
        if row is None:
            return None
        return Notification(
            id=row["notification_id"],
            originator_id=row["originator_id"],
            originator_version=row["originator_version"],
            topic=row["topic"],
            state=bytes(row["state"]),
        )

    def events_of(self, ids: Sequence[UUID]) -> list[StoredEvent]:
        """Every stored event of these aggregates, each aggregate's oldest first."""
        if not ids:
            return []
        with self._recorder.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._statement, (list(ids),))
            return [
                StoredEvent(
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                )
                for row in curs.fetchall()
            ]
