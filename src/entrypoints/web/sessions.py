"""Portal sessions: who is signed in, their CSRF token, and when the session ends.

A session is created when someone signs in with an e-mail link or an API token (a token is
checked again on every request, so a revoked token ends its sessions at once). The browser
holds only a random session id, in an ``HttpOnly``, ``SameSite=Lax`` cookie (``Secure``
outside localhost); the server keeps the rest, in memory, so a restart signs everyone out
(ADR 0024).
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections.abc import Callable

import attrs

from carepassport.application.access.api_access import Principal

COOKIE = "cp_session"
IDLE_SECONDS = 30 * 60
"""A session not used for this long ends."""
MAX_SECONDS = 12 * 60 * 60
"""A session ends this long after sign-in, used or not."""
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "testserver"})


@attrs.define
class Session:
    """One signed-in browser: by an API token (checked again on every request) or by an e-mail
    link (the identity the link signed in as)."""

    session_id: str
    token: str | None
    principal: Principal | None
    csrf: str
    started: float
    last_used: float

    def csrf_matches(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(self.csrf, given)


class Sessions:
    """The portal's live sessions."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def start(self, token: str | None = None, principal: Principal | None = None) -> Session:
        now = self._clock()
        session = Session(
            secrets.token_urlsafe(32), token, principal, secrets.token_urlsafe(32), now, now
        )
        with self._lock:
            self._expire(now)
            self._sessions[session.session_id] = session
        return session

    def find(self, session_id: str | None) -> Session | None:
        """The live session with this id, its idle time restarted; None if there is none."""
        if not session_id:
            return None
        now = self._clock()
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            if now - session.last_used > IDLE_SECONDS or now - session.started > MAX_SECONDS:
                del self._sessions[session_id]
                return None
            session.last_used = now
            return session

    def end(self, session_id: str | None) -> None:
        with self._lock:
            self._sessions.pop(session_id or "", None)

    def _expire(self, now: float) -> None:
        gone = [
            k
            for k, s in self._sessions.items()
            if now - s.last_used > IDLE_SECONDS or now - s.started > MAX_SECONDS
        ]
        for key in gone:
            del self._sessions[key]


SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
"""Sent with every portal page: no inline script or style, never framed, never cached."""
