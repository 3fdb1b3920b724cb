"""The composition root: the only module that names concrete adapters (docs/adr/0018)."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar, cast

import attrs

from carepassport.domain.errors import InvalidValue

if TYPE_CHECKING:
    from eventsourcing.persistence import InfrastructureFactory

    from carepassport.adapters.lms.brightspace.client import BrightspaceClient
    from carepassport.adapters.lms.brightspace.config import BrightspaceConfig
    from carepassport.application.access.session_store import SessionStore
    from carepassport.application.audit.ports import CheckpointFolder, TreeStore
    from carepassport.application.badges.ports import (
        BadgeTools,
        Baking,
        Images,
        Proofs,
        Schemas,
        SigningKeys,
    )
    from carepassport.application.compliance.ports import ComplianceStore
    from carepassport.application.mail.ports import InboundMail, Mailer
    from carepassport.application.personal import PersonalData
    from carepassport.application.ports import AdjustableClock, Calendar, Clock, Views
    from carepassport.application.services import Services
    from carepassport.application.training.approval_tokens import ApprovalTokens
    from carepassport.application.training.ports import LmsEnrolment, ResultFormat, StagingLms

    Factory = InfrastructureFactory[Any]

# Concrete adapters are imported in the functions that choose them, not here: a command loads
# only what its store URL, mail URL and configuration name, and ``--help`` loads none of them
# (docs/adr/0025-cli-fast-start.md). This module stays the only one that names them.

T = TypeVar("T")

DEFAULT_STORE = "sqlite:///./carepassport.db"
DEFAULT_SENDER = "care-passport@localhost"
LEASE_ENV = "CAREPASSPORT_LEASE_SECONDS"
"""How long a claim on due work or mail lasts unrenewed (default 60): a dead process's work is
taken over this long after it died."""
MAX_LEASE_SECONDS = 86_400
APPROVAL_SECRET_ENV = "CAREPASSPORT_APPROVAL_SECRET"
REPLY_DOMAIN_ENV = "CAREPASSPORT_REPLY_DOMAIN"
PORTAL_URL_ENV = "CAREPASSPORT_PORTAL_URL"


@attrs.frozen
class StoreConfig:
    """Where events live: the library's persistence settings and what goes with them."""

    env: dict[str, str]
    views: Callable[[Factory], Views]
    compliance: Callable[[Factory], ComplianceStore]
    staging: Callable[[Factory], StagingLms]
    outbox_folder: Path | None
    key_folder: Path | None = None
    """Where the badges' private keys live by default (beside a SQLite store)."""
    tree: Callable[[Factory], TreeStore] = lambda _: _memory_tree()
    """Where the audit tree is kept (beside the events)."""
    checkpoint_folder: Path | None = None
    """Where signed checkpoints are written by default (beside a SQLite store)."""
    personal: Callable[[Factory], PersonalData] = lambda _: _memory_personal_data()
    """The per-subject data keys (kept outside the event log, ADR 0023)."""
    prepared: Callable[[], AbstractContextManager[object]] = nullcontext
    """Held while the store is opened (a server store creates its schema and tables under it)."""
    sessions: Callable[[Factory], SessionStore] = lambda _: _memory_sessions()
    """Where the portal's sessions are kept (beside the events, for every API process)."""


def _memory_tree() -> TreeStore:
    from carepassport.adapters.audit.trees import MemoryTree

    return MemoryTree()


def _memory_sessions() -> SessionStore:
    from carepassport.adapters.storage.sessions import MemorySessions

    return MemorySessions()


def _sqlite_sessions(factory: Factory) -> SessionStore:
    from carepassport.adapters.storage.sessions import SQLiteSessions

    sessions: SQLiteSessions = factory.tracking_recorder(SQLiteSessions)
    return sessions


def _postgres_sessions(factory: Factory) -> SessionStore:
    from carepassport.adapters.storage.postgres_sessions import PostgresSessions

    sessions: PostgresSessions = factory.tracking_recorder(PostgresSessions)
    return sessions


def _memory_personal_data() -> PersonalData:
    from carepassport.adapters.personal.keys import memory_personal_data

    return memory_personal_data()


