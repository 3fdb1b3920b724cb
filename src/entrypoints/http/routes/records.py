"""Auditors' view: any record's history, as it was known at a moment."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime

from carepassport.application.results import History
from carepassport.entrypoints.http.core import READERS, Caller, allow
from carepassport.entrypoints.http.models import model_for

router = APIRouter(tags=["records"])


@router.get("/records/{aggregate_id}/history", response_model=model_for(History))
def history(
    aggregate_id: str,
    caller: Annotated[Caller, Depends(allow(*READERS))],
    as_of: Annotated[
        AwareDatetime | None,
        Query(description="ISO-8601 with an offset: show only what was recorded by then."),
    ] = None,
) -> Any:
    """A record's events with business and recording times, and its state as then known."""
    moment: datetime | None = as_of
    return caller.read(lambda s: s.histories.history(aggregate_id, moment))
