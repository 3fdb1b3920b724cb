"""What the audit log needs from the infrastructure: where the tree is kept, and the folder
the checkpoints are written to for people (and witnesses) to keep."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol

import attrs


@attrs.frozen
class TreeHead:
    """How far the tree has been built: its leaves, the last notification id among them, and
    its frontier (the perfect subtrees' roots, concatenated)."""

    size: int = 0
    last_id: int = 0
    frontier: bytes = b""


class Leaf(NamedTuple):
    """One leaf as the tree recorded it (a tuple: a million are read by a verification)."""

    leaf_index: int
    notification_id: int
    hash: bytes


class TreeStore(Protocol):
    """The tree's leaves and head, beside the events (each extension in one transaction)."""

    def head(self) -> TreeHead: ...

    def extend(self, after: TreeHead, leaves: Sequence[Leaf], head: TreeHead) -> None:
        """Add ``leaves`` and move the head to ``head``; ``IntegrityError`` and nothing
        changed if the head is no longer ``after`` (another process extended it)."""
        ...

    def hashes(self, start: int, stop: int) -> list[bytes]:
        """The leaf hashes of leaves ``start`` to ``stop - 1``."""
        ...

    def leaves(self, start: int, stop: int) -> list[Leaf]: ...

    def index_of(self, notification_id: int) -> int | None:
        """The leaf of the event at ``notification_id`` (None if not in the tree)."""
        ...


class CheckpointFolder(Protocol):
    """Signed checkpoints as files outside the store."""

    def write(self, size: int, note: str) -> str:
        """Keep ``note`` (the checkpoint of ``size`` leaves); where it was written."""
        ...

    @property
    def location(self) -> str: ...
