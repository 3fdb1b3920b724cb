"""Taking LMS results in (R8, R9, R11, R12, R15): match, count, complete, fail, notify."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from eventsourcing.domain import Aggregate

from carepassport.application.mail.outbox import notify
from carepassport.application.store import CarePassportApplication
from carepassport.application.training import notices
from carepassport.application.unit_of_work import UnitOfWork
from carepassport.domain.errors import InvalidValue
from carepassport.domain.reference import Catalogue, Employee, Employer
from carepassport.domain.settings import SettingsRecord
from carepassport.domain.training.attempts import AttemptLedger, Verdict
from carepassport.domain.training.completion import Completion
from carepassport.domain.training.lms import LmsResult, QuizResult, ResultOutcome
from carepassport.domain.training.policies import retake_payer
from carepassport.domain.training.registration import Registration
from carepassport.domain.training.student_numbers import StudentNumberClaim
from carepassport.domain.values import (
    CredentialCode,
    EmployeeId,
    StudentNumber,
    credential_code,
)

log = logging.getLogger(__name__)


Applied = Callable[[UUID | None, ResultOutcome, str], None]
"""Records on a result's record what applying it did: the registration, counted or refused,
and why it was refused."""


def _applied_to(received: LmsResult, applied_at: datetime, processed_at: datetime) -> Applied:
    """``Applied`` for a result already taken in (a held result reconciled)."""

    def applied(registration_id: UUID | None, outcome: ResultOutcome, reason: str) -> None:
        received.applied(registration_id, outcome, reason, applied_at, processed_at)

    return applied


class Taken(StrEnum):
    """What taking one result in did."""

    COUNTED = "counted"
    REFUSED = "refused"
    HELD = "held"
    DUPLICATE = "duplicate"


def registration_for(
    registrations: Sequence[Registration], moment: datetime
) -> Registration | None:
    """R8: the latest registration whose access window contains ``moment`` (a retake's window
    can overlap a failed registration's); else the latest begun by then (whose ledger will
    refuse it, with the reason); else None."""
    for registration in reversed(registrations):
        if registration.window_contains(moment):
            return registration
    begun = [r for r in registrations if r.registered_at <= moment]
    return begun[-1] if begun else None


def _code(text: str) -> CredentialCode | None:
    """The result's micro-credential code, or None if the LMS sent one that cannot be ours."""
    try:
        return credential_code(text)
    except InvalidValue:
        return None


