"""The views as tables in the application's SQLite file, sharing its connection pool.

Each batch of view changes and the tracking position are written in one transaction, so the
views hold each event exactly once and can be rebuilt from the log at any time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.sqlite import SQLiteCursor, SQLiteTrackingRecorder

from carepassport.application.ports import (
    DeliveryChange,
    DueItem,
    HeldResult,
    OutboxEntry,
    ViewChanges,
)

TRACKING_NAME = "CarePassport.views"
SCHEMA_VERSION = 7
"""Raise when the views' tables change: older tables are dropped and rebuilt from the log."""
VIEW_TABLES = ("cp_deadlines", "cp_outbox", "cp_held_results")


def _instant(moment: datetime) -> str:
    """UTC text that sorts in time order (remembered for recent instants: a batch of the
    nightly sync queues its notices at one or two)."""
    key = (moment, moment.fold)  # equal local times either side of a DST change differ
    text = _INSTANTS.get(key)
    if text is None:
        if len(_INSTANTS) >= INSTANTS_REMEMBERED:
            _INSTANTS.clear()
        text = _INSTANTS[key] = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return text


INSTANTS_REMEMBERED = 4096
_INSTANTS: dict[tuple[datetime, int], str] = {}


def _parse(text: str) -> datetime:
    """The instant ``_instant`` wrote (ISO 8601 with a Z: ``fromisoformat`` reads it, ~20x
    faster than ``strptime``)."""
    return datetime.fromisoformat(text)


def _maybe_instant(moment: datetime | None) -> str | None:
    return _instant(moment) if moment is not None else None


def _maybe_parse(text: str | None) -> datetime | None:
    return _parse(text) if text else None


# --- outbox delivery bookkeeping (ADR 0011): columns, statements and row mapping -------------
OUTBOX_DELIVERY_COLUMNS = (
    "attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at TEXT, last_error TEXT, abandoned_at TEXT"
)
APPLY_DELIVERY = (
    "UPDATE cp_outbox SET attempts = ?, next_attempt_at = ?, "
    "last_error = COALESCE(?, last_error), abandoned_at = ? "
    "WHERE notification_id = ? AND position = ?"
)
SELECT_DELIVERABLE = (
    "SELECT * FROM cp_outbox WHERE sent_at IS NULL AND abandoned_at IS NULL "
    "AND (next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY sequence, position LIMIT ?"
)


def _delivery_row(change: DeliveryChange) -> tuple[Any, ...]:
    return (
        change.attempts,
        _maybe_instant(change.next_attempt_at),
        change.last_error,
        _maybe_instant(change.abandoned_at),
        str(change.notification_id),
        change.position,
    )


def _delivery_fields(row: Any) -> dict[str, Any]:
    return {
        "attempts": row["attempts"],
        "next_attempt_at": _maybe_parse(row["next_attempt_at"]),
        "last_error": row["last_error"],
        "abandoned_at": _maybe_parse(row["abandoned_at"]),
    }


CLAIM_DUE = (
    "UPDATE cp_deadlines SET claimed_by = ?, claimed_until = ? "
    "WHERE (aggregate_id, action) IN ("
    "SELECT aggregate_id, action FROM cp_deadlines WHERE settled = 0 "
    "AND (due_at, priority) = (SELECT due_at, priority FROM cp_deadlines "
    "WHERE settled = 0 AND due_at <= ? ORDER BY due_at, priority LIMIT 1) "
    "AND (claimed_until IS NULL OR claimed_until <= ? OR claimed_by = ?) "
    "ORDER BY sequence LIMIT ?) "
    "RETURNING aggregate_id, action, rule, due_at, priority, sequence"
)
"""Claim the free items of the earliest due time and priority (the partial index finds it)."""
CLAIM_MAIL = (
    "UPDATE cp_outbox SET claimed_by = ?, claimed_until = ? WHERE (notification_id, position) IN ("
    "SELECT notification_id, position FROM cp_outbox WHERE sent_at IS NULL "
    "AND abandoned_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= ?) "
    "AND (claimed_until IS NULL OR claimed_until <= ? OR claimed_by = ?) "
    "ORDER BY sequence, position LIMIT ?) RETURNING *"
)


def _due_item(row: Any) -> DueItem:
    return DueItem(
        aggregate_id=UUID(row["aggregate_id"]),
        action=row["action"],
        rule=row["rule"],
        due_at=_parse(row["due_at"]),
        sequence=row["sequence"],
        priority=row["priority"],
    )


