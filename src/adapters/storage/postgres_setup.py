"""Where a PostgreSQL store lives (its URL), and its schema prepared once under a lock.

Several processes may open a fresh store at once; PostgreSQL's ``CREATE ... IF NOT EXISTS`` is
not safe against itself, so everything that creates or migrates tables runs while holding the
schema's setup lock (a session advisory lock keyed by the schema's name).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, unquote, urlsplit

import attrs
import psycopg
from psycopg.sql import SQL, Identifier

from carepassport.application.store import CarePassportApplication, StoreUnavailable
from carepassport.domain.errors import InvalidValue

SCHEMES = ("postgresql", "postgres")
DEFAULT_SCHEMA = "public"
DEFAULT_CONNECT_TIMEOUT = 5
SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
OPTIONS = ("schema", "connect_timeout")
EVENTS_TABLE = f"{CarePassportApplication.name.lower()}_events"


def lock_key(schema: str, purpose: str) -> int:
    """A stable signed 64-bit advisory-lock key for ``purpose`` in ``schema``."""
    digest = hashlib.blake2b(f"carepassport:{schema}:{purpose}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


def _refuse(url: str, reason: str) -> InvalidValue:
    return InvalidValue(f"store URL {url!r}: {reason}")


@attrs.frozen
class PostgresLocation:
    """A database, the schema in it that holds one deployment, and how to reach it."""

    dbname: str
    schema: str = DEFAULT_SCHEMA
    host: str = ""
    port: int = 5432
    user: str = ""
    password: str = attrs.field(default="", repr=False)
    connect_timeout: int = DEFAULT_CONNECT_TIMEOUT

    @classmethod
    def from_url(cls, url: str) -> PostgresLocation:
        """``postgresql://user[:password]@host[:port]/database[?schema=NAME&connect_timeout=S]``."""
        parts = urlsplit(url)
        if parts.scheme not in SCHEMES:
            raise _refuse(url, "not a postgresql:// URL")
        dbname = unquote(parts.path.removeprefix("/"))
        if not dbname or "/" in dbname:
            raise _refuse(url, "names no database (postgresql://user@host:port/database)")
        try:
            port = parts.port or 5432
            options = parse_qs(
                parts.query, keep_blank_values=True, strict_parsing=bool(parts.query)
            )
        except ValueError as error:
            raise _refuse(url, str(error)) from None
        unknown = sorted(set(options) - set(OPTIONS))
        if unknown:
            raise _refuse(url, f"unknown option {unknown[0]!r} (known: {', '.join(OPTIONS)})")
        schema = options.get("schema", [DEFAULT_SCHEMA])[-1]
        if not SCHEMA_NAME.fullmatch(schema):
            raise _refuse(
                url, f"schema {schema!r} must be lowercase letters, digits and _ (63 at most)"
            )
        timeout = options.get("connect_timeout", [str(DEFAULT_CONNECT_TIMEOUT)])[-1]
        if not timeout.isdigit() or int(timeout) < 1:
            raise _refuse(url, f"connect_timeout {timeout!r} is not a whole number of seconds")
        return cls(
            dbname=dbname,
            schema=schema,
            host=parts.hostname or "",
            port=port,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            connect_timeout=int(timeout),
        )

    def describe(self) -> str:
        """Where the store is, without the password (for messages)."""
        who = f"{self.user}@" if self.user else ""
        where = f"{self.host}:{self.port}" if self.host else ""
        return f"postgresql://{who}{where}/{self.dbname} (schema {self.schema})"

    def env(self) -> dict[str, str]:
        """eventsourcing's settings for this location (``eventsourcing.postgres``)."""
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": self.dbname,
            "POSTGRES_HOST": self.host,
            "POSTGRES_PORT": str(self.port),
            "POSTGRES_USER": self.user,
            "POSTGRES_PASSWORD": self.password,
            "POSTGRES_SCHEMA": self.schema,
            "POSTGRES_CONNECT_TIMEOUT": str(self.connect_timeout),
            "POSTGRES_POOL_SIZE": "2",
            "POSTGRES_MAX_OVERFLOW": "8",
        }

    def connect(self) -> psycopg.Connection[tuple[object, ...]]:
        """One autocommit connection outside the store's pool."""
        return psycopg.connect(
            dbname=self.dbname,
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            connect_timeout=self.connect_timeout,
            autocommit=True,
        )

    @contextmanager
    def prepared(self, *, create: bool) -> Iterator[None]:
        """Hold the schema's setup lock while the caller opens (and creates) the store's tables.

        With ``create`` the schema is created if missing; without it, a schema that holds no
        events yet is refused (a read never creates a store).
        """
        key = lock_key(self.schema, "setup")
        try:
            connection = self.connect()
        except psycopg.Error as error:
            raise StoreUnavailable(f"cannot reach {self.describe()}: {error}") from None
        with connection:
            try:
                connection.execute("SELECT pg_advisory_lock(%s)", (key,))
                self._ensure_schema(connection, create)
                yield
            finally:
                if not connection.closed:
                    connection.execute("SELECT pg_advisory_unlock(%s)", (key,))

    def _ensure_schema(
        self, connection: psycopg.Connection[tuple[object, ...]], create: bool
    ) -> None:
        try:
            if create:
                connection.execute(
                    SQL("CREATE SCHEMA IF NOT EXISTS {}").format(Identifier(self.schema))
                )
                return
            row = connection.execute(
                "SELECT to_regclass(%s) IS NOT NULL",
                (f'"{self.schema}"."{EVENTS_TABLE}"',),
            ).fetchone()
        except psycopg.Error as error:
            raise StoreUnavailable(f"cannot prepare {self.describe()}: {error}") from None
        if not (row and row[0]):
            raise StoreUnavailable(
                f"there is no store at {self.describe()}: nothing has been recorded there"
            )
