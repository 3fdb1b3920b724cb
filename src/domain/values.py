"""Typed identifiers and value objects shared by the aggregates."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import NewType
from uuid import UUID

import attrs

from carepassport.domain.errors import InvalidValue
from carepassport.domain.time import require_aware

EmployeeId = NewType("EmployeeId", str)
EmployerId = NewType("EmployerId", str)
CredentialCode = NewType("CredentialCode", str)
EmailAddress = NewType("EmailAddress", str)
StudentNumber = NewType("StudentNumber", str)
ERASED = "[erased]"
"""What a personal value reads as once its subject's key is erased (docs/adr/0023)."""

MAX_FEE = Decimal("100000.00")
_IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_EMAIL = re.compile(r"^[^@\s<>(),;:\"]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def _identifier(value: str, what: str) -> str:
    value = value.strip()
    if not _IDENTIFIER.match(value):
        raise InvalidValue(
            f"{what} {value!r} must be 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return value


def employee_id(value: str) -> EmployeeId:
    """Validate an employee identifier."""
    return EmployeeId(_identifier(value, "employee id"))


def employer_id(value: str) -> EmployerId:
    """Validate an employer identifier."""
    return EmployerId(_identifier(value, "employer id"))


def credential_code(value: str) -> CredentialCode:
    """Validate a micro-credential code; codes compare upper-cased."""
    return CredentialCode(_identifier(value, "micro-credential code").upper())


def student_number(value: str) -> StudentNumber:
    """Validate a student number (as the college's LMS writes it)."""
    return StudentNumber(_identifier(value, "student number"))


def email_address(value: str) -> EmailAddress:
    """Validate an e-mail address; addresses compare lower-cased."""
    value = value.strip().lower()
    if not _EMAIL.match(value):
        raise InvalidValue(f"{value!r} is not an e-mail address")
    return EmailAddress(value)


def parse_id(value: str | UUID, what: str) -> UUID:
    """An aggregate id given as text."""
    if isinstance(value, UUID):
        return value
    try:
        return UUID(value.strip())
    except ValueError:
        raise InvalidValue(f"{value!r} is not a {what} id") from None


def money(value: str | Decimal | int) -> Decimal:
    """A non-negative amount in dollars with at most two decimals."""
    try:
        amount = Decimal(str(value).strip().lstrip("$"))
        cents = amount.quantize(Decimal("0.01"))
    except InvalidOperation:
        cents = amount = Decimal("NaN")
    if not amount.is_finite():
        raise InvalidValue(f"{value!r} is not an amount in dollars and cents")
    if amount < 0 or amount != cents or cents > MAX_FEE:
        raise InvalidValue(
            f"{value!r} must be an amount from 0 to {MAX_FEE} with at most two decimals"
        )
    return abs(cents)  # no negative zero


def positive(value: int, what: str, maximum: int) -> int:
    """A whole number from 1 to ``maximum``."""
    if not 1 <= value <= maximum:
        raise InvalidValue(f"{what} must be from 1 to {maximum}, not {value}")
    return value


@attrs.frozen
class Deadline:
    """A moment derived by a rule, recorded in the event that created it (docs/rules.md).

    ``action`` names the scheduled work, ``rule`` the rule that set it, ``calendar_id`` the
    calendar and settings it was derived with, and ``settings_version`` the settings in force.
    """

    action: str
    rule: str
    due_at: datetime = attrs.field(validator=lambda _i, _a, v: require_aware(v, "due_at"))
    calendar_id: str
    settings_version: int
