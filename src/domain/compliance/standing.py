"""Pure compliance policies: expiry and reminders (R14), renewal basis, requirement states (R1)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from enum import StrEnum

import attrs

from carepassport.domain.reference import RenewalBasis
from carepassport.domain.time import MIDNIGHT, at_local, local

REMINDER_TIME = time(9, 0)


class RequirementState(StrEnum):
    """What an employee's requirements list shows for one micro-credential (R1)."""

    VALID = "valid"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    NEVER_COMPLETED = "never_completed"
    IN_PROGRESS = "in_progress"
    FAILED = "failed"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


COMPLIANT = frozenset({RequirementState.VALID, RequirementState.EXPIRING})
SEVERITY = (
    RequirementState.REVOKED,
    RequirementState.SUSPENDED,
    RequirementState.EXPIRED,
    RequirementState.NEVER_COMPLETED,
    RequirementState.FAILED,
    RequirementState.IN_PROGRESS,
    RequirementState.EXPIRING,
    RequirementState.VALID,
)
"""Worst first: an employee's overall standing is the worst state among their requirements."""


class Standing(StrEnum):
    """A credential's standing as the college set it (suspended, revoked, or to be recertified)."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"
    RECERTIFICATION_REQUIRED = "recertification_required"


class Progress(StrEnum):
    """Where the employee's latest registration in the micro-credential stands."""

    NONE = "none"
    OPEN = "open"
    AWAITING_PUBLICATION = "awaiting_publication"
    PUBLISHED = "published"
    FAILED = "failed"


@attrs.frozen
class RequirementFacts:
    """What the state of one requirement is derived from."""

    valid_until: date | None
    standing: Standing
    progress: Progress


def expiry_time(valid_until: date) -> datetime:
    """R14: a credential expires at 00:00 local the day after its last valid day."""
    return at_local(valid_until + timedelta(days=1), MIDNIGHT)


def reminder_time(valid_until: date, days_before: int) -> datetime:
    """R14: reminders go at 09:00 local on ``valid_until`` minus the given days (any day)."""
    return at_local(valid_until - timedelta(days=days_before), REMINDER_TIME)


def renewed_valid_until(
    completed_at: datetime,
    validity_days: int,
    basis: RenewalBasis,
    previous_valid_until: date | None,
    window_days: int,
) -> date:
    """R14 and renewal: completion date + validity days; with ``from_previous_expiry``, a
    renewal completed inside the first reminder's window (and before expiry) extends the
    previous ``valid_until`` instead, so renewing early costs nothing."""
    completed_on = local(completed_at).date()
    fresh = completed_on + timedelta(days=validity_days)
    if basis is RenewalBasis.FROM_COMPLETION or previous_valid_until is None:
        return fresh
    window_opens = reminder_time(previous_valid_until, window_days)
    if window_opens <= local(completed_at) and completed_on <= previous_valid_until:
        return previous_valid_until + timedelta(days=validity_days)
    return fresh


def requirement_state(facts: RequirementFacts, at: datetime, window_days: int) -> RequirementState:
    """R1: the state of one required micro-credential at the read's time ``at``.

    Revoked and suspended come first; then a registration under way; then a credential still
    valid (``expiring`` once ``at`` is inside the first reminder's window); then a failed
    registration awaiting a retake; then expired; otherwise never completed.
    """
    if facts.standing is Standing.REVOKED:
        return RequirementState.REVOKED
    if facts.standing is Standing.SUSPENDED:
        return RequirementState.SUSPENDED
    if facts.progress in (Progress.OPEN, Progress.AWAITING_PUBLICATION):
        return RequirementState.IN_PROGRESS
    valid = (
        facts.valid_until is not None
        and facts.standing is Standing.ACTIVE
        and at < expiry_time(facts.valid_until)
    )
    if valid and facts.valid_until is not None:
        if at >= reminder_time(facts.valid_until, window_days):
            return RequirementState.EXPIRING
        return RequirementState.VALID
    if facts.progress is Progress.FAILED:
        return RequirementState.FAILED
    if facts.valid_until is not None:
        return RequirementState.EXPIRED
    return RequirementState.NEVER_COMPLETED


def states_hold_until(at: datetime) -> datetime:
    """The first instant after ``at`` at which a ``requirement_state`` read at ``at`` may read
    differently with the same facts: time moves a state only at an expiry (00:00 local) or a
    reminder (09:00 local), so the next of those."""
    today = local(at).date()
    moments = (
        at_local(day, wall_time)
        for day in (today, today + timedelta(days=1))
        for wall_time in (MIDNIGHT, REMINDER_TIME)
    )
    return min(moment for moment in moments if moment > at)


def overall_standing(states: Sequence[RequirementState]) -> RequirementState | None:
    """The worst of an employee's requirement states (None without requirements)."""
    for state in SEVERITY:
        if state in states:
            return state
    return None
