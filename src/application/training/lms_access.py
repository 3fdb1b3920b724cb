"""LMS enrolment at access time (R6) and unenrolment at its end (R7), retried when the LMS fails.

The LMS is called before the access event is recorded; a failed call is recorded in the same
transaction as that event, with a retry deadline, so the domain event is never lost and the
enrolment is never forgotten (ADR 0013).
"""

from __future__ import annotations

import logging
from uuid import UUID

from carepassport.application.mail.outbox import notify
from carepassport.application.redaction import masked
from carepassport.application.store import CarePassportApplication
from carepassport.application.training import notices
from carepassport.application.training.ports import (
    LmsEnrolment,
    LmsError,
    LmsRequestRefused,
    LmsUserUnknown,
)
from carepassport.application.unit_of_work import UnitOfWork
from carepassport.domain.reference import Employee
from carepassport.domain.training.lms_access import (
    LmsProvisioning,
    Operation,
    ProvisioningOutcome,
    unenrolment_abandoned,
)
from carepassport.domain.training.registration import Registration

log = logging.getLogger(__name__)
ENROL_TOO_LATE = "access ended before the LMS enrolled them"


class LmsAccess:
    """Enrols and unenrols learners through the LMS port; failures become scheduled retries."""

    def __init__(self, app: CarePassportApplication, enrolment: LmsEnrolment) -> None:
        self._app = app
        self._enrolment = enrolment

    def enrol(self, registration: Registration, uow: UnitOfWork) -> None:
        """R6: enrol the learner now; a failure is kept in ``uow`` with its retry."""
        self._attempt(Operation.ENROL, registration, uow)

    def unenrol(self, registration: Registration, uow: UnitOfWork) -> None:
        """R7: unenrol the learner now, unless they were never enrolled (retries still open
        end here) or another registration of theirs in the same micro-credential still holds
        access (a retake: the course is the same)."""
        enrolling = uow.find(
            LmsProvisioning, LmsProvisioning.identity(registration.id, Operation.ENROL)
        )
        if enrolling is not None and enrolling.outcome is not ProvisioningOutcome.DONE:
            if enrolling.open:
                enrolling.end(ProvisioningOutcome.GAVE_UP, ENROL_TOO_LATE, self._app.now())
                self._tell_college(enrolling, ENROL_TOO_LATE, uow)
            return
        if self._access_held_by_another(registration, uow):
            log.info("registration %s: a later registration keeps the course", registration.id)
            return
        self._attempt(Operation.UNENROL, registration, uow)

    def retry(self, provisioning_id: UUID) -> bool:
        """Scheduled: call the LMS again, or end the retries. False if nothing was due."""
        uow = UnitOfWork(self._app)
        provisioning = uow.find(LmsProvisioning, provisioning_id)
        now = self._app.now()
        if provisioning is None or not provisioning.open or provisioning.retry.due_at > now:
            return False
        registration = uow.find(Registration, provisioning.registration_id)
        if registration is None:
            raise LookupError(f"registration {provisioning.registration_id} not found")
        ended = self._why_over(provisioning, registration, uow)
        if ended is not None:
            outcome, reason = ended
            provisioning.end(outcome, reason, now)
            if outcome is ProvisioningOutcome.GAVE_UP:
                self._tell_college(provisioning, reason, uow)
        else:
            try:
                self._call(provisioning.operation, registration, uow)
            except LmsError as error:
                log.warning(
                    "LMS %s retry for %s failed: %s",
                    provisioning.operation.value,
                    registration.id,
                    masked(str(error), self._student_number(registration, uow)),
                )
                provisioning.failed_again(str(error), now)
            else:
                provisioning.end(ProvisioningOutcome.DONE, "", now)
        uow.commit()
        return True

    def _attempt(self, operation: Operation, registration: Registration, uow: UnitOfWork) -> None:
        try:
            self._call(operation, registration, uow)
        except LmsError as error:
            log.warning(
                "LMS %s for %s failed: %s",
                operation.value,
                registration.id,
                masked(str(error), self._student_number(registration, uow)),
            )
            failed = uow.add(
                LmsProvisioning.failed(
                    registration.id,
                    operation,
                    registration.employee_id,
                    registration.credential_code,
                    str(error),
                    self._app.now(),
                )
            )
            if isinstance(error, LmsRequestRefused | LmsUserUnknown):
                self._tell_college(failed, "It is retried, but a person must fix this.", uow)

    def _call(self, operation: Operation, registration: Registration, uow: UnitOfWork) -> None:
        call = self._enrolment.enrol if operation is Operation.ENROL else self._enrolment.unenrol
        call(self._student_number(registration, uow), registration.credential_code, registration.id)

    @staticmethod
    def _student_number(registration: Registration, uow: UnitOfWork) -> str | None:
        """What the LMS knows the learner by; kept out of the log (ADR 0027)."""
        employee = uow.find(Employee, Employee.identity(registration.employee_id))
        return employee.student_number if employee is not None else None

    def _why_over(
        self, provisioning: LmsProvisioning, registration: Registration, uow: UnitOfWork
    ) -> tuple[ProvisioningOutcome, str] | None:
        now = self._app.now()
        if provisioning.operation is Operation.ENROL:
            if registration.access_expired or now >= registration.access_end.due_at:
                return ProvisioningOutcome.GAVE_UP, ENROL_TOO_LATE
            return None
        if self._access_held_by_another(registration, uow):
            return ProvisioningOutcome.NOT_NEEDED, "a later registration keeps the course"
        if unenrolment_abandoned(provisioning.first_failed_at, now):
            return ProvisioningOutcome.GAVE_UP, "the LMS kept failing for 7 days"
        return None

    @staticmethod
    def _access_held_by_another(registration: Registration, uow: UnitOfWork) -> bool:
        employee, code = registration.employee_id, registration.credential_code
        others = uow.sequence(Registration, lambda n: Registration.identity(employee, code, n))
        return any(r.id != registration.id and r.holds_access for r in others)

    def _tell_college(self, provisioning: LmsProvisioning, why: str, uow: UnitOfWork) -> None:
        college = self._app.settings().college_email
        if not college:
            log.warning("no college_email setting: LMS %s problem not mailed", provisioning.id)
            return
        subject, body = notices.lms_provisioning_failed(provisioning, why)
        uow.add(
            notify(
                notices.LMS_PROVISIONING_FAILED,
                college,
                subject,
                body,
                provisioning,
                self._app.now(),
            )
        )
