"""Transcodings for the values our events carry beyond the library's defaults.

The ``name`` of a transcoding is stored with the data: never rename one.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from eventsourcing.persistence import Transcoding

from carepassport.domain.values import Deadline


class DeadlineAsDict(Transcoding):
    """A :class:`Deadline` as a plain mapping."""

    type = Deadline
    name = "deadline"

    def encode(self, obj: Deadline) -> dict[str, Any]:
        return {
            "action": obj.action,
            "rule": obj.rule,
            "due_at": obj.due_at,
            "calendar_id": obj.calendar_id,
            "settings_version": obj.settings_version,
        }

    def decode(self, data: dict[str, Any]) -> Deadline:
        due_at: datetime = data["due_at"]
        return Deadline(
            action=data["action"],
            rule=data["rule"],
            due_at=due_at,
            calendar_id=data["calendar_id"],
            settings_version=data["settings_version"],
        )


class DateAsISO(Transcoding):
    """A calendar date as ``YYYY-MM-DD``."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


TRANSCODINGS: tuple[Transcoding, ...] = (DeadlineAsDict(), DateAsISO())
