"""Settings that shape decisions, recorded as events so every decision can be re-derived (§5)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from uuid import UUID

import attrs
from eventsourcing.domain import Aggregate

from carepassport.domain.base import CreatedEvent, DomainEvent, aggregate_id
from carepassport.domain.errors import InvalidValue
from carepassport.domain.values import email_address

_TRUE = {"on", "true", "yes", "1"}
_FALSE = {"off", "false", "no", "0"}


def _boolean(value: str) -> str:
    word = value.strip().lower()
    if word in _TRUE:
        return "on"
    if word in _FALSE:
        return "off"
    raise InvalidValue(f"{value!r} is not on/off")


def _dates(value: str) -> str:
    days: set[date] = set()
    for part in value.replace(" ", "").split(","):
        if not part:
            continue
        try:
            days.add(date.fromisoformat(part))
        except ValueError:
            raise InvalidValue(f"{part!r} is not a date (YYYY-MM-DD)") from None
    return ",".join(day.isoformat() for day in sorted(days))


def _days(value: str) -> str:
    days: set[int] = set()
    for part in value.replace(" ", "").split(","):
        if not part:
            continue
        if not part.isdigit() or not 1 <= int(part) <= 365:
            raise InvalidValue(f"{part!r} is not a number of days from 1 to 365")
        days.add(int(part))
    if not days:
        raise InvalidValue("give at least one number of days, e.g. 60,30,7")
    return ",".join(str(d) for d in sorted(days, reverse=True))


def _email(value: str) -> str:
    return str(email_address(value))


NORMALISERS: dict[str, Callable[[str], str]] = {
    "college_email": _email,
    "optional_holidays": _boolean,
    "closure_days": _dates,
    "reminder_days": _days,
}
DEFAULTS: dict[str, str] = {
    "college_email": "",
    "optional_holidays": "off",
    "closure_days": "",
    "reminder_days": "60,30,7",
}


@attrs.frozen
class Settings:
    """The settings in force at one version of the settings record."""

    version: int
    college_email: str
    optional_holidays: bool
    closure_days: frozenset[date]
    reminder_days: tuple[int, ...] = (60, 30, 7)

    @property
    def reminder_window(self) -> int:
        """Days before expiry of the first reminder: when a credential becomes ``expiring``."""
        return max(self.reminder_days)

    @classmethod
    def from_values(cls, version: int, values: dict[str, str]) -> Settings:
        """Typed settings from their normalised text values."""
        closures = values["closure_days"]
        return cls(
            version=version,
            college_email=values["college_email"],
            optional_holidays=values["optional_holidays"] == "on",
            closure_days=frozenset(date.fromisoformat(d) for d in closures.split(",") if d),
            reminder_days=tuple(int(d) for d in values["reminder_days"].split(",")),
        )


class SettingsRecord(Aggregate):
    """The store's settings; each change is a ``SettingChanged`` event."""

    class SettingsRecordOpened(CreatedEvent):
        opened_at: datetime
        business_time_field = "opened_at"

    class SettingChanged(DomainEvent):
        key: str
        value: str
        changed_at: datetime
        business_time_field = "changed_at"

        def apply(self, aggregate: SettingsRecord) -> None:
            aggregate.values[self.key] = self.value

    def __init__(self, opened_at: datetime) -> None:
        self.values: dict[str, str] = dict(DEFAULTS)

    @staticmethod
    def identity() -> UUID:
        """The settings record's fixed identity."""
        return aggregate_id("settings")

    @classmethod
    def open(cls, opened_at: datetime) -> SettingsRecord:
        """Open the store's settings record with the defaults."""
        return cls._create(
            cls.SettingsRecordOpened, id=cls.identity(), timestamp=opened_at, opened_at=opened_at
        )

    def change(self, key: str, value: str, changed_at: datetime) -> None:
        """Change one known setting; the value is validated and normalised."""
        if key not in NORMALISERS:
            known = ", ".join(sorted(NORMALISERS))
            raise InvalidValue(f"unknown setting {key!r}; known settings: {known}")
        normalised = NORMALISERS[key](value)
        if self.values[key] != normalised:
            self.trigger_event(
                self.SettingChanged,
                timestamp=changed_at,
                key=key,
                value=normalised,
                changed_at=changed_at,
            )

    @property
    def current(self) -> Settings:
        """The settings now in force."""
        return Settings.from_values(self.version, self.values)


def default_settings() -> Settings:
    """The settings before any change was recorded (version 0)."""
    return Settings.from_values(0, dict(DEFAULTS))
