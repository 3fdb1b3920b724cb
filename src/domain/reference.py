"""Reference data: the micro-credential catalogue, employers and employees."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

import attrs
from eventsourcing.domain import Aggregate

from carepassport.domain.base import CreatedEvent, DomainEvent, aggregate_id
from carepassport.domain.errors import AlreadyExists, InvalidTransition, NotAnApprover, NotFound
from carepassport.domain.values import (
    CredentialCode,
    EmailAddress,
    EmployeeId,
    EmployerId,
    StudentNumber,
)


class RenewalBasis(StrEnum):
    """Where a renewal's validity counts from."""

    FROM_COMPLETION = "from_completion"
    FROM_PREVIOUS_EXPIRY = "from_previous_expiry"


@attrs.frozen
class MicroCredential:
    """A catalogue entry: how long access and validity last, how many attempts, the fee."""

    code: CredentialCode
    title: str
    validity_days: int
    access_days: int
    max_attempts: int
    fee: Decimal
    prerequisites: tuple[CredentialCode, ...] = ()
    renewal_basis: str = "from_completion"


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
        prerequisites: list[str]
        renewal_basis: str
        added_at: datetime
        business_time_field = "added_at"
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, object]) -> None:
            """Entries added before prerequisites and renewal bases existed had neither."""
            state["prerequisites"] = []
            state["renewal_basis"] = "from_completion"

        def apply(self, aggregate: Catalogue) -> None:
            aggregate.entries[CredentialCode(self.code)] = MicroCredential(
                code=CredentialCode(self.code),
                title=self.title,
                validity_days=self.validity_days,
                access_days=self.access_days,
                max_attempts=self.max_attempts,
                fee=self.fee,
                prerequisites=tuple(CredentialCode(c) for c in self.prerequisites),
                renewal_basis=self.renewal_basis,
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
        unknown = [c for c in entry.prerequisites if c not in self.entries]
        if unknown:
            raise NotFound(f"prerequisite(s) not in the catalogue: {', '.join(unknown)}")
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
        personal: ClassVar[dict[str, str]] = {"approvers": "email"}
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


JOB_FUNCTION_SOURCE = "job_function"
INDIVIDUAL_SOURCE = "individual"


class Employee(Aggregate):
    """An employee of an employer, known to the LMS by student number."""

    class EmployeeAdded(CreatedEvent):
        personal: ClassVar[dict[str, str]] = {"email": "email", "student_number": "student"}
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
        self.requirements: dict[CredentialCode, set[str]] = {}
        self.left_at: datetime | None = None

    class JobFunctionAssigned(DomainEvent):
        job_function: str
        previous: str | None
        assigned_at: datetime
        business_time_field = "assigned_at"

        def apply(self, aggregate: Employee) -> None:
            aggregate.job_function = self.job_function

    class RequirementAssigned(DomainEvent):
        code: str
        source: str
        assigned_at: datetime
        business_time_field = "assigned_at"

        def apply(self, aggregate: Employee) -> None:
            aggregate.requirements.setdefault(CredentialCode(self.code), set()).add(self.source)

    class RequirementWithdrawn(DomainEvent):
        code: str
        source: str
        withdrawn_at: datetime
        business_time_field = "withdrawn_at"

        def apply(self, aggregate: Employee) -> None:
            sources = aggregate.requirements.get(CredentialCode(self.code), set())
            sources.discard(self.source)
            if not sources:
                aggregate.requirements.pop(CredentialCode(self.code), None)

    class EmployeeLeft(DomainEvent):
        left_at: datetime
        business_time_field = "left_at"

        def apply(self, aggregate: Employee) -> None:
            aggregate.left_at = self.left_at

    @property
    def required(self) -> list[CredentialCode]:
        """R1: every micro-credential this employee must hold, by code."""
        return sorted(self.requirements)

    def assign_job_function(self, name: str, requires: list[CredentialCode], at: datetime) -> None:
        """R1: take on a job function and exactly its requirements (individual ones stay)."""
        if name != self.job_function:
            self.trigger_event(
                self.JobFunctionAssigned,
                timestamp=at,
                job_function=name,
                previous=self.job_function,
                assigned_at=at,
            )
        self.require_from(JOB_FUNCTION_SOURCE, requires, at)

    def require_from(self, source: str, codes: list[CredentialCode], at: datetime) -> None:
        """Make ``codes`` exactly what ``source`` requires: assign the new, withdraw the rest."""
        held = {code for code, sources in self.requirements.items() if source in sources}
        for code in sorted(set(codes) - held):
            self.trigger_event(
                self.RequirementAssigned, timestamp=at, code=code, source=source, assigned_at=at
            )
        for code in sorted(held - set(codes)):
            self.trigger_event(
                self.RequirementWithdrawn, timestamp=at, code=code, source=source, withdrawn_at=at
            )

    def require_individually(self, code: CredentialCode, at: datetime) -> None:
        """R1: a requirement of this employee beyond their job function's."""
        current = [c for c, s in self.requirements.items() if INDIVIDUAL_SOURCE in s]
        self.require_from(INDIVIDUAL_SOURCE, [*current, code], at)

    def leave(self, at: datetime) -> None:
        """The employee left the employer: no more reminders, not in reports."""
        if self.left_at is not None:
            raise InvalidTransition(f"employee {self.employee_id} has already left")
        self.trigger_event(self.EmployeeLeft, timestamp=at, left_at=at)

    class StudentNumberChanged(DomainEvent):
        personal: ClassVar[dict[str, str]] = {"student_number": "student", "previous": "student"}
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
