"""The audit log's latest signed checkpoint, public: anyone may keep it (a witness) and later
hold the log to it (``audit verify --checkpoint``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from carepassport.entrypoints.http.core import Core
from carepassport.entrypoints.http.problems import PROBLEM_JSON

public = APIRouter(tags=["audit (public)"])


@public.get(
    "/audit/checkpoint",
    response_class=PlainTextResponse,
    responses={
        404: {
            "description": "No checkpoint has been made yet.",
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
    },
)
async def latest_checkpoint(request: Request) -> PlainTextResponse:
    """The latest checkpoint as a C2SP signed note (``text/plain``); 404 before the first."""
    core: Core = request.app.state.core
    note = await run_in_threadpool(core.call, lambda s: s.audit.latest())
    return PlainTextResponse(note)
