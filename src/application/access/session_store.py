"""Where the portal's sessions are kept: in the store, so every API process sharing it knows
every session (ADR 0028). Only a digest of the session id is kept, never the id itself, and
never an API token: a session opened with a token keeps the token's id, which is checked on
every request."""

from __future__ import annotations

from typing import Protocol

import attrs


@attrs.frozen
class StoredSession:
    """One signed-in browser as the store keeps it. Times are Unix seconds (the machine's
    clock: sessions are operational state, not business facts)."""

    digest: str
    """SHA-256 of the session id the browser holds."""
    role: str
    subject: str
    token_id: str
    """The API token signed in with, checked again on every request; empty for an e-mail link."""
    csrf: str
    started: float
    last_used: float


class SessionStore(Protocol):
    """Sessions by digest; every method is one short statement."""

    def add(self, session: StoredSession) -> None:
        """Keep a new session."""
        ...

    def get(self, digest: str) -> StoredSession | None:
        """The session with this digest, if any."""
        ...

    def touch(self, digest: str, last_used: float) -> None:
        """Record a use of the session."""
        ...

    def remove(self, digest: str) -> None:
        """End the session (nothing if there is none)."""
        ...

    def remove_ended(self, idle_since: float, started_before: float) -> int:
        """Remove sessions last used before ``idle_since`` or started before
        ``started_before``; how many."""
        ...
