"""What every measurement shares: the scale, the stores, and the two baselines (issue 7).

Baseline A (the library): a trivial ``eventsourcing`` aggregate saving the same number of events
in the same batch sizes on the same kind of store. Baseline B (the store): the same rows inserted
with plain SQL ``executemany`` in one transaction.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import StoredEvent
from psycopg.sql import SQL, Identifier

SCALE_ENV = "BENCH_SCALE"
POSTGRES_ENV = "BENCH_POSTGRES"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/carepassport_bench"
STORES = ("memory", "sqlite", "postgresql")


def scale() -> float:
    """The factor every size is multiplied by (``BENCH_SCALE``, default 1)."""
    return float(os.environ.get(SCALE_ENV, "1"))


def sized(n: int, minimum: int = 2) -> int:
    """``n`` at the current scale, never below ``minimum``."""
    return max(minimum, round(n * scale()))


def now() -> float:
    """A monotonic clock in seconds."""
    return time.perf_counter()


# --- PostgreSQL --------------------------------------------------------------------------------


def postgres_server() -> str:
    """The benchmark database's URL, without a schema."""
    return os.environ.get(POSTGRES_ENV, DEFAULT_POSTGRES)


def _admin_url(url: str) -> str:
    return url.rsplit("/", 1)[0] + "/postgres"


def postgres_problem() -> str | None:
    """None if the benchmark database can be reached (created if missing), else why not."""
    url = postgres_server()
    dbname = url.rsplit("/", 1)[1]
    try:
        with closing(psycopg.connect(_admin_url(url), autocommit=True, connect_timeout=3)) as c:
            found = c.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,))
            if found.fetchone() is None:
                with suppress(psycopg.errors.DuplicateDatabase):
                    c.execute(SQL("CREATE DATABASE {}").format(Identifier(dbname)))
    except psycopg.Error as error:
        return f"PostgreSQL unreachable at {url}: {str(error).strip()}"
    return None


def _schema_sql(statement: str, schema: str) -> None:
    with closing(psycopg.connect(postgres_server(), autocommit=True, connect_timeout=5)) as c:
        c.execute(SQL(statement).format(Identifier(schema)))


@contextmanager
def postgres_schema(prefix: str) -> Iterator[tuple[str, str]]:
    """A fresh schema (created, dropped afterwards): its name and its store URL."""
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    _schema_sql("CREATE SCHEMA {}", schema)
    try:
        yield schema, f"{postgres_server()}?schema={schema}"
    finally:
        _schema_sql("DROP SCHEMA IF EXISTS {} CASCADE", schema)


# --- stores --------------------------------------------------------------------------------------


@dataclass
class Store:
    """One fresh store of a kind: a URL for the core, and the library settings for baselines."""

    kind: str
    url: str
    env: dict[str, str]
    folder: Path
    schema: str = ""


@contextmanager
def fresh_store(kind: str) -> Iterator[Store]:
    """A fresh store of ``kind`` (memory, sqlite, postgresql), removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="cpbench-") as tmp:
        folder = Path(tmp)
        if kind == "memory":
            yield Store(kind, "memory://", {"PERSISTENCE_MODULE": "eventsourcing.popo"}, folder)
        elif kind == "sqlite":
            path = folder / "core.db"
            yield Store(kind, f"sqlite:///{path}", sqlite_env(folder / "baseline.db"), folder)
        elif kind == "postgresql":
            with postgres_schema("cpbench") as (schema, url):
                yield Store(kind, url, postgres_env(schema), folder, schema)
        else:
            raise ValueError(f"unknown store kind {kind!r}")


def sqlite_env(path: Path) -> dict[str, str]:
    """Library settings for a SQLite file (as the core's store sets them)."""
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(path),
        "SQLITE_LOCK_TIMEOUT": "10",
    }


def postgres_env(schema: str) -> dict[str, str]:
    """Library settings for a schema of the benchmark database."""
    url = postgres_server()
    host_port = url.split("@", 1)[1].split("/", 1)[0]
    host, _, port = host_port.partition(":")
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": url.rsplit("/", 1)[1],
        "POSTGRES_HOST": host,
        "POSTGRES_PORT": port or "5432",
        "POSTGRES_USER": url.split("://", 1)[1].split("@", 1)[0],
        "POSTGRES_PASSWORD": "",
        "POSTGRES_SCHEMA": schema,
    }


# --- what the core writes ----------------------------------------------------------------------


@dataclass
class Writes:
    """The event batches an application recorded: their sizes, and the rows (for baseline B)."""

    batches: list[int] = field(default_factory=list)
    rows: list[StoredEvent] = field(default_factory=list)
    keep_rows: bool = True

    @property
    def events(self) -> int:
        return sum(self.batches)


