"""The HTTP API (FastAPI): authenticate, parse, check access, call the application, present. No
business rule lives here; see ADR 0015 for who may call what."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from pydantic import BaseModel

from carepassport.application.services import Services
from carepassport.entrypoints.http import problems
from carepassport.entrypoints.http.core import Authentication, Core
from carepassport.entrypoints.http.routes import ROUTERS

DESCRIPTION = """\
Sponsored, mandatory, expiring micro-credential training.

Every call but `/healthz` and this description needs `Authorization: Bearer <token>`; tokens are
issued with `carepassport tokens issue ROLE SUBJECT`. Refusals are RFC 9457 problem details.
A `POST` may carry an `Idempotency-Key` header: repeating it with the same request replays the
first answer (header `Idempotent-Replayed: true`) and records nothing more.
"""


class Health(BaseModel):
    status: str
    store: str
    pending_deadlines: int
    scheduler: str


def create_app(
    services_factory: Callable[[], Services], scheduler_state: Callable[[], str] | None = None
) -> FastAPI:
    """The API on the core that ``services_factory`` wires (called once, on first use; the
    services are closed when the app shuts down). ``scheduler_state`` reports the scheduler loop
    running beside the API, if any."""
    core = Core(services_factory)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        core.close()

    app = FastAPI(
        title="Care Passport core", version="0.2.0", description=DESCRIPTION, lifespan=lifespan
    )
    app.state.core = core
    app.add_middleware(Authentication, core=core)
    problems.install(app)

    @app.get("/healthz", response_model=Health, tags=["operations"])
    def healthz() -> Health:
        """Whether the store answers, how many deadlines are pending, and the scheduler's state."""
        pending = core.call(lambda s: s.scheduler.pending())
        state = scheduler_state() if scheduler_state else "manual (POST /tick)"
        return Health(status="ok", store="ok", pending_deadlines=pending, scheduler=state)

    for router in ROUTERS:
        app.include_router(router)
    return app
