"""When a failed e-mail delivery is tried again, and when the outbox gives up (ADR 0011)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs

from carepassport.domain.errors import InvalidValue
from carepassport.domain.time import TORONTO, require_aware


def _positive(_: object, attribute: attrs.Attribute[timedelta], value: timedelta) -> None:
    if value <= timedelta(0):
        raise InvalidValue(f"{attribute.name} must be positive, not {value}")


@attrs.frozen
class RetrySchedule:
    """Exponential backoff without jitter: after failed attempt n the outbox waits
    ``first_delay * factor ** (n - 1)``, at most ``longest_delay``; the ``max_attempts``-th failure
    abandons the message.

    The defaults wait 5, 10, 20, 40, 80, 160 and 320 minutes: the eighth attempt comes about
    10 h 35 min after the first, so an outage of a working day is ridden out. No jitter: one
    delivery run sends in sequence, so there is no herd to spread, and recorded times stay
    reproducible.
    """

    max_attempts: int = attrs.field(default=8)
    first_delay: timedelta = attrs.field(default=timedelta(minutes=5), validator=_positive)
    factor: int = attrs.field(default=2)
    longest_delay: timedelta = attrs.field(default=timedelta(hours=6), validator=_positive)

    @max_attempts.validator
    def _check_max_attempts(self, _: object, value: int) -> None:
        if value < 1:
            raise InvalidValue(f"max_attempts must be at least 1, not {value}")

    @factor.validator
    def _check_factor(self, _: object, value: int) -> None:
        if value < 1:
            raise InvalidValue(f"factor must be at least 1, not {value}")

    def delay_after(self, attempt: int) -> timedelta:
        """The wait after failed attempt ``attempt`` (1 is the first)."""
        if attempt < 1:
            raise InvalidValue(f"attempts are numbered from 1, not {attempt}")
        longest = self.longest_delay
        # Compare before multiplying: factor^(attempt-1) grows past any timedelta quickly.
        delay = self.first_delay
        for _ in range(attempt - 1):
            delay *= self.factor
            if delay >= longest:
                return longest
        return min(delay, longest)

    def gives_up_after(self, attempt: int) -> bool:
        """True when failed attempt ``attempt`` is the last one allowed."""
        return attempt >= self.max_attempts

    def next_attempt_at(self, attempt: int, failed_at: datetime) -> datetime:
        """When to try again after failed attempt ``attempt``: elapsed time, so a DST change
        neither shortens nor lengthens the wait."""
        elapsed = require_aware(failed_at, "failed_at").astimezone(UTC) + self.delay_after(attempt)
        return elapsed.astimezone(TORONTO)


DEFAULT_RETRY_SCHEDULE = RetrySchedule()
