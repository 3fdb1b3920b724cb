"""Mail through a real SMTP server on loopback (aiosmtpd): headers, outages, retries, TLS."""

from __future__ import annotations

import logging
import ssl
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta
from email.utils import parsedate_to_datetime
from multiprocessing import get_context
from pathlib import Path

import pytest

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.lms.memory import InMemoryLms
from carepassport.application.services import Services
from carepassport.bootstrap import bootstrap
from tests.conftest import APPROVER, toronto
from tests.integration.concurrent_workers import deliver
from tests.integration.smtp_server import (
    PASSWORD,
    USER,
    HangUpServer,
    SmtpServer,
    free_port,
)

SENDER = "registrar@college.example"
REQUESTED_AT = toronto(2026, 3, 30, 9, 0)


@pytest.fixture
def services(
    store_url: str, clock: SettableClock, lms: InMemoryLms, smtp_server: SmtpServer
) -> Iterator[Services]:
    """The core on each store, mailing through the loopback SMTP server."""
    wired = bootstrap(store_url, clock=clock, lms=lms, mail=f"{smtp_server.url}?from={SENDER}")
    yield wired
    wired.close()


def request_approval(services: Services) -> None:
    """A sponsorship request: one approval request to each of two approvers."""
    services.sponsorships.request("E1", ["IPAC"])


def received_ids(server: SmtpServer) -> list[str]:
    return sorted(str(m["Message-ID"]) for m in server.messages)


