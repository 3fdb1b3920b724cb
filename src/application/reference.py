"""Use cases for reference data: the catalogue, employers, employees, and settings."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Protocol

from carepassport.application.results import EmployeeView, EmployerView, SettingsView
from carepassport.application.store import CarePassportApplication
from carepassport.application.unit_of_work import UnitOfWork
from carepassport.domain.errors import AlreadyExists, InvalidValue, NotFound
from carepassport.domain.reference import (
    Catalogue,
    Employee,
    Employer,
    MicroCredential,
    RenewalBasis,
)
from carepassport.domain.settings import SettingsRecord
from carepassport.domain.sign_in import SignInAddress
from carepassport.domain.training.student_numbers import StudentNumberClaim
from carepassport.domain.values import (
    EmailAddress,
    EmployeeId,
    StudentNumber,
    credential_code,
    email_address,
    employee_id,
    employer_id,
    money,
    positive,
    student_number,
)

MAX_VALIDITY_DAYS = 3660
MAX_ACCESS_DAYS = 366
MAX_RETAKES_COVERED = 10
MAX_ATTEMPTS = 2
"""The quiz allows at most two attempts (R8)."""


def renewal_basis_of(value: str) -> str:
    """A known renewal basis."""
    try:
        return RenewalBasis(value.strip()).value
    except ValueError:
        known = ", ".join(b.value for b in RenewalBasis)
        raise InvalidValue(f"renewal basis must be one of {known}, not {value!r}") from None


class HeldResults(Protocol):
    """Results held for a student number nobody had (R11), released when an employee gets it:
    the training capability's intake, passed in so that reference data need not know it."""

    def reconcile(
        self, employee_id: EmployeeId, number: StudentNumber, at: datetime, uow: UnitOfWork
    ) -> int:
        """Release the results held for ``number`` to the employee, recorded at ``at``."""
        ...

    def claim(self, number: StudentNumber, uow: UnitOfWork) -> StudentNumberClaim | None:
        """The claim on ``number``, if anyone ever held it."""
        ...


class JobFunctionMembership(Protocol):
    """Who holds which job function: the compliance capability's job functions, passed in."""

    def join(self, record: Employee, name: str, now: datetime, uow: UnitOfWork) -> None:
        """Move ``record`` into job function ``name``."""
        ...


