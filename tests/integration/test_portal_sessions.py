"""Portal sessions live in the store: any API process on it knows them, none keeps a session id
or a token in the clear, and they end as before (idle, too old, signed out)."""

from __future__ import annotations

import hashlib

from fastapi.testclient import TestClient

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.application.access.session_store import StoredSession
from carepassport.application.services import Services
from carepassport.bootstrap import bootstrap
from carepassport.entrypoints.http import create_app
from carepassport.entrypoints.web.sessions import COOKIE, IDLE_SECONDS
from tests.conftest import toronto
from tests.stores import RawStore


def process(url: str) -> tuple[Services, TestClient]:
    """One API process on ``url`` (its own core and connections)."""
    services = bootstrap(
        url, clock=SettableClock(toronto(2026, 4, 1, 9, 0)), mailer=InMemoryMailer()
    )
    app = TestClient(create_app(lambda: services), follow_redirects=False)
    return services, app


class TestSharedSessions:
    def test_a_session_started_by_one_process_is_known_to_another(self, durable_url: str) -> None:
        first, first_app = process(durable_url)
        second, second_app = process(durable_url)
        try:
            first.reference.add_micro_credential("IPAC", "IPAC")
            token = first.api_tokens.issue("college", "college").token
            signed = first_app.post("/portal/sign-in", data={"token": token})
            second_app.cookies.set(COOKIE, signed.cookies[COOKIE], path="/portal")

            page = second_app.get("/portal")

            assert signed.status_code == 303
            assert page.status_code == 200
        finally:
            first.close()
            second.close()

    def test_the_store_keeps_neither_the_session_id_nor_the_token(self, durable_url: str) -> None:
        services, app = process(durable_url)
        try:
            token = services.api_tokens.issue("college", "college").token
            session_id = app.post("/portal/sign-in", data={"token": token}).cookies[COOKIE]

            rows = RawStore(durable_url).execute("SELECT * FROM cp_portal_sessions")

            assert len(rows) == 1
            text = repr(rows)
            assert session_id not in text and token not in text
            assert hashlib.sha256(session_id.encode()).hexdigest() in text
        finally:
            services.close()

    def test_a_session_ended_by_one_process_is_gone_for_another(self, durable_url: str) -> None:
        first, first_app = process(durable_url)
        second, second_app = process(durable_url)
        try:
            token = first.api_tokens.issue("college", "college").token
            session_id = first_app.post("/portal/sign-in", data={"token": token}).cookies[COOKIE]
            second_app.cookies.set(COOKIE, session_id, path="/portal")
            first.portal_sessions.remove(hashlib.sha256(session_id.encode()).hexdigest())

            assert second_app.get("/portal").status_code == 303
        finally:
            first.close()
            second.close()


class TestSessionStoreContract:
    def test_a_session_is_kept_touched_and_removed(self, services: Services) -> None:
        store = services.portal_sessions
        store.add(StoredSession("d1", "college", "college", "t1", "c", 100.0, 100.0))

        store.touch("d1", 150.0)
        kept = store.get("d1")
        store.remove("d1")

        assert kept == StoredSession("d1", "college", "college", "t1", "c", 100.0, 150.0)
        assert store.get("d1") is None

    def test_ended_sessions_are_removed_and_live_ones_kept(self, services: Services) -> None:
        store = services.portal_sessions
        store.add(StoredSession("idle", "college", "c", "", "x", 1000.0, 1000.0))
        store.add(StoredSession("old", "college", "c", "", "x", 0.0, 5000.0))
        store.add(StoredSession("live", "college", "c", "", "x", 1000.0, 5000.0))

        removed = store.remove_ended(idle_since=5000.0 - IDLE_SECONDS, started_before=500.0)

        assert removed == 2
        assert [store.get(d) is not None for d in ("idle", "old", "live")] == [False, False, True]
