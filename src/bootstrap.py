"""The composition root: the only module that names concrete adapters (DESIGN.md §2)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs
from eventsourcing.persistence import InfrastructureFactory, PersistenceError

from carepassport.adapters.calendar import OntarioCalendars
from carepassport.adapters.clocks import SettableClock, SystemClock
from carepassport.adapters.lms.memory import InMemoryLms
from carepassport.adapters.lms.postgres_staging import PostgresStagingLms
from carepassport.adapters.lms.staging import SQLiteStagingLms
from carepassport.adapters.mail import FileOutboxMailer, InMemoryMailer
from carepassport.adapters.storage.memory import MemoryViews
from carepassport.adapters.storage.memory_compliance import MemoryCompliance
from carepassport.adapters.storage.postgres import PostgresViews
from carepassport.adapters.storage.postgres_compliance import PostgresCompliance
from carepassport.adapters.storage.postgres_setup import SCHEMES, PostgresLocation
from carepassport.adapters.storage.sqlite import SQLiteViews
from carepassport.adapters.storage.sqlite_compliance import SQLiteCompliance
from carepassport.application.ports import (
    AdjustableClock,
    Calendar,
    Clock,
    ComplianceStore,
    Mailer,
    StagingLms,
    Views,
)
from carepassport.application.services import Services
from carepassport.application.store import StoreUnavailable
from carepassport.domain.errors import InvalidValue

DEFAULT_STORE = "sqlite:///./carepassport.db"
DEFAULT_SENDER = "care-passport@localhost"


Factory = InfrastructureFactory[Any]


@attrs.frozen
class StoreConfig:
    """Where events live: the library's persistence settings and what goes with them."""

    env: dict[str, str]
    views: Callable[[Factory], Views]
    compliance: Callable[[Factory], ComplianceStore]
    staging: Callable[[Factory], StagingLms]
    outbox_folder: Path | None
    prepared: Callable[[], AbstractContextManager[object]] = nullcontext
    """Held while the store is opened (a server store creates its schema and tables under it)."""


def _sqlite_views(factory: Factory) -> Views:
    views: SQLiteViews = factory.tracking_recorder(SQLiteViews)
    return views


def _sqlite_compliance(factory: Factory) -> ComplianceStore:
    store: SQLiteCompliance = factory.tracking_recorder(SQLiteCompliance)
    return store


def _postgres_views(factory: Factory) -> Views:
    views: PostgresViews = factory.tracking_recorder(PostgresViews)
    return views


def _postgres_compliance(factory: Factory) -> ComplianceStore:
    store: PostgresCompliance = factory.tracking_recorder(PostgresCompliance)
    return store


def _memory_config() -> StoreConfig:
    lms = InMemoryLms()
    return StoreConfig(
        env={"PERSISTENCE_MODULE": "eventsourcing.popo"},
        views=MemoryViews,
        compliance=MemoryCompliance,
        staging=lambda _: lms,
        outbox_folder=None,
    )


def _sqlite_config(url: str, create: bool) -> StoreConfig:
    path = Path(url.removeprefix("sqlite:///"))
    if not path.name or path.name in {".", ".."} or path.is_dir():
        raise InvalidValue(f"store URL {url!r} names no database file")
    if not create and not path.exists():
        raise StoreUnavailable(f"there is no store at {path}: nothing has been recorded there")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StoreUnavailable(f"cannot create the store's folder {path.parent}: {error}") from None
    staging_file = path.with_suffix(".lms.db")
    return StoreConfig(
        env={
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(path),
            "SQLITE_LOCK_TIMEOUT": "10",
        },
        views=_sqlite_views,
        compliance=_sqlite_compliance,
        staging=lambda _: SQLiteStagingLms(staging_file),
        outbox_folder=path.with_suffix(".outbox"),
    )


def _postgres_config(url: str, create: bool) -> StoreConfig:
    location = PostgresLocation.from_url(url)
    return StoreConfig(
        env=location.env(),
        views=_postgres_views,
        compliance=_postgres_compliance,
        staging=PostgresStagingLms.on,
        outbox_folder=Path(f"{location.dbname}.{location.schema}.outbox"),
        prepared=lambda: location.prepared(create=create),
    )


def store_config(url: str, *, create: bool = True) -> StoreConfig:
    """Parse a store URL: ``memory://``, ``sqlite:///relative/or//absolute/path.db`` or
    ``postgresql://user@host:port/database[?schema=NAME]``.

    With ``create`` false, a store that does not exist is refused, not created.
    """
    if url == "memory://":
        return _memory_config()
    if url.startswith("sqlite:///"):
        return _sqlite_config(url, create)
    if url.split("://", 1)[0] in SCHEMES:
        return _postgres_config(url, create)
    raise InvalidValue(
        f"unsupported store URL {url!r}: use memory://, sqlite:///path/to/file.db or "
        "postgresql://user@host:port/database"
    )


def bootstrap(
    store: str = DEFAULT_STORE,
    *,
    now: datetime | None = None,
    create: bool = True,
    clock: Clock | None = None,
    calendar: Calendar | None = None,
    mailer: Mailer | None = None,
    lms: StagingLms | None = None,
    sender: str = DEFAULT_SENDER,
) -> Services:
    """Wire the core on a store with production adapters, unless others are passed in.

    Without a mailer, a SQLite store writes mail as .eml files in ``<db name>.outbox/`` beside
    it, a PostgreSQL store in ``<database>.<schema>.outbox/`` in the working directory, and the
    memory store keeps mail in memory. ``now`` fixes the clock at a simulated time (a
    ``SettableClock``); otherwise the system clock is used. Without an LMS, a SQLite store stages
    imported results in ``<db name>.lms.db`` beside it, a PostgreSQL store in its
    ``cp_staged_results`` table, and the memory store in memory.
    """
    config = store_config(store, create=create)
    if clock is None:
        clock = SettableClock(now) if now is not None else SystemClock()
    if mailer is None:
        mailer = (
            FileOutboxMailer(config.outbox_folder, sender)
            if config.outbox_folder
            else InMemoryMailer()
        )
    staging = config.staging if lms is None else _given(lms)
    try:
        with config.prepared():
            return Services.wire(
                env=config.env,
                clock=clock,
                calendar=calendar or OntarioCalendars(),
                mailer=mailer,
                lms=staging,
                views=config.views,
                compliance=config.compliance,
            )
    except (OSError, sqlite3.Error, PersistenceError) as error:
        raise StoreUnavailable(f"cannot open the store {store}: {error}") from None


def _given(lms: StagingLms) -> Callable[[Factory], StagingLms]:
    return lambda _: lms


def simulation(store: str, start: datetime) -> tuple[Services, AdjustableClock]:
    """The core on ``store`` with a clock that the caller moves (demos, what-if runs)."""
    clock = SettableClock(start)
    return bootstrap(store, clock=clock), clock
