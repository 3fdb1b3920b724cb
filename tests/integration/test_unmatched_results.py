"""Results whose student number matches no employee are held, flagged, and applied once the
number is set or corrected (R11); nothing is lost."""

from __future__ import annotations

import pytest

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.lms.memory import InMemoryLms
from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.application.services import Services
from carepassport.domain.errors import AlreadyExists
from carepassport.domain.training.completion import Completion
from carepassport.domain.training.lms import LmsResult
from tests.conftest import COLLEGE, toronto
from tests.integration.helpers import footprint
from tests.integration.lms_helpers import deliver, registered, result

WRONG = "C0000000"


@pytest.fixture
def held(college: Services, clock: SettableClock, lms: InMemoryLms) -> Services:
    """E1 registered; the LMS reports two results under a student number nobody has."""
    registered(college, clock)
    deliver(
        lms,
        result("R1", toronto(2026, 7, 28, 14, 0), passed=False, student=WRONG),
        result("R2", toronto(2026, 7, 29, 14, 0), passed=True, attempt=2, student=WRONG),
    )
    clock.set(toronto(2026, 7, 30, 0, 0))
    college.scheduler.tick()
    return college


class TestHeldResults:
    def test_a_result_for_an_unknown_student_number_is_held_and_flagged_to_the_college(
        self, held: Services, mailer: InMemoryMailer
    ) -> None:
        listed = held.statuses.held_results()

        assert [(h.record_id, h.student_number) for h in listed] == [("R1", WRONG), ("R2", WRONG)]
        flags = [m for m in mailer.sent if m.kind == "unmatched_result"]
        assert [m.recipient for m in flags] == [COLLEGE, COLLEGE]
        assert held.statuses.of_employee("E1").credentials[0].state == "in_progress"

    def test_correcting_the_student_number_applies_held_results_in_order_recorded_now(
        self, held: Services, clock: SettableClock
    ) -> None:
        clock.set(toronto(2026, 7, 30, 11, 0))

        held.reference.set_student_number("E1", WRONG)

        registration = held.statuses.of_employee("E1").credentials[0]
        shown = held.registrations.show(registration.registration_id)
        assert [(a.record_id, a.number, a.passed) for a in shown.attempts] == [
            ("R1", 1, False),
            ("R2", 2, True),
        ]
        completion = held.app.find(Completion, Completion.identity(shown.registration_id))
        assert completion is not None
        assert completion.recorded_at == toronto(2026, 7, 30, 11, 0)
        assert completion.publication.due_at == toronto(2026, 7, 31, 10, 0)
        assert held.statuses.held_results() == []

    def test_adding_an_employee_with_a_held_student_number_releases_the_results_to_them(
        self, college: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        deliver(lms, result("R9", toronto(2026, 7, 28, 14, 0), passed=True, student="C777"))
        registered(college, clock)
        clock.set(toronto(2026, 7, 29, 0, 0))
        college.scheduler.tick()
        assert [h.record_id for h in college.statuses.held_results()] == ["R9"]

        college.reference.add_employee(
            "E2", employer="SUNNY", email="e2@example.org", student_number_="C777"
        )

        assert college.statuses.held_results() == []
        released = college.app.find(LmsResult, LmsResult.identity("R9"))
        assert released is not None and released.employee_id == "E2"
        assert released.outcome is not None and released.outcome.value == "refused"
        last = college.histories.history(released.id).events[-1]
        assert "has no registration in IPAC" in last.data["reason"]

    def test_a_student_number_held_by_another_employee_is_refused_and_changes_nothing(
        self, held: Services
    ) -> None:
        held.reference.add_employee(
            "E2", employer="SUNNY", email="e2@example.org", student_number_="C2222222"
        )
        before = footprint(held)

        with pytest.raises(AlreadyExists, match="belongs to employee E2"):
            held.reference.set_student_number("E1", "C2222222")

        assert footprint(held) == before
        assert held.reference.employee("E1").student_number == "C0912345"

    def test_setting_the_same_student_number_again_records_nothing(self, held: Services) -> None:
        before = footprint(held)

        held.reference.set_student_number("E1", "C0912345")

        assert footprint(held) == before
