"""Signed checkpoints as files: ``checkpoint-<size>.txt`` in a folder outside the store (the
notes themselves are also recorded as events)."""

from __future__ import annotations

import os
from pathlib import Path

from carepassport.application.store import StoreUnavailable

CHECKPOINTS_ENV = "CAREPASSPORT_CHECKPOINTS"


class CheckpointFiles:
    def __init__(self, folder: Path | None, hint: str = "") -> None:
        self._folder = folder
        self._hint = hint

    @property
    def location(self) -> str:
        return str(self._folder) if self._folder else "nowhere" + self._hint

    def write(self, size: int, note: str) -> str:
        if self._folder is None:
            raise StoreUnavailable(
                "no checkpoint folder: set CAREPASSPORT_CHECKPOINTS" + self._hint
            )
        self._folder.mkdir(parents=True, exist_ok=True)
        path = self._folder / f"checkpoint-{size:012d}.txt"
        temporary = path.with_suffix(".tmp")
        temporary.write_text(note, encoding="utf-8")
        os.replace(temporary, path)
        return str(path)


class MemoryCheckpoints:
    """A memory store's checkpoints (kept only as events and here)."""

    def __init__(self) -> None:
        self.notes: dict[int, str] = {}

    @property
    def location(self) -> str:
        return "memory"

    def write(self, size: int, note: str) -> str:
        self.notes[size] = note
        return f"memory:checkpoint-{size}"
