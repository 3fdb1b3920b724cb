"""Use cases for registrations: register (R5, R13), and the scheduled access work (R6, R7, R12)."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

from carepassport.application.reference import ReferenceData
from carepassport.application.store import CarePassportApplication
from carepassport.application.training.intake import ResultIntake
from carepassport.application.training.lms_access import LmsAccess
from carepassport.application.training.sponsorships import Sponsorships
from carepassport.application.training.sync import NightlySync
from carepassport.application.training.views import RegistrationView
from carepassport.application.unit_of_work import UnitOfWork
from carepassport.domain.reference import Catalogue, Employee, MicroCredential
from carepassport.domain.settings import SettingsRecord
from carepassport.domain.time import local
from carepassport.domain.training.attempts import AttemptLedger
from carepassport.domain.training.policies import FundingBasis, funding_for_registration
from carepassport.domain.training.registration import Registration
from carepassport.domain.training.sponsorship import Sponsorship, SponsorshipStatus
from carepassport.domain.values import (
    CredentialCode,
    EmployeeId,
    credential_code,
    employee_id,
    parse_id,
)


def why_not_sponsored(sponsorships: list[Sponsorship], code: CredentialCode) -> str:
    """The most useful reason why no sponsorship covers ``code`` now (R5)."""
    naming = [s for s in sponsorships if code in s.credentials]
    for sponsorship in reversed(naming):
        if sponsorship.status is SponsorshipStatus.REQUESTED:
            return f"sponsorship {sponsorship.id} for {code} awaits the employer's approval"
        if sponsorship.status is SponsorshipStatus.APPROVED and sponsorship.self_registration:
            opens = local(sponsorship.self_registration.due_at).isoformat()
            return (
                f"sponsorship {sponsorship.id} is approved but self-registration is not "
                f"enabled until {opens}"
            )
    if naming and naming[-1].status is SponsorshipStatus.DECLINED:
        return f"the employer declined sponsorship {naming[-1].id} for {code}"
    if naming and code in naming[-1].used:
        return f"sponsorship {naming[-1].id} was already used for {code}"
    return f"no approved sponsorship covers {code}"


class Prerequisites(Protocol):
    """Whether an employee's prerequisites for a micro-credential are valid now: the
    compliance capability's requirements, passed in so that training need not know them."""

    def require_prerequisites(self, employee: EmployeeId, entry: MicroCredential) -> None:
        """Refuse (raise) when a prerequisite is not valid now, listing them."""
        ...


class Registrations:
    """Employees register; the scheduler grants and ends access."""

    def __init__(
        self,
        app: CarePassportApplication,
        reference: ReferenceData,
        sponsorships: Sponsorships,
        intake: ResultIntake,
        sync: NightlySync,
        requirements: Prerequisites,
        lms_access: LmsAccess,
    ) -> None:
        self._app = app
        self._lms_access = lms_access
        self._reference = reference
        self._sponsorships = sponsorships
        self._intake = intake
        self._sync = sync
        self._requirements = requirements

    def of_employee(self, employee: EmployeeId, code: CredentialCode) -> list[Registration]:
        """An employee's registrations in one micro-credential, oldest first."""
        return list(
            self._app.sequence(Registration, lambda n: Registration.identity(employee, code, n))
        )

    def register(self, employee: str, code: str, *, self_pay: bool = False) -> RegistrationView:
        """R5/R6/R7/R13: register; the fee payer is decided and access is scheduled.

        Self-registration that became due (R4) but that the scheduler has not yet enabled is
        enabled first, as the scheduler would have: that work was due whatever happens next.
        """
        with self._app.reading(lambda: self._loads_of_register(employee, code)):
            now = self._app.now_for_write()
            record = self._reference.employee(employee)
            entry = self._reference.micro_credential(code)
            employer = self._reference.employer(record.employer_id)
            self._requirements.require_prerequisites(record.employee_id, entry)
            history = self.of_employee(record.employee_id, entry.code)
            sponsorships = self._sponsorships.enable_due(record.employee_id, now)
            cover = next((s for s in sponsorships if s.covers(entry.code)), None)
            basis = funding_for_registration(
                credential=entry.code,
                history=[r.as_prior() for r in history],
                sponsorship_unavailable=None
                if cover
                else why_not_sponsored(sponsorships, entry.code),
                retakes_covered=employer.retakes_covered,
                self_pay=self_pay,
            )
            sponsored = cover if basis is FundingBasis.SPONSORSHIP else None
            uow = UnitOfWork(self._app)
            registration = uow.add(
                Registration.register(
                    record.employee_id,
                    employer.employer_id,
                    entry,
                    len(history) + 1,
                    basis,
                    sponsored.id if sponsored else None,
                    now,
                    self._app.settings().version,
                )
            )
            if sponsored is not None:
                uow.add(sponsored).use_for(entry.code, registration.id, now)
            self._sync.ensure_scheduled(now, uow)
            uow.commit()
            return self._view(registration)

    @staticmethod
    def _loads_of_register(employee: str, code: str) -> list[UUID]:
        """What ``register`` loads that is known from its arguments (read ahead together): the
        employee, the catalogue, the settings, the first sponsorships and registrations."""
        eid, wanted = employee_id(employee), credential_code(code)
        return [
            Employee.identity(eid),
            Catalogue.identity(),
            SettingsRecord.identity(),
            Sponsorship.identity(eid, 1),
            Sponsorship.identity(eid, 2),
            Registration.identity(eid, wanted, 1),
        ]

    def show(self, registration_id: str | UUID) -> RegistrationView:
        """One registration as it stands, with its counted and refused attempts."""
        return self._view(self._load(registration_id))

    def _view(self, registration: Registration) -> RegistrationView:
        ledger = self._app.find(AttemptLedger, AttemptLedger.identity(registration.id))
        return RegistrationView.of(registration, ledger, self._app.now())

    def grant_access(self, registration_id: UUID) -> bool:
        """R6, scheduled: the learner is enrolled in the LMS and access begins (a failed
        enrolment is retried on its own schedule). False if nothing was due."""
        uow = UnitOfWork(self._app)
        registration = uow.add(self._load(registration_id))
        if not registration.awaits_access:
            return False
        self._lms_access.enrol(registration, uow)
        registration.grant_access(self._app.now())
        uow.commit()
        return True

    def expire_access(self, registration_id: UUID) -> bool:
        """R7, scheduled: access ends and the learner is unenrolled from the LMS; an open
        registration fails and both sides are told (R12)."""
        uow = UnitOfWork(self._app)
        registration = uow.add(self._load(registration_id))
        if registration.access_expired:
            return False
        self._lms_access.unenrol(registration, uow)
        registration.expire_access(self._app.now())
        if registration.failure_reason is not None:
            self._intake.flag_failure(registration, uow)
        uow.commit()
        return True

    def _load(self, registration_id: str | UUID) -> Registration:
        identity = parse_id(registration_id, "registration")
        return self._app.load(Registration, identity, f"registration {identity}")