class ResultIntake:
    """Applies results to employees' registrations within a unit of work."""

    def __init__(self, app: CarePassportApplication) -> None:
        self._app = app

    def take(self, result: QuizResult, recorded_at: datetime, uow: UnitOfWork) -> Taken:
        """Take one result in at ``recorded_at`` (the sync's time); a record is taken once."""
        existing = uow.find(LmsResult, LmsResult.identity(result.record_id))
        if existing is not None:
            if existing.result != result:
                log.warning(
                    "LMS record %s changed after it was taken; kept the first", result.record_id
                )
            return Taken.DUPLICATE
        now = self._app.now()
        holder = self.holder(result.student_number, uow)
        if holder is None:
            received = uow.add(LmsResult.receive(result, recorded_at, now))
            received.hold_unmatched(recorded_at, now)
            self._flag_unmatched(received, uow)
            return Taken.HELD

        def taken(registration_id: UUID | None, outcome: ResultOutcome, reason: str) -> None:
            uow.add(LmsResult.take(result, recorded_at, registration_id, outcome, reason, now))

        return self.apply(result, holder, recorded_at, uow, taken)

    def prefetch(self, results: Sequence[QuizResult], uow: UnitOfWork) -> None:
        """Read what taking ``results`` in will touch in three reads (records and student
        numbers; employees and their registrations; ledgers and employers), not several a
        result. What a result touches beyond that (a third registration) is read as before."""
        uow.prefetch(
            [
                SettingsRecord.identity(),
                Catalogue.identity(),
                *(LmsResult.identity(r.record_id) for r in results),
                *(self.claim_id(StudentNumber(r.student_number)) for r in results),
                *(
                    StudentNumberClaim.legacy_identity(StudentNumber(r.student_number))
                    for r in results
                ),
            ]
        )
        new = [r for r in results if uow.find(LmsResult, LmsResult.identity(r.record_id)) is None]
        employees: set[EmployeeId] = set()
        registrations: list[UUID] = []
        for result in new:
            holder = self.holder(result.student_number, uow)
            code = _code(result.credential_code)
            if holder is None or code is None:
                continue
            employees.add(holder)
            registrations += (Registration.identity(holder, code, n) for n in (1, 2))
        uow.prefetch([*(Employee.identity(e) for e in employees), *registrations])
        found = (uow.find(Registration, r) for r in registrations)
        staff = (uow.find(Employee, Employee.identity(e)) for e in employees)
        uow.prefetch(
            [
                *(AttemptLedger.identity(r.id) for r in found if r is not None),
                *(Employer.identity(e.employer_id) for e in staff if e is not None),
            ]
        )

    def holder(self, number: str, uow: UnitOfWork) -> EmployeeId | None:
        """The employee who holds a student number now, if any."""
        claim = self.claim(StudentNumber(number), uow)
        return claim.holder if claim else None

    def claim_id(self, number: StudentNumber) -> UUID:
        """The id of the claim on ``number``: by its blind index (ADR 0023)."""
        return StudentNumberClaim.identity(self._app.personal.index("student", number))

    def claim(self, number: StudentNumber, uow: UnitOfWork) -> StudentNumberClaim | None:
        """The claim on ``number``, under its id, or its id in a store written before blind
        indexes."""
        found = uow.find(StudentNumberClaim, self.claim_id(number))
        if found is None:
            found = uow.find(StudentNumberClaim, StudentNumberClaim.legacy_identity(number))
        return found

    def apply(
        self,
        result: QuizResult,
        employee_id: EmployeeId,
        recorded_at: datetime,
        uow: UnitOfWork,
        applied: Applied,
    ) -> Taken:
        """Count the result on the right registration's ledger, or refuse it with the reason;
        ``applied`` records which it was on the result's record."""
        now = self._app.now()
        registration = self._registration(employee_id, result, uow)
        if registration is None:
            reason = (
                f"employee {employee_id} has no registration in {result.credential_code} "
                "begun by the time of the attempt"
            )
            applied(None, ResultOutcome.REFUSED, reason)
            return Taken.REFUSED
        ledger = uow.find(AttemptLedger, AttemptLedger.identity(registration.id))
        if ledger is None:
            ledger, decision = AttemptLedger.first(result, registration, recorded_at, now)
            uow.add(ledger)
        else:
            decision = ledger.record(result, registration, recorded_at, now)
        if decision.verdict is Verdict.REFUSED:
            applied(registration.id, ResultOutcome.REFUSED, decision.reason)
            return Taken.REFUSED
        applied(registration.id, ResultOutcome.COUNTED, "")
        employee = uow.employee(employee_id)
        employer = uow.employer(employee.employer_id)
        subject, body = notices.attempt_result(
            registration, employee, ledger.counted[-1], ledger.max_attempts
        )
        self._mail(notices.ATTEMPT_RESULT, employee, employer, subject, body, ledger, uow)
        if decision.verdict is Verdict.PASSED:
            self._complete(registration, result, recorded_at, uow)
        elif decision.verdict is Verdict.FAILED_TWICE:
            registration.fail_attempts_exhausted(result.attempted_at, now)
            self.flag_failure(registration, uow)
        return Taken.COUNTED

    def flag_failure(self, registration: Registration, uow: UnitOfWork) -> None:
        """R12: tell the employee and the employer at once, with what a retake costs and who
        pays for it under the employer's policy (R13)."""
        employee = uow.employee(registration.employee_id)
        employer = uow.employer(employee.employer_id)
        history = uow.sequence(
            Registration,
            lambda n: Registration.identity(employee.employee_id, registration.credential_code, n),
        )
        payer = retake_payer([r.as_prior() for r in history], employer.retakes_covered)
        fee = str(uow.catalogue().entry(registration.credential_code).fee)
        subject, body = notices.registration_failed(registration, employee, fee, payer)
        self._mail(
            notices.REGISTRATION_FAILED, employee, employer, subject, body, registration, uow
        )

    def reconcile(
        self, employee_id: EmployeeId, number: StudentNumber, at: datetime, uow: UnitOfWork
    ) -> int:
        """R11: results held for ``number`` are released to the employee, in order of attempt;
        they count as recorded at ``at``. Returns how many were released."""
        self._app.catch_up()
        now = self._app.now()
        index = self._app.personal.index("student", number)
        held = [uow.find(LmsResult, h.result_id) for h in self._app.views.held_results(index)]
        waiting = sorted(
            (r for r in held if r is not None and r.unmatched),
            key=lambda r: r.result.attempted_at,
        )
        for received in waiting:
            received.reconcile(employee_id, at)
            self.apply(received.result, employee_id, at, uow, _applied_to(received, at, now))
        return len(waiting)

    def _complete(
        self,
        registration: Registration,
        result: QuizResult,
        recorded_at: datetime,
        uow: UnitOfWork,
    ) -> None:
        now = self._app.now()
        registration.succeed(result.attempted_at, recorded_at, now)
        entry = uow.catalogue().entry(registration.credential_code)
        settings = uow.settings()
        uow.add(
            Completion.record(
                registration,
                result.record_id,
                result.attempted_at,
                recorded_at,
                entry.validity_days,
                uow.calendar(),
                settings.version,
                now,
            )
        )

    def _registration(
        self, employee_id: EmployeeId, result: QuizResult, uow: UnitOfWork
    ) -> Registration | None:
        code = _code(result.credential_code)
        if code is None:
            return None
        registrations = uow.sequence(
            Registration, lambda n: Registration.identity(employee_id, code, n)
        )
        return registration_for(registrations, result.attempted_at)

    def _flag_unmatched(self, received: LmsResult, uow: UnitOfWork) -> None:
        college = uow.settings().college_email
        if not college:
            log.warning(
                "no college_email setting: LMS record %s is held without a notice",
                received.result.record_id,
            )
            return
        subject, body = notices.unmatched_result(received)
        uow.add(notify(notices.UNMATCHED_RESULT, college, subject, body, received, self._app.now()))

    def _mail(
        self,
        kind: str,
        employee: Employee,
        employer: Employer,
        subject: str,
        body: str,
        about: Aggregate,
        uow: UnitOfWork,
    ) -> None:
        recipients = (employee.email, *employer.approvers)
        uow.add(notify(kind, recipients, subject, body, about, self._app.now()))
