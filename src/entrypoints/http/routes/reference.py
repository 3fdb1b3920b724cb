"""Reference data: the catalogue, employers, employees, job functions and settings (the
college keeps them; auditors read them; an approver reads their own employer and employees)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import Field

from carepassport.application.compliance.job_functions import EmployeeRequirements, JobFunctionView
from carepassport.application.people import ErasureView
from carepassport.application.results import EmployeeView, EmployerView, SettingsView
from carepassport.domain.access.api_access import Role
from carepassport.domain.reference import MicroCredential
from carepassport.entrypoints.http.core import READERS, Caller, allow
from carepassport.entrypoints.http.models import Strict, list_of, model_for

router = APIRouter(tags=["reference data"])
College = Annotated[Caller, Depends(allow(Role.COLLEGE))]
Readers = Annotated[Caller, Depends(allow(*READERS))]
ReadersAndApprover = Annotated[Caller, Depends(allow(Role.APPROVER, *READERS))]
Requirements = model_for(EmployeeRequirements)
Text = Annotated[str, Field(min_length=1)]


class MicroCredentialRequest(Strict):
    code: Text
    title: Text
    validity_days: int = 365
    access_days: int = 14
    max_attempts: int = 2
    fee: Decimal = Field(Decimal("0.00"), description="Registration fee in dollars.")
    prerequisites: list[str] = []
    renewal_basis: Literal["from_completion", "from_previous_expiry"] = "from_completion"


class EmployerRequest(Strict):
    employer_id: Text
    name: Text
    approvers: list[str] = Field(min_length=1, description="Approvers' e-mail addresses.")
    retakes_covered: int = 0


class EmployeeRequest(Strict):
    employee_id: Text
    employer_id: Text
    email: Text
    student_number: str | None = None
    job_function: str | None = None


class StudentNumberRequest(Strict):
    student_number: Text


class JobFunctionChoice(Strict):
    name: str = Field(min_length=1, description="The job function's name.")


class RequiredCredential(Strict):
    code: str = Field(min_length=1, description="The micro-credential's code.")


class JobFunctionRequest(Strict):
    name: Text
    requires: list[str] = Field(min_length=1, description="Micro-credential codes.")


class JobFunctionRequirements(Strict):
    requires: list[str] = Field(min_length=1, description="Micro-credential codes.")


class ErasureRequest(Strict):
    reason: str = Field(min_length=1, description="Why (e.g. the request's reference).")


class SettingChange(Strict):
    key: str = Field(min_length=1, description="college_email, optional_holidays, closure_days")
    value: str


@router.post("/catalogue", status_code=201, response_model=model_for(MicroCredential))
def add_micro_credential(body: MicroCredentialRequest, caller: College) -> Any:
    """Add a micro-credential to the catalogue."""
    fields = body.model_dump(exclude={"code", "title"})
    return caller.command(
        lambda s: s.reference.add_micro_credential(body.code, body.title, **fields), body, 201
    )


@router.get("/catalogue", response_model=list_of(MicroCredential))
def list_micro_credentials(caller: Readers) -> Any:
    """Every catalogue entry, by code."""
    return caller.read(lambda s: s.reference.list_micro_credentials())


@router.post("/employers", status_code=201, response_model=model_for(EmployerView))
def add_employer(body: EmployerRequest, caller: College) -> Any:
    """Register an employer with its approvers and retake policy (R3, R13)."""
    return caller.command(
        lambda s: s.reference.add_employer(
            body.employer_id,
            name=body.name,
            approvers=body.approvers,
            retakes_covered=body.retakes_covered,
        ),
        body,
        201,
    )


@router.get("/employers/{employer_id}", response_model=model_for(EmployerView))
def show_employer(employer_id: str, caller: ReadersAndApprover) -> Any:
    """One employer: its name, approvers and retake policy."""
    caller.check(lambda access, who: access.employer(who, employer_id))
    return caller.read(lambda s: s.reference.show_employer(employer_id))


@router.post("/employees", status_code=201, response_model=model_for(EmployeeView))
def add_employee(body: EmployeeRequest, caller: College) -> Any:
    """Register an employee of a known employer."""
    return caller.command(
        lambda s: s.reference.add_employee(
            body.employee_id,
            employer=body.employer_id,
            email=body.email,
            student_number_=body.student_number,
            job_function=body.job_function,
        ),
        body,
        201,
    )


@router.get("/employees/{employee_id}", response_model=model_for(EmployeeView))
def show_employee(employee_id: str, caller: ReadersAndApprover) -> Any:
    """One employee: employer, e-mail, student number, job function."""
    caller.check(lambda access, who: access.employee(who, employee_id))
    return caller.read(lambda s: s.reference.show_employee(employee_id))


@router.post("/people/{person_id}/erase", response_model=model_for(ErasureView))
def erase_person(person_id: str, body: ErasureRequest, caller: College) -> Any:
    """Erase an employee's or job seeker's personal data (crypto-shredding, ADR 0023): their
    keys are deleted, so their e-mail, student numbers, name and the messages naming them read
    as ``[erased]`` everywhere; history, reports, badges and the audit log stay intact."""
    by = caller.principal.caller
    return caller.command(lambda s: s.people.erase(person_id, body.reason, by), body)


@router.post("/employees/{employee_id}/student-number", response_model=model_for(EmployeeView))
def set_student_number(employee_id: str, body: StudentNumberRequest, caller: College) -> Any:
    """Set or correct a student number; results held for it are applied now (R11)."""
    return caller.command(
        lambda s: s.reference.set_student_number(employee_id, body.student_number), body
    )


@router.post("/employees/{employee_id}/job-function", response_model=Requirements)
def assign_job_function(employee_id: str, body: JobFunctionChoice, caller: College) -> Any:
    """Give an employee a job function and exactly its requirements (R1)."""
    return caller.command(lambda s: s.job_functions.assign(employee_id, body.name), body)


@router.post("/employees/{employee_id}/requirements", response_model=Requirements)
def require_credential(employee_id: str, body: RequiredCredential, caller: College) -> Any:
    """Add an individual requirement beyond the employee's job function."""
    return caller.command(lambda s: s.job_functions.require(employee_id, body.code), body)


@router.post("/employees/{employee_id}/leave", response_model=Requirements)
def leave(employee_id: str, caller: College) -> Any:
    """The employee left the employer: no more reminders, out of the reports."""
    return caller.command(lambda s: s.job_functions.leave(employee_id))


@router.post("/job-functions", status_code=201, response_model=model_for(JobFunctionView))
def add_job_function(body: JobFunctionRequest, caller: College) -> Any:
    """Define a job function's required micro-credentials."""
    return caller.command(lambda s: s.job_functions.add(body.name, body.requires), body, 201)


@router.post("/job-functions/{name}/requirements", response_model=model_for(JobFunctionView))
def set_job_function_requirements(name: str, body: JobFunctionRequirements, caller: College) -> Any:
    """Change a job function's requirements; its employees' requirements follow."""
    return caller.command(lambda s: s.job_functions.set_requirements(name, body.requires), body)


@router.post("/settings", response_model=model_for(SettingsView))
def change_setting(body: SettingChange, caller: College) -> Any:
    """Change a setting that shapes decisions (recorded as an event)."""
    return caller.command(lambda s: s.reference.change_setting(body.key, body.value), body)


@router.get("/settings", response_model=model_for(SettingsView))
def show_settings(caller: Readers) -> Any:
    """The settings in force, with the calendar they describe."""
    return caller.read(lambda s: s.reference.show_settings())
