"""The portal's sessions as a table in the store's PostgreSQL schema, shared by every API
process on it."""

from __future__ import annotations

import attrs

from carepassport.adapters.storage.postgres_tracking import PostgresTrackedTables
from carepassport.adapters.storage.sessions import COLUMNS
from carepassport.application.access.session_store import StoredSession


class PostgresSessions(PostgresTrackedTables):
    """``cp_portal_sessions``."""

    tracking_name = "CarePassport.sessions"
    create_statements = (
        "CREATE TABLE IF NOT EXISTS {schema}.cp_portal_sessions (digest text PRIMARY KEY, "
        "role text NOT NULL, subject text NOT NULL, token_id text NOT NULL, "
        "csrf text NOT NULL, started double precision NOT NULL, "
        "last_used double precision NOT NULL)",
    )

    def add(self, session: StoredSession) -> None:
        self._write(
            f"INSERT INTO {{schema}}.cp_portal_sessions ({COLUMNS}) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s)",
            attrs.astuple(session),
        )

    def get(self, digest: str) -> StoredSession | None:
        rows = self.select(
            f"SELECT {COLUMNS} FROM {{schema}}.cp_portal_sessions WHERE digest = %s", (digest,)
        )
        return StoredSession(**rows[0]) if rows else None

    def touch(self, digest: str, last_used: float) -> None:
        self._write(
            "UPDATE {schema}.cp_portal_sessions SET last_used = %s WHERE digest = %s",
            (last_used, digest),
        )

    def remove(self, digest: str) -> None:
        self._write("DELETE FROM {schema}.cp_portal_sessions WHERE digest = %s", (digest,))

    def remove_ended(self, idle_since: float, started_before: float) -> int:
        return self._write(
            "DELETE FROM {schema}.cp_portal_sessions WHERE last_used < %s OR started < %s",
            (idle_since, started_before),
        )

    def _write(self, statement: str, params: tuple[object, ...]) -> int:
        with self.datastore.transaction(commit=True) as c:
            c.execute(self.sql(statement), params)
            return c.rowcount
