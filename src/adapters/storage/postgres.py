"""The views as tables in the store's PostgreSQL schema, sharing the application's pool.

Each batch of view changes and the tracking position are written in one transaction, so the
views hold each event exactly once and can be rebuilt from the log at any time. Schedulers in
several processes claim due rows with ``FOR UPDATE SKIP LOCKED`` and a lease (ADR 0028).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from uuid import UUID

from eventsourcing.persistence import Tracking
from psycopg import Cursor
from psycopg.rows import DictRow

from carepassport.adapters.storage.postgres_tracking import PostgresTrackedTables
from carepassport.application.ports import DueItem, HeldResult, OutboxEntry, ViewChanges

TRACKING_NAME = "CarePassport.views"
SCHEMA_VERSION = 6
"""Raise when the views' tables change: older tables are dropped and rebuilt from the log."""
VIEW_TABLES = ("cp_deadlines", "cp_outbox", "cp_held_results")


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


FREE = "(claimed_until IS NULL OR claimed_until <= %(now)s OR claimed_by = %(holder)s)"
CLAIM_DUE = (
    "UPDATE {schema}.cp_deadlines d SET claimed_by = %(holder)s, claimed_until = %(until)s "
    "FROM (SELECT aggregate_id, action FROM {schema}.cp_deadlines "
    "WHERE NOT settled AND (due_at, priority) = (SELECT due_at, priority "
    "FROM {schema}.cp_deadlines WHERE NOT settled AND due_at <= %(now)s "
    f"ORDER BY due_at, priority LIMIT 1) AND {FREE} "
    "ORDER BY sequence LIMIT %(n)s FOR UPDATE SKIP LOCKED) pick "
    "WHERE d.aggregate_id = pick.aggregate_id AND d.action = pick.action "
    "RETURNING d.aggregate_id, d.action, d.rule, d.due_at, d.priority, d.sequence"
)
"""Claim the free items of the earliest due time and priority, skipping rows being claimed."""
CLAIM_MAIL = (
    "UPDATE {schema}.cp_outbox o SET claimed_by = %(holder)s, claimed_until = %(until)s "
    "FROM (SELECT notification_id, position FROM {schema}.cp_outbox "
    "WHERE sent_at IS NULL AND abandoned_at IS NULL "
    f"AND (next_attempt_at IS NULL OR next_attempt_at <= %(now)s) AND {FREE} "
    "ORDER BY sequence, position LIMIT %(n)s FOR UPDATE SKIP LOCKED) pick "
    "WHERE o.notification_id = pick.notification_id AND o.position = pick.position "
    "RETURNING o.*"
)


def _due_item(row: DictRow) -> DueItem:
    return DueItem(
        aggregate_id=row["aggregate_id"],
        action=row["action"],
        rule=row["rule"],
        due_at=_utc(row["due_at"]),
        sequence=row["sequence"],
        priority=row["priority"],
    )


def _entry(row: DictRow) -> OutboxEntry:
    return OutboxEntry(
        notification_id=row["notification_id"],
        kind=row["kind"],
        recipient=row["recipient"],
        subject=row["subject"],
        body=row["body"],
        about_id=row["about_id"],
        queued_at=_utc(row["queued_at"]),
        sent_at=_utc(row["sent_at"]) if row["sent_at"] else None,
        sequence=row["sequence"],
        reply_to=row["reply_to"],
        recipient_index=row["recipient_index"],
        attempts=row["attempts"],
        next_attempt_at=_utc(row["next_attempt_at"]) if row["next_attempt_at"] else None,
        last_error=row["last_error"],
        abandoned_at=_utc(row["abandoned_at"]) if row["abandoned_at"] else None,
        position=row["position"],
    )


