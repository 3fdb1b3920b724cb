"""RFC 9457 problem details: every refusal and failure of the HTTP API, with a stable ``type``
per error code. No stack trace ever reaches a client."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from carepassport.application.store import StoreUnavailable
from carepassport.application.training.ports import LmsError
from carepassport.domain.errors import DomainError
from carepassport.entrypoints.failures import STORE_FAILURES, lms_failure_code
from carepassport.entrypoints.present import jsonable

PROBLEM_BASE = "https://carepassport.example/problems/"
PROBLEM_JSON = "application/problem+json"

STATUS_BY_CODE = {
    "unauthenticated": 401,
    "forbidden": 403,
    "not_found": 404,
    "already_exists": 409,
    "already_requested": 409,
    "invalid_state": 409,
    "clock_went_backwards": 409,
    "conflict": 409,
    "idempotency_conflict": 409,
    "invalid_value": 422,
    "invalid_csv": 422,
    "invalid_results": 422,
    "validation_error": 422,
    "lms_refused": 502,
    "lms_unavailable": 503,
    "not_configured": 503,
    "keys_unavailable": 503,
    "payload_too_large": 413,
    "store_unavailable": 503,
}
"""HTTP status per domain error code; any other refusal is 400."""

log = logging.getLogger(__name__)


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_JSON


class FieldError(BaseModel):
    """A request field that is not valid."""

    field: str
    message: str


class LineError(BaseModel):
    """A bad line of a rejected CSV (1 is the header)."""

    line: int
    reason: str


class ItemError(BaseModel):
    """A bad item of a rejected batch (0 is the first)."""

    item: int
    reason: str


class Problem(BaseModel):
    """An RFC 9457 problem: ``type`` is stable per error code; ``errors`` list what is invalid
    (request fields, a CSV's lines, or a batch's items)."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldError | LineError | ItemError] | None = None


REFUSALS = {
    400: "Refused by a rule of the domain (the `type` names which).",
    401: "No valid bearer token.",
    403: "The token's role may not make this call.",
    404: "No such record, or none the caller may see.",
    409: "Conflicts with what is recorded (or with an earlier use of the Idempotency-Key).",
    422: "The request is not valid; `errors` name the fields (or the lines, or the items).",
    502: "The LMS refused the request.",
    503: "The store does not answer; try again later.",
}
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": description}
    for status, description in REFUSALS.items()
}
"""The problems any authenticated route may answer, for the OpenAPI document."""


def document_problems(app: FastAPI) -> None:
    """Describe problem responses as ``application/problem+json`` only (FastAPI lists a
    response model under ``application/json``), and every command's Idempotency-Key."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            problem_ref = {"$ref": "#/components/schemas/Problem"}
            for operation in _operations(document):
                for response in operation.get("responses", {}).values():
                    content = response.get("content", {})
                    if content.get("application/json", {}).get("schema") == problem_ref:
                        content[PROBLEM_JSON] = content.pop("application/json")
            for path in document.get("paths", {}).values():
                if "post" in path and "security" in path["post"]:
                    _document_idempotency(path["post"])
        return app.openapi_schema or build()

    app.openapi = openapi  # type: ignore[method-assign]


IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    "description": "Repeat the request with the same key and body to get the first answer "
    "again, recording nothing more; the same key with another request is refused (409).",
}
REPLAYED_HEADER = {
    "Idempotent-Replayed": {
        "description": "`true` when this is the recorded answer to an earlier use of the "
        "Idempotency-Key.",
        "schema": {"type": "string", "enum": ["true"]},
    }
}


def _document_idempotency(operation: dict[str, Any]) -> None:
    """A command's Idempotency-Key header, and the header marking a replayed answer."""
    operation.setdefault("parameters", []).append(IDEMPOTENCY_KEY)
    for status, response in operation.get("responses", {}).items():
        if status.startswith("2"):
            response.setdefault("headers", {}).update(REPLAYED_HEADER)


def _operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [op for path in document.get("paths", {}).values() for op in path.values()]


def problem_body(
    code: str, detail: str | None, status: int | None = None, **extra: Any
) -> tuple[int, dict[str, Any]]:
    """The status and RFC 9457 document for a stable error code."""
    status = status if status is not None else STATUS_BY_CODE.get(code, 400)
    body: dict[str, Any] = {"type": PROBLEM_BASE + code, "title": title_of(code), "status": status}
    if detail is not None:
        body["detail"] = detail
    body.update(extra)
    return status, body


def problem(code: str, detail: str | None, status: int | None = None, **extra: Any) -> Response:
    """A problem-details response for a stable error code."""
    return problem_response(*problem_body(code, detail, status, **extra))


def problem_response(status: int, body: dict[str, Any]) -> Response:
    """A problem document as a response; a 401 names the scheme it wants (RFC 9110)."""
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return ProblemResponse(body, status_code=status, headers=headers)


def refusal(error: DomainError) -> tuple[int, dict[str, Any]]:
    """The status and document of a domain refusal. A store that cannot be used is logged, not
    described: its message may name hosts, paths or credentials."""
    if error.code == "store_unavailable":
        log.error("the store failed: %s", error.message)
        return problem_body(error.code, None)
    extra = {"errors": jsonable(error.problems)} if hasattr(error, "problems") else {}
    return problem_body(error.code, error.message, **extra)


def title_of(code: str) -> str:
    return code.replace("_", " ").capitalize()


def install(app: FastAPI) -> None:
    """Answer every refusal and failure of ``app`` with problem details."""

    @app.exception_handler(DomainError)
    async def refused(_: Request, error: Exception) -> Response:
        assert isinstance(error, DomainError)
        return problem_response(*refusal(error))

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
        return problem("validation_error", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        code = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
        return problem(code, str(error.detail), status=error.status_code)

    @app.exception_handler(LmsError)
    async def lms_failed(_: Request, error: Exception) -> Response:
        assert isinstance(error, LmsError)
        code = lms_failure_code(error)
        log.warning("the LMS failed (%s): %s", code, error)
        return problem(code, str(error))

    @app.exception_handler(Exception)
    async def failed(_: Request, error: Exception) -> Response:
        if is_store_failure(error):
            log.error("the store failed: %s", error)
            return problem("store_unavailable", None)
        log.exception("unexpected error")
        return problem("internal_error", None, status=500)


def is_store_failure(error: BaseException) -> bool:
    """Whether an error is the store's (the call may succeed later), not a bug."""
    return isinstance(error, (*STORE_FAILURES, StoreUnavailable))
