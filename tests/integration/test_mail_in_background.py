"""No HTTP request waits on the mail service (ADR 0028): a command queues its mail and returns;
the server's delivery loop (or a worker) hands it over. Tested against a real ``carepassport
serve`` and a real SMTP server that holds the first message until the test lets it go."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.bootstrap import bootstrap
from tests.conftest import APPROVER, toronto
from tests.integration.live_server import eventually, live_server
from tests.integration.smtp_server import Collector, SmtpServer, free_port


class Gate(Collector):
    """Accepts mail, but holds every DATA until ``opened`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.opened = threading.Event()
        self.waiting = threading.Event()

    async def handle_DATA(  # noqa: N802 (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        self.waiting.set()
        while not self.opened.is_set():
            await asyncio.sleep(0.02)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def gated_smtp() -> Iterator[tuple[SmtpServer, Gate]]:
    server = SmtpServer(free_port())
    gate = Gate()
    server.handler = gate
    server.start()
    yield server, gate
    gate.opened.set()
    server.stop()


def test_requests_return_while_the_mail_service_holds_a_message(
    tmp_path: Path, gated_smtp: tuple[SmtpServer, Gate]
) -> None:
    smtp, gate = gated_smtp
    store = f"sqlite:///{tmp_path / 'store.db'}"
    seeded = bootstrap(
        store, clock=SettableClock(toronto(2026, 5, 4, 9, 0)), mailer=InMemoryMailer()
    )
    seeded.reference.add_micro_credential("IPAC", "IPAC")
    seeded.reference.add_employer("SUNNY", name="Sunny", approvers=[APPROVER])
    for n in range(3):
        seeded.reference.add_employee(f"E{n}", employer="SUNNY", email=f"e{n}@example.org")
    token = seeded.api_tokens.issue("approver", "SUNNY").token
    seeded.close()

    with (
        live_server(store, now="2026-05-05T10:00", env={"CAREPASSPORT_MAIL": smtp.url}) as (
            url,
            _,
        ),
        httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as api,
    ):
        first = api.post("/sponsorships", json={"employee_id": "E0", "credentials": ["IPAC"]})
        held = gate.waiting.wait(30)  # the loop is inside the SMTP conversation, stuck
        later = [
            api.post("/sponsorships", json={"employee_id": f"E{n}", "credentials": ["IPAC"]})
            for n in (1, 2)
        ]
        answered_while_held = not gate.opened.is_set()
        gate.opened.set()
        eventually(lambda: len(smtp.messages) == 3, "the three approval requests")

    assert first.status_code == 201
    assert held
    assert [r.status_code for r in later] == [201, 201]
    assert answered_while_held
    assert sorted(m["To"] for m in smtp.messages) == [APPROVER] * 3
