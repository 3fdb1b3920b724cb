"""The HTTP API (FastAPI): authenticate, parse, check access, call the application, present. No
business rule lives here; see ADR 0015 for who may call what."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Literal

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel

from carepassport.application.services import Services
from carepassport.entrypoints.http import problems
from carepassport.entrypoints.http.core import Authentication, Busy, Core
from carepassport.entrypoints.http.delivery_loop import DeliveryLoop, delivering_through
from carepassport.entrypoints.http.metrics import Metrics
from carepassport.entrypoints.http.metrics import router as metrics_route
from carepassport.entrypoints.http.models import model_for
from carepassport.entrypoints.http.observe import ObservedFastAPI, RequestObserver
from carepassport.entrypoints.http.probes import Probe
from carepassport.entrypoints.http.probes import router as readiness_route
from carepassport.entrypoints.http.problems import is_store_failure
from carepassport.entrypoints.http.routes import ROUTERS
from carepassport.entrypoints.http.scheduler_loop import (
    MANUAL,
    SchedulerLoop,
    SchedulerState,
    summarise,
)
from carepassport.entrypoints.present import jsonable
from carepassport.entrypoints.web.approver import router as approver_pages
from carepassport.entrypoints.web.college import router as college_pages
from carepassport.entrypoints.web.employee import router as employee_pages
from carepassport.entrypoints.web.more import router as more_portal_pages
from carepassport.entrypoints.web.pages import STATIC as PORTAL_STATIC
from carepassport.entrypoints.web.pages import Portal
from carepassport.entrypoints.web.pages import router as portal_pages

DESCRIPTION = """\
Sponsored, mandatory, expiring micro-credential training.

Every call but the probes (`/healthz`, `/readyz`), `/metrics` and this description needs
`Authorization: Bearer <token>`; tokens are issued with `carepassport tokens issue ROLE SUBJECT`.
Refusals are RFC 9457 problem details. A `POST` may carry an `Idempotency-Key` header: repeating
it with the same request replays the first answer (header `Idempotent-Replayed: true`) and
records nothing more.
"""


HEALTH_WAIT = 2.0
"""Seconds /healthz waits for a call holding the core before it answers ``busy``."""
STOP_WAIT = 30.0
"""Seconds a shutdown waits for the tick under way before it closes the store regardless."""
log = logging.getLogger(__name__)


class Health(BaseModel):
    """Whether the store answers, how many deadlines are pending, and the scheduler's state."""

    status: Literal["ok", "unavailable"]
    store: Literal["ok", "busy", "unavailable"]
    store_error: str | None = None
    pending_deadlines: int | None
    scheduler: model_for(SchedulerState)  # type: ignore[valid-type]


def create_app(
    services_factory: Callable[[], Services],
    scheduler: Callable[[Core], SchedulerLoop] | None = None,
    *,
    delivery: Callable[[Core], DeliveryLoop] | None = None,
    metrics_token: str | None = None,
) -> FastAPI:
    """The API on the core that ``services_factory`` wires (called once, on first use; the
    services are closed when the app shuts down). ``scheduler`` builds the scheduler loop that
    runs beside the API on the same core (started and stopped with the app); without one, work
    is done by ``POST /tick``. ``delivery`` builds the loop that delivers mail in a thread of its
    own (ADR 0028); without one, mail goes as the services deliver it (after each command, or
    by another process when they deliver in the background). With ``metrics_token``,
    ``/metrics`` needs it as a bearer token (docs/adr/0027-observability.md)."""
    deliveries: list[DeliveryLoop] = []
    core = Core(delivering_through(services_factory, lambda: deliveries[0] if deliveries else None))
    if delivery is not None:
        deliveries.append(delivery(core))
    loop = scheduler(core) if scheduler is not None else None
    loops = [*([loop] if loop is not None else []), *deliveries]
    probe = Probe(core)
    metrics = Metrics(core, metrics_token)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        for background in loops:
            background.start()
        try:
            yield
        finally:
            probe.stopping = True
            for background in loops:
                await run_in_threadpool(background.stop, STOP_WAIT)
                if background.running():
                    log.error(
                        "the %s did not stop within %s s; closing anyway",
                        background.name,
                        STOP_WAIT,
                    )
            core.close()

    app = ObservedFastAPI(
        observe=lambda inner: RequestObserver(inner, metrics.http),
        title="Care Passport core",
        version="0.2.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.core = core
    app.state.scheduler = loop
    app.state.probe = probe
    app.state.metrics = metrics
    app.add_middleware(Authentication, core=core)
    problems.install(app)

    @app.get(
        "/healthz",
        response_model=Health,
        tags=["operations"],
        responses={503: {"model": Health, "description": "The store does not answer."}},
    )
    def healthz() -> Any:
        """Whether the store answers, how many deadlines are pending, and the scheduler's state
        (``running``, ``backing_off`` after failures with the last error, ``stopped``, or
        ``manual``: no loop, ``POST /tick`` does the work). 503 when the store fails."""
        state = jsonable(loop.state() if loop is not None else MANUAL)
        try:
            pending = core.call(lambda s: s.scheduler.pending(), wait=HEALTH_WAIT)
        except Busy:  # a long tick or sync holds the store: alive, just occupied
            return Health(status="ok", store="busy", pending_deadlines=None, scheduler=state)
        except Exception as error:
            if not is_store_failure(error):
                raise
            down = Health(
                status="unavailable",
                store="unavailable",
                store_error=summarise(error),
                pending_deadlines=None,
                scheduler=state,
            )
            return JSONResponse(down.model_dump(mode="json"), status_code=503)
        return Health(status="ok", store="ok", pending_deadlines=pending, scheduler=state)

    app.include_router(readiness_route)
    app.include_router(metrics_route)
    for router in ROUTERS:
        app.include_router(router, responses=problems.PROBLEM_RESPONSES)
    problems.document_problems(app)
    app.state.portal = Portal(core)
    app.include_router(portal_pages)
    app.include_router(more_portal_pages)
    app.include_router(approver_pages)
    app.include_router(college_pages)
    app.include_router(employee_pages)
    app.mount("/portal/static", StaticFiles(directory=PORTAL_STATIC), name="portal-static")
    return app
