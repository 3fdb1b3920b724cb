"""``/readyz``: whether this process can serve a request now (docs/adr/0027-observability.md).
``/healthz`` (app.py) says whether it is alive and how it is doing; a load balancer or an
orchestrator sends traffic only to a process that is ready.

Ready means: not shutting down, and the store opened and answering one cheap query within
READY_WAIT seconds. The core serialises calls, so a process whose core is held longer than that
(a long tick, a nightly sync, a slow command) could not answer a request either: it is *busy*,
not ready (503) but alive (``/healthz`` stays 200). Probes should allow a few failures in a row
before taking a process out, so that an ordinary tick does not make it flap."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from carepassport.entrypoints.http.core import Busy, Core
from carepassport.entrypoints.http.problems import is_store_failure

READY_WAIT = 1.0
"""Seconds readiness waits for a call holding the core before it answers ``busy``."""


class Readiness(BaseModel):
    """Whether this process can serve now and, if not, why."""

    status: Literal["ready", "not_ready"]
    reason: Literal["store_unavailable", "busy", "shutting_down"] | None = None


class Probe:
    """The readiness of one app's process: its core, and whether it is stopping."""

    def __init__(self, core: Core, wait: float = READY_WAIT) -> None:
        self._core = core
        self._wait = wait
        self.stopping = False

    def readiness(self) -> Readiness:
        """Ready, or the reason it is not: shutting down, busy, or the store unavailable."""
        if self.stopping:
            return Readiness(status="not_ready", reason="shutting_down")
        try:
            self._core.call(lambda s: s.monitoring.ping(), wait=self._wait)
        except Busy:
            return Readiness(status="not_ready", reason="busy")
        except Exception as error:
            if not is_store_failure(error):
                raise
            return Readiness(status="not_ready", reason="store_unavailable")
        return Readiness(status="ready")


router = APIRouter()


@router.get(
    "/readyz",
    response_model=Readiness,
    tags=["operations"],
    responses={503: {"model": Readiness, "description": "This process cannot serve now."}},
)
def readyz(request: Request) -> Any:
    """Whether this process can serve now: 200 ``ready`` when the store answers a cheap query
    within a second; 503 ``not_ready`` with the ``reason`` (``store_unavailable``, ``busy``: a
    long tick holds the core, ``shutting_down``) otherwise. Plain JSON, for probes."""
    probe: Probe = request.app.state.probe
    found = probe.readiness()
    if found.status == "ready":
        return found
    return JSONResponse(found.model_dump(mode="json"), status_code=503)


__all__ = ["READY_WAIT", "Probe", "Readiness", "router"]
