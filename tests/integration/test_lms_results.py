"""LMS results after registration: attempts (R8), completion (R9, R10), failure (R7, R12),
notices (R15) and retakes (R13), through the application on the memory and SQLite stores."""

from __future__ import annotations

from datetime import date, timedelta

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.lms.memory import InMemoryLms
from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.application.services import Services
from carepassport.domain.training.attempts import AttemptLedger
from carepassport.domain.training.lms import LmsResult
from tests.conftest import APPROVER, EMPLOYEE_EMAIL, toronto
from tests.integration.lms_helpers import deliver, registered, result

PASSED_FRIDAY = toronto(2026, 7, 31, 16, 0)


def state(services: Services, code: str = "IPAC") -> str:
    entries = {c.code: c for c in services.statuses.of_employee("E1").credentials}
    return entries[code].state


class TestCompletion:
    def test_a_pass_is_recorded_at_midnight_and_published_at_ten_on_the_next_business_day(
        self, college: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        registered(college, clock)
        deliver(lms, result("R1", PASSED_FRIDAY, passed=True))

        clock.set(toronto(2026, 8, 1, 0, 0))
        college.scheduler.tick()
        assert state(college) == "pending_publication"
        clock.set(toronto(2026, 8, 3, 9, 59))
        college.scheduler.tick()
        assert state(college) == "pending_publication"
        clock.set(toronto(2026, 8, 3, 10, 0))
        college.scheduler.tick()

        entry = college.statuses.of_employee("E1").credentials[0]
        assert entry.state == "valid"
        assert entry.completed_at == PASSED_FRIDAY
        assert entry.recorded_at == toronto(2026, 8, 1, 0, 0)
        assert entry.published_at == toronto(2026, 8, 3, 10, 0)
        assert entry.valid_until == date(2027, 7, 31)

    def test_a_pass_before_publication_shows_in_progress_until_the_sync(
        self, college: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        registered(college, clock)
        deliver(lms, result("R1", PASSED_FRIDAY, passed=True))
        clock.set(toronto(2026, 7, 31, 23, 59))
        college.scheduler.tick()

        assert state(college) == "in_progress"

    def test_each_counted_attempt_is_emailed_to_the_employee_and_the_approvers(
        self, college: Services, clock: SettableClock, lms: InMemoryLms, mailer: InMemoryMailer
    ) -> None:
        registered(college, clock)
        deliver(
            lms,
            result("R1", toronto(2026, 7, 29, 14, 0), passed=False),
            result("R2", PASSED_FRIDAY, passed=True, attempt=2),
        )
        clock.set(toronto(2026, 8, 1, 0, 0))
        college.scheduler.tick()

        notices = [(m.recipient, m.subject) for m in mailer.sent if m.kind == "attempt_result"]
        assert len(notices) == 6
        assert {to for to, _ in notices} == {EMPLOYEE_EMAIL, APPROVER, "backup@sunny.example"}
        assert sum("No Pass on attempt 1 of 2" in subject for _, subject in notices) == 3
        assert sum(": Pass on attempt 2 of 2" in subject for _, subject in notices) == 3


class TestFailure:
    def test_two_failed_attempts_fail_the_registration_and_flag_both_with_the_retake_terms(
        self, college: Services, clock: SettableClock, lms: InMemoryLms, mailer: InMemoryMailer
    ) -> None:
        view = registered(college, clock)
        deliver(
            lms,
            result("R1", toronto(2026, 7, 28, 14, 0), passed=False),
            result("R2", toronto(2026, 7, 29, 14, 0), passed=False, attempt=2),
        )
        clock.set(toronto(2026, 7, 30, 0, 0))
        college.scheduler.tick()

        shown = college.registrations.show(view.registration_id)
        assert (shown.status, shown.failure_reason) == ("failed", "attempts_exhausted")
        assert shown.failed_at == toronto(2026, 7, 29, 14, 0)
        assert [a.number for a in shown.attempts] == [1, 2]
        flagged = [m for m in mailer.sent if m.kind == "registration_failed"]
        assert {m.recipient for m in flagged} == {EMPLOYEE_EMAIL, APPROVER, "backup@sunny.example"}
        assert "IPAC" in flagged[0].subject and "attempts_exhausted" in flagged[0].subject
        assert "$125.00" in flagged[0].body and "paid by the employer" in flagged[0].body
        assert state(college) == "failed"

    def test_after_a_failure_register_works_again_as_a_covered_retake(
        self, college: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        registered(college, clock)
        deliver(
            lms,
            result("R1", toronto(2026, 7, 28, 14, 0), passed=False),
            result("R2", toronto(2026, 7, 29, 14, 0), passed=False, attempt=2),
        )
        clock.set(toronto(2026, 7, 30, 8, 0))
        college.scheduler.tick()

        retake = college.registrations.register("E1", "IPAC")

        assert (retake.basis, retake.fee_payer) == ("retake", "employer")
        assert state(college) == "in_progress"

    def test_without_a_pass_the_registration_fails_after_the_sync_that_follows_access_end(
        self, college: Services, clock: SettableClock, lms: InMemoryLms, mailer: InMemoryMailer
    ) -> None:
        view = registered(college, clock)
        deliver(lms, result("R1", toronto(2026, 8, 3, 9, 0), passed=False))
        clock.set(toronto(2026, 8, 11, 0, 0))

        report = college.scheduler.tick()

        last = [(p.action, p.due_at) for p in report.processed][-2:]
        assert last == [
            ("nightly_sync", toronto(2026, 8, 11, 0, 0)),
            ("expire_access", toronto(2026, 8, 11, 0, 0)),
        ]
        shown = college.registrations.show(view.registration_id)
        assert (shown.status, shown.failure_reason) == ("failed", "access_expired")
        assert shown.failed_at == toronto(2026, 8, 10, 23, 59, 59)
        assert any("access_expired" in m.subject for m in mailer.sent)

    def test_a_pass_on_the_last_day_of_access_still_counts(
        self, college: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        view = registered(college, clock)
        deliver(
            lms, result("R1", toronto(2026, 8, 10, 23, 50), passed=True), delay=timedelta(minutes=1)
        )
        clock.set(toronto(2026, 8, 11, 0, 0))

        college.scheduler.tick()

        assert college.registrations.show(view.registration_id).status == "passed"
        assert state(college) == "pending_publication"

    def test_an_attempt_outside_the_access_window_is_refused_with_the_reason(
        self, college: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        view = registered(college, clock)
        deliver(lms, result("EARLY", toronto(2026, 7, 27, 11, 0), passed=True))
        clock.set(toronto(2026, 7, 28, 0, 0))

        college.scheduler.tick()

        shown = college.registrations.show(view.registration_id)
        assert shown.attempts == []
        assert shown.status == "active"
        assert [r["record_id"] for r in shown.refused_attempts] == ["EARLY"]
        assert "outside the access window" in shown.refused_attempts[0]["reason"]


class TestRetakeResults:
    def test_a_pass_during_a_retake_counts_on_the_retake_not_the_failed_registration(
        self, college: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        first = registered(college, clock)
        deliver(
            lms,
            result("R1", toronto(2026, 7, 28, 14, 0), passed=False),
            result("R2", toronto(2026, 7, 28, 15, 0), passed=False, attempt=2),
        )
        clock.set(toronto(2026, 7, 29, 8, 0))
        college.scheduler.tick()
        retake = college.registrations.register("E1", "IPAC")
        deliver(lms, result("R3", toronto(2026, 7, 29, 14, 0), passed=True))
        clock.set(toronto(2026, 7, 30, 0, 0))

        college.scheduler.tick()

        assert college.registrations.show(first.registration_id).status == "failed"
        shown = college.registrations.show(retake.registration_id)
        assert (shown.status, [a.record_id for a in shown.attempts]) == ("passed", ["R3"])


class TestPortalStatus:
    def test_status_reads_expired_once_the_last_valid_day_has_passed(
        self, college: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        registered(college, clock)
        deliver(lms, result("R1", PASSED_FRIDAY, passed=True))
        clock.set(toronto(2026, 8, 3, 10, 0))
        college.scheduler.tick()

        clock.set(toronto(2027, 8, 1, 0, 0))

        entry = college.statuses.of_employee("E1").credentials[0]
        assert (entry.state, entry.valid_until) == ("expired", date(2027, 7, 31))

    def test_a_renewal_under_way_keeps_showing_the_current_validity(
        self, college: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        registered(college, clock)
        deliver(lms, result("R1", PASSED_FRIDAY, passed=True))
        clock.set(toronto(2026, 8, 3, 10, 0))
        college.scheduler.tick()

        clock.set(toronto(2027, 7, 1, 9, 0))
        college.registrations.register("E1", "IPAC", self_pay=True)

        entry = college.statuses.of_employee("E1").credentials[0]
        assert (entry.state, entry.valid_until) == ("in_progress", date(2027, 7, 31))
        assert entry.published_at == toronto(2026, 8, 3, 10, 0)


class TestTheRecordOfAResult:
    def test_a_matched_result_is_recorded_in_one_event_with_its_registration_and_outcome(
        self, college: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        view = registered(college, clock)
        deliver(lms, result("R1", PASSED_FRIDAY, passed=True))

        clock.set(toronto(2026, 8, 1, 0, 0))
        college.scheduler.tick()

        events = list(college.app.events.get(LmsResult.identity("R1")))
        assert [type(e).__name__ for e in events] == ["ResultTaken"]
        (taken,) = events
        assert isinstance(taken, LmsResult.ResultTaken)
        assert (taken.registration_id, taken.outcome, taken.student_number) == (
            view.registration_id,
            "counted",
            "C0912345",
        )

    def test_the_first_counted_result_opens_its_ledger_in_one_event(
        self, college: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        view = registered(college, clock)
        deliver(lms, result("R1", PASSED_FRIDAY, passed=False))
        clock.set(toronto(2026, 8, 1, 0, 0))
        college.scheduler.tick()
        deliver(lms, result("R2", PASSED_FRIDAY + timedelta(hours=1), passed=True, attempt=2))
        clock.set(toronto(2026, 8, 2, 0, 0))
        college.scheduler.tick()

        events = list(college.app.events.get(AttemptLedger.identity(view.registration_id)))
        assert [type(e).__name__ for e in events] == ["FirstAttemptRecorded", "AttemptRecorded"]
        assert college.registrations.show(view.registration_id).status == "passed"
