"""The HTTP API (FastAPI): parse, call the application, present. No business rule lives here.

Refusals are RFC 9457 problem details (``application/problem+json``) whose ``type`` is stable per
domain error code; no stack trace ever reaches a client.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from eventsourcing.persistence import PersistenceError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from carepassport.application.services import Services
from carepassport.domain.errors import DomainError
from carepassport.entrypoints.present import jsonable

PROBLEM_BASE = "https://carepassport.example/problems/"
PROBLEM_JSON = "application/problem+json"

STATUS_BY_CODE = {
    "not_found": 404,
    "already_exists": 409,
    "already_requested": 409,
    "invalid_state": 409,
    "clock_went_backwards": 409,
    "invalid_value": 422,
    "validation_error": 422,
    "store_unavailable": 503,
}
"""HTTP status per domain error code; any other refusal is 400."""

log = logging.getLogger(__name__)
T = TypeVar("T")


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_JSON


def problem(
    code: str, title: str, detail: str | None, status: int | None = None, **extra: Any
) -> Response:
    """An RFC 9457 problem document for a stable error code."""
    status = status if status is not None else STATUS_BY_CODE.get(code, 400)
    body: dict[str, Any] = {"type": PROBLEM_BASE + code, "title": title, "status": status}
    if detail is not None:
        body["detail"] = detail
    body.update(extra)
    return ProblemResponse(body, status_code=status)


def _title(code: str) -> str:
    return code.replace("_", " ").capitalize()


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SponsorshipRequest(Strict):
    employee_id: str = Field(min_length=1)
    credentials: list[str] = Field(min_length=1, description="Micro-credential codes.")


class ApproverAnswer(Strict):
    by: str = Field(min_length=1, description="The approver's e-mail address.")


class RegistrationRequest(Strict):
    employee_id: str = Field(min_length=1)
    code: str = Field(min_length=1)
    self_pay: bool = False


class Health(BaseModel):
    status: str
    pending_deadlines: int
    scheduler: str


def create_app(services_factory: Callable[[], Services]) -> FastAPI:
    """The API on the core that ``services_factory`` wires (called once, on first use; the
    services are closed when the app shuts down). Calls into the core are serialised."""
    lock = threading.RLock()
    opened: list[Services] = []

    def call(action: Callable[[Services], T]) -> T:
        with lock:
            if not opened:
                opened.append(services_factory())
            return action(opened[0])

    def respond(action: Callable[[Services], Any]) -> Any:
        return jsonable(call(action))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        with lock:
            while opened:
                opened.pop().close()

    app = FastAPI(
        title="Care Passport core",
        version="0.1.0",
        description="Sponsored, mandatory, expiring micro-credential training (first slice).",
        lifespan=lifespan,
    )

    @app.exception_handler(DomainError)
    async def refused(_: Request, error: Exception) -> Response:
        assert isinstance(error, DomainError)
        return problem(error.code, _title(error.code), error.message)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: Exception) -> Response:
        assert isinstance(error, RequestValidationError)
        errors = [
            {
                "field": ".".join(str(part) for part in e.get("loc", ()) if part != "body"),
                "message": str(e.get("msg", "")),
            }
            for e in error.errors()
        ]
        detail = "; ".join(f"{e['field'] or 'body'}: {e['message']}" for e in errors)
        return problem("validation_error", "The request is not valid", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
        return problem(code, _title(code), str(error.detail), status=error.status_code)

    @app.exception_handler(Exception)
    async def failed(_: Request, error: Exception) -> Response:
        if isinstance(error, OSError | sqlite3.Error | PersistenceError):
            log.error("the store failed: %s", error)
            return problem("store_unavailable", "Store unavailable", None)
        log.exception("unexpected error")
        return problem("internal_error", "Internal error", None, status=500)

    @app.get("/healthz", response_model=Health, tags=["operations"])
    def healthz() -> Health:
        pending = call(lambda s: s.scheduler.pending())
        return Health(status="ok", pending_deadlines=pending, scheduler="manual (POST /tick)")

    @app.post("/sponsorships", status_code=201, tags=["sponsorships"])
    def request_sponsorship(body: SponsorshipRequest) -> Any:
        return respond(lambda s: s.sponsorships.request(body.employee_id, body.credentials))

    @app.post("/sponsorships/{sponsorship_id}/approve", tags=["sponsorships"])
    def approve(sponsorship_id: str, body: ApproverAnswer) -> Any:
        return respond(lambda s: s.sponsorships.approve(sponsorship_id, by=body.by))

    @app.post("/sponsorships/{sponsorship_id}/decline", tags=["sponsorships"])
    def decline(sponsorship_id: str, body: ApproverAnswer) -> Any:
        return respond(lambda s: s.sponsorships.decline(sponsorship_id, by=body.by))

    @app.get("/sponsorships/{sponsorship_id}", tags=["sponsorships"])
    def show_sponsorship(sponsorship_id: str) -> Any:
        return respond(lambda s: s.sponsorships.show(sponsorship_id))

    @app.post("/registrations", status_code=201, tags=["registrations"])
    def register(body: RegistrationRequest) -> Any:
        return respond(
            lambda s: s.registrations.register(body.employee_id, body.code, self_pay=body.self_pay)
        )

    @app.get("/registrations/{registration_id}", tags=["registrations"])
    def show_registration(registration_id: str) -> Any:
        return respond(lambda s: s.registrations.show(registration_id))

    @app.get("/employees/{employee_id}/status", tags=["employees"])
    def employee_status(employee_id: str) -> Any:
        return respond(lambda s: s.statuses.of_employee(employee_id))

    @app.get("/employees/{employee_id}/requirements", tags=["employees"])
    def employee_requirements(employee_id: str) -> Any:
        return respond(lambda s: s.requirements.of_employee(employee_id))

    @app.post("/tick", tags=["operations"])
    def tick() -> Any:
        return respond(lambda s: s.scheduler.tick())

    return app


__all__ = ["PROBLEM_BASE", "PROBLEM_JSON", "create_app"]
