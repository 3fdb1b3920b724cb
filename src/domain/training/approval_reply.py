"""Approval by e-mail reply (R3): reading the answer, judging the reply, and its record.

Pure: the application finds the token, the sender and the first line the approver wrote; these
functions decide what they mean, and ``ApprovalReply`` records what became of one inbound message.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

import attrs
from eventsourcing.domain import Aggregate

from carepassport.domain.base import CreatedEvent, aggregate_id
from carepassport.domain.reference import Employer
from carepassport.domain.training.sponsorship import Sponsorship
from carepassport.domain.values import EmailAddress

SHOWN_CHARACTERS = 80
_WORD = re.compile(r"[^\W\d_]+")
_CONDITIONS = frozenset({"maybe", "perhaps", "possibly", "but", "unless", "except", "if", "only"})
_CONTRADICTIONS = {
    "yes": frozenset({"no", "not", "never"}),
    # "No problem", "no objection": consent, not a refusal, so not a clear NO either.
    "no": frozenset(
        {"yes", "problem", "problems", "worries", "worry", "objection", "objections", "issue"}
    ),
}


class ReplyAnswer(StrEnum):
    """What a reply's first line says."""

    YES = "yes"
    NO = "no"
    UNCLEAR = "unclear"


@attrs.frozen
class AnswerReading:
    """The answer read from a reply's first line, and why when it is unclear."""

    answer: ReplyAnswer
    explanation: str = ""


def shown(line: str) -> str:
    """A line as quoted back in explanations: trimmed and at most 80 characters."""
    line = " ".join(line.split())
    return line if len(line) <= SHOWN_CHARACTERS else line[: SHOWN_CHARACTERS - 1] + "…"


def read_answer(first_line: str | None) -> AnswerReading:
    """R3: YES approves and NO declines when the reply's first line starts with the word
    (any case, punctuation allowed: "Yes.", "YES!", "yes, approved"); a line that hedges or
    contradicts itself ("yes and no", "yes, but…", "no problem"), or says something else, is
    unclear. Nothing is guessed: only a clear answer changes anything.
    """
    line = unicodedata.normalize("NFKC", first_line or "").strip()
    words = [w.lower() for w in _WORD.findall(line)]
    if not words:
        return AnswerReading(
            ReplyAnswer.UNCLEAR, "the reply has no answer above the quoted message"
        )
    first = words[0]
    if first not in _CONTRADICTIONS:
        return AnswerReading(
            ReplyAnswer.UNCLEAR, f"the first line {shown(line)!r} does not start with YES or NO"
        )
    doubtful = [w for w in words[1:] if w in _CONDITIONS or w in _CONTRADICTIONS[first]]
    if doubtful:
        return AnswerReading(
            ReplyAnswer.UNCLEAR,
            f"the first line {shown(line)!r} starts with {first.upper()} but also says "
            f"{doubtful[0]!r}",
        )
    return AnswerReading(ReplyAnswer(first))


class RefusalReason(StrEnum):
    """Why a reply changed nothing (stable codes)."""

    NO_TOKEN = "no_token"
    INVALID_TOKEN = "invalid_token"
    CONFLICTING_TOKENS = "conflicting_tokens"
    UNKNOWN_SPONSORSHIP = "unknown_sponsorship"
    AUTHENTICATION_FAILED = "authentication_failed"
    NOT_AN_APPROVER = "not_an_approver"
    ALREADY_ANSWERED = "already_answered"
    UNCLEAR_ANSWER = "unclear_answer"


@attrs.frozen
class Refusal:
    """One reason a reply was not acted on, explained for people."""

    reason: RefusalReason
    explanation: str


def judge_reply(
    *,
    sponsorship: Sponsorship,
    employer: Employer,
    sender: EmailAddress | None,
    reading: AnswerReading,
    authentication_failures: Sequence[str],
) -> list[Refusal]:
    """R3: every reason a reply to ``sponsorship`` must change nothing; none means its
    answer counts. The token was checked before: it names ``sponsorship``."""
    refusals: list[Refusal] = []
    if authentication_failures:
        refusals.append(
            Refusal(
                RefusalReason.AUTHENTICATION_FAILED,
                "the receiving mail server could not confirm the sender ("
                + ", ".join(authentication_failures)
                + ")",
            )
        )
    if sender is None or sender not in employer.approvers:
        who = sender or "a message without a single From address"
        refusals.append(
            Refusal(
                RefusalReason.NOT_AN_APPROVER,
                f"{who} is not a registered approver address of employer {employer.employer_id}",
            )
        )
    if not sponsorship.awaiting_answer:
        refusals.append(
            Refusal(
                RefusalReason.ALREADY_ANSWERED,
                f"the request was already {sponsorship.status.value}; "
                "an answered request cannot be answered again",
            )
        )
    if reading.answer is ReplyAnswer.UNCLEAR:
        refusals.append(Refusal(RefusalReason.UNCLEAR_ANSWER, reading.explanation))
    return refusals


