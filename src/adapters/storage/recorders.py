"""The library's application recorders, letting a save write more in the events' transaction.

``Application.save(..., in_transaction=step)`` reaches the recorder's insert: after the events
are inserted, ``step(cursor, notification_ids)`` runs in the same transaction, so derived views
kept beside the events commit with them (one commit a command instead of two). A step that
raises undoes the whole save.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from eventsourcing.utils import get_topic, retry

InTransaction = Callable[[Any, Sequence[int]], None]
"""Called with the transaction's cursor and the new events' notification ids."""


class SQLiteRecorder(SQLiteApplicationRecorder):
    """The library's SQLite recorder, running ``in_transaction`` before the commit."""

    def _insert_events(
        self,
        c: SQLiteCursor,
        stored_events: Sequence[StoredEvent],
        *,
        in_transaction: InTransaction | None = None,
        **kwargs: Any,
    ) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        if in_transaction is not None and ids:
            in_transaction(c, ids)
        return ids


class PostgresRecorder(PostgresApplicationRecorder):
    """The library's PostgreSQL recorder, running ``in_transaction`` before the commit.

    The library's insert catches errors inside its transaction (for its pipeline) and raises
    them after it, so a step's error would not undo the events; with a step, the insert runs
    in a plain transaction that any error rolls back.
    """

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        step: InTransaction | None = kwargs.pop("in_transaction", None)
        ids: Sequence[int] | None
        if step is None or not stored_events:
            ids = super().insert_events(stored_events, **kwargs)
        else:
            ids = self._insert_with(step, stored_events, **kwargs)
        return ids

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def _insert_with(
        self, step: InTransaction, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """The library's insert (lock, notify, insert, ids), then the step; one transaction,
        pipelined as the library's own insert is (a round trip where a result is needed)."""
        with (
            self.datastore.get_connection() as conn,
            conn.pipeline() as pipeline,
            conn.transaction(),
            conn.cursor() as curs,
        ):
            self._insert_events(curs, stored_events, **kwargs)
            self._insert_stored_events(curs, stored_events, **kwargs)
            pipeline.sync()  # the insert's errors (IntegrityError) here, its status for the ids
            ids = self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
            if ids:
                step(curs, ids)
            return ids


def recorder_env(persistence_module: str) -> dict[str, str]:
    """The library setting that makes the factory build our recorder for this store."""
    recorder = {"eventsourcing.sqlite": SQLiteRecorder, "eventsourcing.postgres": PostgresRecorder}
    chosen = recorder.get(persistence_module)
    return {"APPLICATION_RECORDER_TOPIC": get_topic(chosen)} if chosen else {}
