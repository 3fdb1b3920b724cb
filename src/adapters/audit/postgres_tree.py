"""The audit tree's leaves and head as tables in the store's PostgreSQL schema (each extension
and its head in one transaction); apart from ``trees`` so that only a PostgreSQL store loads
psycopg."""

from __future__ import annotations

from collections.abc import Sequence

from eventsourcing.persistence import IntegrityError

from carepassport.adapters.storage.postgres_tracking import PostgresTrackedTables
from carepassport.application.audit.ports import Leaf, TreeHead


class PostgresTree(PostgresTrackedTables):
    """The same tables in the store's PostgreSQL schema."""

    tracking_name = "CarePassport.audit"
    create_statements = (
        "CREATE TABLE IF NOT EXISTS {schema}.cp_audit_leaves (leaf_index bigint PRIMARY KEY, "
        "notification_id bigint NOT NULL UNIQUE, hash bytea NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {schema}.cp_audit_head (id int PRIMARY KEY CHECK (id = 1), "
        "size bigint NOT NULL, last_id bigint NOT NULL, frontier bytea NOT NULL)",
    )

    def head(self) -> TreeHead:
        rows = self.select("SELECT size, last_id, frontier FROM {schema}.cp_audit_head")
        if not rows:
            return TreeHead()
        return TreeHead(rows[0]["size"], rows[0]["last_id"], bytes(rows[0]["frontier"]))

    def extend(self, after: TreeHead, leaves: Sequence[Leaf], head: TreeHead) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(
                self.sql(
                    "INSERT INTO {schema}.cp_audit_head VALUES (1, 0, 0, '') "
                    "ON CONFLICT (id) DO NOTHING"
                )
            )
            curs.execute(
                self.sql("SELECT size, last_id, frontier FROM {schema}.cp_audit_head FOR UPDATE")
            )
            row = curs.fetchone()
            assert row is not None
            if TreeHead(row["size"], row["last_id"], bytes(row["frontier"])) != after:
                raise IntegrityError(f"the audit tree is at {row['size']}, not {after.size}")
            curs.executemany(
                self.sql("INSERT INTO {schema}.cp_audit_leaves VALUES (%s, %s, %s)"),
                [(leaf.leaf_index, leaf.notification_id, leaf.hash) for leaf in leaves],
            )
            curs.execute(
                self.sql(
                    "UPDATE {schema}.cp_audit_head SET size = %s, last_id = %s, frontier = %s"
                ),
                (head.size, head.last_id, head.frontier),
            )

    def hashes(self, start: int, stop: int) -> list[bytes]:
        return [leaf.hash for leaf in self.leaves(start, stop)]

    def leaves(self, start: int, stop: int) -> list[Leaf]:
        rows = self.select(
            "SELECT leaf_index, notification_id, hash FROM {schema}.cp_audit_leaves "
            "WHERE leaf_index >= %s AND leaf_index < %s ORDER BY leaf_index",
            (start, stop),
        )
        return [Leaf(r["leaf_index"], r["notification_id"], bytes(r["hash"])) for r in rows]

    def index_of(self, notification_id: int) -> int | None:
        rows = self.select(
            "SELECT leaf_index FROM {schema}.cp_audit_leaves WHERE notification_id = %s",
            (notification_id,),
        )
        return int(rows[0]["leaf_index"]) if rows else None
