"""LMS results: delivered by the LMS (a JSON batch or the canonical CSV), the sync run now,
and the results held for unknown student numbers."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends
from pydantic import Field

from carepassport.application.compliance.status import HeldResultView
from carepassport.application.training.lms_import import CANONICAL, ImportReport
from carepassport.application.training.sync import SyncReport
from carepassport.domain.access.api_access import Role
from carepassport.entrypoints.http.core import Caller, allow
from carepassport.entrypoints.http.models import Strict, list_of, model_for

router = APIRouter(prefix="/lms", tags=["lms"])
College = Annotated[Caller, Depends(allow(Role.COLLEGE))]
Delivers = Annotated[Caller, Depends(allow(Role.LMS, Role.COLLEGE))]
Report = model_for(ImportReport)


class QuizResultItem(Strict):
    """One final-quiz result in the canonical columns. Values are judged by the same rules as
    the CSV's cells, so a bad one is listed with the batch's other problems."""

    record_id: str | None = None
    student_number: str | None = None
    credential_code: str | None = None
    attempt: int | str | None = Field(None, description="1 or 2.")
    score: Decimal | str | None = Field(None, description="From 0 to 1000.")
    passed: bool | str | None = None
    attempted_at: str | None = Field(
        None, description="ISO-8601; without an offset, America/Toronto time."
    )


class ResultsBatch(Strict):
    results: list[QuizResultItem]


class CsvDelivery(Strict):
    """A CSV delivery as its Idempotency-Key fingerprint sees it."""

    text: str


@router.post("/results", response_model=Report)
def deliver_results(body: ResultsBatch, caller: Delivers) -> Any:
    """Stage a batch of results: every result valid, or nothing is staged (422 listing each
    bad result by its index); results already staged count as ``already_staged``."""
    records = [item.model_dump() for item in body.results]
    return caller.command(lambda s: s.lms_import.import_records(records), body)


@router.post("/results/csv", response_model=Report)
def deliver_results_csv(
    caller: Delivers,
    csv: Annotated[str, Body(media_type="text/csv", description="The results CSV.")],
    format: str = CANONICAL,
) -> Any:
    """Stage the canonical results CSV (or another configured ``format``): every line valid,
    or nothing is staged (422 listing each bad line)."""
    return caller.command(
        lambda s: s.lms_import.import_csv(csv, format_name=format), CsvDelivery(text=csv)
    )


@router.post("/sync", response_model=model_for(SyncReport))
def sync_now(caller: College) -> Any:
    """Take in now what the LMS holds (operators' catch-up)."""
    return caller.command(lambda s: s.sync.run_now())


@router.get("/results/unmatched", response_model=list_of(HeldResultView))
def unmatched_results(caller: College) -> Any:
    """Results held because no employee has their student number (R11)."""
    return caller.read(lambda s: s.statuses.held_results())
