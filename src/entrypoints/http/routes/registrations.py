"""Registrations: an employee registers once self-registration is enabled."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import Field

from carepassport.application.training.views import RegistrationView
from carepassport.domain.access.api_access import Role
from carepassport.entrypoints.http.core import READERS, Caller, allow
from carepassport.entrypoints.http.models import Strict, model_for

router = APIRouter(tags=["registrations"])
View = model_for(RegistrationView)


class RegistrationRequest(Strict):
    employee_id: str = Field(min_length=1)
    code: str = Field(min_length=1, description="The micro-credential's code.")
    self_pay: bool = Field(False, description="Pay the fee yourself instead of a sponsorship.")


@router.post("/registrations", status_code=201, response_model=View)
def register(
    body: RegistrationRequest,
    caller: Annotated[Caller, Depends(allow(Role.EMPLOYEE, Role.COLLEGE))],
) -> Any:
    """Register in a micro-credential (R5, R13): an employee for themself, or the college."""
    caller.check(lambda access, who: access.employee(who, body.employee_id))
    return caller.command(
        lambda s: s.registrations.register(body.employee_id, body.code, self_pay=body.self_pay),
        body,
        201,
    )


@router.get("/registrations/{registration_id}", response_model=View)
def show_registration(
    registration_id: str,
    caller: Annotated[Caller, Depends(allow(Role.EMPLOYEE, Role.APPROVER, *READERS))],
) -> Any:
    """One registration: access window, attempts, fee."""
    caller.check(lambda access, who: access.registration(who, registration_id))
    return caller.read(lambda s: s.registrations.show(registration_id))
