"""Transcodings for the values our events carry beyond the library's defaults.

The ``name`` of a transcoding is stored with the data: never rename one.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from eventsourcing.persistence import DatetimeAsISO, Transcoding

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


class RememberedDatetimeAsISO(DatetimeAsISO):
    """The library's ``datetime_iso`` (same name, same text), remembering the text of recent
    datetimes: the events of a sync batch share a few (the sync's midnight, its clock time),
    and ``isoformat`` was a tenth of encoding them. Keyed by the time zone and fold as well,
    since equal instants in other zones (or either side of a DST change) read differently."""

    REMEMBERED = 4096

    def __init__(self) -> None:
        self._texts: dict[tuple[datetime, object, int], str] = {}

    def encode(self, obj: datetime) -> str:
        if type(obj) is not datetime:
            return obj.isoformat()
        key = (obj, obj.tzinfo, obj.fold)
        text = self._texts.get(key)
        if text is None:
            if len(self._texts) >= self.REMEMBERED:
                self._texts.clear()
            text = self._texts[key] = obj.isoformat()
        return text


TRANSCODINGS: tuple[Transcoding, ...] = (DeadlineAsDict(), DateAsISO())


def transcodings() -> tuple[Transcoding, ...]:
    """What an application registers beyond the library's defaults (a fresh memo each)."""
    return (*TRANSCODINGS, RememberedDatetimeAsISO())
