"""Typed results of the training use cases: sponsorships and registrations as callers see them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

import attrs

from carepassport.domain.training.attempts import AttemptLedger, CountedAttempt
from carepassport.domain.training.registration import Registration
from carepassport.domain.training.sponsorship import Sponsorship


@attrs.frozen
class SponsorshipView:
    """A sponsorship request as callers see it."""

    sponsorship_id: UUID
    employee_id: str
    employer_id: str
    status: str
    credentials: list[str]
    requested_at: datetime
    approved_at: datetime | None
    declined_at: datetime | None
    self_registration_at: datetime | None
    enabled_at: datetime | None
    used: dict[str, UUID]

    @classmethod
    def of(cls, sponsorship: Sponsorship) -> SponsorshipView:
        """Present a sponsorship aggregate."""
        deadline = sponsorship.self_registration
        return cls(
            sponsorship_id=sponsorship.id,
            employee_id=sponsorship.employee_id,
            employer_id=sponsorship.employer_id,
            status=sponsorship.status.value,
            credentials=list(sponsorship.credentials),
            requested_at=sponsorship.requested_at,
            approved_at=sponsorship.approved_at,
            declined_at=sponsorship.declined_at,
            self_registration_at=deadline.due_at if deadline else None,
            enabled_at=sponsorship.enabled_at,
            used={str(code): rid for code, rid in sponsorship.used.items()},
        )


@attrs.frozen
class RegistrationView:
    """A registration as callers see it."""

    registration_id: UUID
    employee_id: str
    credential_code: str
    status: str
    registered_at: datetime
    access_from: datetime
    access_until: datetime
    access_granted: bool
    access: str
    fee_payer: str
    fee: Decimal
    basis: str
    sponsorship_id: UUID | None
    failure_reason: str | None
    failed_at: datetime | None
    succeeded_at: datetime | None
    attempts: list[CountedAttempt]
    refused_attempts: list[dict[str, str]]

    @classmethod
    def of(
        cls,
        registration: Registration,
        ledger: AttemptLedger | None = None,
        at: datetime | None = None,
    ) -> RegistrationView:
        """Present a registration and its attempts; ``access_from`` is the R6 time until
        access is granted."""
        return cls(
            registration_id=registration.id,
            employee_id=registration.employee_id,
            credential_code=registration.credential_code,
            status=registration.status.value,
            registered_at=registration.registered_at,
            access_from=registration.access_from or registration.access.due_at,
            access_until=registration.access_until,
            access_granted=registration.access_from is not None,
            access=registration.access_state(at) if at else "unknown",
            fee_payer=registration.fee_payer.value,
            fee=registration.fee,
            basis=registration.basis.value,
            sponsorship_id=registration.sponsorship_id,
            failure_reason=registration.failure_reason.value
            if registration.failure_reason
            else None,
            failed_at=registration.failed_at,
            succeeded_at=registration.succeeded_at,
            attempts=list(ledger.counted) if ledger else [],
            refused_attempts=[
                {"record_id": record_id, "reason": reason}
                for record_id, reason in (ledger.refused if ledger else [])
            ],
        )