def _sqlite_views(factory: Factory) -> Views:
    from carepassport.adapters.storage.sqlite import SQLiteViews

    views: SQLiteViews = factory.tracking_recorder(SQLiteViews)
    return views


def _sqlite_compliance(factory: Factory) -> ComplianceStore:
    from carepassport.adapters.storage.sqlite_compliance import SQLiteCompliance

    store: SQLiteCompliance = factory.tracking_recorder(SQLiteCompliance)
    return store


def _sqlite_tree(factory: Factory) -> TreeStore:
    from carepassport.adapters.audit.trees import SQLiteTree

    tree: SQLiteTree = factory.tracking_recorder(SQLiteTree)
    return tree


def _postgres_tree(factory: Factory) -> TreeStore:
    from carepassport.adapters.audit.postgres_tree import PostgresTree

    tree: PostgresTree = factory.tracking_recorder(PostgresTree)
    return tree


def _postgres_views(factory: Factory) -> Views:
    from carepassport.adapters.storage.postgres import PostgresViews

    views: PostgresViews = factory.tracking_recorder(PostgresViews)
    return views


def _postgres_compliance(factory: Factory) -> ComplianceStore:
    from carepassport.adapters.storage.postgres_compliance import PostgresCompliance

    store: PostgresCompliance = factory.tracking_recorder(PostgresCompliance)
    return store


def _memory_config() -> StoreConfig:
    from carepassport.adapters.lms.memory import InMemoryLms
    from carepassport.adapters.storage.memory import MemoryViews
    from carepassport.adapters.storage.memory_compliance import MemoryCompliance

    lms = InMemoryLms()
    return StoreConfig(
        env={"PERSISTENCE_MODULE": "eventsourcing.popo"},
        views=MemoryViews,
        compliance=MemoryCompliance,
        staging=lambda _: lms,
        outbox_folder=None,
    )


def _sqlite_config(url: str, create: bool) -> StoreConfig:
    from carepassport.adapters.lms.staging import SQLiteStagingLms
    from carepassport.adapters.personal.keys import sqlite_key_file, sqlite_personal_data
    from carepassport.adapters.storage.recorders import recorder_env
    from carepassport.application.store import StoreUnavailable

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
            **recorder_env("eventsourcing.sqlite"),
        },
        views=_sqlite_views,
        compliance=_sqlite_compliance,
        staging=lambda _: SQLiteStagingLms(staging_file),
        outbox_folder=path.with_suffix(".outbox"),
        key_folder=path.with_suffix(".keys"),
        tree=_sqlite_tree,
        checkpoint_folder=path.with_suffix(".checkpoints"),
        personal=lambda _: sqlite_personal_data(sqlite_key_file(path)),
        sessions=_sqlite_sessions,
    )


