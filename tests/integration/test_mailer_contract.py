"""One contract for the Mailer port: the fake, the .eml folder and SMTP all pass it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import NamedTuple

import pytest

from carepassport.adapters.mail.mailers import FileOutboxMailer, InMemoryMailer
from carepassport.adapters.mail.smtp import SmtpMailer, SmtpSettings
from carepassport.application.mail.ports import Mailer, MailServiceUnavailable, OutgoingMessage
from carepassport.domain.time import TORONTO
from tests.integration.smtp_server import SmtpServer, free_port

SENDER = "registrar@college.example"
MESSAGE = OutgoingMessage(
    message_id="<0b7e3a52-5b1c-5d27-9a39-1f5c8f6d2e10@carepassport>",
    recipient="pat.lee@example.org",
    subject="Your self-registration is open",
    body="Register for IPAC before 2026-04-20.\n",
    kind="self_registration_instructions",
    queued_at=datetime(2026, 4, 6, 9, 0, tzinfo=TORONTO),
)


class Delivered(NamedTuple):
    message_id: str
    recipient: str
    subject: str
    body: str
    kind: str


class Subject(NamedTuple):
    """A mailer, what reached its destination, and how to make it unable to deliver."""

    mailer: Mailer
    delivered: Callable[[], list[Delivered]]
    break_it: Callable[[], None]


def from_email(message: EmailMessage) -> Delivered:
    return Delivered(
        str(message["Message-ID"]),
        str(message["To"]),
        str(message["Subject"]),
        message.get_content().replace("\r\n", "\n"),
        str(message["X-Care-Passport-Kind"]),
    )


def in_memory(tmp_path: Path) -> Iterator[Subject]:
    mailer = InMemoryMailer()
    yield Subject(
        mailer,
        lambda: [
            Delivered(m.message_id, m.recipient, m.subject, m.body, m.kind) for m in mailer.sent
        ],
        lambda: mailer.fail_next(99),
    )


def eml_folder(tmp_path: Path) -> Iterator[Subject]:
    folder = tmp_path / "outbox"
    mailer = FileOutboxMailer(folder, SENDER)

    def delivered() -> list[Delivered]:
        parsed = [message_from_bytes(p.read_bytes(), policy=default) for p in folder.glob("*.eml")]
        return [from_email(m) for m in parsed if isinstance(m, EmailMessage)]

    def break_it() -> None:
        mailer.folder = tmp_path / "not-a-folder"
        mailer.folder.write_text("a file where the folder should be")

    yield Subject(mailer, delivered, break_it)


def smtp(tmp_path: Path) -> Iterator[Subject]:
    server = SmtpServer(free_port())
    server.start()
    settings = SmtpSettings.from_url(
        f"{server.url}?from={SENDER}&timeout=5", environ={}, default_sender=SENDER
    )
    yield Subject(
        SmtpMailer(settings), lambda: [from_email(m) for m in server.messages], server.stop
    )
    server.stop()


@pytest.fixture(params=[in_memory, eml_folder, smtp], ids=["memory", "eml-folder", "smtp"])
def subject(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Subject]:
    yield from request.param(tmp_path)


class TestMailerContract:
    def test_a_sent_message_arrives_with_its_id_recipient_subject_body_and_kind(
        self, subject: Subject
    ) -> None:
        subject.mailer.send(MESSAGE)

        assert subject.delivered() == [
            Delivered(
                MESSAGE.message_id, MESSAGE.recipient, MESSAGE.subject, MESSAGE.body, MESSAGE.kind
            )
        ]

    def test_a_message_sent_again_carries_the_same_message_id(self, subject: Subject) -> None:
        subject.mailer.send(MESSAGE)
        subject.mailer.send(MESSAGE)

        assert {d.message_id for d in subject.delivered()} == {MESSAGE.message_id}

    def test_a_mailer_that_cannot_deliver_says_the_service_is_unavailable(
        self, subject: Subject
    ) -> None:
        subject.break_it()

        with pytest.raises(MailServiceUnavailable):
            subject.mailer.send(MESSAGE)

        assert subject.delivered() == []
