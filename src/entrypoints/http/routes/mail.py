"""Mail: the outbox for operators, and approvers' replies delivered by the mail gateway."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header

from carepassport.application.mail.views import OutboxMessage
from carepassport.application.training.replies import ReplyOutcome
from carepassport.domain.access.api_access import Role
from carepassport.entrypoints.http.core import Caller, allow
from carepassport.entrypoints.http.models import Strict, list_of, model_for

router = APIRouter(prefix="/mail", tags=["mail"])
College = Annotated[Caller, Depends(allow(Role.COLLEGE))]


class InboundReply(Strict):
    """A reply as its Idempotency-Key fingerprint sees it."""

    message: str
    authentication: str | None


@router.get("/outbox", response_model=list_of(OutboxMessage))
def outbox(caller: College, to: str | None = None) -> Any:
    """Queued messages, oldest first (optionally only those ``to`` one address): when sent, or
    attempts, last error and next attempt."""
    return caller.read(lambda s: [OutboxMessage.of(m) for m in s.outbox.messages(to)])


@router.post("/outbox/{message_id}/retry", response_model=model_for(OutboxMessage))
def retry(message_id: str, caller: College) -> Any:
    """Queue an abandoned message again (by its message_id or notification id); it is tried at
    once."""
    return caller.command(lambda s: OutboxMessage.of(s.outbox.requeue(message_id)))


@router.post("/replies", response_model=model_for(ReplyOutcome))
def receive_reply(
    caller: College,
    message: Annotated[bytes, Body(media_type="message/rfc822", description="The raw message.")],
    authentication_results: Annotated[
        str | None,
        Header(description="The receiving server's verdict, e.g. 'dkim=pass; dmarc=pass'."),
    ] = None,
) -> Any:
    """An approver's reply (R3): YES approves, NO declines; anything else is refused and the
    registered approvers are told why. A message received twice changes nothing."""
    fingerprint = InboundReply(
        message=message.decode("utf-8", "replace"), authentication=authentication_results
    )
    return caller.command(
        lambda s: s.replies.receive_reply(message, authentication_results), fingerprint
    )