def _postgres_config(url: str, create: bool) -> StoreConfig:
    from carepassport.adapters.lms.postgres_staging import PostgresStagingLms
    from carepassport.adapters.personal.postgres_keys import postgres_personal_data
    from carepassport.adapters.storage.postgres_setup import PostgresLocation
    from carepassport.adapters.storage.recorders import recorder_env

    location = PostgresLocation.from_url(url)
    return StoreConfig(
        env={**location.env(), **recorder_env("eventsourcing.postgres")},
        views=_postgres_views,
        compliance=_postgres_compliance,
        staging=PostgresStagingLms.on,
        outbox_folder=Path(f"{location.dbname}.{location.schema}.outbox"),
        prepared=lambda: location.prepared(create=create),
        tree=_postgres_tree,
        personal=postgres_personal_data,
        sessions=_postgres_sessions,
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
    from carepassport.adapters.storage.postgres_setup import SCHEMES  # psycopg: PostgreSQL only

    if url.split("://", 1)[0] in SCHEMES:
        return _postgres_config(url, create)
    raise InvalidValue(
        f"unsupported store URL {url!r}: use memory://, sqlite:///path/to/file.db or "
        "postgresql://user@host:port/database"
    )


def signing_keys(
    config: StoreConfig, memory: bool, environ: Mapping[str, str] | None = None
) -> SigningKeys:
    """The badges' private keys: ``$CAREPASSPORT_KEYS`` if set, else ``<store>.keys/`` beside a
    SQLite store; in memory for a memory store; for PostgreSQL the variable is required."""
    from carepassport.adapters.badges.keys import KEYS_ENV, FolderKeys, MemoryKeys

    folder = (os.environ if environ is None else environ).get(KEYS_ENV, "")
    if folder:
        return FolderKeys(Path(folder))
    if memory:
        return MemoryKeys()
    return FolderKeys(config.key_folder, " (a PostgreSQL store has no folder of its own)")


def checkpoint_folder(
    config: StoreConfig, memory: bool, environ: Mapping[str, str] | None = None
) -> CheckpointFolder:
    """Where signed checkpoints go: ``$CAREPASSPORT_CHECKPOINTS`` if set, else
    ``<store>.checkpoints/`` beside a SQLite store; in memory for a memory store; for
    PostgreSQL the variable is required."""
    from carepassport.adapters.audit.folder import (
        CHECKPOINTS_ENV,
        CheckpointFiles,
        MemoryCheckpoints,
    )

    folder = (os.environ if environ is None else environ).get(CHECKPOINTS_ENV, "")
    if folder:
        return CheckpointFiles(Path(folder))
    if memory:
        return MemoryCheckpoints()
    return CheckpointFiles(
        config.checkpoint_folder, " (a PostgreSQL store has no folder of its own)"
    )


def badge_tools(keys: SigningKeys) -> BadgeTools:
    """The badges' adapters over ``keys``, each built on first use: pyld, jsonschema and Pillow
    are loaded by the commands that sign, check or draw a badge, not by every command."""
    from carepassport.application.badges.ports import BadgeTools

    return BadgeTools(
        keys=keys,
        proofs=_on_first_use(_proofs),
        schemas=_on_first_use(_schemas),
        baking=_on_first_use(_baking),
        images=_on_first_use(_images),
    )


def _proofs() -> Proofs:
    from carepassport.adapters.badges.data_integrity import EddsaRdfc2022

    return EddsaRdfc2022()


def _schemas() -> Schemas:
    from carepassport.adapters.badges.schemas import PinnedSchemas

    return PinnedSchemas()


def _baking() -> Baking:
    from carepassport.adapters.badges.baking import ImageBaking

    return ImageBaking()


def _images() -> Images:
    from carepassport.adapters.badges.images import BadgeImages

    return BadgeImages()


class _OnFirstUse:
    """Stands for an adapter that is built (and its module imported) when first used."""

    def __init__(self, build: Callable[[], object]) -> None:
        self._build = build
        self._built: object | None = None

    def __getattr__(self, name: str) -> Any:
        if self._built is None:
            self._built = self._build()
        return getattr(self._built, name)


def _on_first_use(build: Callable[[], T]) -> T:
    return cast(T, _OnFirstUse(build))


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
    from carepassport.adapters.mail.mailers import FileOutboxMailer, InMemoryMailer

    if url is None:
        return FileOutboxMailer(outbox_folder, sender) if outbox_folder else InMemoryMailer()
    scheme = url.partition("://")[0].lower()
    if scheme in {"smtp", "smtps"}:
        from carepassport.adapters.mail.smtp import SmtpMailer, SmtpSettings

        settings = SmtpSettings.from_url(
            url, environ=os.environ if environ is None else environ, default_sender=sender
        )
        return SmtpMailer(settings)
    if scheme == "file" and url.startswith("file:///") and len(url) > len("file:///"):
        return FileOutboxMailer(Path(url.removeprefix("file://")), sender)
    if url == "memory://":
        return InMemoryMailer()
    from carepassport.adapters.mail.smtp import redact

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
    enrolment: LmsEnrolment | None = None,
    brightspace: BrightspaceConfig | Path | None = None,
    environ: Mapping[str, str] | None = None,
    approval_secret: str | None = None,
    reply_domain: str | None = None,
    keys: SigningKeys | None = None,
    personal: Callable[[Factory], PersonalData] | None = None,
    portal_url: str | None = None,
    holder: str | None = None,
    running_since: float | None = None,
) -> Services:
    """Wire the core on a store with production adapters, unless others are passed in.

    ``mail`` is a mail URL (``mailer_for``), e.g. ``smtp://relay.example:587?starttls=true``;
    without it (or a ``mailer``), a SQLite store writes mail as .eml files in
    ``<db name>.outbox/`` beside it, a PostgreSQL store in ``<database>.<schema>.outbox/`` in the
    working directory, and the memory store keeps mail in memory. ``now`` fixes the clock at a
    simulated time (a ``SettableClock``), or with ``running_since`` (a Unix time) starts it
    there at that moment and lets it run (a ``RunningClock``: processes given the same pair
    agree); otherwise the system clock is used. Without an LMS, a
    SQLite store stages imported results in ``<db name>.lms.db`` beside it, a PostgreSQL store in
    its ``cp_staged_results`` table, and the memory store in memory.
    With ``brightspace`` (a configuration or its JSON/TOML file; the token is read from
    ``environ``, default the process environment), results are also read from Brightspace
    into that staging feed, learners are enrolled there, and its Data Sets can be imported.
    Without it, enrolment is an in-memory fake (``InMemoryEnrolment``) unless one is passed.

    ``approval_secret`` (else ``$CAREPASSPORT_APPROVAL_SECRET``) signs the approval tokens that
    let approvers answer by replying (R3); without one, requests carry no token and replies
    are refused unread. Replies go to ``approvals+TOKEN@<reply_domain>`` (else
    ``$CAREPASSPORT_REPLY_DOMAIN``, else the sender's domain). The secret is never recorded.

    ``keys`` holds the badges' private signing keys; without it, the folder
    ``$CAREPASSPORT_KEYS``, else ``<db name>.keys/`` beside a SQLite store, else memory for the
    memory store (a PostgreSQL store needs the variable before it can sign).

    ``portal_url`` (else ``$CAREPASSPORT_PORTAL_URL``, else ``http://127.0.0.1:8000``) is
    where the portal's sign-in links point.

    ``personal`` holds the per-person data keys; without it, ``<db name>.personal.db`` beside
    a SQLite store, the schema ``<schema>_keys`` beside a PostgreSQL store, else memory.

    ``holder`` names this core in its claims on due work and mail (default: host, process id
    and a random part); claims last ``$CAREPASSPORT_LEASE_SECONDS`` (default 60) unrenewed.
    """
    import sqlite3

    from eventsourcing.persistence import PersistenceError

    from carepassport.adapters.calendar import OntarioCalendars
    from carepassport.adapters.clocks import RunningClock, SettableClock, SystemClock
    from carepassport.adapters.lms.enrolment import InMemoryEnrolment
    from carepassport.adapters.mail.reply_parser import MimeReplyParser
    from carepassport.adapters.storage.event_readers import event_reader
    from carepassport.application.access.sign_in import DEFAULT_PORTAL_URL
    from carepassport.application.services import Services
    from carepassport.application.store import StoreUnavailable

    if mailer is not None and mail is not None:
        raise InvalidValue("pass either a mailer or a mail URL, not both")
    config = store_config(store, create=create)
    tokens = approval_tokens(approval_secret, reply_domain, sender)
    if clock is None and now is not None:
        clock = SettableClock(now) if running_since is None else RunningClock(now, running_since)
    if clock is None:
        clock = SystemClock()
    if mailer is None:
        mailer = mailer_for(mail, config.outbox_folder, sender=sender)
    formats: list[ResultFormat] = []
    closers: list[Callable[[], None]] = []
    staging = config.staging if lms is None else _given(lms)
    try:
        if brightspace is not None:
            from carepassport.adapters.lms.brightspace.client import BrightspaceClient
            from carepassport.adapters.lms.brightspace.config import BrightspaceConfig
            from carepassport.adapters.lms.brightspace.datasets import QuizAttemptsDataSet
            from carepassport.adapters.lms.brightspace.lms import BrightspaceEnrolment

            settings = (
                brightspace
                if isinstance(brightspace, BrightspaceConfig)
                else BrightspaceConfig.load(Path(brightspace))
            )
            client = BrightspaceClient(
                settings, settings.token(os.environ if environ is None else environ)
            )
            closers.append(client.close)
            if settings.read_results:
                staging = _reading_brightspace(client, staging, clock)
            enrolment = enrolment or BrightspaceEnrolment(client)
            formats.append(QuizAttemptsDataSet(settings, client))
        with config.prepared():
            return Services.wire(
                env=config.env,
                clock=clock,
                calendar=calendar or OntarioCalendars(),
                mailer=mailer,
                lms=staging,
                views=config.views,
                reader=event_reader,
                compliance=config.compliance,
                scratch_compliance=_scratch_compliance,
                enrolment=enrolment or InMemoryEnrolment(),
                result_formats=formats,
                closers=closers,
                reply_parser=MimeReplyParser(),
                approval_tokens=tokens,
                badge_tools=badge_tools(
                    keys or signing_keys(config, store == "memory://", environ)
                ),
                tree=config.tree,
                checkpoints=checkpoint_folder(config, store == "memory://", environ),
                personal=personal or config.personal,
                sessions=config.sessions,
                portal_url=portal_url
                or (os.environ if environ is None else environ).get(PORTAL_URL_ENV, "")
                or DEFAULT_PORTAL_URL,
                holder=holder or default_holder(),
                lease=claim_lease(os.environ if environ is None else environ),
            )
    except (OSError, sqlite3.Error, PersistenceError) as error:
        raise StoreUnavailable(f"cannot open the store {store}: {error}") from None