class ReferenceData:
    """Keeps the catalogue, employers, employees and settings."""

    def __init__(
        self,
        app: CarePassportApplication,
        intake: HeldResults,
        job_functions: JobFunctionMembership,
    ) -> None:
        self._app = app
        self._intake = intake
        self._job_functions = job_functions

    def add_micro_credential(
        self,
        code: str,
        title: str,
        *,
        validity_days: int = 365,
        access_days: int = 14,
        max_attempts: int = 2,
        fee: Decimal | str = Decimal("0"),
        prerequisites: list[str] | None = None,
        renewal_basis: str = "from_completion",
    ) -> MicroCredential:
        """Add a micro-credential to the catalogue."""
        now = self._app.now_for_write()
        if not title.strip():
            raise InvalidValue("a micro-credential needs a title")
        entry = MicroCredential(
            code=credential_code(code),
            title=title.strip(),
            validity_days=positive(validity_days, "validity days", MAX_VALIDITY_DAYS),
            access_days=positive(access_days, "access days", MAX_ACCESS_DAYS),
            max_attempts=positive(max_attempts, "max attempts", MAX_ATTEMPTS),
            fee=money(fee),
            prerequisites=tuple(credential_code(c) for c in prerequisites or []),
            renewal_basis=renewal_basis_of(renewal_basis),
        )
        catalogue = self.catalogue() or Catalogue.open(now)
        catalogue.add(entry, now)
        self._app.record(catalogue)
        return entry

    def catalogue(self) -> Catalogue | None:
        """The catalogue, if anything was ever added to it."""
        return self._app.find(Catalogue, Catalogue.identity())

    def list_micro_credentials(self) -> list[MicroCredential]:
        """Every catalogue entry, by code."""
        catalogue = self.catalogue()
        return sorted(catalogue.entries.values(), key=lambda e: e.code) if catalogue else []

    def micro_credential(self, code: str) -> MicroCredential:
        """One catalogue entry."""
        wanted = credential_code(code)
        catalogue = self.catalogue()
        if catalogue is None:
            raise NotFound(f"micro-credential {wanted} is not in the catalogue (it is empty)")
        return catalogue.entry(wanted)

    def add_employer(
        self, employer: str, *, name: str, approvers: list[str], retakes_covered: int = 0
    ) -> EmployerView:
        """Register an employer with its approver addresses and retake policy (R3, R13)."""
        now = self._app.now_for_write()
        eid = employer_id(employer)
        if not name.strip():
            raise InvalidValue("an employer needs a name")
        if not 0 <= retakes_covered <= MAX_RETAKES_COVERED:
            raise InvalidValue(f"retakes covered must be from 0 to {MAX_RETAKES_COVERED}")
        addresses = [email_address(a) for a in approvers]
        if self._app.find(Employer, Employer.identity(eid)):
            raise AlreadyExists(f"employer {eid} already exists")
        record = Employer.add(eid, name.strip(), addresses, retakes_covered, now)
        uow = UnitOfWork(self._app)
        uow.add(record)
        for address in record.approvers:
            self._may_sign_in(address, "approver", eid, now, uow)
        uow.commit()
        return EmployerView.of(record)

    def _may_sign_in(
        self, address: EmailAddress, role: str, subject: str, now: datetime, uow: UnitOfWork
    ) -> None:
        """``address`` signs in to the portal as ``role`` ``subject`` (ADR 0024)."""
        index = self._app.personal.index("email", address)
        known = uow.find(SignInAddress, SignInAddress.identity(index))
        if known is None:
            known = uow.add(SignInAddress.open(index, address, now))
        known.add(role, subject, now)

    def employer(self, employer: str) -> Employer:
        """One employer."""
        eid = employer_id(employer)
        return self._app.load(Employer, Employer.identity(eid), f"employer {eid}")

    def show_employer(self, employer: str) -> EmployerView:
        """One employer as callers see it."""
        return EmployerView.of(self.employer(employer))

    def add_employee(
        self,
        employee: str,
        *,
        employer: str,
        email: str,
        student_number_: str | None = None,
        job_function: str | None = None,
    ) -> EmployeeView:
        """Register an employee of a known employer."""
        now = self._app.now_for_write()
        eid = employee_id(employee)
        employer_record = self.employer(employer)
        address = email_address(email)
        number = student_number(student_number_) if student_number_ else None
        if self._app.find(Employee, Employee.identity(eid)):
            raise AlreadyExists(f"employee {eid} already exists")
        uow = UnitOfWork(self._app)
        function = job_function.strip() if job_function and job_function.strip() else None
        record = uow.add(
            Employee.add(eid, employer_record.employer_id, address, number, function, now)
        )
        self._may_sign_in(address, "employee", eid, now, uow)
        if number is not None:
            self._hold_student_number(record, number, now, uow)
        if function is not None:
            self._job_functions.join(record, function, now, uow)
        uow.commit()
        return EmployeeView.of(record)

    def set_student_number(self, employee: str, number: str) -> EmployeeView:
        """Set or correct an employee's student number (R11): results held for it are applied
        now, in order, and count as recorded at this moment."""
        now = self._app.now_for_write()
        uow = UnitOfWork(self._app)
        record = uow.add(self.employee(employee))
        new = student_number(number)
        previous = record.student_number
        if record.change_student_number(new, now):
            if previous is not None:
                claim = self._intake.claim(previous, uow)
                if claim is not None:
                    claim.release(record.employee_id, now)
            self._hold_student_number(record, new, now, uow)
        uow.commit()
        return EmployeeView.of(record)

    def _hold_student_number(
        self, record: Employee, number: StudentNumber, now: datetime, uow: UnitOfWork
    ) -> None:
        claim = self._intake.claim(number, uow)
        if claim is None:
            index = self._app.personal.index("student", number)
            uow.add(StudentNumberClaim.assign(number, index, record.employee_id, now))
        else:
            claim.reassign(record.employee_id, now)
        self._intake.reconcile(record.employee_id, number, now, uow)

    def employee(self, employee: str) -> Employee:
        """One employee."""
        eid = employee_id(employee)
        return self._app.load(Employee, Employee.identity(eid), f"employee {eid}")

    def show_employee(self, employee: str) -> EmployeeView:
        """One employee as callers see it."""
        return EmployeeView.of(self.employee(employee))

    def change_setting(self, key: str, value: str) -> SettingsView:
        """Record a change of a setting that shapes decisions (a ``SettingChanged`` event)."""
        now = self._app.now_for_write()
        record = self._app.find(SettingsRecord, SettingsRecord.identity())
        record = record or SettingsRecord.open(now)
        record.change(key, value, now)
        if any(isinstance(e, SettingsRecord.SettingChanged) for e in record.pending_events):
            self._app.record(record)
        return self.show_settings()

    def show_settings(self) -> SettingsView:
        """The settings in force, with the calendar they describe."""
        settings = self._app.settings()
        return SettingsView.of(settings, self._app.business_calendar(settings).calendar_id)
