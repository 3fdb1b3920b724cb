"""The text of the training capability's notices (approval requests and replies, enablement,
attempts, failures, unmatched results, LMS provisioning): one function a kind, stable kind
names."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from carepassport.domain.reference import Employee, MicroCredential
from carepassport.domain.time import local
from carepassport.domain.training.approval_reply import Refusal, RefusalReason
from carepassport.domain.training.attempts import CountedAttempt
from carepassport.domain.training.lms import LmsResult
from carepassport.domain.training.lms_access import LmsProvisioning
from carepassport.domain.training.policies import FeePayer
from carepassport.domain.training.registration import Registration
from carepassport.domain.training.sponsorship import Sponsorship

APPROVAL_REQUEST = "approval_request"
SELF_REGISTRATION_INSTRUCTIONS = "self_registration_instructions"
REGISTRATION_FAILED = "registration_failed"
ATTEMPT_RESULT = "attempt_result"
UNMATCHED_RESULT = "unmatched_result"
APPROVAL_REMINDER = "approval_reminder"
APPROVAL_REPLY_REFUSED = "approval_reply_refused"

Notice = tuple[str, str]


def _when(moment: datetime) -> str:
    return local(moment).strftime("%A %Y-%m-%d %H:%M %Z")


def _tagged(subject: str, tag: str) -> str:
    return f"{subject} {tag}" if tag else subject


def _how_to_answer(tag: str) -> str:
    """R3: with a token (``tag``), replies are read automatically. No line of a request ever
    starts with YES or NO, so quoted text can never be read as an answer."""
    if not tag:
        return "Reply YES to approve, or NO to decline.\n"
    return (
        "Reply YES to approve, or NO to decline.\n"
        "Your reply is read automatically: write YES or NO at the start of its first line, "
        "send it from your registered approver address, and keep the subject's approval tag.\n"
    )


def approval_request(
    sponsorship: Sponsorship,
    employee: Employee,
    credentials: Iterable[MicroCredential],
    tag: str = "",
) -> Notice:
    """R3: the approver is asked once, listing every micro-credential requested; ``tag``
    carries the request's approval token when replies are read."""
    lines = "\n".join(f"  - {c.code}: {c.title} (fee ${c.fee})" for c in credentials)
    subject = f"Sponsorship request {sponsorship.id} from {employee.employee_id}: reply YES or NO"
    body = (
        f"Employee {employee.employee_id} ({employee.email}) asks you to sponsor these "
        f"annual mandatory training micro-credentials:\n\n{lines}\n\n"
        f"{_how_to_answer(tag)}"
        f"Sponsorship request: {sponsorship.id}\n"
    )
    return _tagged(subject, tag), body


def approval_reminder(
    sponsorship: Sponsorship,
    employee: Employee,
    credentials: Iterable[MicroCredential],
    number: int,
    of: int,
    tag: str = "",
) -> Notice:
    """R3: an unanswered request is recalled to the approvers (reminder ``number`` of ``of``)."""
    lines = "\n".join(f"  - {c.code}: {c.title} (fee ${c.fee})" for c in credentials)
    subject = (
        f"Reminder {number} of {of}: sponsorship request {sponsorship.id} from "
        f"{employee.employee_id} awaits your answer: reply YES or NO"
    )
    body = (
        f"On {_when(sponsorship.requested_at)} employee {employee.employee_id} "
        f"({employee.email}) asked you to sponsor these annual mandatory training "
        f"micro-credentials, and no answer has come yet:\n\n{lines}\n\n"
        "The employee cannot self-register until you answer.\n"
        f"{_how_to_answer(tag)}"
        f"Sponsorship request: {sponsorship.id}\n"
    )
    return _tagged(subject, tag), body


def self_registration_instructions(
    sponsorship: Sponsorship, credentials: Iterable[MicroCredential]
) -> Notice:
    """R4: the employee learns they can self-register, fee-free, for what was approved."""
    lines = "\n".join(
        f"  - {c.code}: {c.title} ({c.access_days} days of access, {c.max_attempts} quiz attempts)"
        for c in credentials
    )
    subject = "You can now self-register for your Care Passport micro-credentials"
    body = (
        "Your employer approved your sponsorship request. You can now self-register, without "
        f"paying the fee, for:\n\n{lines}\n\n"
        "Register for a few at a time: access counts from the registration date and starts "
        "two hours after you register.\n"
        f"Sponsorship: {sponsorship.id}\n"
    )
    return subject, body


