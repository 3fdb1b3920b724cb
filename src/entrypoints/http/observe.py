"""Every request observed once, outside everything else the app does: it is given an id (echoed
in ``X-Request-ID`` and stamped on every record logged while it is served), written to the
access log, and counted and timed for ``/metrics`` (docs/adr/0027-observability.md)."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any, Protocol

from fastapi import FastAPI
from starlette.routing import Match, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from carepassport.entrypoints.http.logs import REQUEST_ID

REQUEST_ID_HEADER = "X-Request-ID"
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
"""An incoming request id is kept only if it is this: a token safe in logs and headers."""

UNROUTED = "<unrouted>"
"""The route of a request answered before routing (no token: 401) or matching no route (404):
never its raw path, so no id or address becomes a metric's label."""

QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})
"""Probes and scrapes come every few seconds: their access lines are logged at DEBUG."""

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
"""Methods named in metrics and logs as they are; any other is ``OTHER`` (no label grows with
what callers send)."""

SECRET_PARAMETERS = frozenset({"secret", "token"})
"""Path parameters whose value is a credential (the portal's sign-in link): masked in logs."""
EMAIL_LIKE = re.compile(r"[^/@\s]+@[^/@\s]+\.[^/@\s]+")
LONGEST_LOGGED_PATH = 256
MASK = "***"

access_log = logging.getLogger("carepassport.access")


class Observer(Protocol):
    """What is told of each request once it is answered (the metrics)."""

    def observe(self, method: str, route: str, status: int, seconds: float) -> None: ...


def request_id(incoming: str | None) -> str:
    """The caller's request id if it is a sane token, else a new one (uuid4, hex)."""
    if incoming is not None and SANE_REQUEST_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def route_of(scope: Scope, arrived: Scope) -> str:
    """The template of the route that served the request (``/employees/{employee_id}``,
    ``/portal/static/{path}``), or UNROUTED. An API route names itself in the scope; the app's
    other routes (its description, the static files' mount) are matched again against the
    request as it ``arrived``."""
    named = getattr(scope.get("route"), "path", None)
    if isinstance(named, str) and named:
        return named
    router = getattr(scope.get("app"), "router", None)
    for route in getattr(router, "routes", ()):
        if isinstance(route, Route | Mount) and route.matches(arrived)[0] is not Match.NONE:
            return f"{route.path}/{{path}}" if isinstance(route, Mount) else route.path
    return UNROUTED


def logged_path(scope: Scope) -> str:
    """The request's path as logged: no query string, credentials in it and anything that
    looks like an e-mail address masked, and cut short."""
    path: str = scope.get("path", "")
    for name, value in (scope.get("path_params") or {}).items():
        if name in SECRET_PARAMETERS and value:
            path = path.replace(str(value), MASK)
    return EMAIL_LIKE.sub(MASK, path)[:LONGEST_LOGGED_PATH]


class RequestObserver:
    """Pure ASGI middleware, outermost: the request id, the access log line, the metrics."""

    def __init__(self, app: ASGIApp, observer: Observer | None = None) -> None:
        self.app = app
        self.observer = observer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(REQUEST_ID_HEADER.lower().encode())
        rid = request_id(incoming.decode("latin-1") if incoming is not None else None)
        status = 500  # unless an answer starts
        started = time.perf_counter()
        arrived = {
            key: scope[key] for key in ("type", "path", "root_path", "method") if key in scope
        }

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                echoed = (REQUEST_ID_HEADER.lower().encode(), rid.encode())
                message["headers"] = [*message.get("headers", ()), echoed]
            await send(message)

        token = REQUEST_ID.set(rid)
        try:
            await self.app(scope, receive, send_with_id)
        except BaseException:
            # Left set: the server logs this error next, in this request's own task.
            self._answered(scope, arrived, status, time.perf_counter() - started)
            raise
        self._answered(scope, arrived, status, time.perf_counter() - started)
        REQUEST_ID.reset(token)

    def _answered(self, scope: Scope, arrived: Scope, status: int, seconds: float) -> None:
        route = route_of(scope, arrived)
        method = scope.get("method", "")
        method = method if method in METHODS else "OTHER"
        if self.observer is not None:
            self.observer.observe(method, route, status, seconds)
        path = logged_path(scope)
        duration_ms = round(seconds * 1000, 1)
        access_log.log(
            logging.DEBUG if route in QUIET_ROUTES else logging.INFO,
            "%s %s %s %.1f ms",
            method,
            path,
            status,
            duration_ms,
            extra={
                "method": method,
                "path": path,
                "route": route,
                "status": status,
                "duration_ms": duration_ms,
            },
        )


class ObservedFastAPI(FastAPI):
    """FastAPI whose whole middleware stack, the error handler that answers 500 included, runs
    inside ``observe``: an unexpected failure's answer carries its request id too."""

    def __init__(self, *, observe: Callable[[ASGIApp], ASGIApp], **options: Any) -> None:
        self._observe = observe
        super().__init__(**options)

    def build_middleware_stack(self) -> ASGIApp:
        return self._observe(super().build_middleware_stack())


__all__ = [
    "REQUEST_ID_HEADER",
    "UNROUTED",
    "ObservedFastAPI",
    "Observer",
    "RequestObserver",
    "logged_path",
    "request_id",
    "route_of",
]
