"""The library's application recorders, letting a save write more in the events' transaction.

``Application.save(..., in_transaction=step)`` reaches the recorder's insert: after the events
are inserted, ``step(cursor, notification_ids)`` runs in the same transaction, so derived views
kept beside the events commit with them (one commit a command instead of two). A step that
raises undoes the whole save.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from eventsourcing.utils import get_topic

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


def recorder_env(persistence_module: str) -> dict[str, str]:
    """The library setting that makes the factory build our recorder for this store."""
    chosen: type | None = None
    if persistence_module == "eventsourcing.sqlite":
        chosen = SQLiteRecorder
    elif persistence_module == "eventsourcing.postgres":  # psycopg loaded for PostgreSQL only
        from carepassport.adapters.storage.postgres_recorder import PostgresRecorder

        chosen = PostgresRecorder
    return {"APPLICATION_RECORDER_TOPIC": get_topic(chosen)} if chosen else {}
