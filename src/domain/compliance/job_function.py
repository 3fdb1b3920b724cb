"""Job functions: which micro-credentials a role requires, and who holds the role (R1)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate

from carepassport.domain.base import CreatedEvent, DomainEvent, aggregate_id
from carepassport.domain.errors import AlreadyExists, InvalidValue, NotFound
from carepassport.domain.values import CredentialCode, EmployeeId


class JobFunction(Aggregate):
    """A job function's required micro-credentials and its members.

    A job function named by an employee before the college defined it exists without
    requirements (``defined`` is false) until ``define`` gives it some.
    """

    class JobFunctionOpened(CreatedEvent):
        name: str
        opened_at: datetime
        business_time_field = "opened_at"

    class RequirementsSet(DomainEvent):
        requires: list[str]
        previous: list[str]
        set_at: datetime
        business_time_field = "set_at"

        def apply(self, aggregate: JobFunction) -> None:
            aggregate.requires = [CredentialCode(c) for c in self.requires]
            aggregate.defined = True

    class MemberJoined(DomainEvent):
        employee_id: str
        joined_at: datetime
        business_time_field = "joined_at"

        def apply(self, aggregate: JobFunction) -> None:
            aggregate.members.add(EmployeeId(self.employee_id))

    class MemberLeft(DomainEvent):
        employee_id: str
        left_at: datetime
        business_time_field = "left_at"

        def apply(self, aggregate: JobFunction) -> None:
            aggregate.members.discard(EmployeeId(self.employee_id))

    def __init__(self, name: str, opened_at: datetime) -> None:
        self.name = name
        self.requires: list[CredentialCode] = []
        self.defined = False
        self.members: set[EmployeeId] = set()

    @staticmethod
    def identity(name: str) -> UUID:
        """The job function called ``name`` (names compare case-insensitively)."""
        return aggregate_id("job-function", name.strip().casefold())

    @classmethod
    def open(cls, name: str, at: datetime) -> JobFunction:
        """A job function known by name, without requirements yet."""
        if not name.strip():
            raise InvalidValue("a job function needs a name")
        return cls._create(
            cls.JobFunctionOpened,
            id=cls.identity(name),
            timestamp=at,
            name=name.strip(),
            opened_at=at,
        )

    def define(self, requires: list[CredentialCode], at: datetime) -> None:
        """Give a new job function its requirements (refused if it already has some)."""
        if self.defined:
            raise AlreadyExists(f"job function {self.name} is already defined")
        self._set(requires, at)

    def set_requirements(self, requires: list[CredentialCode], at: datetime) -> None:
        """Change a defined job function's requirements."""
        if not self.defined:
            raise NotFound(f"job function {self.name} is not defined")
        if sorted(set(requires)) != sorted(self.requires):
            self._set(requires, at)

    def join(self, employee: EmployeeId, at: datetime) -> None:
        """An employee takes on this job function."""
        if employee not in self.members:
            self.trigger_event(self.MemberJoined, timestamp=at, employee_id=employee, joined_at=at)

    def leave(self, employee: EmployeeId, at: datetime) -> None:
        """An employee no longer holds this job function."""
        if employee in self.members:
            self.trigger_event(self.MemberLeft, timestamp=at, employee_id=employee, left_at=at)

    def _set(self, requires: list[CredentialCode], at: datetime) -> None:
        if not requires:
            raise InvalidValue(f"job function {self.name} must require at least one code")
        self.trigger_event(
            self.RequirementsSet,
            timestamp=at,
            requires=sorted(set(requires)),
            previous=list(self.requires),
            set_at=at,
        )
