"""The stores tests run on: the PostgreSQL test server, a fresh schema per test, and raw access
to a durable store's tables (SQLite file or PostgreSQL schema) for tests that tamper with them."""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from pathlib import Path
from typing import Any

import psycopg
from psycopg.sql import SQL, Identifier

POSTGRES_URL_ENV = "CAREPASSPORT_TEST_POSTGRES"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/carepassport_test"


def postgres_server_url() -> str:
    """The test database's URL (``CAREPASSPORT_TEST_POSTGRES`` or the local server)."""
    return os.environ.get(POSTGRES_URL_ENV, DEFAULT_POSTGRES_URL)


def _conninfo(url: str, dbname: str | None = None) -> str:
    base = url.split("?", 1)[0]
    if dbname is not None:
        base = base.rsplit("/", 1)[0] + "/" + dbname
    return base


def ensure_database(url: str) -> None:
    """Create the test database if it is missing (through the server's ``postgres`` database).

    Its commits do not wait for the disk: test data is thrown away, and the suite runs faster.
    """
    dbname = _conninfo(url).rsplit("/", 1)[1]
    with closing(
        psycopg.connect(_conninfo(url, "postgres"), autocommit=True, connect_timeout=5)
    ) as c:
        exists = c.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
        if exists is None:
            with suppress(psycopg.errors.DuplicateDatabase):
                c.execute(SQL("CREATE DATABASE {}").format(Identifier(dbname)))
            c.execute(
                SQL("ALTER DATABASE {} SET synchronous_commit = off").format(Identifier(dbname))
            )


def new_schema_name() -> str:
    """A schema name no other test uses."""
    return f"cp_test_{uuid.uuid4().hex[:16]}"


def drop_schema(url: str, schema: str) -> None:
    """Drop a test's schema and everything in it."""
    with closing(psycopg.connect(_conninfo(url), autocommit=True, connect_timeout=5)) as c:
        c.execute(SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(Identifier(schema)))


@contextmanager
def fresh_postgres_store(server_url: str) -> Iterator[str]:
    """The URL of a store in a schema of its own, dropped afterwards."""
    schema = new_schema_name()
    try:
        yield f"{_conninfo(server_url)}?schema={schema}"
    finally:
        drop_schema(server_url, schema)


class RawStore:
    """A durable store's tables as SQL sees them: the same statements run on SQLite and on
    PostgreSQL (the schema is on the search path)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.kind = "sqlite" if url.startswith("sqlite:///") else "postgresql"
        self.events_table = "stored_events" if self.kind == "sqlite" else "carepassport_events"
        self.tracking_table = "tracking" if self.kind == "sqlite" else "carepassport_tracking"

    def execute(self, *statements: str) -> list[tuple[Any, ...]]:
        """Run statements in one transaction; the last one's rows."""
        rows: list[tuple[Any, ...]] = []
        if self.kind == "sqlite":
            with closing(sqlite3.connect(Path(self.url.removeprefix("sqlite:///")))) as db, db:
                for statement in statements:
                    rows = db.execute(statement).fetchall()
            return rows
        conninfo, schema = self.url.split("?schema=", 1)
        with closing(psycopg.connect(conninfo, connect_timeout=5)) as pg, pg.transaction():
            pg.execute(SQL("SET LOCAL search_path TO {}").format(Identifier(schema)))
            for statement in statements:
                cursor = pg.execute(statement.encode())
                rows = cursor.fetchall() if cursor.description else []
        return rows

    def staged_record_ids(self) -> list[str]:
        """The record ids the store's staging LMS holds (SQLite: the ``.lms.db`` beside it)."""
        if self.kind == "sqlite":
            path = Path(self.url.removeprefix("sqlite:///")).with_suffix(".lms.db")
            with closing(sqlite3.connect(path)) as db:
                rows = db.execute("SELECT record_id FROM staged_results").fetchall()
        else:
            rows = self.execute("SELECT record_id FROM cp_staged_results")
        return [str(record_id) for (record_id,) in rows]

    def topics(self) -> list[str]:
        """Each recorded event's class name."""
        rows = self.execute(f"SELECT topic FROM {self.events_table}")
        return [str(topic).rsplit(".", 1)[-1] for (topic,) in rows]
