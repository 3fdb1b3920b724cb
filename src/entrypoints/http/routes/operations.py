"""Operations: run what is due now."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from carepassport.application.results import TickReport
from carepassport.domain.access.api_access import Role
from carepassport.entrypoints.http.core import Caller, allow
from carepassport.entrypoints.http.models import model_for

router = APIRouter(tags=["operations"])


@router.post("/tick", response_model=model_for(TickReport))
def tick(caller: Annotated[Caller, Depends(allow(Role.COLLEGE))]) -> Any:
    """Run every deadline that is due, then deliver queued mail."""
    return caller.command(lambda s: s.scheduler.tick())