class PostgresViews(PostgresTrackedTables):
    """Deadline index (``cp_deadlines``), outbox (``cp_outbox``) and held results, with tracking."""

    tracking_name = TRACKING_NAME
    create_statements = (
        "CREATE TABLE IF NOT EXISTS {schema}.cp_deadlines ("
        "aggregate_id uuid NOT NULL, action text NOT NULL, rule text NOT NULL, "
        "due_at timestamptz NOT NULL, priority integer NOT NULL, sequence bigint NOT NULL, "
        "settled boolean NOT NULL DEFAULT false, claimed_by text, claimed_until timestamptz, "
        "PRIMARY KEY (aggregate_id, action))",
        "CREATE INDEX IF NOT EXISTS cp_deadlines_due "
        "ON {schema}.cp_deadlines (due_at, priority, sequence) WHERE NOT settled",
        "CREATE INDEX IF NOT EXISTS cp_deadlines_claims "
        "ON {schema}.cp_deadlines (claimed_by) WHERE claimed_by IS NOT NULL",
        "CREATE TABLE IF NOT EXISTS {schema}.cp_outbox ("
        "notification_id uuid NOT NULL, position integer NOT NULL, "
        "sequence bigint NOT NULL, kind text NOT NULL, "
        "recipient text NOT NULL, subject text NOT NULL, body text NOT NULL, "
        "about_id uuid NOT NULL, queued_at timestamptz NOT NULL, sent_at timestamptz, "
        "reply_to text, attempts integer NOT NULL DEFAULT 0, next_attempt_at timestamptz, "
        "last_error text, abandoned_at timestamptz, recipient_index text NOT NULL, "
        "claimed_by text, claimed_until timestamptz, PRIMARY KEY (notification_id, position))",
        "CREATE INDEX IF NOT EXISTS cp_outbox_claims "
        "ON {schema}.cp_outbox (claimed_by) WHERE claimed_by IS NOT NULL",
        "CREATE INDEX IF NOT EXISTS cp_outbox_unsent ON {schema}.cp_outbox (sequence, position) "
        "WHERE sent_at IS NULL AND abandoned_at IS NULL",
        "CREATE INDEX IF NOT EXISTS cp_outbox_recipient "
        "ON {schema}.cp_outbox (recipient_index, sequence, position)",
        "CREATE TABLE IF NOT EXISTS {schema}.cp_held_results ("
        "result_id uuid PRIMARY KEY, record_id text NOT NULL, student_number text NOT NULL, "
        "student_index text NOT NULL, "
        "held_since timestamptz NOT NULL, "
        "position bigint GENERATED ALWAYS AS IDENTITY)",
        "CREATE INDEX IF NOT EXISTS cp_held_results_student "
        "ON {schema}.cp_held_results (student_index, position)",
    )

    def _drop_outdated(self, curs: Cursor[DictRow]) -> bool:
        """Views of an older schema version are dropped; their position is reset after the
        tables are created, so the next catch-up rebuilds them from the log."""
        curs.execute(
            self.sql("CREATE TABLE IF NOT EXISTS {schema}.cp_views_schema (version integer)")
        )
        curs.execute(self.sql("SELECT version FROM {schema}.cp_views_schema"))
        row = curs.fetchone()
        if row is not None and row["version"] == SCHEMA_VERSION:
            return False
        for table in VIEW_TABLES:
            curs.execute(self.sql(f"DROP TABLE IF EXISTS {{schema}}.{table}"))
        curs.execute(self.sql("DELETE FROM {schema}.cp_views_schema"))
        curs.execute(
            self.sql("INSERT INTO {schema}.cp_views_schema (version) VALUES (%s)"),
            (SCHEMA_VERSION,),
        )
        return True

    def apply(self, changes: ViewChanges, after: int, position: int) -> None:
        """Write the changes and the position in one transaction; a writer that is not at
        ``after`` (another process got there first) fails whole."""
        with self.advancing(after, position) as c:
            self._apply(c, changes)

    def alongside(self, changes: Callable[[Sequence[int]], ViewChanges]) -> dict[str, object]:
        """The events' transaction (it holds the events table's lock) applies their changes
        too, after locking the views' tracking row as ``apply`` does."""

        def in_transaction(c: Cursor[DictRow], ids: Sequence[int]) -> None:
            if ids[-1] - ids[0] != len(ids) - 1:
                return
            c.execute(
                self.sql(
                    "SELECT notification_id FROM {schema}.{tracking} "
                    "WHERE application_name = %s FOR UPDATE"
                ),
                (TRACKING_NAME,),
            )
            row = c.fetchone()
            if row is None or row["notification_id"] != ids[0] - 1:
                return
            # The changes' executemany() calls on a cursor of their own: in the insert's
            # pipeline, a cursor that ran a large executemany() can hand a later fetch the
            # status of one of its inserts ("the last operation didn't produce records"), as
            # the library's own insert avoids with a second cursor.
            with c.connection.cursor() as views:
                self._apply(views, changes(ids))
            self._insert_tracking(c, Tracking(TRACKING_NAME, ids[-1]))

        return {"in_transaction": in_transaction}

    def _apply(self, c: Cursor[DictRow], changes: ViewChanges) -> None:
        self._many(
            c,
            "INSERT INTO {schema}.cp_deadlines "
            "(aggregate_id, action, rule, due_at, priority, sequence, settled) "
            "VALUES (%s, %s, %s, %s, %s, %s, false) "
            "ON CONFLICT (aggregate_id, action) DO UPDATE SET "
            "rule = excluded.rule, due_at = excluded.due_at, priority = excluded.priority, "
            "sequence = excluded.sequence, settled = false, claimed_by = NULL, "
            "claimed_until = NULL",
            [
                (i.aggregate_id, i.action, i.rule, i.due_at, i.priority, i.sequence)
                for i in changes.scheduled
            ],
        )
        self._many(
            c,
            "UPDATE {schema}.cp_deadlines SET settled = true, claimed_by = NULL, "
            "claimed_until = NULL WHERE aggregate_id = %s AND action = %s AND sequence < %s",
            [(s.aggregate_id, s.action, s.sequence) for s in changes.settled],
        )
        self._many(
            c,
            "INSERT INTO {schema}.cp_outbox (notification_id, position, sequence, kind, "
            "recipient, subject, body, about_id, queued_at, sent_at, reply_to, recipient_index) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, NULL, %s, %s) "
            "ON CONFLICT (notification_id, position) DO NOTHING",
            [
                (
                    e.notification_id,
                    e.position,
                    e.sequence,
                    e.kind,
                    e.recipient,
                    e.subject,
                    e.body,
                    e.about_id,
                    e.queued_at,
                    e.reply_to,
                    e.recipient_index,
                )
                for e in changes.queued
            ],
        )
        self._many(
            c,
            "UPDATE {schema}.cp_outbox SET attempts = %s, next_attempt_at = %s, "
            "last_error = COALESCE(%s, last_error), abandoned_at = %s "
            "WHERE notification_id = %s AND position = %s",
            [
                (
                    d.attempts,
                    d.next_attempt_at,
                    d.last_error,
                    d.abandoned_at,
                    d.notification_id,
                    d.position,
                )
                for d in changes.deliveries
            ],
        )
        self._many(
            c,
            "UPDATE {schema}.cp_outbox SET sent_at = %s, next_attempt_at = NULL, "
            "claimed_by = NULL, claimed_until = NULL "
            "WHERE notification_id = %s AND position = %s",
            [(sent_at, nid, position) for nid, sent_at, position in changes.sent],
        )
        self._many(
            c,
            "INSERT INTO {schema}.cp_held_results "
            "(result_id, record_id, student_number, held_since, student_index) "
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (result_id) DO NOTHING",
            [
                (h.result_id, h.record_id, h.student_number, h.held_since, h.student_index)
                for h in changes.held
            ],
        )
        self._many(
            c,
            "DELETE FROM {schema}.cp_held_results WHERE result_id = %s",
            [(result_id,) for result_id in changes.released],
        )

    def _many(self, c: Cursor[DictRow], query: str, rows: list[tuple[object, ...]]) -> None:
        if rows:
            c.executemany(self.sql(query), rows)

    def due(self, now: datetime, limit: int) -> list[DueItem]:
        """Unsettled items due by ``now``, earliest first, through the partial due-time index."""
        rows = self.select(
            "SELECT aggregate_id, action, rule, due_at, priority, sequence "
            "FROM {schema}.cp_deadlines WHERE NOT settled AND due_at <= %s "
            "ORDER BY due_at, priority, sequence LIMIT %s",
            (now, limit),
        )
        return [_due_item(row) for row in rows]

    def claim_due(self, now: datetime, holder: str, until: datetime, limit: int) -> list[DueItem]:
        """Lock the free rows of the earliest due time and priority, skipping rows another
        transaction has locked, and claim them; one short transaction."""
        rows = self._claim(CLAIM_DUE, {"holder": holder, "until": until, "now": now, "n": limit})
        return sorted((_due_item(row) for row in rows), key=lambda item: item.sequence)

    def claim_mail(
        self, now: datetime, holder: str, until: datetime, limit: int
    ) -> list[OutboxEntry]:
        """Lock and claim deliverable messages no other live claim covers, oldest first."""
        rows = self._claim(CLAIM_MAIL, {"holder": holder, "until": until, "now": now, "n": limit})
        return sorted(
            (_entry(row) for row in rows), key=lambda entry: (entry.sequence, entry.position)
        )

    def _claim(self, statement: str, params: dict[str, object]) -> list[DictRow]:
        with self.datastore.transaction(commit=True) as c:
            c.execute(self.sql(statement), params)
            return c.fetchall()

    def renew_claims(self, holder: str, until: datetime) -> int:
        """Extend the holder's claims on both tables."""
        renewed = 0
        with self.datastore.transaction(commit=True) as c:
            for table in ("cp_deadlines", "cp_outbox"):
                c.execute(
                    self.sql(
                        f"UPDATE {{schema}}.{table} SET claimed_until = %s WHERE claimed_by = %s"
                    ),
                    (until, holder),
                )
                renewed += c.rowcount
        return renewed

    def release_claims(self, holder: str) -> None:
        """Drop the holder's claims on both tables."""
        with self.datastore.transaction(commit=True) as c:
            for table in ("cp_deadlines", "cp_outbox"):
                c.execute(
                    self.sql(
                        f"UPDATE {{schema}}.{table} SET claimed_by = NULL, "
                        "claimed_until = NULL WHERE claimed_by = %s"
                    ),
                    (holder,),
                )

    def pending_count(self) -> int:
        """How many items are unsettled."""
        rows = self.select("SELECT COUNT(*) AS n FROM {schema}.cp_deadlines WHERE NOT settled")
        count: int = rows[0]["n"]
        return count

    def resolve(self, aggregate_id: UUID, action: str, sequence: int) -> None:
        """Settle an item that needed no work, unless it was scheduled again since."""
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                self.sql(
                    "UPDATE {schema}.cp_deadlines SET settled = true "
                    "WHERE aggregate_id = %s AND action = %s AND sequence = %s"
                ),
                (aggregate_id, action, sequence),
            )

    def outbox(self, recipient_index: str | None = None) -> list[OutboxEntry]:
        """Queued notifications in order, optionally for one recipient."""
        if recipient_index:
            return self._entries(
                "SELECT * FROM {schema}.cp_outbox WHERE recipient_index = %s "
                "ORDER BY sequence, position",
                (recipient_index,),
            )
        return self._entries("SELECT * FROM {schema}.cp_outbox ORDER BY sequence, position", ())

    def deliverable(self, now: datetime, limit: int) -> list[OutboxEntry]:
        """Unsent, unabandoned notifications due for an attempt by ``now``, oldest first."""
        return self._entries(
            "SELECT * FROM {schema}.cp_outbox WHERE sent_at IS NULL AND abandoned_at IS NULL "
            "AND (next_attempt_at IS NULL OR next_attempt_at <= %s) "
            "ORDER BY sequence, position LIMIT %s",
            (now, limit),
        )

    def _entries(self, query: str, params: tuple[object, ...]) -> list[OutboxEntry]:
        return [_entry(row) for row in self.select(query, params)]

    def held_results(self, student_index: str | None = None) -> list[HeldResult]:
        """Held results in the order they were held, optionally for one student number."""
        if student_index:
            query = (
                "SELECT * FROM {schema}.cp_held_results WHERE student_index = %s ORDER BY position"
            )
            rows = self.select(query, (student_index,))
        else:
            rows = self.select("SELECT * FROM {schema}.cp_held_results ORDER BY position")
        return [
            HeldResult(
                result_id=row["result_id"],
                record_id=row["record_id"],
                student_number=row["student_number"],
                held_since=_utc(row["held_since"]),
                student_index=row["student_index"],
            )
            for row in rows
        ]

    def due_count(self, now: datetime) -> int:
        """How many unsettled items are due by ``now`` (through the partial due-time index)."""
        rows = self.select(
            "SELECT COUNT(*) AS n FROM {schema}.cp_deadlines WHERE NOT settled AND due_at <= %s",
            (now,),
        )
        count: int = rows[0]["n"]
        return count

    def undelivered_count(self) -> int:
        """How many notifications are neither sent nor abandoned (the partial unsent index)."""
        count: int = self.select(f"SELECT COUNT(*) AS n {FROM_UNDELIVERED}")[0]["n"]
        return count

    def oldest_undelivered(self) -> datetime | None:
        """When the oldest notification neither sent nor abandoned was queued."""
        oldest = self.select(f"SELECT MIN(queued_at) AS oldest {FROM_UNDELIVERED}")[0]["oldest"]
        return _utc(oldest) if oldest is not None else None


FROM_UNDELIVERED = "FROM {schema}.cp_outbox WHERE sent_at IS NULL AND abandoned_at IS NULL"
