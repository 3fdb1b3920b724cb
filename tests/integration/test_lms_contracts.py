"""One contract for each LMS port, passed by the fake and by the Brightspace adapter."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal
from uuid import uuid4

import attrs
import pytest
from pydantic import SecretStr

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.lms.brightspace.client import BrightspaceClient
from carepassport.adapters.lms.brightspace.lms import BrightspaceEnrolment, BrightspaceLms
from carepassport.adapters.lms.enrolment import InMemoryEnrolment
from carepassport.adapters.lms.memory import InMemoryLms
from carepassport.application.training.ports import Lms, LmsEnrolment
from carepassport.domain.training.lms import QuizResult
from tests.conftest import toronto
from tests.integration.brightspace_double import TOKEN, brightspace_double
from tests.integration.brightspace_helpers import (
    IPAC_QUIZ,
    IPAC_UNIT,
    PAT,
    WHMIS_QUIZ,
    WHMIS_UNIT,
    config,
)


@attrs.frozen
class EnrolmentUnderTest:
    port: LmsEnrolment
    enrolled: Callable[[], bool]
    """Whether Pat (C0912345) is enrolled in IPAC's course now."""


@attrs.frozen
class FeedUnderTest:
    port: Lms
    attempt: Callable[[int, datetime], None]
    """The LMS gets attempt N (1 or 2) by Pat, completed at the given time."""


@pytest.fixture(params=["fake", "brightspace"])
def enrolment(request: pytest.FixtureRequest) -> Iterator[EnrolmentUnderTest]:
    if request.param == "fake":
        fake = InMemoryEnrolment()
        yield EnrolmentUnderTest(fake, lambda: ("C0912345", "IPAC") in fake.enrolled)
        return
    with brightspace_double() as (base, state):
        state.add_user(PAT, "C0912345")
        client = BrightspaceClient(config(base), SecretStr(TOKEN), sleep=lambda _: None)
        yield EnrolmentUnderTest(
            BrightspaceEnrolment(client), lambda: (IPAC_UNIT, PAT) in state.enrolled
        )
        client.close()


@pytest.fixture(params=["fake", "brightspace"])
def feed(request: pytest.FixtureRequest) -> Iterator[FeedUnderTest]:
    clock = SettableClock(toronto(2026, 8, 1, 0, 0))
    if request.param == "fake":
        fake = InMemoryLms()

        def deliver(number: int, completed: datetime) -> None:
            result = QuizResult(
                record_id=f"R{number}",
                student_number="C0912345",
                credential_code="IPAC",
                attempt=number,
                score=Decimal(90),
                passed=True,
                attempted_at=completed,
            )
            fake.deliver(result, completed)

        yield FeedUnderTest(fake, deliver)
        return
    with brightspace_double() as (base, state):
        state.add_user(PAT, "C0912345")
        state.attempts[(IPAC_UNIT, IPAC_QUIZ)] = []
        state.attempts[(WHMIS_UNIT, WHMIS_QUIZ)] = []
        state.add_grade_object(IPAC_UNIT, 77, 20)
        client = BrightspaceClient(config(base), SecretStr(TOKEN), sleep=lambda _: None)

        def attempt(number: int, completed: datetime) -> None:
            state.add_attempt(
                IPAC_UNIT,
                IPAC_QUIZ,
                attempt_id=9000 + number,
                user_id=PAT,
                number=number,
                score=18,
                completed=completed,
            )
            listed = state.attempts[(IPAC_UNIT, IPAC_QUIZ)]
            listed.insert(0, listed.pop())  # the newest first, as a listing might

        yield FeedUnderTest(BrightspaceLms(client, InMemoryLms(), clock), attempt)
        client.close()


class TestLmsEnrolmentContract:
    def test_enrolling_enrols_and_enrolling_again_changes_nothing(
        self, enrolment: EnrolmentUnderTest
    ) -> None:
        enrolment.port.enrol("C0912345", "IPAC", uuid4())
        enrolment.port.enrol("C0912345", "IPAC", uuid4())

        assert enrolment.enrolled()

    def test_unenrolling_removes_the_enrolment_and_unenrolling_again_is_harmless(
        self, enrolment: EnrolmentUnderTest
    ) -> None:
        enrolment.port.enrol("C0912345", "IPAC", uuid4())

        enrolment.port.unenrol("C0912345", "IPAC", uuid4())
        enrolment.port.unenrol("C0912345", "IPAC", uuid4())

        assert not enrolment.enrolled()


class TestLmsFeedContract:
    def test_results_come_in_feed_order_with_growing_positions(self, feed: FeedUnderTest) -> None:
        feed.attempt(1, toronto(2026, 7, 28, 14, 0))
        feed.attempt(2, toronto(2026, 7, 29, 16, 0))

        read = feed.port.results_since(0, 500)

        assert [s.result.attempt for s in read] == [1, 2]
        assert read[0].position < read[1].position
        assert all(s.held_at >= s.result.attempted_at for s in read)

    def test_a_result_the_lms_gets_later_comes_after_the_cursor(self, feed: FeedUnderTest) -> None:
        feed.attempt(1, toronto(2026, 7, 28, 14, 0))
        cursor = feed.port.results_since(0, 500)[-1].position
        feed.attempt(2, toronto(2026, 7, 29, 16, 0))

        later = feed.port.results_since(cursor, 500)

        assert [s.result.attempt for s in later] == [2]

    def test_a_limit_reads_the_feed_a_batch_at_a_time(self, feed: FeedUnderTest) -> None:
        feed.attempt(1, toronto(2026, 7, 28, 14, 0))
        feed.attempt(2, toronto(2026, 7, 29, 16, 0))

        first = feed.port.results_since(0, 1)
        second = feed.port.results_since(first[-1].position, 1)

        assert [s.result.attempt for s in first + second] == [1, 2]
        assert feed.port.results_since(second[-1].position, 1) == []
