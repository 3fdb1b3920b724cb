"""Reading many aggregates' events in one query (the application's ``EventReader`` port)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, Notification, StoredEvent
from eventsourcing.sqlite import SQLiteAggregateRecorder

from carepassport.application.ports import LogRow

if TYPE_CHECKING:
    from carepassport.adapters.storage.postgres_event_reader import PostgresEventReader

CHUNK = 500
"""Ids per statement (SQLite allows 32,766 parameters; a batch stays far below)."""


class SQLiteEventReader:
    """``SELECT ... WHERE originator_id IN (...)`` on the application's events table."""

    def __init__(self, recorder: SQLiteAggregateRecorder) -> None:
        self._recorder = recorder

    def events_of(self, ids: Sequence[UUID]) -> list[StoredEvent]:
        """Every stored event of these aggregates, each aggregate's oldest first."""
        recorder = self._recorder
        found: list[StoredEvent] = []
        with recorder.datastore.transaction(commit=False) as c:
            for start in range(0, len(ids), CHUNK):
                asked = {i.hex: i for i in ids[start : start + CHUNK]}
                c.execute(
                    f"SELECT * FROM {recorder.events_table_name} "
                    f"WHERE originator_id IN ({','.join('?' * len(asked))}) "
                    "ORDER BY originator_id, originator_version",
                    list(asked),
                )
                found.extend(
                    StoredEvent(  # the id asked for, not a new UUID parsed from each row
                        originator_id=asked[row["originator_id"]],
                        originator_version=row["originator_version"],
                        topic=row["topic"],
                        state=row["state"],
                    )
                    for row in c.fetchall()
                )
        return found

    def log_rows(self, after: int, limit: int) -> list[LogRow]:
        """The stored events after ``after``, in order, as stored."""
        recorder = self._recorder
        with recorder.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT rowid, originator_id, originator_version, topic, state FROM "
                f"{recorder.events_table_name} WHERE rowid > ? ORDER BY rowid LIMIT ?",
                (after, limit),
            )
            return [(r[0], _uuid_bytes(r[1]), r[2], r[3], r[4]) for r in c.fetchall()]

    def latest(self) -> Notification | None:
        """The event with the highest notification id, in one query."""
        recorder = self._recorder
        with recorder.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT rowid, * FROM {recorder.events_table_name} ORDER BY rowid DESC LIMIT 1"
            )
            row = c.fetchone()
        if row is None:
            return None
        return Notification(
            id=row["rowid"],
            originator_id=recorder.convert_originator_id(row["originator_id"]),
            originator_version=row["originator_version"],
            topic=row["topic"],
            state=row["state"],
        )


class OneByOneEventReader:
    """Any recorder, one aggregate at a time (the in-memory store, where a read costs little)."""

    def __init__(self, recorder: ApplicationRecorder) -> None:
        self._recorder = recorder

    def events_of(self, ids: Sequence[UUID]) -> list[StoredEvent]:
        """Every stored event of these aggregates, each aggregate's oldest first."""
        return [event for i in ids for event in self._recorder.select_events(i)]

    def log_rows(self, after: int, limit: int) -> list[LogRow]:
        """The stored events after ``after``, in order, as stored."""
        return [
            (n.id, UUID(str(n.originator_id)).bytes, n.originator_version, n.topic, n.state)
            for n in self._recorder.select_notifications(start=after + 1, limit=limit)
        ]

    def latest(self) -> Notification | None:
        """The event with the highest notification id."""
        last = self._recorder.max_notification_id()
        if not last:
            return None
        found = self._recorder.select_notifications(start=last, limit=1)
        return found[0] if found else None


def _uuid_bytes(value: object) -> bytes:
    """An originator id as SQLite holds it (32 hex digits, or a UUID's text) as 16 bytes."""
    text = str(value)
    return bytes.fromhex(text) if len(text) == 32 else UUID(text).bytes


def event_reader(
    recorder: ApplicationRecorder,
) -> SQLiteEventReader | PostgresEventReader | OneByOneEventReader:
    """The fastest reader for the store the recorder writes to."""
    if isinstance(recorder, SQLiteAggregateRecorder):
        return SQLiteEventReader(recorder)
    postgres = sys.modules.get("eventsourcing.postgres")  # loaded by a PostgreSQL store only
    if postgres is not None and isinstance(recorder, postgres.PostgresAggregateRecorder):
        from carepassport.adapters.storage.postgres_event_reader import PostgresEventReader

        return PostgresEventReader(recorder)
    return OneByOneEventReader(recorder)
