"""An employee's status and requirements."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from carepassport.application.compliance.requirements import RequirementsList
from carepassport.application.compliance.status import EmployeeStatus
from carepassport.domain.access.api_access import Role
from carepassport.entrypoints.http.core import READERS, Caller, allow
from carepassport.entrypoints.http.models import model_for

router = APIRouter(tags=["employees"])
SEES_EMPLOYEES = (Role.EMPLOYEE, Role.APPROVER, *READERS)


@router.get("/employees/{employee_id}/status", response_model=model_for(EmployeeStatus))
def employee_status(
    employee_id: str, caller: Annotated[Caller, Depends(allow(*SEES_EMPLOYEES))]
) -> Any:
    """Each micro-credential's state for one employee."""
    caller.check(lambda access, who: access.employee(who, employee_id))
    return caller.read(lambda s: s.statuses.of_employee(employee_id))


@router.get("/employees/{employee_id}/requirements", response_model=model_for(RequirementsList))
def employee_requirements(
    employee_id: str, caller: Annotated[Caller, Depends(allow(*SEES_EMPLOYEES))]
) -> Any:
    """What the employee must hold, and the state of each requirement now."""
    caller.check(lambda access, who: access.employee(who, employee_id))
    return caller.read(lambda s: s.requirements.of_employee(employee_id))