def refusal_recipients(
    sender: EmailAddress | None, approvers: Sequence[EmailAddress]
) -> tuple[EmailAddress, ...]:
    """Who is told that a reply was refused: only ever registered approver addresses.

    A registered approver who sent it is answered; otherwise (a spoofed or unregistered
    sender) the employer's approvers are told, never the sender, so nobody can use the
    product to send mail to an address of their choosing.
    """
    if sender is not None and sender in approvers:
        return (sender,)
    return tuple(approvers)


class ApprovalReply(Aggregate):
    """What became of one inbound reply, found by its Message-ID: a redelivery is seen."""

    class ReplyAccepted(CreatedEvent):
        personal: ClassVar[dict[str, str]] = {"sender": "email", "first_line": "record"}
        message_id: str
        sponsorship_id: UUID
        sender: str
        answer: str
        first_line: str
        authentication: list[str]
        received_at: datetime
        business_time_field = "received_at"

    class ReplyRefused(CreatedEvent):
        personal: ClassVar[dict[str, str]] = {
            "sender": "email",
            "first_line": "record",
            "answered": "email",
            "explanation": "record",
        }
        message_id: str
        sponsorship_id: UUID
        sender: str
        reasons: list[str]
        explanation: str
        first_line: str
        authentication: list[str]
        answered: list[str]
        received_at: datetime
        business_time_field = "received_at"

    def __init__(
        self,
        message_id: str,
        sponsorship_id: UUID,
        sender: str,
        first_line: str,
        authentication: list[str],
        received_at: datetime,
        answer: str = "",
        reasons: list[str] | None = None,
        explanation: str = "",
        answered: list[str] | None = None,
    ) -> None:
        self.message_id = message_id
        self.sponsorship_id = sponsorship_id
        self.sender = sender
        self.first_line = first_line
        self.authentication = list(authentication)
        self.received_at = received_at
        self.answer = answer
        self.reasons = list(reasons or [])
        self.explanation = explanation
        self.answered = list(answered or [])

    @property
    def accepted(self) -> bool:
        """Whether the reply's answer was recorded on its sponsorship."""
        return not self.reasons

    @staticmethod
    def identity(message_id: str) -> UUID:
        """The record of the inbound message with this Message-ID."""
        return aggregate_id("approval-reply", message_id)

    @classmethod
    def accept(
        cls,
        *,
        message_id: str,
        sponsorship: Sponsorship,
        sender: EmailAddress,
        answer: ReplyAnswer,
        first_line: str,
        authentication: list[str],
        received_at: datetime,
    ) -> ApprovalReply:
        """Record a reply whose answer was recorded on its sponsorship (in the same save)."""
        return cls._create(
            cls.ReplyAccepted,
            id=cls.identity(message_id),
            timestamp=received_at,
            message_id=message_id,
            sponsorship_id=sponsorship.id,
            sender=sender,
            answer=answer.value,
            first_line=shown(first_line),
            authentication=authentication,
            received_at=received_at,
        )

    @classmethod
    def refuse(
        cls,
        *,
        message_id: str,
        sponsorship: Sponsorship,
        sender: EmailAddress | None,
        refusals: Sequence[Refusal],
        first_line: str,
        authentication: list[str],
        answered: Sequence[EmailAddress],
        received_at: datetime,
    ) -> ApprovalReply:
        """Record a reply that changed nothing, why, and who was told."""
        return cls._create(
            cls.ReplyRefused,
            id=cls.identity(message_id),
            timestamp=received_at,
            message_id=message_id,
            sponsorship_id=sponsorship.id,
            sender=sender or "",
            reasons=[r.reason.value for r in refusals],
            explanation="; ".join(r.explanation for r in refusals),
            first_line=shown(first_line),
            authentication=authentication,
            answered=list(answered),
            received_at=received_at,
        )
