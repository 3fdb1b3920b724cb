"""Auditors' view: an aggregate's events with business and recording times, and state as of T."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import attrs
from eventsourcing.domain import Aggregate

from carepassport.application.results import History, HistoryEntry
from carepassport.application.store import CarePassportApplication, recorded_at
from carepassport.application.training.views import RegistrationView, SponsorshipView
from carepassport.domain.base import DomainEvent, payload
from carepassport.domain.errors import NotFound
from carepassport.domain.mail.notification import Notification
from carepassport.domain.time import require_aware
from carepassport.domain.training.registration import Registration
from carepassport.domain.training.sponsorship import Sponsorship
from carepassport.domain.values import parse_id


def describe(aggregate: Aggregate, at: datetime) -> dict[str, Any]:
    """The state of an aggregate as plain data."""
    if isinstance(aggregate, Sponsorship):
        return attrs.asdict(SponsorshipView.of(aggregate), recurse=False)
    if isinstance(aggregate, Registration):
        return attrs.asdict(RegistrationView.of(aggregate, at=at), recurse=False)
    if isinstance(aggregate, Notification):
        return aggregate.state()
    return {
        key: sorted(value) if isinstance(value, set | frozenset) else value
        for key, value in vars(aggregate).items()
        if not key.startswith("_")
    }


class Histories:
    """Reads any aggregate's history, as it was known at a moment."""

    def __init__(self, app: CarePassportApplication) -> None:
        self._app = app

    def history(self, aggregate_id: str | UUID, as_of: datetime | None = None) -> History:
        """Events recorded up to ``as_of`` (all if None), and the state they produce."""
        identity = parse_id(aggregate_id, "record")
        if as_of is not None:
            require_aware(as_of, "as_of")
        known: list[Any] = [
            event
            for event in self._app.events.get(identity)
            if as_of is None or recorded_at(event) <= as_of
        ]
        if not known:
            when = f" as of {as_of.isoformat()}" if as_of else ""
            raise NotFound(f"no record {identity}{when}")
        aggregate: Aggregate = self._app.repository.get(
            identity, version=known[-1].originator_version
        )
        return History(
            aggregate_id=identity,
            aggregate_type=type(aggregate).__name__,
            as_of=as_of,
            events=[self._entry(event) for event in known],
            state=describe(aggregate, as_of or self._app.now()),
        )

    @staticmethod
    def _entry(event: Any) -> HistoryEntry:
        business = event.business_time if isinstance(event, DomainEvent) else None
        return HistoryEntry(
            version=event.originator_version,
            type=type(event).__name__,
            business_time=business,
            recorded_at=event.timestamp,
            data=payload(event),
        )
