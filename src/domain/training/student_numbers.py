"""Student numbers: the key by which LMS results find their employee (R11). One holder each."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from carepassport.domain.base import CreatedEvent, DomainEvent, aggregate_id
from carepassport.domain.errors import AlreadyExists
from carepassport.domain.values import EmployeeId, StudentNumber


class StudentNumberClaim(Aggregate):
    """Which employee, if any, holds a student number; no two employees hold the same one."""

    class StudentNumberAssigned(CreatedEvent):
        personal: ClassVar[dict[str, str]] = {"student_number": "student"}
        student_number: str
        employee_id: str
        assigned_at: datetime
        business_time_field = "assigned_at"

    class StudentNumberReassigned(DomainEvent):
        employee_id: str
        assigned_at: datetime
        business_time_field = "assigned_at"

        def apply(self, aggregate: StudentNumberClaim) -> None:
            aggregate.holder = EmployeeId(self.employee_id)

    class StudentNumberReleased(DomainEvent):
        employee_id: str
        released_at: datetime
        business_time_field = "released_at"

        def apply(self, aggregate: StudentNumberClaim) -> None:
            aggregate.holder = None

    def __init__(self, student_number: str, employee_id: str, assigned_at: datetime) -> None:
        self.student_number = StudentNumber(student_number)
        self.holder: EmployeeId | None = EmployeeId(employee_id)

    @staticmethod
    def identity(index: str) -> UUID:
        """The claim on the student number whose blind index is ``index`` (the id reveals
        nothing of the number, ADR 0023)."""
        return aggregate_id("student-number-index", index)

    @staticmethod
    def legacy_identity(number: StudentNumber) -> UUID:
        """The claim's id in stores written before student numbers were indexed blindly."""
        return aggregate_id("student-number", number)

    @classmethod
    def assign(
        cls, number: StudentNumber, index: str, employee: EmployeeId, at: datetime
    ) -> StudentNumberClaim:
        """The first holder of a student number (``index``: its blind index)."""
        return cls._create(
            cls.StudentNumberAssigned,
            id=cls.identity(index),
            timestamp=at,
            student_number=number,
            employee_id=employee,
            assigned_at=at,
        )

    def reassign(self, employee: EmployeeId, at: datetime) -> None:
        """Give a released number to an employee; refused while someone else holds it."""
        if self.holder == employee:
            return
        if self.holder is not None:
            raise AlreadyExists(
                f"student number {self.student_number} belongs to employee {self.holder}"
            )
        self.trigger_event(
            self.StudentNumberReassigned, timestamp=at, employee_id=employee, assigned_at=at
        )

    def release(self, employee: EmployeeId, at: datetime) -> None:
        """The holder no longer uses this number."""
        if self.holder == employee:
            self.trigger_event(
                self.StudentNumberReleased, timestamp=at, employee_id=employee, released_at=at
            )
