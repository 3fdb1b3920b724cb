"""The projection behind employer compliance reports: facts per employee and micro-credential,
folded from the event log in order (each event once, resumable).

A batch of events is folded in memory: the rows it touches are read in one statement a table
(``Working.load``), each event is applied to those rows in log order exactly as one at a time,
and the changed rows are written back in one statement a table (``Working.flush``), all in the
batch's transaction with its position."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

import attrs
from eventsourcing.utils import resolve_topic

from carepassport.application.compliance.ports import ComplianceTx, EmployeeRow, FactRow, OwnerRow
from carepassport.domain.compliance.credential import Credential
from carepassport.domain.compliance.standing import Progress
from carepassport.domain.reference import Employee
from carepassport.domain.training.completion import Completion
from carepassport.domain.training.registration import Registration


class Working:
    """The rows a batch touches, read at once, changed in memory, written back at once."""

    def __init__(self, tx: ComplianceTx) -> None:
        self._tx = tx
        self._owners: dict[UUID, OwnerRow | None] = {}
        self._employees: dict[str, EmployeeRow | None] = {}
        self._facts: dict[tuple[str, str], FactRow] = {}
        self._loaded: set[str] = set()
        """Employees whose row and facts are all here (a fact not in ``_facts`` is none)."""
        self._dirty_owners: set[UUID] = set()
        self._dirty_employees: set[str] = set()
        self._dirty_facts: set[tuple[str, str]] = set()

    def load(self, events: Sequence[Any]) -> None:
        """Read, one statement a table, the rows folding ``events`` will look at: the owner of
        every event's aggregate (unless the batch creates the aggregate, whose first event
        writes its owner), then the row and facts of every employee they name."""
        created = {e.originator_id for e in events if type(e) in OWNER_WRITTEN}
        self._load_owners({e.originator_id for e in events} - created)
        employees = {o.employee_id for o in self._owners.values() if o is not None}
        employees.update(
            e.employee_id for e in events if isinstance(getattr(e, "employee_id", None), str)
        )
        self._load_employees(employees)

    def _load_owners(self, ids: set[UUID]) -> None:
        wanted = ids - self._owners.keys()
        if wanted:
            self._owners.update(dict.fromkeys(wanted))
            self._owners.update((o.aggregate_id, o) for o in self._tx.owners(wanted))

    def _load_employees(self, ids: set[str]) -> None:
        wanted = ids - self._loaded
        if wanted:
            self._employees.update(dict.fromkeys(wanted))
            self._employees.update((e.employee_id, e) for e in self._tx.employees(wanted))
            self._facts.update(((f.employee_id, f.code), f) for f in self._tx.facts(wanted))
            self._loaded.update(wanted)

    def owner(self, aggregate_id: UUID) -> OwnerRow | None:
        """The aggregate's owner row."""
        if aggregate_id not in self._owners:
            self._load_owners({aggregate_id})
        return self._owners[aggregate_id]

    def put_owner(self, row: OwnerRow) -> None:
        """Set the aggregate's owner row."""
        self._owners[row.aggregate_id] = row
        self._dirty_owners.add(row.aggregate_id)

    def employee(self, employee_id: str) -> EmployeeRow | None:
        """The employee's row."""
        if employee_id not in self._loaded:
            self._load_employees({employee_id})
        return self._employees[employee_id]

    def put_employee(self, row: EmployeeRow) -> None:
        """Set the employee's row."""
        if row.employee_id not in self._loaded:
            self._load_employees({row.employee_id})
        self._employees[row.employee_id] = row
        self._dirty_employees.add(row.employee_id)

    def fact(self, employee_id: str, code: str) -> FactRow | None:
        """The employee's fact row for the micro-credential."""
        if employee_id not in self._loaded:
            self._load_employees({employee_id})
        return self._facts.get((employee_id, code))

    def put_fact(self, row: FactRow) -> None:
        """Set the employee's fact row for the micro-credential."""
        if row.employee_id not in self._loaded:
            self._load_employees({row.employee_id})
        key = (row.employee_id, row.code)
        self._facts[key] = row
        self._dirty_facts.add(key)

    def flush(self) -> None:
        """Write the changed rows back, one statement a table."""
        owners = [self._owners[k] for k in self._dirty_owners]
        if owners:
            self._tx.put_owners([o for o in owners if o is not None])
        employees = [self._employees[k] for k in self._dirty_employees]
        if employees:
            self._tx.put_employees([e for e in employees if e is not None])
        if self._dirty_facts:
            self._tx.put_facts([self._facts[k] for k in self._dirty_facts])
        self._dirty_owners.clear()
        self._dirty_employees.clear()
        self._dirty_facts.clear()


Fold = Callable[[Any, Working], None]


def _owner(event: Any, tx: Working) -> OwnerRow:
    owner = tx.owner(event.originator_id)
    if owner is None:
        raise LookupError(f"{type(event).__name__} of unknown aggregate {event.originator_id}")
    return owner