@contextmanager
def recording_writes(app: Application[Any], keep_rows: bool = True) -> Iterator[Writes]:
    """Count what ``app`` inserts while inside (its recorder's ``insert_events``)."""
    writes = Writes(keep_rows=keep_rows)
    recorder: Any = app.recorder
    insert = recorder.insert_events

    def counting(stored_events: Sequence[StoredEvent], **kwargs: Any) -> Any:
        result = insert(stored_events, **kwargs)
        writes.batches.append(len(stored_events))
        if writes.keep_rows:
            writes.rows.extend(stored_events)
        return result

    recorder.insert_events = counting
    try:
        yield writes
    finally:
        recorder.insert_events = insert


# --- baseline A: the library --------------------------------------------------------------------


class Dot(Aggregate):
    """The trivial aggregate of baseline A."""

    @event("Dotted")
    def dot(self) -> None:
        """An event with no data."""


class BaselineLibrary(Application[uuid.UUID]):
    """Baseline A's application."""

    name = "BenchBaseline"


def baseline_library(env: dict[str, str], batches: Sequence[int]) -> float:
    """Seconds for a trivial aggregate to save ``batches`` (one save of n events each)."""
    app = BaselineLibrary(env=env)
    try:
        started = now()
        for size in batches:
            aggregate = Dot()
            for _ in range(size - 1):
                aggregate.dot()
            app.save(aggregate)
        return now() - started
    finally:
        app.close()


# --- baseline B: the store ----------------------------------------------------------------------

SQLITE_TABLE = (
    "CREATE TABLE rows (id INTEGER PRIMARY KEY AUTOINCREMENT, originator_id TEXT NOT NULL, "
    "originator_version INTEGER NOT NULL, topic TEXT, state BLOB, "
    "UNIQUE (originator_id, originator_version))"
)
POSTGRES_TABLE = (
    "CREATE TABLE {}.rows (id BIGSERIAL PRIMARY KEY, originator_id uuid NOT NULL, "
    "originator_version bigint NOT NULL, topic text, state bytea, "
    "UNIQUE (originator_id, originator_version))"
)


def baseline_store(kind: str, folder: Path, schema: str, rows: Sequence[StoredEvent]) -> float:
    """Seconds to insert ``rows`` with ``executemany`` in one transaction (memory: SQLite
    ``:memory:``, the nearest plain store)."""
    values = [(str(r.originator_id), r.originator_version, r.topic, r.state) for r in rows]
    if kind in ("memory", "sqlite"):
        path = ":memory:" if kind == "memory" else str(folder / f"rows-{uuid.uuid4().hex}.db")
        with closing(sqlite3.connect(path, isolation_level=None)) as db:
            if kind == "sqlite":
                db.execute("PRAGMA journal_mode=WAL")
            db.execute(SQLITE_TABLE)
            started = now()
            db.execute("BEGIN")
            db.executemany(
                "INSERT INTO rows (originator_id, originator_version, topic, state) "
                "VALUES (?, ?, ?, ?)",
                values,
            )
            db.execute("COMMIT")
            return now() - started
    with closing(psycopg.connect(postgres_server(), connect_timeout=5)) as pg:
        table = Identifier(schema or "public")
        pg.execute(SQL(POSTGRES_TABLE).format(table))
        pg.commit()
        started = now()
        with pg.cursor() as cursor:
            cursor.executemany(
                SQL(
                    "INSERT INTO {}.rows (originator_id, originator_version, topic, state) "
                    "VALUES (%s, %s, %s, %s)"
                ).format(table),
                values,
            )
        pg.commit()
        elapsed = now() - started
        pg.execute(SQL("DROP TABLE {}.rows").format(table))
        pg.commit()
        return elapsed


def rate(events: int, seconds: float) -> float:
    """Events per second."""
    return events / seconds if seconds > 0 else float("inf")


def baselines(
    store: Store, writes: Writes, seconds: float, baseline_env: dict[str, str] | None = None
) -> dict[str, float]:
    """The figures of one measurement beside both baselines on the same store."""
    env = baseline_env or store.env
    a = baseline_library(env, writes.batches)
    b = baseline_store(store.kind, store.folder, store.schema, writes.rows)
    return {"batches": len(writes.batches), **rate_figures(writes.events, seconds, a, b)}


def rate_figures(events: int, seconds: float, a: float, b: float) -> dict[str, Any]:
    """Events/s of the measured code and of baselines A and B (their seconds for the same
    events), and the ratios (baseline time / measured time)."""
    return {
        "events": events,
        "seconds": round(seconds, 4),
        "events_per_s": round(rate(events, seconds), 1),
        "baseline_a_events_per_s": round(rate(events, a), 1),
        "baseline_b_events_per_s": round(rate(events, b), 1),
        "ratio_a": round(a / seconds, 3),
        "ratio_b": round(b / seconds, 3),
    }


def percentile(times: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of sorted ``times``, rounded to 3 decimals."""
    return round(times[min(len(times) - 1, int(q * len(times)))], 3)


def timed(action: Callable[[], object]) -> float:
    """Seconds ``action`` takes."""
    started = now()
    action()
    return now() - started
