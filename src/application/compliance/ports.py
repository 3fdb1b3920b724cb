"""Ports of the compliance capability: the compliance report's projection store."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import Protocol
from uuid import UUID

import attrs

from carepassport.application.unit_of_work import UnitOfWork
from carepassport.domain.compliance.credential import Credential


class CredentialObserver(Protocol):
    """Told of publications and standing changes in their unit of work, before it commits
    (the badges follow the credentials without compliance knowing of badges)."""

    def published(self, credential: Credential, at: datetime, uow: UnitOfWork) -> None:
        """``credential`` was just issued or renewed for its latest completion."""
        ...

    def standing_changed(self, credential: Credential, at: datetime, uow: UnitOfWork) -> None:
        """The college just changed ``credential``'s standing."""
        ...

    def expired(self, credential: Credential, at: datetime, uow: UnitOfWork) -> None:
        """``credential`` just expired (R14)."""
        ...

    def reads_at_publication(self, completion_id: UUID) -> list[UUID]:
        """The aggregates ``published`` will read for this completion, read ahead with the
        publication's own (one query for all)."""
        ...


class NoObserver:
    """Nobody follows the credentials."""

    def published(self, credential: Credential, at: datetime, uow: UnitOfWork) -> None:
        return None

    def standing_changed(self, credential: Credential, at: datetime, uow: UnitOfWork) -> None:
        return None

    def expired(self, credential: Credential, at: datetime, uow: UnitOfWork) -> None:
        return None

    def reads_at_publication(self, completion_id: UUID) -> list[UUID]:
        return []


class Observers:
    """Several observers, told in turn (the badges, then matching)."""

    def __init__(self, *observers: CredentialObserver) -> None:
        self._observers = observers

    def published(self, credential: Credential, at: datetime, uow: UnitOfWork) -> None:
        for observer in self._observers:
            observer.published(credential, at, uow)

    def standing_changed(self, credential: Credential, at: datetime, uow: UnitOfWork) -> None:
        for observer in self._observers:
            observer.standing_changed(credential, at, uow)

    def expired(self, credential: Credential, at: datetime, uow: UnitOfWork) -> None:
        for observer in self._observers:
            observer.expired(credential, at, uow)

    def reads_at_publication(self, completion_id: UUID) -> list[UUID]:
        return [i for o in self._observers for i in o.reads_at_publication(completion_id)]


@attrs.frozen
class EmployeeRow:
    """The compliance read model's view of an employee."""

    employee_id: str
    employer_id: str
    job_function: str | None
    left: bool = False


@attrs.frozen
class FactRow:
    """What the compliance read model knows of one employee and micro-credential."""

    employee_id: str
    code: str
    sources: frozenset[str] = frozenset()
    latest_registration: UUID | None = None
    progress: str = "none"
    valid_until: date | None = None
    standing: str = "active"


@attrs.frozen
class OwnerRow:
    """Whose an aggregate is: its employee, micro-credential and registration, if any."""

    aggregate_id: UUID
    employee_id: str
    code: str = ""
    registration_id: UUID | None = None


class ComplianceTx(Protocol):
    """Reads and writes of the compliance read model inside one transaction, many rows a
    statement: the projection reads the rows a batch of events touches at once, folds the
    batch in memory and writes the changed rows back at once."""

    def owners(self, aggregate_ids: Collection[UUID]) -> list[OwnerRow]:
        """The owner rows of those aggregates that have one."""
        ...

    def employees(self, employee_ids: Collection[str]) -> list[EmployeeRow]:
        """The rows of those employees that have one."""
        ...

    def facts(self, employee_ids: Collection[str]) -> list[FactRow]:
        """Every fact row of those employees."""
        ...

    def put_owners(self, rows: Sequence[OwnerRow]) -> None:
        """Insert or replace owner rows (one per aggregate)."""
        ...

    def put_employees(self, rows: Sequence[EmployeeRow]) -> None:
        """Insert or replace employee rows (one per employee)."""
        ...

    def put_facts(self, rows: Sequence[FactRow]) -> None:
        """Insert or replace fact rows (one per employee and micro-credential)."""
        ...


class ComplianceStore(Protocol):
    """The employer compliance read model, kept beside the event store with its own tracking."""

    def position(self) -> int:
        """The notification id of the last event applied (0 before any)."""
        ...

    def transaction(self, after: int, position: int) -> AbstractContextManager[ComplianceTx]:
        """Changes and the new position, committed together; IntegrityError (nothing changed)
        if the model is no longer at ``after``."""
        ...

    def rows(
        self, employer_id: str, job_function: str | None
    ) -> list[tuple[EmployeeRow, list[FactRow]]]:
        """The employer's current employees (optionally of one job function) and their facts."""
        ...

    def employer_ids(self) -> list[str]:
        """The employers with current employees, sorted."""
        ...

    def clear(self) -> None:
        """Forget everything, position included (a rebuild starts from the first event)."""
        ...
