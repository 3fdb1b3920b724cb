"""Helpers for LMS tests: a registered employee and results delivered to the fake LMS."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.lms.memory import InMemoryLms
from carepassport.application.services import Services
from carepassport.application.training.views import RegistrationView
from carepassport.domain.training.lms import QuizResult
from tests.conftest import toronto
from tests.integration.helpers import enabled_sponsorship

REGISTERED_AT = toronto(2026, 7, 27, 10, 0)  # Monday; access 12:00 to 08-10 23:59:59


def registered(services: Services, clock: SettableClock, code: str = "IPAC") -> RegistrationView:
    """E1 registered in ``code`` on Monday 2026-07-27 10:00 under an enabled sponsorship."""
    enabled_sponsorship(services, clock, [code], toronto(2026, 7, 24, 15, 0))
    clock.set(REGISTERED_AT)
    return services.registrations.register("E1", code)


def result(
    record_id: str,
    attempted_at: datetime,
    *,
    passed: bool,
    attempt: int = 1,
    student: str = "C0912345",
    code: str = "IPAC",
) -> QuizResult:
    """A final-quiz result as the LMS reports it."""
    return QuizResult(
        record_id=record_id,
        student_number=student,
        credential_code=code,
        attempt=attempt,
        score=Decimal("85") if passed else Decimal("40"),
        passed=passed,
        attempted_at=attempted_at,
    )


def deliver(
    lms: InMemoryLms, *results: QuizResult, delay: timedelta = timedelta(minutes=5)
) -> None:
    """The LMS holds each result ``delay`` after its attempt."""
    for item in results:
        lms.deliver(item, item.attempted_at + delay)
