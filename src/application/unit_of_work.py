"""A unit of work: aggregates loaded once, changed in memory, saved together in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from carepassport.application.store import CarePassportApplication
from carepassport.domain.errors import NotFound
from carepassport.domain.reference import Catalogue, Employee, Employer
from carepassport.domain.settings import Settings, SettingsRecord, default_settings
from carepassport.domain.time import BusinessCalendar
from carepassport.domain.values import EmployeeId, EmployerId

A = TypeVar("A", bound=Aggregate)


class UnitOfWork:
    """Caches what it loads (misses too), so two changes to one aggregate meet in one object."""

    def __init__(self, app: CarePassportApplication) -> None:
        self.app = app
        self._seen: dict[UUID, Aggregate | None] = {}
        self._settings: Settings | None = None
        self._calendar: BusinessCalendar | None = None

    def find(self, kind: type[A], aggregate_id: UUID) -> A | None:
        """The aggregate from this unit of work, or from the store on first sight."""
        if aggregate_id not in self._seen:
            self._seen[aggregate_id] = self.app.find(Aggregate, aggregate_id)
        aggregate = self._seen[aggregate_id]
        return aggregate if isinstance(aggregate, kind) else None

    def prefetch(self, ids: Iterable[UUID]) -> None:
        """Read the aggregates not yet seen in one go (misses are remembered too), so a batch
        of work reads the store a few times instead of twice per aggregate."""
        unseen = [i for i in dict.fromkeys(ids) if i not in self._seen]
        if unseen:
            self._seen.update(self.app.find_many(unseen))

    def load(self, kind: type[A], aggregate_id: UUID, what: str) -> A:
        """The aggregate, or a clear NotFound naming ``what`` was asked for."""
        aggregate = self.find(kind, aggregate_id)
        if aggregate is None:
            raise NotFound(f"{what} not found")
        return aggregate

    def employee(self, employee: EmployeeId) -> Employee:
        """An employee, or NotFound."""
        return self.load(Employee, Employee.identity(employee), f"employee {employee}")

    def employer(self, employer: EmployerId) -> Employer:
        """An employer, or NotFound."""
        return self.load(Employer, Employer.identity(employer), f"employer {employer}")

    def catalogue(self) -> Catalogue:
        """The catalogue, or NotFound when nothing was ever added to it."""
        catalogue = self.find(Catalogue, Catalogue.identity())
        if catalogue is None:
            raise NotFound("the catalogue is empty")
        return catalogue

    def settings(self) -> Settings:
        """The settings in force, read once per unit of work (one batch of the sync sees one
        version of them)."""
        if self._settings is None:
            record = self.find(SettingsRecord, SettingsRecord.identity())
            self._settings = record.current if record else default_settings()
        return self._settings

    def calendar(self) -> BusinessCalendar:
        """The business calendar under ``settings()``, made once per unit of work."""
        if self._calendar is None:
            self._calendar = self.app.business_calendar(self.settings())
        return self._calendar

    def add(self, aggregate: A) -> A:
        """Track a new aggregate."""
        self._seen[aggregate.id] = aggregate
        return aggregate

    def sequence(self, kind: type[A], identity: Callable[[int], UUID]) -> list[A]:
        """Aggregates numbered 1, 2, ... until the first missing one (see ADR 0004)."""
        found: list[A] = []
        while (aggregate := self.find(kind, identity(len(found) + 1))) is not None:
            found.append(aggregate)
        return found

    @property
    def pending(self) -> list[Aggregate]:
        """Aggregates with events not yet saved."""
        return [a for a in self._seen.values() if a is not None and a.pending_events]

    def commit(self) -> None:
        """Save every changed aggregate in one transaction; then start afresh."""
        changed = self.pending
        if changed:
            self.app.record(*changed)
        self._seen.clear()
        self._settings = None
        self._calendar = None
