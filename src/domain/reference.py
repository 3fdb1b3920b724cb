"""Reference data: the micro-credential catalogue, employers and employees."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

import attrs
from eventsourcing.domain import Aggregate

from carepassport.domain.base import CreatedEvent, DomainEvent, aggregate_id
from carepassport.domain.errors import AlreadyExists, NotAnApprover, NotFound
from carepassport.domain.values import (
    CredentialCode,
    EmailAddress,
    EmployeeId,
    EmployerId,
    StudentNumber,
)


@attrs.frozen
class MicroCredential:
    """A catalogue entry: how long access and validity last, how many attempts, the fee."""

    code: CredentialCode
    title: str
    validity_days: int
    access_days: int
    max_attempts: int
    fee: Decimal


class Catalogue(Aggregate):
    """The college's micro-credential catalogue (one per store)."""

    class CatalogueOpened(CreatedEvent):
        opened_at: datetime
        business_time_field = "opened_at"

    class MicroCredentialAdded(DomainEvent):
        code: str
        title: str
        validity_days: int
        access_days: int
        max_attempts: int
        fee: Decimal
        added_at: datetime
        business_time_field = "added_at"

        def apply(self, aggregate: Catalogue) -> None:
            aggregate.entries[CredentialCode(self.code)] = MicroCredential(
                code=CredentialCode(self.code),
                title=self.title,
                validity_days=self.validity_days,
                access_days=self.access_days,
                max_attempts=self.max_attempts,
                fee=self.fee,
            )

    def __init__(self, opened_at: datetime) -> None:
        self.entries: dict[CredentialCode, MicroCredential] = {}

    @staticmethod
    def identity() -> UUID:
        """The catalogue's fixed identity."""
        return aggregate_id("catalogue")

    @classmethod
    def open(cls, opened_at: datetime) -> Catalogue:
        """Open the store's catalogue."""
        return cls._create(
            cls.CatalogueOpened,
            id=cls.identity(),
            timestamp=opened_at,
            opened_at=opened_at,
        )

    def add(self, entry: MicroCredential, added_at: datetime) -> None:
        """Add a micro-credential; its code must be new."""
        if entry.code in self.entries:
            raise AlreadyExists(f"micro-credential {entry.code} is already in the catalogue")
        self.trigger_event(
            self.MicroCredentialAdded,
            timestamp=added_at,
            added_at=added_at,
            **attrs.asdict(entry),
        )

    def entry(self, code: CredentialCode) -> MicroCredential:
        """The catalogue entry for ``code``."""
        try:
            return self.entries[code]
        except KeyError:
            raise NotFound(f"micro-credential {code} is not in the catalogue") from None


class Employer(Aggregate):
    """An employer: who approves sponsorships, and how many retakes it pays for (R3, R13)."""

    class EmployerAdded(CreatedEvent):
        employer_id: str
        name: str
        approvers: list[str]
        retakes_covered: int
        added_at: datetime
        business_time_field = "added_at"

    def __init__(
        self,
        employer_id: str,
        name: str,
        approvers: list[str],
        retakes_covered: int,
        added_at: datetime,
    ) -> None:
        self.employer_id = EmployerId(employer_id)
        self.name = name
        self.approvers = tuple(EmailAddress(a) for a in approvers)
        self.retakes_covered = retakes_covered

    @staticmethod
    def identity(employer: EmployerId) -> UUID:
        """The employer's aggregate id."""
        return aggregate_id("employer", employer)

    @classmethod
    def add(
        cls,
        employer: EmployerId,
        name: str,
        approvers: list[EmailAddress],
        retakes_covered: int,
        added_at: datetime,
    ) -> Employer:
        """Register an employer with at least one approver address."""
        if not approvers:
            raise NotAnApprover(f"employer {employer} needs at least one approver address")
        return cls._create(
            cls.EmployerAdded,
            id=cls.identity(employer),
            timestamp=added_at,
            employer_id=employer,
            name=name,
            approvers=sorted(set(approvers)),
            retakes_covered=retakes_covered,
            added_at=added_at,
        )

    def require_approver(self, address: EmailAddress) -> None:
        """Refuse an address that is not one of this employer's approvers (R3)."""
        if address not in self.approvers:
            raise NotAnApprover(
                f"{address} is not a registered approver for employer {self.employer_id}"
            )


class Employee(Aggregate):
    """An employee of an employer, known to the LMS by student number."""

    class EmployeeAdded(CreatedEvent):
        employee_id: str
        employer_id: str
        email: str
        student_number: str | None
        job_function: str | None
        added_at: datetime
        business_time_field = "added_at"

    def __init__(
        self,
        employee_id: str,
        employer_id: str,
        email: str,
        student_number: str | None,
        job_function: str | None,
        added_at: datetime,
    ) -> None:
        self.employee_id = EmployeeId(employee_id)
        self.employer_id = EmployerId(employer_id)
        self.email = EmailAddress(email)
        self.student_number = StudentNumber(student_number) if student_number else None
        self.job_function = job_function

    class StudentNumberChanged(DomainEvent):
        student_number: str
        previous: str | None
        changed_at: datetime
        business_time_field = "changed_at"

        def apply(self, aggregate: Employee) -> None:
            aggregate.student_number = StudentNumber(self.student_number)

    def change_student_number(self, number: StudentNumber, at: datetime) -> bool:
        """Set or correct the student number (R11). False if it is already this one."""
        if number == self.student_number:
            return False
        self.trigger_event(
            self.StudentNumberChanged,
            timestamp=at,
            student_number=number,
            previous=self.student_number,
            changed_at=at,
        )
        return True

    @staticmethod
    def identity(employee: EmployeeId) -> UUID:
        """The employee's aggregate id."""
        return aggregate_id("employee", employee)

    @classmethod
    def add(
        cls,
        employee: EmployeeId,
        employer: EmployerId,
        email: EmailAddress,
        student_number: StudentNumber | None,
        job_function: str | None,
        added_at: datetime,
    ) -> Employee:
        """Register an employee."""
        return cls._create(
            cls.EmployeeAdded,
            id=cls.identity(employee),
            timestamp=added_at,
            employee_id=employee,
            employer_id=employer,
            email=email,
            student_number=student_number,
            job_function=job_function,
            added_at=added_at,
        )
