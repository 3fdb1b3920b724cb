"""Composing approvers' replies for integration tests, and what a reply left in the store."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path
from uuid import UUID

from carepassport.application.services import Services
from carepassport.application.training.approval_tokens import ApprovalTokens
from tests.conftest import APPROVAL_SECRET, APPROVER, REPLY_DOMAIN

TOKENS = ApprovalTokens.create(APPROVAL_SECRET, REPLY_DOMAIN)
FIXTURES = Path(__file__).parent.parent / "fixtures" / "replies"
QUOTED_REQUEST = (
    "> Employee E1 (pat.lee@example.org) asks you to sponsor these annual\n"
    "> mandatory training micro-credentials:\n>\n"
    ">   - IPAC: Infection Prevention and Control (fee $125.00)\n>\n"
    "> Reply YES to approve, or NO to decline.\n"
)


def reply(
    sponsorship_id: UUID,
    first_line: str,
    *,
    sender: str = APPROVER,
    message_id: str = "<reply-1@sunnybrook-ltc.example>",
    to_token: str | None = None,
    subject_token: str | None = None,
    authentication: str | None = None,
) -> bytes:
    """A Gmail-style reply to the request, its answer on the first line above the quote."""
    to_token = to_token if to_token is not None else TOKENS.token(sponsorship_id)
    subject_token = subject_token if subject_token is not None else TOKENS.token(sponsorship_id)
    email = EmailMessage()
    email["From"] = f"Dana Whitfield <{sender}>"
    email["To"] = f"approvals+{to_token}@{REPLY_DOMAIN}" if to_token else "cp@college.example"
    tag = f" [approval:{subject_token}]" if subject_token else ""
    email["Subject"] = f"Re: Sponsorship request {sponsorship_id} from E1: reply YES or NO{tag}"
    email["Message-ID"] = message_id
    if authentication:
        email["Authentication-Results"] = f"mx.{REPLY_DOMAIN}; {authentication}"
    email.set_content(
        f"{first_line}\n\nOn Mon, Apr 6, 2026 at 10:02 AM Care Passport "
        f"<care-passport@{REPLY_DOMAIN}> wrote:\n\n{QUOTED_REQUEST}"
    )
    return email.as_bytes()


def fixture_reply(name: str, sponsorship_id: UUID) -> bytes:
    """A realistic fixture answering ``sponsorship_id`` with its genuine token."""
    raw = (FIXTURES / name).read_bytes()
    return raw.replace(b"{{TOKEN}}", TOKENS.token(sponsorship_id).encode()).replace(
        b"{{SPONSORSHIP}}", str(sponsorship_id).encode()
    )


def position(services: Services) -> int:
    """The notification id of the latest event."""
    return services.app.recorder.max_notification_id() or 0


def events_since(services: Services, after: int) -> list[str]:
    """The type names of the events recorded after ``after``."""
    found = services.app.recorder.select_notifications(start=after + 1, limit=1000)
    return [n.topic.rsplit(".", 1)[-1] for n in found]