def default_holder(role: str = "core") -> str:
    """A name for this process's claims that an operator can trace: host, process id, role and
    a random part (two cores in one process differ)."""
    import secrets
    import socket

    return f"{socket.gethostname()}:{os.getpid()}:{role}:{secrets.token_hex(2)}"


def claim_lease(environ: Mapping[str, str]) -> timedelta:
    """The claims' lease from ``$CAREPASSPORT_LEASE_SECONDS`` (a positive number), else 60 s."""
    from carepassport.application.claims import DEFAULT_LEASE

    text = environ.get(LEASE_ENV, "").strip()
    if not text:
        return DEFAULT_LEASE
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds <= MAX_LEASE_SECONDS:
        raise InvalidValue(
            f"{LEASE_ENV} must be a number of seconds above 0 and at most "
            f"{MAX_LEASE_SECONDS}, not {text!r}"
        )
    return timedelta(seconds=seconds)


def _scratch_compliance() -> ComplianceStore:
    """A fresh in-memory projection (the compliance trend folds the log into one)."""
    from carepassport.adapters.storage.memory_compliance import MemoryCompliance

    return MemoryCompliance()


def approval_tokens(
    secret: str | None, domain: str | None, sender: str = DEFAULT_SENDER
) -> ApprovalTokens | None:
    """The approval tokens for a secret given or found in the environment (None without)."""
    secret = secret if secret is not None else os.environ.get(APPROVAL_SECRET_ENV, "")
    if not secret:
        return None
    from carepassport.application.training.approval_tokens import ApprovalTokens

    domain = domain or os.environ.get(REPLY_DOMAIN_ENV) or sender.rpartition("@")[2]
    return ApprovalTokens.create(secret, domain)


def inbound_files(
    paths: Sequence[str], *, stdin: BinaryIO | None = None, authentication: str | None = None
) -> InboundMail:
    """Replies read from .eml files, or standard input for ``-`` (``mail receive``)."""
    from carepassport.adapters.mail.inbound import FileInbound

    return FileInbound(paths, stdin=stdin, authentication=authentication)


def _given(lms: StagingLms) -> Callable[[Factory], StagingLms]:
    return lambda _: lms


def _reading_brightspace(
    client: BrightspaceClient, staging: Callable[[Factory], StagingLms], clock: Clock
) -> Callable[[Factory], StagingLms]:
    from carepassport.adapters.lms.brightspace.lms import BrightspaceLms

    return lambda factory: BrightspaceLms(client, staging(factory), clock)


def simulation(
    store: str, start: datetime, *, approval_secret: str | None = None
) -> tuple[Services, AdjustableClock]:
    """The core on ``store`` with a clock that the caller moves (demos, what-if runs)."""
    from carepassport.adapters.clocks import SettableClock

    clock = SettableClock(start)
    return bootstrap(store, clock=clock, approval_secret=approval_secret), clock
