"""Ports of the mail capability: sending messages and reading inbound replies."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

import attrs


@attrs.frozen
class OutgoingMessage:
    """An e-mail ready for delivery; ``message_id`` is stable, so a retry is recognisable."""

    message_id: str
    recipient: str
    subject: str
    body: str
    kind: str
    queued_at: datetime | None = None
    reply_to: str | None = None


class Mailer(Protocol):
    """Delivers e-mail. Raising means not delivered; the outbox tries again later.

    Raise :class:`MailServiceUnavailable` when no message could get through (server down,
    timeout, refused login): the outbox then stops the delivery run instead of waiting on the
    same outage for every message. Any other exception fails this message only.
    """

    def send(self, message: OutgoingMessage) -> None:
        """Deliver one message, or raise."""
        ...


class MailServiceUnavailable(Exception):
    """The mail service cannot take any message now; the message was not delivered."""


@attrs.frozen
class ParsedReply:
    """What an inbound e-mail says, as the approval-reply rules need it (R3).

    ``message_id`` is the Message-ID, or a digest of the message when it has none;
    ``recipients`` holds every To, Cc, Delivered-To and X-Original-To address;
    ``answer_line`` is the first line the sender wrote above any quoted text (None if none).
    """

    message_id: str
    sender: str | None
    recipients: tuple[str, ...]
    subject: str
    answer_line: str | None
    authentication_results: tuple[str, ...] = ()


class ReplyParser(Protocol):
    """Reads a raw RFC 5322 message as real mail clients write replies."""

    def parse(self, raw: bytes) -> ParsedReply:
        """The parts of ``raw`` the approval-reply rules need; never raises on odd input."""
        ...


@attrs.frozen
class InboundMessage:
    """One received e-mail: its bytes, the source's authentication verdict if it gives one
    (an Authentication-Results value), and where it came from (for reports)."""

    raw: bytes
    authentication: str | None = None
    origin: str = ""


class InboundMail(Protocol):
    """Where replies arrive: an IMAP folder, a webhook's queue, files or standard input."""

    def fetch(self) -> Iterable[InboundMessage]:
        """The messages waiting to be read."""
        ...

    def done(self, message: InboundMessage) -> None:
        """``message`` was handled (recorded or refused): the source need not offer it again.
        A message offered again anyway changes nothing (its Message-ID is recorded)."""
        ...
