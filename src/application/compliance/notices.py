"""The text of the compliance capability's notices (expiry reminders, expiry, the college's
decisions), one function a kind (stable kind names)."""

from __future__ import annotations

from datetime import date

from carepassport.domain.reference import Employee

Notice = tuple[str, str]

EXPIRY_REMINDER = "expiry_reminder"
CREDENTIAL_EXPIRED = "credential_expired"
CREDENTIAL_STATUS_CHANGED = "credential_status_changed"


def expiry_reminder(employee: Employee, code: str, valid_until: date, days: int) -> Notice:
    """R14: a reminder ``days`` before the credential's last valid day."""
    subject = (
        f"{code} for {employee.employee_id} expires in {days} days (valid until {valid_until})"
    )
    body = (
        f"The {code} micro-credential of {employee.employee_id} is valid until {valid_until} "
        f"and expires at 00:00 the day after. Request sponsorship for its renewal now: "
        "renewing early costs nothing.\n"
    )
    return subject, body


def credential_expired(employee: Employee, code: str, valid_until: date) -> Notice:
    """R14: on expiry both the employee and the employer are told."""
    subject = f"{code} for {employee.employee_id} has expired"
    body = (
        f"The {code} micro-credential of {employee.employee_id} was valid until {valid_until} "
        "and has now expired. The employee must renew it to be compliant.\n"
    )
    return subject, body


def credential_status_changed(
    employee: Employee, code: str, change: str, reason: str, notes: str
) -> Notice:
    """The college's decision on a credential: suspend, reinstate, revoke, recertify."""
    subject = f"{code} for {employee.employee_id}: {change}"
    body = (
        f"The college changed the status of the {code} micro-credential of "
        f"{employee.employee_id}: {change}.\nReason: {reason}\n"
        + (f"Notes: {notes}\n" if notes else "")
    )
    return subject, body
