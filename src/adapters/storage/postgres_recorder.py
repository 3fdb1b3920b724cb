"""The library's PostgreSQL application recorder, letting a save write more in the events'
transaction (see ``recorders``); apart from it so that only a PostgreSQL store loads psycopg."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import retry

from carepassport.adapters.storage.recorders import InTransaction


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
