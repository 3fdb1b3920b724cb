"""The portal view of an employee: each micro-credential they have touched, and its state."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from enum import StrEnum

import attrs

from carepassport.application.reference import ReferenceData
from carepassport.application.store import CarePassportApplication
from carepassport.domain.compliance.credential import Credential
from carepassport.domain.compliance.standing import Standing, expiry_time
from carepassport.domain.training.completion import Completion
from carepassport.domain.training.lms import LmsResult
from carepassport.domain.training.policies import Outcome
from carepassport.domain.training.registration import Registration
from carepassport.domain.values import CredentialCode, EmployeeId


class CredentialState(StrEnum):
    """What the portal shows for one micro-credential."""

    IN_PROGRESS = "in_progress"
    PENDING_PUBLICATION = "pending_publication"
    VALID = "valid"
    FAILED = "failed"
    EXPIRED = "expired"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    RECERTIFICATION_REQUIRED = "recertification_required"


@attrs.frozen
class CredentialStatus:
    """One micro-credential of an employee, as the portal shows it at the read's time."""

    code: str
    state: str
    registration_id: str
    completed_at: datetime | None
    recorded_at: datetime | None
    published_at: datetime | None
    valid_until: date | None


@attrs.frozen
class HeldBadge:
    """A digital badge the employee holds: issued here, or another issuer's recognised here."""

    badge_id: str
    kind: str
    code: str
    status: str
    valid_until: datetime | None
    url: str
    issuer: str


BadgeLookup = Callable[[str], list[HeldBadge]]
"""The badges of an employee (the badges capability provides it; compliance knows no more)."""


@attrs.frozen
class EmployeeStatus:
    """An employee's micro-credentials, and the badges they hold."""

    employee_id: str
    credentials: list[CredentialStatus]
    badges: list[HeldBadge] = attrs.field(factory=list)


@attrs.frozen
class HeldResultView:
    """A result held for an unknown student number (R11)."""

    record_id: str
    student_number: str
    credential_code: str
    attempt: int
    passed: bool
    attempted_at: datetime
    held_since: datetime


class Statuses:
    """Reads the portal's view; a completion is valid only once published (R10)."""

    def __init__(
        self,
        app: CarePassportApplication,
        reference: ReferenceData,
        badges: BadgeLookup | None = None,
    ) -> None:
        self._app = app
        self._reference = reference
        self._badges = badges

    def of_employee(self, employee: str) -> EmployeeStatus:
        """Each micro-credential the employee has registered in, by code."""
        record = self._reference.employee(employee)
        credentials = []
        for entry in self._reference.list_micro_credentials():
            registrations = self._registrations(record.employee_id, entry.code)
            if registrations:
                credentials.append(self._status(registrations[-1]))
        held = self._badges(record.employee_id) if self._badges else []
        return EmployeeStatus(employee_id=record.employee_id, credentials=credentials, badges=held)

    def _registrations(self, employee: EmployeeId, code: CredentialCode) -> list[Registration]:
        return list(
            self._app.sequence(Registration, lambda n: Registration.identity(employee, code, n))
        )

    def held_results(self) -> list[HeldResultView]:
        """Results held because no employee has their student number."""
        self._app.catch_up()
        views = []
        for held in self._app.views.held_results():
            received = self._app.find(LmsResult, held.result_id)
            if received is None or not received.unmatched:
                continue
            data = received.result
            views.append(
                HeldResultView(
                    record_id=data.record_id,
                    student_number=data.student_number,
                    credential_code=data.credential_code,
                    attempt=data.attempt,
                    passed=data.passed,
                    attempted_at=data.attempted_at,
                    held_since=held.held_since,
                )
            )
        return views

    def _status(self, registration: Registration) -> CredentialStatus:
        """The latest registration's progress, or else the credential it left (R10, R14)."""
        latest = self._app.find(Completion, Completion.identity(registration.id))
        credential = self._app.find(
            Credential, Credential.identity(registration.employee_id, registration.credential_code)
        )
        current = self._app.find(Completion, credential.completion_id) if credential else None
        shown = current
        if registration.outcome is Outcome.OPEN:
            state = CredentialState.IN_PROGRESS
        elif registration.outcome is Outcome.PASSED and (
            latest is None or latest.published_at is None
        ):
            state, shown = CredentialState.PENDING_PUBLICATION, latest
        elif credential is not None and credential.standing is not Standing.ACTIVE:
            state = CredentialState(credential.standing.value)
        elif credential is not None and self._app.now() < expiry_time(credential.valid_until):
            state = CredentialState.VALID
        elif registration.outcome is Outcome.FAILED:
            state = CredentialState.FAILED
        else:
            state = CredentialState.EXPIRED
        return CredentialStatus(
            code=registration.credential_code,
            state=state.value,
            registration_id=str(registration.id),
            completed_at=shown.completed_at if shown else None,
            recorded_at=shown.recorded_at if shown else None,
            published_at=shown.published_at if shown else None,
            valid_until=credential.valid_until
            if credential and shown is current
            else (shown.valid_until if shown else None),
        )
