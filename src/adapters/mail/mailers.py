"""Mailers: a folder of .eml files (the CLI's outbox), and an in-memory fake that keeps state."""

from __future__ import annotations

import os
import tempfile
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from carepassport.application.mail.ports import MailServiceUnavailable, OutgoingMessage
from carepassport.domain.time import TORONTO


def to_email(message: OutgoingMessage, sender: str) -> EmailMessage:
    """An RFC 5322 message; the stable Message-ID lets receivers drop a redelivery."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.recipient
    email["Subject"] = message.subject
    if message.reply_to:
        email["Reply-To"] = message.reply_to
    email["Message-ID"] = message.message_id
    email["X-Care-Passport-Kind"] = message.kind
    if message.queued_at is not None:
        email["Date"] = format_datetime(message.queued_at.astimezone(TORONTO))
    email.set_content(message.body)
    return email


class FileOutboxMailer:
    """Writes each message as ``<id>.eml`` in a folder; writing the same message again replaces it.

    Files are written to a temporary name and renamed, so a reader never sees half a message.
    """

    def __init__(self, folder: Path, sender: str) -> None:
        self.folder = folder
        self.sender = sender

    def send(self, message: OutgoingMessage) -> None:
        """Write the message to the folder; MailServiceUnavailable if the folder cannot be
        written (no message could be)."""
        try:
            self._write(message)
        except OSError as error:
            raise MailServiceUnavailable(
                f"cannot write to the mail folder {self.folder}: {error.strerror or error}"
            ) from None

    def _write(self, message: OutgoingMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = message.message_id.strip("<>").split("@")[0] + ".eml"
        data = to_email(message, self.sender).as_bytes()
        fd, temporary = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temporary, self.folder / name)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


class InMemoryMailer:
    """Keeps what it was asked to send in ``sent``; ``fail_next`` simulates an outage."""

    def __init__(self) -> None:
        self.sent: list[OutgoingMessage] = []
        self.failures_left = 0

    def fail_next(self, count: int = 1) -> None:
        """Refuse the next ``count`` deliveries."""
        self.failures_left = count

    def send(self, message: OutgoingMessage) -> None:
        """Keep the message, unless an outage is being simulated."""
        if self.failures_left:
            self.failures_left -= 1
            raise MailServiceUnavailable("simulated mail outage")
        self.sent.append(message)
