"""The whole flow with Brightspace as the LMS (through the double), on memory and SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.application.services import Services
from carepassport.application.training.ports import LmsUnavailable
from carepassport.bootstrap import bootstrap
from carepassport.domain.training.completion import Completion
from tests.conftest import toronto
from tests.integration.brightspace_double import BrightspaceState
from tests.integration.brightspace_helpers import (
    ENV,
    IPAC_QUIZ,
    IPAC_UNIT,
    LEARNER_ROLE,
    PAT,
    SAM,
    config,
)
from tests.integration.lms_helpers import registered

pytest_plugins = ("tests.integration.brightspace_fixtures",)

Double = tuple[str, BrightspaceState]


@pytest.fixture
def services(
    store_url: str, clock: SettableClock, mailer: InMemoryMailer, double: Double
) -> Iterator[Services]:
    wired = bootstrap(
        store_url, clock=clock, mailer=mailer, brightspace=config(double[0]), environ=ENV
    )
    yield wired
    wired.close()


def attempt(
    state: BrightspaceState, attempt_id: int, completed: datetime, score: float, number: int = 1
) -> None:
    state.add_attempt(
        IPAC_UNIT,
        IPAC_QUIZ,
        attempt_id=attempt_id,
        user_id=PAT,
        number=number,
        score=score,
        completed=completed,
    )


def completion_of(services: Services, registration_id: object) -> Completion:
    found = services.app.find(Completion, Completion.identity(registration_id))  # type: ignore[arg-type]
    assert found is not None
    return found


class TestBrightspaceAsTheLms:
    def test_access_time_enrols_the_learner_in_the_course_offering(
        self, college: Services, clock: SettableClock, double: Double
    ) -> None:
        registered(college, clock)
        clock.set(toronto(2026, 7, 27, 12, 0))

        college.scheduler.tick()

        assert double[1].enrolled == {(IPAC_UNIT, PAT): LEARNER_ROLE}

    def test_a_pass_in_brightspace_is_recorded_at_midnight_and_published_next_business_day(
        self, college: Services, clock: SettableClock, double: Double
    ) -> None:
        view = registered(college, clock)
        attempt(double[1], 9001, toronto(2026, 7, 30, 14, 0), 9)
        attempt(double[1], 9002, toronto(2026, 7, 31, 16, 0), 17, number=2)

        clock.set(toronto(2026, 8, 3, 10, 0))
        college.scheduler.tick()

        shown = college.registrations.show(view.registration_id)
        assert [(a.record_id, a.passed) for a in shown.attempts] == [
            (f"d2l:{IPAC_UNIT}:{IPAC_QUIZ}:9001", False),
            (f"d2l:{IPAC_UNIT}:{IPAC_QUIZ}:9002", True),
        ]
        completion = completion_of(college, view.registration_id)
        assert completion.recorded_at == toronto(2026, 8, 1, 0, 0)
        assert completion.published_at == toronto(2026, 8, 3, 10, 0)
        assert college.statuses.of_employee("E1").credentials[0].state == "valid"

    def test_an_attempt_brightspace_shows_twice_counts_once(
        self, college: Services, clock: SettableClock, double: Double
    ) -> None:
        view = registered(college, clock)
        attempt(double[1], 9001, toronto(2026, 7, 28, 14, 0), 9)
        clock.set(toronto(2026, 7, 29, 0, 0))
        college.scheduler.tick()

        clock.set(toronto(2026, 7, 30, 0, 0))
        college.scheduler.tick()

        assert len(college.registrations.show(view.registration_id).attempts) == 1

    def test_access_end_unenrols_the_learner(
        self, college: Services, clock: SettableClock, double: Double
    ) -> None:
        registered(college, clock)
        clock.set(toronto(2026, 8, 11, 0, 0))

        college.scheduler.tick()

        assert double[1].enrolled == {}
        assert len(double[1].requests("DELETE")) == 1

    def test_a_result_for_a_student_number_no_employee_has_is_held(
        self, college: Services, clock: SettableClock, double: Double
    ) -> None:
        registered(college, clock)
        double[1].add_attempt(
            IPAC_UNIT,
            IPAC_QUIZ,
            attempt_id=9100,
            user_id=SAM,
            number=1,
            score=20,
            completed=toronto(2026, 7, 28, 9, 0),
        )
        clock.set(toronto(2026, 7, 29, 0, 0))

        college.scheduler.tick()

        assert [h.student_number for h in college.statuses.held_results()] == ["C0000002"]

    def test_brightspace_down_at_midnight_stops_the_tick_and_the_next_tick_catches_up(
        self, college: Services, clock: SettableClock, double: Double
    ) -> None:
        view = registered(college, clock)
        attempt(double[1], 9001, toronto(2026, 7, 28, 14, 0), 18)
        clock.set(toronto(2026, 7, 29, 0, 0))
        double[1].inject("500", count=20)

        with pytest.raises(LmsUnavailable):
            college.scheduler.tick()
        double[1].faults.clear()
        clock.set(toronto(2026, 7, 29, 0, 10))
        college.scheduler.tick()

        completion = completion_of(college, view.registration_id)
        assert completion.recorded_at == toronto(2026, 7, 29, 0, 0)
