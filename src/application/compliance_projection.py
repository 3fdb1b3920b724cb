"""The projection behind employer compliance reports: facts per employee and micro-credential,
folded from the event log in order (each event once, resumable)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs

from carepassport.application.ports import ComplianceTx, EmployeeRow, FactRow, OwnerRow
from carepassport.domain.completion import Completion
from carepassport.domain.compliance import Progress
from carepassport.domain.credential import Credential
from carepassport.domain.reference import Employee
from carepassport.domain.registration import Registration

Fold = Callable[[Any, ComplianceTx], None]


def _owner(event: Any, tx: ComplianceTx) -> OwnerRow:
    owner = tx.owner(event.originator_id)
    if owner is None:
        raise LookupError(f"{type(event).__name__} of unknown aggregate {event.originator_id}")
    return owner


def _update_employee(event: Any, tx: ComplianceTx, **changes: Any) -> None:
    owner = _owner(event, tx)
    row = tx.employee(owner.employee_id)
    if row is not None:
        tx.put_employee(attrs.evolve(row, **changes))


def _update_fact(tx: ComplianceTx, employee_id: str, code: str, **changes: Any) -> None:
    row = tx.fact(employee_id, code) or FactRow(employee_id, code)
    tx.put_fact(attrs.evolve(row, **changes))


def _employee_added(event: Employee.EmployeeAdded, tx: ComplianceTx) -> None:
    tx.put_owner(OwnerRow(event.originator_id, event.employee_id))
    tx.put_employee(EmployeeRow(event.employee_id, event.employer_id, event.job_function))


def _source(event: Any, tx: ComplianceTx, add: bool) -> None:
    owner = _owner(event, tx)
    row = tx.fact(owner.employee_id, event.code) or FactRow(owner.employee_id, event.code)
    sources = row.sources | {event.source} if add else row.sources - {event.source}
    tx.put_fact(attrs.evolve(row, sources=sources))


def _registered(event: Registration.Registered, tx: ComplianceTx) -> None:
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
    def fold(event: Any, tx: ComplianceTx) -> None:
        owner = _owner(event, tx)
        fact = tx.fact(owner.employee_id, owner.code)
        if fact is not None and fact.latest_registration == owner.registration_id:
            tx.put_fact(attrs.evolve(fact, progress=progress.value))

    return fold


def _completion_recorded(event: Completion.CompletionRecorded, tx: ComplianceTx) -> None:
    tx.put_owner(
        OwnerRow(
            event.originator_id, event.employee_id, event.credential_code, event.registration_id
        )
    )


def _credential_published(event: Any, tx: ComplianceTx) -> None:
    if isinstance(event, Credential.CredentialIssued):
        tx.put_owner(OwnerRow(event.originator_id, event.employee_id, event.credential_code))
    owner = _owner(event, tx)
    _update_fact(
        tx, owner.employee_id, owner.code, valid_until=event.valid_until, standing="active"
    )


def _standing(event: Any, tx: ComplianceTx) -> None:
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


def fold(event: Any, tx: ComplianceTx) -> None:
    """Apply one event to the read model (events it does not follow change nothing)."""
    handler = FOLDS.get(type(event))
    if handler is not None:
        handler(event, tx)
