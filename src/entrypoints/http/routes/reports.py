"""Reports: an employer's compliance, and an employee's requirements, as JSON or CSV."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from carepassport.application.compliance.reports import ComplianceReport
from carepassport.domain.access.api_access import Role
from carepassport.entrypoints.http.core import READERS, Caller, allow
from carepassport.entrypoints.http.models import model_for
from carepassport.entrypoints.http.routes.employees import SEES_EMPLOYEES

router = APIRouter(tags=["reports"])
SeesEmployer = Annotated[Caller, Depends(allow(Role.APPROVER, *READERS))]
CSV = "text/csv; charset=utf-8"
AS_CSV: dict[int | str, dict[str, Any]] = {200: {"content": {"text/csv": {}}}}


@router.get("/employers/{employer_id}/compliance", response_model=model_for(ComplianceReport))
def compliance(employer_id: str, caller: SeesEmployer, job_function: str | None = None) -> Any:
    """Who is compliant, expiring, expired, in progress or failed, now."""
    caller.check(lambda access, who: access.employer(who, employer_id))
    return caller.read(lambda s: s.reports.compliance(employer_id, job_function))


@router.get("/employers/{employer_id}/compliance.csv", response_class=Response, responses=AS_CSV)
def compliance_csv(
    employer_id: str, caller: SeesEmployer, job_function: str | None = None
) -> Response:
    """The compliance report as CSV, for a spreadsheet."""
    caller.check(lambda access, who: access.employer(who, employer_id))
    text = caller.core.call(
        lambda s: s.reports.as_csv(s.reports.compliance(employer_id, job_function))
    )
    return Response(text, media_type=CSV)


@router.get("/employees/{employee_id}/requirements.csv", response_class=Response, responses=AS_CSV)
def requirements_csv(
    employee_id: str, caller: Annotated[Caller, Depends(allow(*SEES_EMPLOYEES))]
) -> Response:
    """An employee's requirements and their state now, as CSV."""
    caller.check(lambda access, who: access.employee(who, employee_id))
    text = caller.core.call(lambda s: s.requirements.as_csv(employee_id))
    return Response(text, media_type=CSV)
