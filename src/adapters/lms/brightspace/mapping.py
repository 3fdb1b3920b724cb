"""Brightspace quiz attempts as canonical results: one mapping for the API and the Data Sets.

Both sources name an attempt the same way (``d2l:{OrgUnitId}:{QuizId}:{AttemptId}``) and map
it the same way (score as a percentage to two decimals, completion time to the second), so an
attempt read from both is one record, staged once (ADR 0013).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from carepassport.adapters.lms.brightspace.config import CourseMapping
from carepassport.domain.errors import InvalidValue
from carepassport.domain.time import TORONTO
from carepassport.domain.training.lms import QuizResult
from carepassport.domain.values import student_number

HUNDREDTH = Decimal("0.01")
_INSTANT = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?$"
)


def record_id(org_unit_id: int, quiz_id: int, attempt_id: int) -> str:
    """The canonical record id of a Brightspace quiz attempt: unique, and the same from the
    API and from the Data Sets."""
    return f"d2l:{org_unit_id}:{quiz_id}:{attempt_id}"


def utc_instant(text: str, what: str) -> datetime:
    """A Brightspace UTC date-time (``2026-07-30T18:00:00.000Z``; the Data Sets may leave the
    zone out, and write seven decimals) to the second, as an instant."""
    found = _INSTANT.match(text.strip())
    if found is None:
        raise InvalidValue(f"{what} {text!r} is not a date-time")
    day, clock, zone = found.groups()
    offset = "+00:00" if zone in (None, "Z") else zone
    try:
        return datetime.fromisoformat(f"{day}T{clock}{offset}").astimezone(UTC)
    except ValueError:
        raise InvalidValue(f"{what} {text!r} is not a date-time") from None


def decimal(text: object, what: str) -> Decimal:
    """A finite number."""
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise InvalidValue(f"{what} {text!r} is not a number")
    return value


def whole(text: object, what: str) -> int:
    """A whole number (an id or a count)."""
    try:
        return int(str(text).strip())
    except ValueError:
        raise InvalidValue(f"{what} {text!r} is not a whole number") from None


def quiz_result(
    *,
    code: str,
    course: CourseMapping,
    attempt_id: int,
    org_defined_id: str,
    attempt_number: int,
    score: Decimal,
    possible: Decimal | None,
    completed: datetime,
) -> QuizResult:
    """The canonical result of one graded, completed attempt: the score as a percentage of
    what the quiz is out of, passed at the course's pass mark (InvalidValue if it cannot be)."""
    out_of = course.points_possible or possible
    if out_of is None or out_of <= 0:
        raise InvalidValue(
            f"what quiz {course.quiz_id} is out of is unknown: set points_possible for {code}"
        )
    percent = (score / out_of * 100).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)
    return QuizResult(
        record_id=record_id(course.org_unit_id, course.quiz_id, attempt_id),
        student_number=student_number(org_defined_id),
        credential_code=code,
        attempt=attempt_number,
        score=percent,
        passed=percent >= course.pass_percent,
        attempted_at=completed.replace(microsecond=0).astimezone(TORONTO),
    )
