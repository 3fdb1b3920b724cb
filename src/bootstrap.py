"""The composition root: the only module that names concrete adapters (DESIGN.md §2)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs
from eventsourcing.persistence import InfrastructureFactory, PersistenceError

from carepassport.adapters.calendar import OntarioCalendars
from carepassport.adapters.clocks import SettableClock, SystemClock
from carepassport.adapters.lms.memory import InMemoryLms
from carepassport.adapters.lms.staging import SQLiteStagingLms
from carepassport.adapters.mail import FileOutboxMailer, InMemoryMailer
from carepassport.adapters.smtp import SmtpMailer, SmtpSettings, redact
from carepassport.adapters.storage.memory import MemoryViews
from carepassport.adapters.storage.memory_compliance import MemoryCompliance
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


@attrs.frozen
class StoreConfig:
    """Where events live: the library's persistence settings and the views that go with them."""

    env: dict[str, str]
    views: Callable[[InfrastructureFactory[Any]], Views]
    compliance: Callable[[InfrastructureFactory[Any]], ComplianceStore]
    outbox_folder: Path | None
    staging_file: Path | None


def _sqlite_views(factory: InfrastructureFactory[Any]) -> Views:
    views: SQLiteViews = factory.tracking_recorder(SQLiteViews)
    return views


def _sqlite_compliance(factory: InfrastructureFactory[Any]) -> ComplianceStore:
    store: SQLiteCompliance = factory.tracking_recorder(SQLiteCompliance)
    return store


def store_config(url: str, *, create: bool = True) -> StoreConfig:
    """Parse a store URL: ``memory://`` or ``sqlite:///relative/or//absolute/path.db``.

    With ``create`` false, a SQLite file that does not exist is refused, not created.
    """
    if url == "memory://":
        return StoreConfig(
            env={"PERSISTENCE_MODULE": "eventsourcing.popo"},
            views=MemoryViews,
            compliance=MemoryCompliance,
            outbox_folder=None,
            staging_file=None,
        )
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if not path.name or path.name in {".", ".."} or path.is_dir():
            raise InvalidValue(f"store URL {url!r} names no database file")
        if not create and not path.exists():
            raise StoreUnavailable(f"there is no store at {path}: nothing has been recorded there")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreUnavailable(
                f"cannot create the store's folder {path.parent}: {error}"
            ) from None
        return StoreConfig(
            env={
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(path),
                "SQLITE_LOCK_TIMEOUT": "10",
            },
            views=_sqlite_views,
            compliance=_sqlite_compliance,
            outbox_folder=path.with_suffix(".outbox"),
            staging_file=path.with_suffix(".lms.db"),
        )
    raise InvalidValue(f"unsupported store URL {url!r}: use memory:// or sqlite:///path/to/file.db")


def mailer_for(
    url: str | None,
    outbox_folder: Path | None,
    *,
    sender: str = DEFAULT_SENDER,
    environ: Mapping[str, str] | None = None,
) -> Mailer:
    """The mailer a mail URL names: ``smtp://`` or ``smtps://`` (``SmtpSettings``),
    ``file:///folder`` (.eml files) or ``memory://``. Without one, .eml files in
    ``outbox_folder`` (beside a SQLite store), else in memory."""
    if url is None:
        return FileOutboxMailer(outbox_folder, sender) if outbox_folder else InMemoryMailer()
    scheme = url.partition("://")[0].lower()
    if scheme in {"smtp", "smtps"}:
        settings = SmtpSettings.from_url(
            url, environ=os.environ if environ is None else environ, default_sender=sender
        )
        return SmtpMailer(settings)
    if scheme == "file" and url.startswith("file:///") and len(url) > len("file:///"):
        return FileOutboxMailer(Path(url.removeprefix("file://")), sender)
    if url == "memory://":
        return InMemoryMailer()
    raise InvalidValue(
        f"unsupported mail URL {redact(url)!r}: use smtp://host:port, smtps://host:port, "
        "file:///folder or memory://"
    )


def bootstrap(
    store: str = DEFAULT_STORE,
    *,
    now: datetime | None = None,
    create: bool = True,
    clock: Clock | None = None,
    calendar: Calendar | None = None,
    mailer: Mailer | None = None,
    mail: str | None = None,
    lms: StagingLms | None = None,
    sender: str = DEFAULT_SENDER,
) -> Services:
    """Wire the core on a store with production adapters, unless others are passed in.

    ``mail`` is a mail URL (``mailer_for``), e.g. ``smtp://relay.example:587?starttls=true``;
    without it (or a ``mailer``), a SQLite store writes mail as .eml files in
    ``<db name>.outbox/`` beside it, and the memory store keeps mail in memory. ``now`` fixes
    the clock at a simulated time (a ``SettableClock``); otherwise the system clock is used.
    Without an LMS, a SQLite store stages imported results in ``<db name>.lms.db`` beside it,
    and the memory store in memory.
    """
    if mailer is not None and mail is not None:
        raise InvalidValue("pass either a mailer or a mail URL, not both")
    config = store_config(store, create=create)
    if clock is None:
        clock = SettableClock(now) if now is not None else SystemClock()
    if mailer is None:
        mailer = mailer_for(mail, config.outbox_folder, sender=sender)
    try:
        if lms is None:
            lms = SQLiteStagingLms(config.staging_file) if config.staging_file else InMemoryLms()
        return Services.wire(
            env=config.env,
            clock=clock,
            calendar=calendar or OntarioCalendars(),
            mailer=mailer,
            lms=lms,
            views=config.views,
            compliance=config.compliance,
        )
    except (OSError, sqlite3.Error, PersistenceError) as error:
        raise StoreUnavailable(f"cannot open the store {store}: {error}") from None


def simulation(store: str, start: datetime) -> tuple[Services, AdjustableClock]:
    """The core on ``store`` with a clock that the caller moves (demos, what-if runs)."""
    clock = SettableClock(start)
    return bootstrap(store, clock=clock), clock