def college_on(
    store: Path, clock: SettableClock, mail: str, employees: int = 1, **environ: str
) -> Services:
    """A SQLite store mailing through ``mail``: one employer (two approvers), its employees."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in environ.items():
            patch.setenv(name, value)
        services = bootstrap(f"sqlite:///{store}", clock=clock, mail=mail)
    services.reference.add_micro_credential("IPAC", "IPAC")
    services.reference.add_employer(
        "SUNNY", name="Sunny", approvers=[APPROVER, "backup@sunny.example"]
    )
    for n in range(1, employees + 1):
        services.reference.add_employee(f"E{n}", employer="SUNNY", email=f"e{n}@example.org")
    return services


class TestDelivery:
    def test_a_queued_message_is_delivered_with_its_headers(
        self, college: Services, smtp_server: SmtpServer
    ) -> None:
        request_approval(college)

        (entry,) = college.outbox.messages(APPROVER)
        (message,) = [m for m in smtp_server.messages if m["To"] == APPROVER]
        assert message["From"] == SENDER
        assert message["Subject"] == entry.subject
        copy = f".{entry.position}" if entry.position else ""  # one notice, each copy its id
        assert (
            message["Message-ID"]
            == entry.message_id
            == f"<{entry.notification_id}{copy}@carepassport>"
        )
        assert parsedate_to_datetime(str(message["Date"])) == entry.queued_at
        assert message["X-Care-Passport-Kind"] == "approval_request"
        body = message.get_content().replace("\r\n", "\n")  # the wire's line ends
        assert body.rstrip("\n") == entry.body.rstrip("\n")
        assert (SENDER, [APPROVER]) in smtp_server.handler.envelopes
        assert entry.sent_at == REQUESTED_AT and entry.attempts == 1

    def test_while_the_server_is_down_mail_stays_queued_with_its_error_and_next_attempt(
        self, college: Services, smtp_server: SmtpServer
    ) -> None:
        smtp_server.stop()

        request_approval(college)

        entries = college.outbox.messages()[-2:]
        assert [e.sent_at for e in entries] == [None, None]
        assert [e.attempts for e in entries] == [1, 1]
        assert all("Connection refused" in (e.last_error or "") for e in entries)
        assert {e.next_attempt_at for e in entries} == {REQUESTED_AT + timedelta(minutes=5)}
        assert smtp_server.messages == []

    def test_when_the_server_is_back_each_message_is_delivered_exactly_once(
        self, college: Services, smtp_server: SmtpServer, clock: SettableClock
    ) -> None:
        smtp_server.stop()
        request_approval(college)
        smtp_server.start()

        clock.set(REQUESTED_AT + timedelta(minutes=4))
        college.scheduler.tick()
        assert smtp_server.messages == []  # not before the next attempt time
        clock.set(REQUESTED_AT + timedelta(minutes=5))
        report = college.scheduler.tick()

        assert report.mail_delivered == 2
        assert received_ids(smtp_server) == sorted(
            e.message_id for e in college.outbox.messages() if e.kind == "approval_request"
        )

    def test_a_later_delivery_run_does_not_send_a_message_again(
        self, college: Services, smtp_server: SmtpServer, clock: SettableClock
    ) -> None:
        request_approval(college)
        requests = [
            m for m in smtp_server.messages if m["X-Care-Passport-Kind"] == "approval_request"
        ]

        for hours in (1, 24, 24 * 30):
            clock.set(REQUESTED_AT + timedelta(hours=hours))
            college.scheduler.tick()
            college.outbox.deliver()

        assert len(requests) == 2
        assert [
            m for m in smtp_server.messages if m["X-Care-Passport-Kind"] == "approval_request"
        ] == requests

    def test_a_451_answer_keeps_the_message_queued_until_the_server_takes_it(
        self, college: Services, smtp_server: SmtpServer, clock: SettableClock
    ) -> None:
        smtp_server.reject("451 4.3.0 Mailbox temporarily unavailable")
        request_approval(college)

        (entry,) = college.outbox.messages(APPROVER)
        assert entry.sent_at is None
        assert entry.last_error is not None and "451 4.3.0" in entry.last_error
        assert entry.next_attempt_at == REQUESTED_AT + timedelta(minutes=5)

        smtp_server.reject(None)
        clock.set(REQUESTED_AT + timedelta(minutes=5))
        college.outbox.deliver()
        assert len(smtp_server.messages) == 2
        assert college.outbox.messages(APPROVER)[0].attempts == 2

    def test_a_refusal_quoting_the_address_is_logged_without_it_and_recorded_whole(
        self,
        college: Services,
        smtp_server: SmtpServer,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        smtp_server.reject(f"550 5.1.1 <{APPROVER}>: Recipient address rejected")
        with caplog.at_level(logging.WARNING, logger="carepassport.application.mail.outbox"):
            request_approval(college)

        failures = [r.getMessage() for r in caplog.records if "delivery of" in r.getMessage()]
        assert len(failures) == 2
        assert all("550 5.1.1 <***>: Recipient address rejected" in f for f in failures)
        assert not any("@" in f for f in failures)
        (entry,) = college.outbox.messages(APPROVER)
        assert entry.last_error is not None and f"<{APPROVER}>" in entry.last_error

    def test_a_message_refused_eight_times_is_abandoned_and_never_sent(
        self, college: Services, smtp_server: SmtpServer, clock: SettableClock
    ) -> None:
        smtp_server.reject("451 4.3.0 Mailbox temporarily unavailable")
        request_approval(college)
        for _ in range(7):
            (entry,) = college.outbox.messages(APPROVER)
            assert entry.next_attempt_at is not None
            clock.set(entry.next_attempt_at)
            college.outbox.deliver()
        smtp_server.reject(None)
        clock.set(REQUESTED_AT + timedelta(days=3))
        college.outbox.deliver()

        (entry,) = college.outbox.messages(APPROVER)
        assert entry.abandoned and entry.attempts == 8 and entry.sent_at is None
        assert entry.last_error is not None
        assert entry.last_error.startswith("gave up after 8 attempts; last error: SMTP server")
        assert smtp_server.messages == []


@pytest.fixture
def ca_file(tls_files: tuple[ssl.SSLContext, Path]) -> Path:
    return tls_files[1]


class TestStartTlsAndLogin:
    def test_a_message_goes_through_starttls_and_a_login(
        self, tls_smtp_server: SmtpServer, ca_file: Path, tmp_path: Path, clock: SettableClock
    ) -> None:
        mail = (
            f"smtp://{USER}@127.0.0.1:{tls_smtp_server.port}"
            f"?starttls=true&password_env=CP_TEST_SMTP_PASSWORD&ca_file={ca_file}"
        )
        services = college_on(tmp_path / "tls.db", clock, mail, CP_TEST_SMTP_PASSWORD=PASSWORD)

        services.sponsorships.request("E1", ["IPAC"])

        assert sorted(str(m["To"]) for m in tls_smtp_server.messages) == [
            "backup@sunny.example",
            APPROVER,
        ]
        assert services.outbox.messages()[-1].sent_at is not None
        services.close()

    def test_a_wrong_password_keeps_mail_queued_and_is_never_recorded(
        self, tls_smtp_server: SmtpServer, ca_file: Path, tmp_path: Path, clock: SettableClock
    ) -> None:
        mail = (
            f"smtp://{USER}:not-the-password@127.0.0.1:{tls_smtp_server.port}"
            f"?starttls=true&ca_file={ca_file}"
        )
        services = college_on(tmp_path / "tls.db", clock, mail)

        services.sponsorships.request("E1", ["IPAC"])

        (entry,) = services.outbox.messages(APPROVER)
        assert entry.sent_at is None
        assert entry.last_error is not None and "refused the login: 535" in entry.last_error
        assert "not-the-password" not in repr(services.outbox.messages())
        assert tls_smtp_server.messages == []
        services.close()

    def test_a_server_certificate_from_an_unknown_authority_is_refused(
        self, tls_smtp_server: SmtpServer, tmp_path: Path, clock: SettableClock
    ) -> None:
        mail = f"smtp://{USER}:{PASSWORD}@127.0.0.1:{tls_smtp_server.port}?starttls=true"
        services = college_on(tmp_path / "tls.db", clock, mail)

        services.sponsorships.request("E1", ["IPAC"])

        (entry,) = services.outbox.messages(APPROVER)
        assert entry.last_error is not None and "CERTIFICATE_VERIFY_FAILED" in entry.last_error
        assert tls_smtp_server.messages == []
        services.close()

    def test_without_starttls_the_server_takes_no_mail(
        self, tls_smtp_server: SmtpServer, tmp_path: Path, clock: SettableClock
    ) -> None:
        services = college_on(tmp_path / "tls.db", clock, tls_smtp_server.url)

        services.sponsorships.request("E1", ["IPAC"])

        (entry,) = services.outbox.messages(APPROVER)
        assert entry.last_error is not None and "530" in entry.last_error
        assert tls_smtp_server.messages == []
        services.close()


class TestImplicitTls:
    def test_an_smtps_url_speaks_tls_from_the_first_byte(
        self, tls_files: tuple[ssl.SSLContext, Path], tmp_path: Path, clock: SettableClock
    ) -> None:
        context, ca_file = tls_files
        server = SmtpServer(free_port(), ssl_context=context)
        server.start()
        try:
            mail = f"smtps://127.0.0.1:{server.port}?ca_file={ca_file}"
            services = college_on(tmp_path / "smtps.db", clock, mail)

            services.sponsorships.request("E1", ["IPAC"])

            assert len(server.messages) == 2
            services.close()
        finally:
            server.stop()


class TestOutages:
    def test_a_server_that_hangs_up_is_contacted_once_per_delivery_run(
        self, hang_up_server: HangUpServer, tmp_path: Path, clock: SettableClock
    ) -> None:
        services = college_on(tmp_path / "down.db", clock, hang_up_server.url)

        services.sponsorships.request("E1", ["IPAC"])

        entries = services.outbox.messages()
        assert hang_up_server.connections == 1
        assert [e.attempts for e in entries] == [1, 1]
        assert all("Connection unexpectedly closed" in (e.last_error or "") for e in entries)
        services.close()

    def test_a_silent_server_holds_a_command_no_longer_than_the_timeout(
        self, silent_server: HangUpServer, tmp_path: Path, clock: SettableClock
    ) -> None:
        services = college_on(tmp_path / "silent.db", clock, f"{silent_server.url}?timeout=0.5")

        started = time.monotonic()
        services.sponsorships.request("E1", ["IPAC"])
        took = time.monotonic() - started

        assert took < 3
        assert silent_server.connections == 1
        assert all("timed out" in (e.last_error or "") for e in services.outbox.messages())
        services.close()


class TestNeverTwiceAcrossProcesses:
    def test_processes_delivering_at_once_hand_each_message_to_the_server_once(
        self, smtp_server: SmtpServer, tmp_path: Path, clock: SettableClock
    ) -> None:
        store = tmp_path / "shared.db"
        smtp_server.stop()
        services = college_on(store, clock, smtp_server.url, employees=20)
        for n in range(1, 21):
            services.sponsorships.request(f"E{n}", ["IPAC"])
        queued = [e.message_id for e in services.outbox.messages() if e.sent_at is None]
        services.close()
        smtp_server.start()
        retry_at = REQUESTED_AT + timedelta(minutes=5)

        with ProcessPoolExecutor(max_workers=3, mp_context=get_context("spawn")) as pool:
            sent = list(
                pool.map(deliver, [f"sqlite:///{store}"] * 3, [retry_at] * 3, [smtp_server.url] * 3)
            )

        received = Counter(str(m["Message-ID"]) for m in smtp_server.messages)
        assert len(queued) == 40
        assert sum(sent) == 40
        assert received == Counter(queued)
