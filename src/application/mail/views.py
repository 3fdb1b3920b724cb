"""Typed results of the mail use cases: a queued message as callers see it."""

from __future__ import annotations

from datetime import datetime

import attrs

from carepassport.application.ports import OutboxEntry


@attrs.frozen
class OutboxMessage:
    """A queued message as operators see it: when sent, or its attempts, last error and next
    attempt; ``message_id`` is what ``retry`` takes."""

    to: str
    subject: str
    body: str
    kind: str
    queued_at: datetime
    sent_at: datetime | None
    message_id: str
    reply_to: str | None
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    abandoned: bool
    abandoned_at: datetime | None

    @classmethod
    def of(cls, entry: OutboxEntry) -> OutboxMessage:
        """Present an outbox entry."""
        return cls(
            to=entry.recipient,
            subject=entry.subject,
            body=entry.body,
            kind=entry.kind,
            queued_at=entry.queued_at,
            sent_at=entry.sent_at,
            message_id=entry.message_id,
            reply_to=entry.reply_to,
            attempts=entry.attempts,
            next_attempt_at=entry.next_attempt_at,
            last_error=entry.last_error,
            abandoned=entry.abandoned,
            abandoned_at=entry.abandoned_at,
        )
