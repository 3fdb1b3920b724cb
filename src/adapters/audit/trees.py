"""The audit tree's leaves and head: in memory, or as tables in the SQLite store, each extension
and its head in one transaction. PostgreSQL's are in ``postgres_tree`` (psycopg is loaded only
for a PostgreSQL store)."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from eventsourcing.persistence import IntegrityError
from eventsourcing.sqlite import SQLiteTrackingRecorder

from carepassport.application.audit.ports import Leaf, TreeHead


class MemoryTree:
    def __init__(self, *_: object) -> None:
        self._lock = threading.Lock()
        self._head = TreeHead()
        self._leaves: list[Leaf] = []
        self._index: dict[int, int] = {}

    def head(self) -> TreeHead:
        return self._head

    def extend(self, after: TreeHead, leaves: Sequence[Leaf], head: TreeHead) -> None:
        with self._lock:
            if self._head != after:
                raise IntegrityError(f"the audit tree is at {self._head.size}, not {after.size}")
            self._leaves.extend(leaves)
            self._index.update((leaf.notification_id, leaf.leaf_index) for leaf in leaves)
            self._head = head

    def hashes(self, start: int, stop: int) -> list[bytes]:
        return [leaf.hash for leaf in self._leaves[start:stop]]

    def leaves(self, start: int, stop: int) -> list[Leaf]:
        return list(self._leaves[start:stop])

    def index_of(self, notification_id: int) -> int | None:
        return self._index.get(notification_id)


class SQLiteTree(SQLiteTrackingRecorder):
    """``cp_audit_leaves`` and the one-row ``cp_audit_head`` in the store's SQLite file."""

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS cp_audit_leaves (leaf_index INTEGER PRIMARY KEY, "
            "notification_id INTEGER NOT NULL UNIQUE, hash BLOB NOT NULL)",
            "CREATE TABLE IF NOT EXISTS cp_audit_head (id INTEGER PRIMARY KEY CHECK (id = 1), "
            "size INTEGER NOT NULL, last_id INTEGER NOT NULL, frontier BLOB NOT NULL)",
        ]

    def head(self) -> TreeHead:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT size, last_id, frontier FROM cp_audit_head WHERE id = 1")
            row = c.fetchone()
        return TreeHead(row[0], row[1], bytes(row[2])) if row else TreeHead()

    def extend(self, after: TreeHead, leaves: Sequence[Leaf], head: TreeHead) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute("INSERT OR IGNORE INTO cp_audit_head VALUES (1, 0, 0, x'')")
            c.execute("UPDATE cp_audit_head SET size = size WHERE id = 1")  # the write lock
            c.execute("SELECT size, last_id, frontier FROM cp_audit_head WHERE id = 1")
            row = c.fetchone()
            if TreeHead(row[0], row[1], bytes(row[2])) != after:
                raise IntegrityError(f"the audit tree is at {row[0]}, not {after.size}")
            c.executemany(
                "INSERT INTO cp_audit_leaves VALUES (?, ?, ?)",
                [(leaf.leaf_index, leaf.notification_id, leaf.hash) for leaf in leaves],
            )
            c.execute(
                "UPDATE cp_audit_head SET size = ?, last_id = ?, frontier = ? WHERE id = 1",
                (head.size, head.last_id, head.frontier),
            )

    def hashes(self, start: int, stop: int) -> list[bytes]:
        return [leaf.hash for leaf in self.leaves(start, stop)]

    def leaves(self, start: int, stop: int) -> list[Leaf]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT leaf_index, notification_id, hash FROM cp_audit_leaves "
                "WHERE leaf_index >= ? AND leaf_index < ? ORDER BY leaf_index",
                (start, stop),
            )
            return [Leaf(r[0], r[1], bytes(r[2])) for r in c.fetchall()]

    def index_of(self, notification_id: int) -> int | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT leaf_index FROM cp_audit_leaves WHERE notification_id = ?",
                (notification_id,),
            )
            row = c.fetchone()
        return int(row[0]) if row else None