def registration_failed(
    registration: Registration, employee: Employee, retake_fee: str, retake_payer: FeePayer
) -> Notice:
    """R12: a failed registration is flagged at once to the employee and the employer."""
    reason = registration.failure_reason.value if registration.failure_reason else "unknown"
    explained = {
        "access_expired": "the 14-day access period ended without a pass",
        "attempts_exhausted": "both attempts at the final quiz were failed",
    }.get(reason, reason)
    subject = (
        f"Registration in {registration.credential_code} by {employee.employee_id} "
        f"was unsuccessful ({reason})"
    )
    body = (
        f"The registration of {employee.employee_id} in {registration.credential_code} "
        f"(registered {_when(registration.registered_at)}) did not succeed: {explained}.\n"
        f"A retake is a new registration. It costs ${retake_fee}; under the employer's retake "
        f"policy it would be paid by the {retake_payer.value}.\n"
        f"Registration: {registration.id}\n"
    )
    return subject, body


def attempt_result(
    registration: Registration, employee: Employee, attempt: CountedAttempt, max_attempts: int
) -> Notice:
    """R15: each pass or no-pass is shown to the employee and the employer once recorded."""
    grade = "Pass" if attempt.passed else "No Pass"
    subject = (
        f"{registration.credential_code}: {grade} on attempt {attempt.number} of {max_attempts} "
        f"({employee.employee_id})"
    )
    body = (
        f"{employee.employee_id} attempted the final quiz of {registration.credential_code} on "
        f"{_when(attempt.attempted_at)}: {grade} (score {attempt.score}).\n"
        f"This was attempt {attempt.number} of {max_attempts}.\n"
        f"Registration: {registration.id}\n"
    )
    return subject, body


def unmatched_result(result: LmsResult) -> Notice:
    """R11: a result whose student number matches no employee is flagged to the college."""
    data = result.result
    subject = (
        f"LMS result {data.record_id} matches no employee (student number {data.student_number})"
    )
    body = (
        f"The LMS reported a result for student number {data.student_number} in "
        f"{data.credential_code} (attempt {data.attempt}, attempted {_when(data.attempted_at)}), "
        "but no employee has that student number. The result is held, not lost: set or correct "
        "the employee's student number and it will be applied.\n"
        f"LMS record: {data.record_id}\n"
    )
    return subject, body


LMS_PROVISIONING_FAILED = "lms_provisioning_failed"


def lms_provisioning_failed(provisioning: LmsProvisioning, why: str) -> Notice:
    """R6/R7: the LMS did not enrol (or unenrol) a learner; the college is told what failed."""
    operation = provisioning.operation.value
    subject = (
        f"The LMS did not {operation} {provisioning.employee_id} in {provisioning.credential_code}"
    )
    body = (
        f"The LMS did not {operation} {provisioning.employee_id} in the course of "
        f"{provisioning.credential_code}: {provisioning.last_error}\n{why}\n"
        f"Registration: {provisioning.registration_id}\n"
    )
    return subject, body


def approval_reply_refused(
    sponsorship: Sponsorship,
    employee: Employee,
    sender: str | None,
    refusals: Sequence[Refusal],
    *,
    to_sender: bool,
    tag: str = "",
) -> Notice:
    """R3: a reply that changed nothing is answered with the reasons, to registered approvers
    only. Told to others than its sender, a reply's own text is not repeated."""
    codes = ", ".join(sponsorship.credentials)
    about = f"the sponsorship request of employee {employee.employee_id} ({codes})"
    if to_sender:
        subject = f"Your reply about sponsorship request {sponsorship.id} was not accepted"
        opening = f"Your reply about {about} was received, but nothing was changed, because:"
    else:
        subject = (
            f"A reply about sponsorship request {sponsorship.id} from "
            f"{sender or 'an unknown sender'} was not accepted"
        )
        opening = (
            f"A reply from {sender or 'a message without a single From address'} about {about} "
            "was received and refused; nothing was changed, because:"
        )
    reasons = "\n".join(
        f"  - {_refusal_text(refusal, repeat_text=to_sender)}" for refusal in refusals
    )
    if sponsorship.awaiting_answer:
        then = (
            "The request still awaits an answer. To answer it, reply to this message from your "
            "registered approver address and write YES (approve) or NO (decline) at the start "
            "of the first line.\n"
        )
    else:
        then = f"The request was already {sponsorship.status.value}.\n"
    body = f"{opening}\n{reasons}\n\n{then}Sponsorship request: {sponsorship.id}\n"
    return _tagged(subject, tag), body


def _refusal_text(refusal: Refusal, *, repeat_text: bool) -> str:
    if refusal.reason is RefusalReason.UNCLEAR_ANSWER and not repeat_text:
        return "its first line is not a clear YES or NO"
    return refusal.explanation
