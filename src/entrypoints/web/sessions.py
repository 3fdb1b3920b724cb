"""Portal sessions: who is signed in, their CSRF token, and when the session ends.

A session is created when someone signs in with an e-mail link or an API token (a token is
checked again on every request, so a revoked token ends its sessions at once). The browser
holds only a random session id, in an ``HttpOnly``, ``SameSite=Lax`` cookie (``Secure``
outside localhost); the server keeps the rest in the store (a digest of the id, never the id
or the token), so every API process sharing the store knows every session and a restart
signs no one out (ADR 0024, ADR 0028).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable

import attrs

from carepassport.application.access.api_access import Principal
from carepassport.application.access.session_store import SessionStore, StoredSession
from carepassport.domain.access.api_access import Role

COOKIE = "cp_session"
IDLE_SECONDS = 30 * 60
"""A session not used for this long ends."""
MAX_SECONDS = 12 * 60 * 60
"""A session ends this long after sign-in, used or not."""
TOUCH_EVERY = 60.0
"""A session's last use is written at most this often (a page view is then one read)."""
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "testserver"})


@attrs.frozen
class Session:
    """One signed-in browser: by an API token (``by_token``: checked again on every request)
    or by an e-mail link (the identity the link signed in as)."""

    session_id: str
    principal: Principal
    by_token: bool
    csrf: str

    def csrf_matches(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(self.csrf, given)


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class Sessions:
    """The portal's live sessions, in the store that ``store()`` returns."""

    def __init__(
        self, store: Callable[[], SessionStore], clock: Callable[[], float] = time.time
    ) -> None:
        self._open = store
        self._opened: SessionStore | None = None
        self._clock = clock

    def _store(self) -> SessionStore:
        """The store, asked for once (it is thread-safe; later calls need no core)."""
        if self._opened is None:
            self._opened = self._open()
        return self._opened

    def start(self, principal: Principal, *, by_token: bool) -> Session:
        now = self._clock()
        session = Session(secrets.token_urlsafe(32), principal, by_token, secrets.token_urlsafe(32))
        store = self._store()
        store.remove_ended(now - IDLE_SECONDS, now - MAX_SECONDS)
        store.add(
            StoredSession(
                digest=_digest(session.session_id),
                role=principal.role.value,
                subject=principal.subject,
                token_id=principal.token_id if by_token else "",
                csrf=session.csrf,
                started=now,
                last_used=now,
            )
        )
        return session

    def find(self, session_id: str | None) -> Session | None:
        """The live session with this id, its idle time restarted; None if there is none."""
        if not session_id:
            return None
        now = self._clock()
        store = self._store()
        digest = _digest(session_id)
        kept = store.get(digest)
        if kept is None:
            return None
        if now - kept.last_used > IDLE_SECONDS or now - kept.started > MAX_SECONDS:
            store.remove(digest)
            return None
        if now - kept.last_used >= TOUCH_EVERY:
            store.touch(digest, now)
        principal = Principal(Role(kept.role), kept.subject, kept.token_id)
        return Session(session_id, principal, bool(kept.token_id), kept.csrf)

    def end(self, session_id: str | None) -> None:
        if session_id:
            self._store().remove(_digest(session_id))


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
