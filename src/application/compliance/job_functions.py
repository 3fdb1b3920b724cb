"""Use cases for job functions and employees' requirements (R1, and each one's action plan)."""

from __future__ import annotations

from datetime import datetime

import attrs

from carepassport.application.store import CarePassportApplication
from carepassport.application.unit_of_work import UnitOfWork
from carepassport.domain.compliance.job_function import JobFunction
from carepassport.domain.errors import NotFound
from carepassport.domain.reference import Catalogue, Employee
from carepassport.domain.values import CredentialCode, credential_code, employee_id


@attrs.frozen
class JobFunctionView:
    """A job function as callers see it."""

    name: str
    requires: list[str]
    members: list[str]

    @classmethod
    def of(cls, job_function: JobFunction) -> JobFunctionView:
        """Present a job function."""
        return cls(job_function.name, list(job_function.requires), sorted(job_function.members))


@attrs.frozen
class EmployeeRequirements:
    """What an employee is required to hold, and why."""

    employee_id: str
    job_function: str | None
    requires: dict[str, list[str]]

    @classmethod
    def of(cls, employee: Employee) -> EmployeeRequirements:
        """Present an employee's requirements with their sources."""
        return cls(
            employee.employee_id,
            employee.job_function,
            {code: sorted(sources) for code, sources in sorted(employee.requirements.items())},
        )


class JobFunctions:
    """Keeps job functions and, through them, employees' requirements in step."""

    def __init__(self, app: CarePassportApplication) -> None:
        self._app = app

    def add(self, name: str, requires: list[str]) -> JobFunctionView:
        """Define a job function; employees who already named it receive its requirements."""
        now = self._app.now_for_write()
        codes = self._known(requires)
        uow = UnitOfWork(self._app)
        job_function = uow.find(JobFunction, JobFunction.identity(name))
        job_function = job_function or uow.add(JobFunction.open(name, now))
        job_function.define(codes, now)
        self._update_members(job_function, uow, now)
        uow.commit()
        return JobFunctionView.of(job_function)

    def set_requirements(self, name: str, requires: list[str]) -> JobFunctionView:
        """Change what a job function requires; every member's requirements follow (R1)."""
        now = self._app.now_for_write()
        codes = self._known(requires)
        uow = UnitOfWork(self._app)
        job_function = uow.find(JobFunction, JobFunction.identity(name))
        if job_function is None:
            raise NotFound(f"job function {name} not found")
        job_function.set_requirements(codes, now)
        self._update_members(job_function, uow, now)
        uow.commit()
        return JobFunctionView.of(job_function)

    def assign(self, employee: str, name: str) -> EmployeeRequirements:
        """An employee takes on a job function and exactly its requirements."""
        now = self._app.now_for_write()
        uow = UnitOfWork(self._app)
        record = uow.employee(employee_id(employee))
        self.join(record, name, now, uow)
        uow.commit()
        return EmployeeRequirements.of(record)

    def join(self, record: Employee, name: str, now: datetime, uow: UnitOfWork) -> None:
        """Move ``record`` into job function ``name`` (known by name even if not yet defined)."""
        if record.job_function and record.job_function.casefold() != name.strip().casefold():
            previous = uow.find(JobFunction, JobFunction.identity(record.job_function))
            if previous is not None:
                previous.leave(record.employee_id, now)
        job_function = uow.find(JobFunction, JobFunction.identity(name))
        job_function = job_function or uow.add(JobFunction.open(name, now))
        job_function.join(record.employee_id, now)
        record.assign_job_function(job_function.name, list(job_function.requires), now)

    def leave(self, employee: str) -> EmployeeRequirements:
        """The employee left: no more reminders, out of the reports and the job function."""
        now = self._app.now_for_write()
        uow = UnitOfWork(self._app)
        record = uow.employee(employee_id(employee))
        record.leave(now)
        if record.job_function:
            job_function = uow.find(JobFunction, JobFunction.identity(record.job_function))
            if job_function is not None:
                job_function.leave(record.employee_id, now)
        uow.commit()
        return EmployeeRequirements.of(record)

    def require(self, employee: str, code: str) -> EmployeeRequirements:
        """R1: an individual requirement beyond the employee's job function."""
        now = self._app.now_for_write()
        wanted = self._known([code])[0]
        uow = UnitOfWork(self._app)
        record = uow.employee(employee_id(employee))
        record.require_individually(wanted, now)
        uow.commit()
        return EmployeeRequirements.of(record)

    def _update_members(self, job_function: JobFunction, uow: UnitOfWork, now: datetime) -> None:
        for member in sorted(job_function.members):
            record = uow.employee(member)
            if record.left_at is None:
                record.assign_job_function(job_function.name, list(job_function.requires), now)

    def _known(self, codes: list[str]) -> list[CredentialCode]:
        wanted = [credential_code(c) for c in codes]
        catalogue = self._app.find(Catalogue, Catalogue.identity())
        for code in wanted:
            if catalogue is None:
                raise NotFound(f"micro-credential {code} is not in the catalogue (it is empty)")
            catalogue.entry(code)
        return wanted
