"""The portal's sessions in memory (the memory store) or as a table in the SQLite store.
PostgreSQL's are in ``postgres_sessions``."""

from __future__ import annotations

import threading

import attrs
from eventsourcing.sqlite import SQLiteTrackingRecorder

from carepassport.application.access.session_store import StoredSession

COLUMNS = "digest, role, subject, token_id, csrf, started, last_used"


class MemorySessions:
    """Sessions in a dictionary (one process: the memory store is not shared anyway)."""

    def __init__(self, *_: object) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[str, StoredSession] = {}

    def add(self, session: StoredSession) -> None:
        with self._lock:
            self._sessions[session.digest] = session

    def get(self, digest: str) -> StoredSession | None:
        with self._lock:
            return self._sessions.get(digest)

    def touch(self, digest: str, last_used: float) -> None:
        with self._lock:
            if digest in self._sessions:
                self._sessions[digest] = attrs.evolve(self._sessions[digest], last_used=last_used)

    def remove(self, digest: str) -> None:
        with self._lock:
            self._sessions.pop(digest, None)

    def remove_ended(self, idle_since: float, started_before: float) -> int:
        with self._lock:
            ended = [
                d
                for d, s in self._sessions.items()
                if s.last_used < idle_since or s.started < started_before
            ]
            for digest in ended:
                del self._sessions[digest]
            return len(ended)


class SQLiteSessions(SQLiteTrackingRecorder):
    """``cp_portal_sessions`` in the store's SQLite file."""

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS cp_portal_sessions (digest TEXT PRIMARY KEY, "
            "role TEXT NOT NULL, subject TEXT NOT NULL, token_id TEXT NOT NULL, "
            "csrf TEXT NOT NULL, started REAL NOT NULL, last_used REAL NOT NULL)",
        ]

    def add(self, session: StoredSession) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                f"INSERT INTO cp_portal_sessions ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                attrs.astuple(session),
            )

    def get(self, digest: str) -> StoredSession | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT {COLUMNS} FROM cp_portal_sessions WHERE digest = ?", (digest,))
            row = c.fetchone()
        return StoredSession(*row) if row else None

    def touch(self, digest: str, last_used: float) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                "UPDATE cp_portal_sessions SET last_used = ? WHERE digest = ?", (last_used, digest)
            )

    def remove(self, digest: str) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute("DELETE FROM cp_portal_sessions WHERE digest = ?", (digest,))

    def remove_ended(self, idle_since: float, started_before: float) -> int:
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                "DELETE FROM cp_portal_sessions WHERE last_used < ? OR started < ?",
                (idle_since, started_before),
            )
            removed: int = c.sqlite_cursor.rowcount
        return removed
