"""Sponsorships: an employee (or their employer) asks, an approver answers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import Field

from carepassport.application.training.views import SponsorshipView
from carepassport.domain.access.api_access import Role
from carepassport.entrypoints.http.core import READERS, Caller, allow
from carepassport.entrypoints.http.models import Strict, model_for

router = APIRouter(tags=["sponsorships"])
View = model_for(SponsorshipView)


class SponsorshipRequest(Strict):
    employee_id: str = Field(min_length=1)
    credentials: list[str] = Field(min_length=1, description="Micro-credential codes.")


class ApproverAnswer(Strict):
    by: str = Field(min_length=1, description="The approver's e-mail address.")


@router.post("/sponsorships", status_code=201, response_model=View)
def request_sponsorship(
    body: SponsorshipRequest,
    caller: Annotated[Caller, Depends(allow(Role.EMPLOYEE, Role.APPROVER))],
) -> Any:
    """Ask the employer to sponsor retakes (an employee for themself, an approver for one of
    their employees)."""
    caller.check(lambda access, who: access.employee(who, body.employee_id))
    return caller.command(
        lambda s: s.sponsorships.request(body.employee_id, body.credentials), body, 201
    )


@router.post("/employees/{employee_id}/renewals", status_code=201, response_model=View)
def request_renewals(
    employee_id: str, caller: Annotated[Caller, Depends(allow(Role.EMPLOYEE, Role.APPROVER))]
) -> Any:
    """Ask for sponsorship of every required micro-credential that is due for renewal."""
    caller.check(lambda access, who: access.employee(who, employee_id))
    return caller.command(lambda s: s.requirements.request_renewals(employee_id), None, 201)


@router.post("/sponsorships/{sponsorship_id}/approve", response_model=View)
def approve(
    sponsorship_id: str,
    body: ApproverAnswer,
    caller: Annotated[Caller, Depends(allow(Role.APPROVER))],
) -> Any:
    """An approver of the employee's employer approves (R3)."""
    caller.check(lambda access, who: access.sponsorship(who, sponsorship_id))
    return caller.command(lambda s: s.sponsorships.approve(sponsorship_id, by=body.by), body)


@router.post("/sponsorships/{sponsorship_id}/decline", response_model=View)
def decline(
    sponsorship_id: str,
    body: ApproverAnswer,
    caller: Annotated[Caller, Depends(allow(Role.APPROVER))],
) -> Any:
    """An approver of the employee's employer declines."""
    caller.check(lambda access, who: access.sponsorship(who, sponsorship_id))
    return caller.command(lambda s: s.sponsorships.decline(sponsorship_id, by=body.by), body)


@router.get("/sponsorships/{sponsorship_id}", response_model=View)
def show_sponsorship(
    sponsorship_id: str,
    caller: Annotated[Caller, Depends(allow(Role.EMPLOYEE, Role.APPROVER, *READERS))],
) -> Any:
    """One sponsorship request and where it stands."""
    caller.check(lambda access, who: access.sponsorship(who, sponsorship_id))
    return caller.read(lambda s: s.sponsorships.show(sponsorship_id))
