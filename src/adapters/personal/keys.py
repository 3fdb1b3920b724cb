"""Per-subject data keys, kept outside the event log: in memory, in a SQLite file of their own,
or in a PostgreSQL schema of their own; and the AES-256-GCM sealer over them (ADR 0023).

A key row is ``(key_id, subject, generation, key)``. Erasing a subject sets its keys to NULL
and keeps the rows: a sealed value whose key row is there but empty reads as erased, and one
whose key row is missing is an error (a wrong or lost key store), never silently "erased". A
subject sealed again after erasure gets a new generation, so old values stay unreadable.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from carepassport.application.personal import KeysRaced, Sealed, SubjectKeyMissing, normalised

INDEX_KEY_ID = "index/1"
"""The blind index's HMAC key, kept with the data keys and never erased."""
NONCE = 12
KEY_BYTES = 32
CACHE_SECONDS = 30.0
"""How long a process trusts a key it has read: a subject erased by another process is
unreadable here at most this long after."""

KEYS_REMEMBERED = 8192
"""Keys a process keeps at most, each way: a night's sync seals under a key per message and
per address, so an unbounded cache grew with the night (hundreds of MB at 100k results);
past this many the longest remembered is forgotten (and read back from the key table)."""

Row = tuple[str, str, int, bytes | None]
"""key_id, subject, generation, key (None once erased)."""


class KeyTable(Protocol):
    """Where the keys are stored."""

    def latest(self, subject: str) -> Row | None: ...

    def insert(self, row: Row) -> Row:
        """Add ``row`` unless its key id exists; the row stored under that id."""
        ...

    def insert_all(self, rows: list[Row]) -> set[str]:
        """Add the rows whose key ids do not exist, in one transaction; the ids of the rows
        stored as given (the others were made first by another process)."""
        ...

    def get(self, key_id: str) -> Row | None: ...

    def get_all(self, key_ids: list[str]) -> list[Row]:
        """The rows of those of these ids the table holds."""
        ...

    def erase(self, subjects: list[str]) -> int: ...

    def close(self) -> None: ...


class MemoryKeyTable:
    def __init__(self) -> None:
        self._rows: dict[str, Row] = {}
        self._lock = threading.Lock()

    def latest(self, subject: str) -> Row | None:
        rows = [r for r in self._rows.values() if r[1] == subject]
        return max(rows, key=lambda r: r[2]) if rows else None

    def insert(self, row: Row) -> Row:
        with self._lock:
            return self._rows.setdefault(row[0], row)

    def insert_all(self, rows: list[Row]) -> set[str]:
        with self._lock:
            return {r[0] for r in rows if self._rows.setdefault(r[0], r) == r}

    def get(self, key_id: str) -> Row | None:
        return self._rows.get(key_id)

    def get_all(self, key_ids: list[str]) -> list[Row]:
        return [self._rows[k] for k in key_ids if k in self._rows]

    def erase(self, subjects: list[str]) -> int:
        with self._lock:
            gone = [r for r in self._rows.values() if r[1] in subjects and r[3] is not None]
            for r in gone:
                self._rows[r[0]] = (r[0], r[1], r[2], None)
        return len(gone)

    def close(self) -> None:
        pass


_SQLITE_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS cp_data_keys (key_id TEXT PRIMARY KEY, subject TEXT NOT NULL, "
    "generation INTEGER NOT NULL, key BLOB, UNIQUE (subject, generation))"
)


