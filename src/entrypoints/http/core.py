"""How a route reaches the core: one serialised entry into the wired services, the caller's
principal (authenticated before anything else is read), access checks, and idempotent commands."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from starlette.types import ASGIApp, Receive, Scope, Send

from carepassport.application.access.api_access import Access, Principal
from carepassport.application.services import Services
from carepassport.domain.access.api_access import Role
from carepassport.domain.errors import DomainError
from carepassport.entrypoints.http.problems import (
    ProblemResponse,
    problem,
    problem_response,
    refusal,
)
from carepassport.entrypoints.present import jsonable

T = TypeVar("T")

PUBLIC_PATHS = frozenset(
    {"/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
)
"""Paths anyone may read: health and readiness for probes, metrics for scrapers (their own token
if CAREPASSPORT_METRICS_TOKEN is set, docs/adr/0027-observability.md), the API's own
description."""

PUBLIC_PREFIXES = ("/badges/", "/verify", "/.well-known/did.json", "/audit/checkpoint", "/portal")
"""Badges are public: anyone shown one may fetch it, its status lists and the issuer's DID
document, and verify it (docs/adr/0019-open-badges.md). So is the audit log's latest signed
checkpoint, for anyone to keep (docs/adr/0021-tamper-evident-audit-log.md). The portal's pages
authenticate by their own session (docs/adr/0024-portal.md)."""


def is_public(path: str) -> bool:
    """Whether ``path`` is served without a token."""
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


REPLAYED = "Idempotent-Replayed"

TRANSIENT = frozenset({"conflict", "clock_went_backwards"})
"""Refusals that may not recur (a concurrent update, a clock behind the store): like 5xx
answers, they release an Idempotency-Key instead of being replayed."""


class Busy(Exception):
    """The core was held by another call for longer than the caller would wait."""


class Core:
    """The wired services, opened on first use and closed once; calls are serialised."""

    def __init__(self, factory: Callable[[], Services]) -> None:
        self._factory = factory
        self._lock = threading.RLock()
        self._opened: Services | None = None
        self._closed = False

    def call(self, action: Callable[[Services], T], wait: float | None = None) -> T:
        """Run ``action`` on the services, alone; with ``wait``, give up (Busy) after that many
        seconds of another call holding them."""
        if not self._lock.acquire(timeout=-1 if wait is None else wait):
            raise Busy(f"the core was busy for over {wait} s")
        try:
            if self._closed:
                raise RuntimeError("the core was closed")
            if self._opened is None:
                self._opened = self._factory()
            return action(self._opened)
        finally:
            self._lock.release()

    def close(self) -> None:
        """Close the services; later calls are refused."""
        with self._lock:
            self._closed = True
            if self._opened is not None:
                self._opened.close()
                self._opened = None


class Authentication:
    """ASGI middleware: every call but the public ones needs a live bearer token, checked before
    the body is parsed or validated. The principal is kept in the request scope."""

    def __init__(self, app: ASGIApp, core: Core) -> None:
        self.app = app
        self.core = core

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_public(scope["path"]):
            await self.app(scope, receive, send)
            return
        token = _bearer(dict(scope["headers"]).get(b"authorization", b"").decode("latin-1"))
        try:
            principal = await run_in_threadpool(
                self.core.call, lambda s: s.api_tokens.authenticate(token)
            )
        except DomainError as error:
            await problem_response(*refusal(error))(scope, receive, send)
            return
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)


def _bearer(header: str) -> str | None:
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


bearer = HTTPBearer(
    auto_error=False,
    description="A token from `carepassport tokens issue ROLE SUBJECT`.",
)


class Caller:
    """One call: who makes it, and the core it reaches."""

    def __init__(self, core: Core, principal: Principal, request: Request) -> None:
        self.core = core
        self.principal = principal
        self._request = request

    def check(self, rule: Callable[[Access, Principal], None]) -> None:
        """Refuse the call unless ``rule`` lets this caller see what it names."""
        self.core.call(lambda s: rule(s.access, self.principal))

    def read(self, action: Callable[[Services], Any]) -> Any:
        """Run a query; its result as JSON data."""
        return self._run(action)

    def _run(self, action: Callable[[Services], Any]) -> Any:
        return jsonable(self.core.call(action))

    def command(
        self, action: Callable[[Services], Any], body: BaseModel | None = None, status: int = 200
    ) -> Any:
        """Run a command. With an Idempotency-Key header, the same key and request replay the
        first answer and record nothing more; the same key with another request is refused."""
        key = self._request.headers.get("idempotency-key")
        if key is None:
            return self._run(action)
        fingerprint = self._fingerprint(body)
        who = self.principal
        replay = self.core.call(lambda s: s.idempotency.begin(who, key, fingerprint))
        if replay is not None:
            kind = ProblemResponse if replay.status >= 400 else JSONResponse
            return kind(replay.body, status_code=replay.status, headers={REPLAYED: "true"})
        try:
            answer = self._run(action)
        except DomainError as error:
            refused_status, refused_body = refusal(error)
            if refused_status >= 500 or error.code in TRANSIENT:
                self.core.call(lambda s: s.idempotency.abandon(who, key))
            else:
                self.core.call(
                    lambda s: s.idempotency.finish(who, key, refused_status, refused_body)
                )
            raise
        except BaseException:
            self.core.call(lambda s: s.idempotency.abandon(who, key))
            raise
        self.core.call(lambda s: s.idempotency.finish(who, key, status, answer))
        return answer

    def _fingerprint(self, body: BaseModel | None) -> str:
        request = {
            "method": self._request.method,
            "path": self._request.url.path,
            "query": sorted(self._request.query_params.multi_items()),
            "body": body.model_dump(mode="json") if body is not None else None,
        }
        return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()


def allow(*roles: Role) -> Callable[..., Caller]:
    """A dependency: the caller, refused (403) unless their role is one of ``roles``."""

    def caller(
        request: Request, _: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]
    ) -> Caller:
        principal: Principal | None = getattr(request.state, "principal", None)
        if principal is None:  # only public paths skip authentication
            raise RuntimeError("a protected route was reached without authentication")
        Access.require(principal, *roles)
        return Caller(request.app.state.core, principal, request)

    return caller


EVERYONE = tuple(Role)
READERS = (Role.COLLEGE, Role.AUDITOR)
"""Roles that see every record."""

__all__ = ["EVERYONE", "READERS", "Authentication", "Busy", "Caller", "Core", "allow", "problem"]
