"""Approval by e-mail reply (R3): an inbound reply approves, declines, or is refused.

A reply counts only when it carries a genuine token for a request that still awaits an answer,
comes from a registered approver of that request's employer, passes the receiving server's
authentication checks, and its first line is a clear YES or NO. It is then recorded through the
same domain methods as ``sponsorships approve`` / ``decline`` (R4 follows exactly as for the
CLI). Anything else changes nothing; registered approvers are told why (ADR 0012).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import attrs

from carepassport.application.mail.authentication import authentication_verdicts
from carepassport.application.mail.outbox import notify
from carepassport.application.mail.ports import InboundMail, ParsedReply, ReplyParser
from carepassport.application.reference import ReferenceData
from carepassport.application.store import CarePassportApplication, ConcurrentUpdate
from carepassport.application.training import notices
from carepassport.application.training.approval_tokens import ApprovalTokens
from carepassport.application.training.sponsorships import Sponsorships
from carepassport.domain.errors import DomainError, InvalidValue
from carepassport.domain.training.approval_reply import (
    ApprovalReply,
    Refusal,
    RefusalReason,
    ReplyAnswer,
    judge_reply,
    read_answer,
    refusal_recipients,
)
from carepassport.domain.training.sponsorship import Sponsorship
from carepassport.domain.values import EmailAddress, email_address

log = logging.getLogger(__name__)
CONFLICT_RETRIES = 3


class RepliesNotConfigured(DomainError):
    """Replies cannot be read: no approval secret is configured."""

    code = "not_configured"


@attrs.frozen
class ReplyOutcome:
    """What one inbound reply did: ``approved``, ``declined``, ``refused`` or ``duplicate``
    (already received: nothing changed again). ``answered`` lists who was told of a refusal."""

    message_id: str
    outcome: str
    sponsorship_id: UUID | None
    sender: str | None
    reasons: list[str] = attrs.field(factory=list)
    explanation: str = ""
    answered: list[str] = attrs.field(factory=list)
    origin: str = ""


class ApprovalReplies:
    """Reads approvers' replies and records their answers (R3)."""

    def __init__(
        self,
        app: CarePassportApplication,
        reference: ReferenceData,
        sponsorships: Sponsorships,
        parser: ReplyParser,
        tokens: ApprovalTokens | None,
    ) -> None:
        self._app = app
        self._reference = reference
        self._sponsorships = sponsorships
        self._parser = parser
        self._tokens = tokens

    def receive_from(self, source: InboundMail) -> list[ReplyOutcome]:
        """Read every message the source holds; each is marked done once handled."""
        self._require_tokens()
        outcomes: list[ReplyOutcome] = []
        for message in source.fetch():
            outcome = self.receive_reply(message.raw, message.authentication)
            source.done(message)
            outcomes.append(attrs.evolve(outcome, origin=message.origin))
        return outcomes

    def receive_reply(self, raw: bytes, authentication: str | None = None) -> ReplyOutcome:
        """R3: approve, decline or refuse by one inbound message (its raw RFC 5322 bytes).

        ``authentication`` is the inbound source's own Authentication-Results verdict, if it
        gives one; a DKIM, SPF or DMARC ``fail`` there or in the message refuses the reply.
        """
        tokens = self._require_tokens()
        parsed = self._parser.parse(raw)
        for _ in range(CONFLICT_RETRIES):
            try:
                return self._receive(parsed, authentication, tokens)
            except ConcurrentUpdate:
                log.info("reply %s met a concurrent write; reading again", parsed.message_id)
        return self._receive(parsed, authentication, tokens)

    def _require_tokens(self) -> ApprovalTokens:
        if self._tokens is None:
            raise RepliesNotConfigured(
                "replies cannot be read without an approval secret: set "
                "CAREPASSPORT_APPROVAL_SECRET (or pass approval_secret= to bootstrap)"
            )
        return self._tokens

    def _receive(
        self, parsed: ParsedReply, authentication: str | None, tokens: ApprovalTokens
    ) -> ReplyOutcome:
        now = self._app.now_for_write()
        sender = _sender(parsed.sender)
        earlier = self._app.find(ApprovalReply, ApprovalReply.identity(parsed.message_id))
        if earlier is not None:
            return _duplicate(earlier)
        sponsorship, token_refusals = self._locate(parsed, tokens)
        if sponsorship is None:
            log.info("reply %s from %s refused: %s", parsed.message_id, sender, token_refusals)
            return _unanswered(parsed, sender, token_refusals)
        employer = self._reference.employer(sponsorship.employer_id)
        verdicts = authentication_verdicts([*parsed.authentication_results, authentication])
        reading = read_answer(parsed.answer_line)
        refusals = token_refusals + judge_reply(
            sponsorship=sponsorship,
            employer=employer,
            sender=sender,
            reading=reading,
            authentication_failures=[v for v in verdicts if v.endswith("=fail")],
        )
        if refusals:
            return self._refuse(parsed, sponsorship, sender, refusals, verdicts, now)
        assert sender is not None  # judged a registered approver
        if reading.answer is ReplyAnswer.YES:
            settings = self._app.settings()
            calendar = self._app.business_calendar(settings)
            sponsorship.approve(employer, sender, now, calendar, settings.version)
        else:
            sponsorship.decline(employer, sender, now)
        record = ApprovalReply.accept(
            message_id=parsed.message_id,
            sponsorship=sponsorship,
            sender=sender,
            answer=reading.answer,
            first_line=parsed.answer_line or "",
            authentication=verdicts,
            received_at=now,
        )
        self._app.record(sponsorship, record)
        return ReplyOutcome(
            message_id=parsed.message_id,
            outcome=sponsorship.status.value,
            sponsorship_id=sponsorship.id,
            sender=sender,
        )

    def _locate(
        self, parsed: ParsedReply, tokens: ApprovalTokens
    ) -> tuple[Sponsorship | None, list[Refusal]]:
        """The request the reply's tokens name (the Reply-To address's first, then the
        subject's), with any reason the tokens themselves refuse it."""
        found = tokens.in_addresses(parsed.recipients) + tokens.in_subject(parsed.subject)
        if not found:
            return None, [
                Refusal(
                    RefusalReason.NO_TOKEN,
                    "the message carries no approval token: reply to the request's own e-mail",
                )
            ]
        named = [tokens.read(token) for token in found]
        genuine = [identity for identity in named if identity is not None]
        if not genuine:
            return None, [
                Refusal(RefusalReason.INVALID_TOKEN, "the approval token is forged or altered")
            ]
        refusals: list[Refusal] = []
        if len(genuine) < len(named):
            refusals.append(
                Refusal(RefusalReason.INVALID_TOKEN, "one of its approval tokens is altered")
            )
        if len(set(genuine)) > 1:
            refusals.append(
                Refusal(
                    RefusalReason.CONFLICTING_TOKENS,
                    "it carries the approval tokens of different requests",
                )
            )
        sponsorship = self._app.find(Sponsorship, genuine[0])
        if sponsorship is None:
            return None, [
                Refusal(RefusalReason.UNKNOWN_SPONSORSHIP, "its request is not in this store")
            ]
        return sponsorship, refusals

    def _refuse(
        self,
        parsed: ParsedReply,
        sponsorship: Sponsorship,
        sender: EmailAddress | None,
        refusals: list[Refusal],
        verdicts: list[str],
        now: datetime,
    ) -> ReplyOutcome:
        """Record the refusal and tell registered approvers why (never anyone else)."""
        employer = self._reference.employer(sponsorship.employer_id)
        employee = self._reference.employee(sponsorship.employee_id)
        recipients = refusal_recipients(sender, employer.approvers)
        record = ApprovalReply.refuse(
            message_id=parsed.message_id,
            sponsorship=sponsorship,
            sender=sender,
            refusals=refusals,
            first_line=parsed.answer_line or "",
            authentication=verdicts,
            answered=recipients,
            received_at=now,
        )
        tag, reply_to = (
            self._sponsorships.reply_route(sponsorship)
            if sponsorship.awaiting_answer
            else ("", None)
        )
        subject, body = notices.approval_reply_refused(
            sponsorship, employee, sender, refusals, to_sender=recipients == (sender,), tag=tag
        )
        if not recipients:  # an employer without approvers: nobody to tell
            self._app.record(record)
            return _outcome(parsed.message_id, sponsorship.id, sender, refusals, recipients)
        kind = notices.APPROVAL_REPLY_REFUSED
        mail = [notify(kind, recipients, subject, body, record, now, reply_to=reply_to)]
        self._app.record(record, *mail)
        return _outcome(parsed.message_id, sponsorship.id, sender, refusals, recipients)


