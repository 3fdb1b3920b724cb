"""``audit rederive``: every deadline the log records, computed again from the inputs recorded
in the same event, with the calendar it names (the holiday table of the holidays version it was
derived with) and the settings it says were in force; every difference listed, both values."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import attrs
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import MapperDeserialisationError

from carepassport.application.store import CarePassportApplication, recorded_at
from carepassport.domain.audit.trail import AuditTrail, next_checkpoint
from carepassport.domain.base import DomainEvent
from carepassport.domain.compliance.credential import Credential
from carepassport.domain.errors import DomainError
from carepassport.domain.matching.engagement import OUTCOME_DAYS, REMINDER_DAYS, Engagement
from carepassport.domain.settings import Settings, SettingsRecord, default_settings
from carepassport.domain.time import BusinessCalendar
from carepassport.domain.training.completion import Completion
from carepassport.domain.training.lms import LmsSync
from carepassport.domain.training.lms_access import LmsProvisioning, provisioning_retry_time
from carepassport.domain.training.policies import (
    access_expiry_decision_time,
    access_time,
    approval_reminder_times,
    next_midnight,
    publication_time,
    self_registration_time,
)
from carepassport.domain.training.registration import Registration
from carepassport.domain.training.sponsorship import Sponsorship
from carepassport.domain.values import Deadline

Due = dict[str, datetime]
"""Action -> the moment it is due, as derived."""
Rule = Callable[[Any, "Inputs"], Due]


@attrs.frozen
class Divergence:
    """One recorded deadline that its recorded inputs no longer give."""

    position: int
    aggregate_id: str
    event: str
    rule: str
    action: str
    recorded: str | None
    derived: str | None


@attrs.frozen
class RederiveReport:
    events: int
    deadlines: int
    divergences: list[Divergence]
    unknown: list[str]
    """Events that cannot be read, and deadlines whose calendar cannot be rebuilt here (named,
    not silently passed)."""


class Inputs:
    """What a derivation may ask for besides the event: calendars and settings by id."""

    def __init__(self, app: CarePassportApplication) -> None:
        self._app = app
        self._settings: dict[int, Settings] = {}

    def calendar(self, calendar_id: str) -> BusinessCalendar:
        return self._app.calendar.for_id(calendar_id)

    def settings(self, version: int) -> Settings:
        if version not in self._settings:
            try:
                record: SettingsRecord = self._app.repository.get(
                    SettingsRecord.identity(), version=version
                )
                self._settings[version] = record.current
            except (AggregateNotFoundError, ValueError):
                self._settings[version] = default_settings()
        return self._settings[version]


def _by_action(*deadlines: Deadline) -> Due:
    return {d.action: d.due_at for d in deadlines}


def _sponsorship_requested(e: Any, i: Inputs) -> Due:
    if not e.reminders:
        return {}
    calendar = i.calendar(e.reminders[0].calendar_id)
    times = approval_reminder_times(e.requested_at, calendar)
    return {d.action: t for d, t in zip(e.reminders, times, strict=False)} | {
        f"missing:{n}": t for n, t in enumerate(times[len(e.reminders) :], len(e.reminders) + 1)
    }


def _approval_granted(e: Any, i: Inputs) -> Due:
    d = e.self_registration
    return {d.action: self_registration_time(e.approved_at, i.calendar(d.calendar_id))}


def _registered(e: Any, _: Inputs) -> Due:
    return {
        e.access.action: access_time(e.registered_at),
        e.access_end.action: access_expiry_decision_time(e.registered_at, e.access_days),
    }


def _completion_recorded(e: Any, i: Inputs) -> Due:
    d = e.publication
    calendar = i.calendar(d.calendar_id)
    return {d.action: publication_time(e.completed_at, e.recorded_at, calendar)}


def _published(e: Any, i: Inputs) -> Due:
    settings = i.settings(e.expiry.settings_version)
    reminders, expiry = Credential.schedule(
        e.valid_until, e.published_at, list(settings.reminder_days), settings.version
    )
    return _by_action(*reminders, expiry)


def _provisioning_failed(e: Any, _: Inputs) -> Due:
    failures = getattr(e, "failures", 1)
    return {e.retry.action: provisioning_retry_time(e.failed_at, failures)}


def _sync_opened(e: Any, _: Inputs) -> Due:
    return {e.first.action: next_midnight(e.opened_at)}


def _sync_ran(e: Any, _: Inputs) -> Due:
    return {e.next.action: next_midnight(e.midnight)}


def _interviewed(e: Any, _: Inputs) -> Due:
    return {
        e.reminder.action: e.interviewed_at + timedelta(days=REMINDER_DAYS),
        e.outcome_due.action: e.interviewed_at + timedelta(days=OUTCOME_DAYS),
    }


def _trail_opened(e: Any, _: Inputs) -> Due:
    return {e.first.action: next_checkpoint(e.opened_at)}


def _daily_checkpoint(e: Any, _: Inputs) -> Due:
    field = "made_at" if hasattr(e, "made_at") else "skipped_at"
    return {e.next.action: next_checkpoint(getattr(e, field))}


RULES: dict[type[DomainEvent], Rule] = {
    Sponsorship.SponsorshipRequested: _sponsorship_requested,
    Sponsorship.ApprovalGranted: _approval_granted,
    Registration.Registered: _registered,
    Completion.CompletionRecorded: _completion_recorded,
    Credential.CredentialIssued: _published,
    Credential.CredentialRenewed: _published,
    LmsProvisioning.ProvisioningFailed: _provisioning_failed,
    LmsProvisioning.ProvisioningFailedAgain: _provisioning_failed,
    LmsSync.SyncScheduleOpened: _sync_opened,
    LmsSync.MidnightSyncRan: _sync_ran,
    Engagement.Interviewed: _interviewed,
    AuditTrail.TrailOpened: _trail_opened,
    AuditTrail.DailyCheckpointMade: _daily_checkpoint,
    AuditTrail.DailyCheckpointSkipped: _daily_checkpoint,
}
"""Every event that schedules a deadline, and how its deadlines are derived (a test checks
that no scheduling event is missing)."""


class Rederivation:
    def __init__(self, app: CarePassportApplication) -> None:
        self._app = app

    def run(self, since: datetime | None = None, until: datetime | None = None) -> RederiveReport:
        """Every deadline recorded between ``since`` and ``until`` (recording time; default
        the whole log), derived again; what differs."""
        inputs = Inputs(self._app)
        events = deadlines = 0
        divergences: list[Divergence] = []
        unknown: list[str] = []
        for position, event in self._events():
            if isinstance(event, str):
                unknown.append(f"position {position}: {event}")
                continue
            when = recorded_at(event)
            if (since and when < since) or (until and when > until):
                continue
            rule = RULES.get(type(event))
            if rule is None:
                continue
            events += 1
            recorded = {d.action: d for d in event.deadlines()}
            deadlines += len(recorded)
            try:
                derived = rule(event, inputs)
            except DomainError as error:  # a calendar this installation cannot rebuild
                unknown.append(f"position {position} ({type(event).__qualname__}): {error}")
                continue
            for action in sorted(set(recorded) | set(derived)):
                was, now = recorded.get(action), derived.get(action)
                if was is not None and now == was.due_at:
                    continue
                divergences.append(
                    Divergence(
                        position,
                        str(event.originator_id),
                        type(event).__qualname__,
                        was.rule if was else "",
                        action,
                        was.due_at.isoformat() if was else None,
                        now.isoformat() if now else None,
                    )
                )
        return RederiveReport(events, deadlines, divergences, unknown)

    def _events(self) -> Iterator[tuple[int, DomainEvent | str]]:
        """Each stored domain event by position, or why it cannot be read (an edited row)."""
        start = 1
        mapper = self._app.mapper
        while page := self._app.recorder.select_notifications(start=start, limit=500):
            for n in page:
                try:
                    event = mapper.to_domain_event(n)
                except MapperDeserialisationError as error:
                    yield n.id, f"cannot be read: {error.__cause__ or error}"
                    continue
                if isinstance(event, DomainEvent):
                    yield n.id, event
            start = page[-1].id + 1
