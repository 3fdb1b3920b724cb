"""The college's decisions on credentials: suspend, reinstate, revoke, require recertification."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import Field

from carepassport.application.compliance.credentials import CredentialView
from carepassport.domain.access.api_access import Role
from carepassport.entrypoints.http.core import Caller, allow
from carepassport.entrypoints.http.models import Strict, model_for

router = APIRouter(tags=["credentials"])
Decision = Literal["suspend", "reinstate", "revoke", "require-recertification"]


class DecisionRequest(Strict):
    reason: str = Field(min_length=1)
    notes: str = ""


@router.post(
    "/employees/{employee_id}/credentials/{code}/{decision}",
    response_model=model_for(CredentialView),
)
def decide(
    employee_id: str,
    code: str,
    decision: Decision,
    body: DecisionRequest,
    caller: Annotated[Caller, Depends(allow(Role.COLLEGE))],
) -> Any:
    """Suspend, reinstate, revoke, or require the employee to complete the micro-credential
    again."""
    verb = decision.replace("-", "_")
    return caller.command(
        lambda s: getattr(s.credentials, verb)(employee_id, code, body.reason, body.notes), body
    )