def _entry(row: Any) -> OutboxEntry:
    return OutboxEntry(
        notification_id=UUID(row["notification_id"]),
        kind=row["kind"],
        recipient=row["recipient"],
        subject=row["subject"],
        body=row["body"],
        about_id=UUID(row["about_id"]),
        queued_at=_parse(row["queued_at"]),
        sent_at=_parse(row["sent_at"]) if row["sent_at"] else None,
        sequence=row["sequence"],
        reply_to=row["reply_to"],
        recipient_index=row["recipient_index"],
        position=row["position"],
        **_delivery_fields(row),
    )


def _many(c: SQLiteCursor, statement: str, rows: list[tuple[Any, ...]]) -> None:
    """``executemany``, skipped for no rows (most batches touch two or three tables)."""
    if rows:
        c.executemany(statement, rows)


class SQLiteViews(SQLiteTrackingRecorder):
    """Deadline index (``cp_deadlines``) and outbox (``cp_outbox``) tables with tracking."""

    def create_table(self) -> None:
        """Create the tables. Views of an older schema are dropped and their position reset:
        they are derived from the event log, so the next catch-up rebuilds them."""
        outdated = self._drop_outdated_views()
        super().create_table()
        if outdated:
            with self.datastore.transaction(commit=True) as c:
                c.execute("DELETE FROM tracking WHERE application_name = ?", (TRACKING_NAME,))

    def _drop_outdated_views(self) -> bool:
        with self.datastore.transaction(commit=True) as c:
            c.execute("CREATE TABLE IF NOT EXISTS cp_views_schema (version INTEGER NOT NULL)")
            c.execute("SELECT version FROM cp_views_schema")
            row = c.fetchone()
            if row is not None and row[0] == SCHEMA_VERSION:
                return False
            for table in VIEW_TABLES:
                c.execute(f"DROP TABLE IF EXISTS {table}")
            c.execute("DELETE FROM cp_views_schema")
            c.execute("INSERT INTO cp_views_schema VALUES (?)", (SCHEMA_VERSION,))
            return True

    def construct_create_table_statements(self) -> list[str]:
        """The tracking table, plus the views' tables and their indexes."""
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS cp_deadlines ("
            "aggregate_id TEXT NOT NULL, action TEXT NOT NULL, rule TEXT NOT NULL, "
            "due_at TEXT NOT NULL, priority INTEGER NOT NULL, sequence INTEGER NOT NULL, "
            "settled INTEGER NOT NULL DEFAULT 0, claimed_by TEXT, claimed_until TEXT, "
            "PRIMARY KEY (aggregate_id, action)) WITHOUT ROWID",
            "CREATE INDEX IF NOT EXISTS cp_deadlines_due "
            "ON cp_deadlines (due_at, priority, sequence) WHERE settled = 0",
            "CREATE INDEX IF NOT EXISTS cp_deadlines_claims "
            "ON cp_deadlines (claimed_by) WHERE claimed_by IS NOT NULL",
            "CREATE TABLE IF NOT EXISTS cp_outbox ("
            "notification_id TEXT NOT NULL, position INTEGER NOT NULL, "
            "sequence INTEGER NOT NULL, kind TEXT NOT NULL, "
            "recipient TEXT NOT NULL, subject TEXT NOT NULL, body TEXT NOT NULL, "
            "about_id TEXT NOT NULL, queued_at TEXT NOT NULL, sent_at TEXT, reply_to TEXT, "
            f"recipient_index TEXT NOT NULL, {OUTBOX_DELIVERY_COLUMNS}, "
            "claimed_by TEXT, claimed_until TEXT, PRIMARY KEY (notification_id, position))",
            "CREATE INDEX IF NOT EXISTS cp_outbox_claims "
            "ON cp_outbox (claimed_by) WHERE claimed_by IS NOT NULL",
            "CREATE INDEX IF NOT EXISTS cp_outbox_unsent ON cp_outbox (sequence, position) "
            "WHERE sent_at IS NULL AND abandoned_at IS NULL",
            "CREATE INDEX IF NOT EXISTS cp_outbox_recipient "
            "ON cp_outbox (recipient_index, sequence, position)",
            "CREATE TABLE IF NOT EXISTS cp_held_results ("
            "result_id TEXT PRIMARY KEY, record_id TEXT NOT NULL, student_number TEXT NOT NULL, "
            "held_since TEXT NOT NULL, position INTEGER NOT NULL, student_index TEXT NOT NULL)",
            "CREATE INDEX IF NOT EXISTS cp_held_results_student "
            "ON cp_held_results (student_index, position)",
        ]

    def position(self) -> int:
        """The last notification id applied."""
        return self.max_tracking_id(TRACKING_NAME) or 0

    def apply(self, changes: ViewChanges, after: int, position: int) -> None:
        """Write the changes and the position in one transaction; a writer that is not at
        ``after`` (another process got there first) fails whole."""
        with self.datastore.transaction(commit=True) as c:
            # Take the write lock before reading the position (a deferred transaction would
            # read a snapshot another writer could overtake).
            c.execute(
                "UPDATE tracking SET notification_id = notification_id WHERE application_name = ?",
                (TRACKING_NAME,),
            )
            current = self._max_tracking_id(TRACKING_NAME, c) or 0
            if current != after:
                raise IntegrityError(f"views are at {current}, not {after}")
            self._apply(c, changes)
            self._insert_tracking(c, Tracking(TRACKING_NAME, position))

    def alongside(self, changes: Callable[[Sequence[int]], ViewChanges]) -> dict[str, object]:
        """The events' transaction (it holds the write lock) applies their changes too."""

        def in_transaction(c: SQLiteCursor, ids: Sequence[int]) -> None:
            if ids[-1] - ids[0] != len(ids) - 1:
                return
            if (self._max_tracking_id(TRACKING_NAME, c) or 0) != ids[0] - 1:
                return
            self._apply(c, changes(ids))
            self._insert_tracking(c, Tracking(TRACKING_NAME, ids[-1]))

        return {"in_transaction": in_transaction}

    @staticmethod
    def _apply(c: SQLiteCursor, changes: ViewChanges) -> None:
        """One statement per kind of change in the batch (none for kinds it has none of)."""
        _many(
            c,
            "INSERT INTO cp_deadlines "
            "(aggregate_id, action, rule, due_at, priority, sequence, settled) "
            "VALUES (?, ?, ?, ?, ?, ?, 0) ON CONFLICT (aggregate_id, action) DO UPDATE SET "
            "rule = excluded.rule, due_at = excluded.due_at, priority = excluded.priority, "
            "sequence = excluded.sequence, settled = 0, claimed_by = NULL, claimed_until = NULL",
            [
                (str(i.aggregate_id), i.action, i.rule, _instant(i.due_at), i.priority, i.sequence)
                for i in changes.scheduled
            ],
        )
        _many(
            c,
            "UPDATE cp_deadlines SET settled = 1, claimed_by = NULL, claimed_until = NULL "
            "WHERE aggregate_id = ? AND action = ? AND sequence < ?",
            [(str(s.aggregate_id), s.action, s.sequence) for s in changes.settled],
        )
        _many(
            c,
            "INSERT OR IGNORE INTO cp_outbox (notification_id, position, sequence, kind, "
            "recipient, subject, body, about_id, queued_at, sent_at, reply_to, recipient_index) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)",
            [
                (
                    str(e.notification_id),
                    e.position,
                    e.sequence,
                    e.kind,
                    e.recipient,
                    e.subject,
                    e.body,
                    str(e.about_id),
                    _instant(e.queued_at),
                    e.reply_to,
                    e.recipient_index,
                )
                for e in changes.queued
            ],
        )
        _many(c, APPLY_DELIVERY, [_delivery_row(d) for d in changes.deliveries])
        _many(
            c,
            "UPDATE cp_outbox SET sent_at = ?, next_attempt_at = NULL, claimed_by = NULL, "
            "claimed_until = NULL WHERE notification_id = ? AND position = ?",
            [(_instant(sent_at), str(nid), position) for nid, sent_at, position in changes.sent],
        )
        _many(
            c,
            "INSERT OR IGNORE INTO cp_held_results "
            "(result_id, record_id, student_number, held_since, student_index, position) "
            "VALUES (?, ?, ?, ?, ?, (SELECT COALESCE(MAX(position), 0) + 1 FROM cp_held_results))",
            [
                (
                    str(h.result_id),
                    h.record_id,
                    h.student_number,
                    _instant(h.held_since),
                    h.student_index,
                )
                for h in changes.held
            ],
        )
        _many(
            c,
            "DELETE FROM cp_held_results WHERE result_id = ?",
            [(str(result_id),) for result_id in changes.released],
        )

    def due(self, now: datetime, limit: int) -> list[DueItem]:
        """Unsettled items due by ``now``, earliest first, through the partial due-time index."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT aggregate_id, action, rule, due_at, priority, sequence FROM cp_deadlines "
                "WHERE settled = 0 AND due_at <= ? ORDER BY due_at, priority, sequence LIMIT ?",
                (_instant(now), limit),
            )
            return [_due_item(row) for row in c.fetchall()]

    def claim_due(self, now: datetime, holder: str, until: datetime, limit: int) -> list[DueItem]:
        """One statement: it takes SQLite's write lock before it reads, so two processes never
        claim the same row."""
        at = _instant(now)
        with self.datastore.transaction(commit=True) as c:
            c.execute(CLAIM_DUE, (holder, _instant(until), at, at, holder, limit))
            rows = c.fetchall()
        return sorted((_due_item(row) for row in rows), key=lambda item: item.sequence)

    def claim_mail(
        self, now: datetime, holder: str, until: datetime, limit: int
    ) -> list[OutboxEntry]:
        """Deliverable messages no other live claim covers, oldest first, in one statement."""
        at = _instant(now)
        with self.datastore.transaction(commit=True) as c:
            c.execute(CLAIM_MAIL, (holder, _instant(until), at, at, holder, limit))
            rows = c.fetchall()
        return sorted(
            (_entry(row) for row in rows), key=lambda entry: (entry.sequence, entry.position)
        )

    def renew_claims(self, holder: str, until: datetime) -> int:
        """Extend the holder's claims on both tables."""
        renewed = 0
        with self.datastore.transaction(commit=True) as c:
            for table in ("cp_deadlines", "cp_outbox"):
                c.execute(
                    f"UPDATE {table} SET claimed_until = ? WHERE claimed_by = ?",
                    (_instant(until), holder),
                )
                renewed += c.sqlite_cursor.rowcount
        return renewed

    def release_claims(self, holder: str) -> None:
        """Drop the holder's claims on both tables."""
        with self.datastore.transaction(commit=True) as c:
            for table in ("cp_deadlines", "cp_outbox"):
                c.execute(
                    f"UPDATE {table} SET claimed_by = NULL, claimed_until = NULL "
                    "WHERE claimed_by = ?",
                    (holder,),
                )

    def pending_count(self) -> int:
        """How many items are unsettled."""
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT COUNT(*) FROM cp_deadlines WHERE settled = 0")
            count: int = c.fetchone()[0]
        return count

    def resolve(self, aggregate_id: UUID, action: str, sequence: int) -> None:
        """Settle an item that needed no work, unless it was scheduled again since."""
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                "UPDATE cp_deadlines SET settled = 1 "
                "WHERE aggregate_id = ? AND action = ? AND sequence = ?",
                (str(aggregate_id), action, sequence),
            )

    def outbox(self, recipient_index: str | None = None) -> list[OutboxEntry]:
        """Queued notifications in order, optionally for one recipient."""
        where, params = (
            ("WHERE recipient_index = ?", (recipient_index,)) if recipient_index else ("", ())
        )
        return self._entries(f"SELECT * FROM cp_outbox {where} ORDER BY sequence, position", params)

    def deliverable(self, now: datetime, limit: int) -> list[OutboxEntry]:
        """Unsent, unabandoned notifications due for an attempt by ``now``, oldest first."""
        return self._entries(SELECT_DELIVERABLE, (_instant(now), limit))

    def _entries(self, query: str, params: tuple[Any, ...]) -> list[OutboxEntry]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(query, params)
            rows = c.fetchall()
        return [_entry(row) for row in rows]

    def held_results(self, student_index: str | None = None) -> list[HeldResult]:
        """Held results in the order they were held, optionally for one student number."""
        where, params = ("WHERE student_index = ?", (student_index,)) if student_index else ("", ())
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT * FROM cp_held_results {where} ORDER BY position", params)
            rows = c.fetchall()
        return [
            HeldResult(
                result_id=UUID(row["result_id"]),
                record_id=row["record_id"],
                student_number=row["student_number"],
                held_since=_parse(row["held_since"]),
                student_index=row["student_index"],
            )
            for row in rows
        ]

    def due_count(self, now: datetime) -> int:
        """How many unsettled items are due by ``now`` (through the partial due-time index)."""
        count: int = self._scalar(
            "SELECT COUNT(*) FROM cp_deadlines WHERE settled = 0 AND due_at <= ?", (_instant(now),)
        )
        return count

    def undelivered_count(self) -> int:
        """How many notifications are neither sent nor abandoned (the partial unsent index)."""
        count: int = self._scalar(f"SELECT COUNT(*) {FROM_UNDELIVERED}")
        return count

    def oldest_undelivered(self) -> datetime | None:
        """When the oldest notification neither sent nor abandoned was queued."""
        return _maybe_parse(self._scalar(f"SELECT MIN(queued_at) {FROM_UNDELIVERED}"))

    def _scalar(self, query: str, params: tuple[Any, ...] = ()) -> Any:
        with self.datastore.transaction(commit=False) as c:
            c.execute(query, params)
            return c.fetchone()[0]


FROM_UNDELIVERED = "FROM cp_outbox WHERE sent_at IS NULL AND abandoned_at IS NULL"