class SQLiteKeyTable:
    """``cp_data_keys`` in a SQLite file of its own (``<store>.personal.db`` beside the store)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False, timeout=10, isolation_level=None)
        self._lock = threading.Lock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(_SQLITE_SCHEMA)

    def latest(self, subject: str) -> Row | None:
        with self._lock:
            row = self._db.execute(
                "SELECT key_id, subject, generation, key FROM cp_data_keys WHERE subject = ? "
                "ORDER BY generation DESC LIMIT 1",
                (subject,),
            ).fetchone()
        return _row(row)

    def insert(self, row: Row) -> Row:
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO cp_data_keys VALUES (?, ?, ?, ?)", row)
            stored = self._db.execute(
                "SELECT key_id, subject, generation, key FROM cp_data_keys WHERE key_id = ?",
                (row[0],),
            ).fetchone()
        found = _row(stored)
        assert found is not None
        return found

    def insert_all(self, rows: list[Row]) -> set[str]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany("INSERT OR IGNORE INTO cp_data_keys VALUES (?, ?, ?, ?)", rows)
                stored = {
                    found[0]: found[1]
                    for chunk in _chunks([r[0] for r in rows])
                    for found in self._db.execute(
                        "SELECT key_id, key FROM cp_data_keys WHERE key_id IN "
                        f"({','.join('?' * len(chunk))})",
                        chunk,
                    )
                }
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return _stored_as_given(rows, stored)

    def get(self, key_id: str) -> Row | None:
        with self._lock:
            row = self._db.execute(
                "SELECT key_id, subject, generation, key FROM cp_data_keys WHERE key_id = ?",
                (key_id,),
            ).fetchone()
        return _row(row)

    def get_all(self, key_ids: list[str]) -> list[Row]:
        with self._lock:
            found = [
                row
                for chunk in _chunks(key_ids)
                for row in self._db.execute(
                    "SELECT key_id, subject, generation, key FROM cp_data_keys WHERE key_id IN "
                    f"({','.join('?' * len(chunk))})",
                    chunk,
                )
            ]
        return [r for r in map(_row, found) if r is not None]

    def erase(self, subjects: list[str]) -> int:
        marks = ",".join("?" * len(subjects))
        with self._lock:
            cursor = self._db.execute(
                f"UPDATE cp_data_keys SET key = NULL WHERE subject IN ({marks}) "
                "AND key IS NOT NULL",
                subjects,
            )
            erased = cursor.rowcount
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # no old key left in the WAL
        return erased

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _chunks(ids: list[str], size: int = 500) -> Iterator[list[str]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _stored_as_given(rows: list[Row], stored: dict[str, Any]) -> set[str]:
    """The ids of ``rows`` whose stored key is the one given."""
    return {r[0] for r in rows if stored.get(r[0]) is not None and bytes(stored[r[0]]) == r[3]}


def _row(row: tuple[Any, ...] | None) -> Row | None:
    if row is None:
        return None
    return (row[0], row[1], int(row[2]), bytes(row[3]) if row[3] is not None else None)


def _dict_row(row: Any) -> Row | None:
    if row is None:
        return None
    key = row["key"]
    return (row["key_id"], row["subject"], int(row["generation"]), bytes(key) if key else None)


_REMEMBERING = threading.Lock()


def _remember(cache: OrderedDict[Any, Any], key: Any, value: Any) -> None:
    """Keep ``value``, the cache bounded by ``KEYS_REMEMBERED`` (memory stays flat): past it,
    the key remembered longest ago is forgotten, so the keys a write has just read stay
    remembered while it seals and opens."""
    with _REMEMBERING:
        _put(cache, key, value)


def _put(cache: OrderedDict[Any, Any], key: Any, value: Any) -> None:
    """An ``OrderedDict``, not a dict: a dict's first key is found by skipping the slots of
    every key deleted before it, so forgetting the oldest of a full dict one at a time cost
    thousands of steps each (about ten times the whole put, measured)."""
    cache.pop(key, None)
    while len(cache) >= KEYS_REMEMBERED:
        cache.popitem(last=False)
    cache[key] = value


class AesGcmPersonalData:
    """``PersonalData`` with AES-256-GCM (the key id as associated data) and an HMAC-SHA-256
    blind index, over a key table."""

    def __init__(
        self, table: KeyTable, clock: Any = time.monotonic, *, sealing: bool = True
    ) -> None:
        self.table = table
        self.sealing = sealing
        self._clock = clock
        self._current: OrderedDict[str, tuple[float, str, AESGCM]] = OrderedDict()
        self._opened: OrderedDict[str, tuple[float, AESGCM | None]] = OrderedDict()
        self._making = threading.local()
        """The keys made for the write under way (``keys_made_together``), by subject."""
        self._erasures = 0
        """How many erasures this process has made: a key read while one ran is not kept."""
        self._index_key = self._key_of(self.table.insert(_new_row("index", 1)))
        self._index_hmac = hmac.new(self._index_key, digestmod=hashlib.sha256)
        self._indexes: OrderedDict[tuple[str, str], str] = OrderedDict()
        """Values indexed lately (an address is indexed for every notice it receives)."""

    def index(self, kind: str, value: str) -> str:
        known = self._indexes.get((kind, value))
        if known is not None:
            return known
        digest = self._index_hmac.copy()
        digest.update(f"{kind}:{normalised(kind, value)}".encode())
        found = digest.hexdigest()
        _remember(self._indexes, (kind, value), found)
        return found

    def seal(self, subject: str, plaintext: str, *, new: bool = False) -> Sealed:
        key_id, aead = self._key_for(subject, new)
        nonce = os.urandom(NONCE)
        return Sealed(key_id, nonce + aead.encrypt(nonce, plaintext.encode(), key_id.encode()))

    @contextmanager
    def keys_made_together(self) -> Iterator[None]:
        if getattr(self._making, "rows", None) is not None:  # within a write already: join it
            yield
            return
        epoch = self._erasures
        making: dict[str, tuple[Row, AESGCM]] = {}
        self._making.rows = making
        try:
            yield
        finally:
            self._making.rows = None
        if not making:
            return
        rows = [row for row, _ in making.values()]
        stored = self.table.insert_all(rows)
        if len(stored) != len(rows):
            raise KeysRaced(f"{len(rows) - len(stored)} of the keys were made meanwhile elsewhere")
        now = self._clock()
        for subject, (row, aead) in making.items():
            self._keep(epoch, self._current, subject, (now, row[0], aead))
            self._keep(epoch, self._opened, row[0], (now, aead))

    def _keep(self, epoch: int, cache: OrderedDict[str, Any], key: str, value: Any) -> None:
        """Remember a key read (or made) since erasure ``epoch``, unless this process erased
        something meanwhile: the key read may be one the erasure has just deleted."""
        with _REMEMBERING:
            if self._erasures == epoch:
                _put(cache, key, value)

    def _key_for(self, subject: str, new: bool) -> tuple[str, AESGCM]:
        """The key id and cipher ``subject`` is sealed under now."""
        making: dict[str, tuple[Row, AESGCM]] | None = getattr(self._making, "rows", None)
        if making is not None and subject in making:
            row, aead = making[subject]
            return row[0], aead
        now = self._clock()
        cached = self._current.get(subject)
        if cached is not None and now - cached[0] <= CACHE_SECONDS:
            return cached[1], cached[2]
        epoch = self._erasures
        if making is None:
            key_id, aead = self._current_key(subject)
            self._keep(epoch, self._current, subject, (now, key_id, aead))
            return key_id, aead
        latest = None if new else self.table.latest(subject)
        if latest is not None and latest[3] is not None:
            aead = AESGCM(latest[3])
            self._keep(epoch, self._current, subject, (now, latest[0], aead))
            return latest[0], aead
        row = _new_row(subject, 1 if latest is None else latest[2] + 1)
        making[subject] = (row, AESGCM(self._key_of(row)))
        return row[0], making[subject][1]

    def open(self, sealed: Sealed) -> str | None:
        now = self._clock()
        cached = self._opened.get(sealed.key_id)
        if cached is None or now - cached[0] > CACHE_SECONDS:
            epoch = self._erasures
            row = self.table.get(sealed.key_id)
            if row is None:
                raise SubjectKeyMissing(
                    f"the key store holds no key {sealed.key_id.split(':', 1)[0]}:... "
                    "(is this the store's own key store?)"
                )
            cached = self._remember_row(row, now, epoch)
        aead = cached[1]
        if aead is None:
            return None
        nonce, ciphertext = sealed.data[:NONCE], sealed.data[NONCE:]
        try:
            return aead.decrypt(nonce, ciphertext, sealed.key_id.encode()).decode()
        except InvalidTag:
            raise SubjectKeyMissing(
                "a sealed value does not open with its key (edited, or another key store)"
            ) from None

    def preload(self, key_ids: Iterable[str]) -> None:
        now = self._clock()
        missing = [
            k
            for k in key_ids
            if (cached := self._opened.get(k)) is None or now - cached[0] > CACHE_SECONDS
        ]
        if missing:
            epoch = self._erasures
            for row in self.table.get_all(missing):
                self._remember_row(row, now, epoch)

    def _remember_row(self, row: Row, now: float, epoch: int) -> tuple[float, AESGCM | None]:
        """Remember a key read from the table (since erasure ``epoch``). One that is not
        erased is also its subject's current key: a subject gains a generation only once its
        latest is erased."""
        cached = (now, AESGCM(row[3]) if row[3] is not None else None)
        self._keep(epoch, self._opened, row[0], cached)
        if cached[1] is not None and row[1] not in self._current:
            self._keep(epoch, self._current, row[1], (now, row[0], cached[1]))
        return cached

    def erase(self, subjects: Iterable[str]) -> int:
        wanted = sorted(set(subjects) - {"index"})
        if not wanted:
            return 0
        erased = self.table.erase(wanted)
        gone = set(wanted)
        with _REMEMBERING:
            self._erasures += 1
            for subject in wanted:
                self._current.pop(subject, None)
            for key_id in [k for k in self._opened if k.rsplit("/", 1)[0] in gone]:
                del self._opened[key_id]
            self._indexes.clear()  # the values indexed lately are plaintext
        return erased

    def close(self) -> None:
        self.table.close()

    def _current_key(self, subject: str) -> tuple[str, AESGCM]:
        row = self.table.latest(subject)
        if row is None or row[3] is None:
            row = self.table.insert(_new_row(subject, 1 if row is None else row[2] + 1))
        if row[3] is None:  # erased meanwhile by another process: start its next generation
            row = self.table.insert(_new_row(subject, row[2] + 1))
        return row[0], AESGCM(self._key_of(row))

    @staticmethod
    def _key_of(row: Row) -> bytes:
        assert row[3] is not None
        return row[3]


def _new_row(subject: str, generation: int) -> Row:
    return (f"{subject}/{generation}", subject, generation, AESGCM.generate_key(KEY_BYTES * 8))


def memory_personal_data() -> AesGcmPersonalData:
    return AesGcmPersonalData(MemoryKeyTable())


def sqlite_key_file(store: Path) -> Path:
    """The key store of a SQLite store: a file of its own beside it."""
    return store.with_suffix(".personal.db")


def sqlite_personal_data(path: Path) -> AesGcmPersonalData:
    return AesGcmPersonalData(SQLiteKeyTable(path))