def _update_employee(event: Any, tx: Working, **changes: Any) -> None:
    owner = _owner(event, tx)
    row = tx.employee(owner.employee_id)
    if row is not None:
        tx.put_employee(attrs.evolve(row, **changes))


def _update_fact(tx: Working, employee_id: str, code: str, **changes: Any) -> None:
    row = tx.fact(employee_id, code) or FactRow(employee_id, code)
    tx.put_fact(attrs.evolve(row, **changes))


def _employee_added(event: Employee.EmployeeAdded, tx: Working) -> None:
    tx.put_owner(OwnerRow(event.originator_id, event.employee_id))
    tx.put_employee(EmployeeRow(event.employee_id, event.employer_id, event.job_function))


def _source(event: Any, tx: Working, add: bool) -> None:
    owner = _owner(event, tx)
    row = tx.fact(owner.employee_id, event.code) or FactRow(owner.employee_id, event.code)
    sources = row.sources | {event.source} if add else row.sources - {event.source}
    tx.put_fact(attrs.evolve(row, sources=sources))


def _registered(event: Registration.Registered, tx: Working) -> None:
    tx.put_owner(
        OwnerRow(event.originator_id, event.employee_id, event.credential_code, event.originator_id)
    )
    _update_fact(
        tx,
        event.employee_id,
        event.credential_code,
        latest_registration=event.originator_id,
        progress=Progress.OPEN.value,
    )


def _registration_outcome(progress: Progress) -> Fold:
    def fold(event: Any, tx: Working) -> None:
        owner = _owner(event, tx)
        fact = tx.fact(owner.employee_id, owner.code)
        if fact is not None and fact.latest_registration == owner.registration_id:
            tx.put_fact(attrs.evolve(fact, progress=progress.value))

    return fold


def _completion_recorded(event: Completion.CompletionRecorded, tx: Working) -> None:
    tx.put_owner(
        OwnerRow(
            event.originator_id, event.employee_id, event.credential_code, event.registration_id
        )
    )


def _credential_published(event: Any, tx: Working) -> None:
    if isinstance(event, Credential.CredentialIssued):
        tx.put_owner(OwnerRow(event.originator_id, event.employee_id, event.credential_code))
    owner = _owner(event, tx)
    _update_fact(
        tx, owner.employee_id, owner.code, valid_until=event.valid_until, standing="active"
    )


def _standing(event: Any, tx: Working) -> None:
    owner = _owner(event, tx)
    _update_fact(tx, owner.employee_id, owner.code, standing=event.standing.value)


FOLDS: dict[type[Any], Fold] = {
    Employee.EmployeeAdded: _employee_added,
    Employee.JobFunctionAssigned: lambda e, tx: _update_employee(
        e, tx, job_function=e.job_function
    ),
    Employee.EmployeeLeft: lambda e, tx: _update_employee(e, tx, left=True),
    Employee.RequirementAssigned: lambda e, tx: _source(e, tx, add=True),
    Employee.RequirementWithdrawn: lambda e, tx: _source(e, tx, add=False),
    Registration.Registered: _registered,
    Registration.RegistrationSucceeded: _registration_outcome(Progress.AWAITING_PUBLICATION),
    Registration.RegistrationFailed: _registration_outcome(Progress.FAILED),
    Completion.CompletionRecorded: _completion_recorded,
    Completion.CompletionPublished: _registration_outcome(Progress.PUBLISHED),
    Credential.CredentialIssued: _credential_published,
    Credential.CredentialRenewed: _credential_published,
    Credential.CredentialSuspended: _standing,
    Credential.CredentialReinstated: _standing,
    Credential.CredentialRevoked: _standing,
    Credential.RecertificationRequired: _standing,
}


OWNER_WRITTEN = frozenset(
    {
        Employee.EmployeeAdded,
        Registration.Registered,
        Completion.CompletionRecorded,
        Credential.CredentialIssued,
    }
)
"""Events that create their aggregate and whose fold writes its owner row before reading it."""

_FOLLOWED: dict[str, bool] = {}


def follows(topic: str) -> bool:
    """Whether the projection folds events of this topic (known before decoding the event, so
    the events it does not follow are never decoded)."""
    followed = _FOLLOWED.get(topic)
    if followed is None:
        followed = _FOLLOWED[topic] = resolve_topic(topic) in FOLDS
    return followed


def fold(events: Sequence[Any], tx: ComplianceTx) -> None:
    """Apply a batch of events, in order, to the read model inside ``tx`` (events it does not
    follow change nothing): the touched rows are read once and the changed ones written once."""
    followed = [(handler, e) for e in events if (handler := FOLDS.get(type(e))) is not None]
    if not followed:
        return
    working = Working(tx)
    working.load([e for _, e in followed])
    for handler, event in followed:
        handler(event, working)
    working.flush()