def _sender(address: str | None) -> EmailAddress | None:
    if not address:
        return None
    try:
        return email_address(address)
    except InvalidValue:
        return None


def _outcome(
    message_id: str,
    sponsorship_id: UUID | None,
    sender: str | None,
    refusals: Sequence[Refusal],
    answered: Sequence[str] = (),
) -> ReplyOutcome:
    return ReplyOutcome(
        message_id=message_id,
        outcome="refused",
        sponsorship_id=sponsorship_id,
        sender=sender,
        reasons=[r.reason.value for r in refusals],
        explanation="; ".join(r.explanation for r in refusals),
        answered=list(answered),
    )


def _unanswered(
    parsed: ParsedReply, sender: str | None, refusals: Sequence[Refusal]
) -> ReplyOutcome:
    """A reply naming no request of this store: nothing is recorded and nobody is written to,
    since nothing shows that the sender is anyone the product may write to."""
    return _outcome(parsed.message_id, None, sender, refusals)


def _duplicate(earlier: ApprovalReply) -> ReplyOutcome:
    what = f"{earlier.answer} accepted" if earlier.accepted else "refused"
    return ReplyOutcome(
        message_id=earlier.message_id,
        outcome="duplicate",
        sponsorship_id=earlier.sponsorship_id,
        sender=earlier.sender or None,
        reasons=list(earlier.reasons),
        explanation=(
            f"this message was already received on {earlier.received_at.isoformat()} "
            f"({what}); nothing changed"
        ),
        answered=[],
    )
