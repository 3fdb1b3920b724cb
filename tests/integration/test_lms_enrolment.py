"""LMS enrolment at access time (R6) and unenrolment at its end (R7), with retries (ADR 0013)."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator
from uuid import UUID

import pytest

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.lms.enrolment import InMemoryEnrolment
from carepassport.adapters.lms.memory import InMemoryLms
from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.application.services import Services
from carepassport.application.training.ports import LmsRequestRefused, LmsUserUnknown
from carepassport.bootstrap import bootstrap
from carepassport.domain.training.lms_access import LmsProvisioning, Operation, ProvisioningOutcome
from tests.conftest import COLLEGE, furnish, toronto
from tests.integration.lms_helpers import deliver, registered, result

ACCESS_AT = toronto(2026, 7, 27, 12, 0)
ACCESS_ENDS = toronto(2026, 8, 11, 0, 0)
STUDENT = "C0912345"


@pytest.fixture
def enrolment() -> InMemoryEnrolment:
    return InMemoryEnrolment()


@pytest.fixture
def services(
    store_url: str,
    clock: SettableClock,
    mailer: InMemoryMailer,
    lms: InMemoryLms,
    enrolment: InMemoryEnrolment,
) -> Iterator[Services]:
    wired = bootstrap(store_url, clock=clock, mailer=mailer, lms=lms, enrolment=enrolment)
    yield wired
    wired.close()


def provisioning(
    services: Services, registration_id: UUID, operation: Operation
) -> LmsProvisioning:
    found = services.app.find(LmsProvisioning, LmsProvisioning.identity(registration_id, operation))
    assert found is not None
    return found


def college_notices(services: Services) -> list[str]:
    return [m.kind for m in services.outbox.messages(COLLEGE)]


class TestEnrolmentAtAccessTime:
    def test_the_learner_is_enrolled_when_access_begins(
        self, college: Services, clock: SettableClock, enrolment: InMemoryEnrolment
    ) -> None:
        view = registered(college, clock)
        clock.set(ACCESS_AT)

        college.scheduler.tick()

        assert enrolment.enrolled == {(STUDENT, "IPAC")}
        assert enrolment.calls == [("enrol", STUDENT, "IPAC", view.registration_id)]
        assert college.registrations.show(view.registration_id).status == "active"

    def test_nobody_is_enrolled_before_the_access_time(
        self, college: Services, clock: SettableClock, enrolment: InMemoryEnrolment
    ) -> None:
        registered(college, clock)
        clock.set(toronto(2026, 7, 27, 11, 59))

        college.scheduler.tick()

        assert enrolment.calls == []

    def test_a_failed_enrolment_still_begins_access_and_is_retried_five_minutes_later(
        self, college: Services, clock: SettableClock, enrolment: InMemoryEnrolment
    ) -> None:
        view = registered(college, clock)
        enrolment.fail_next()
        clock.set(ACCESS_AT)

        college.scheduler.tick()

        assert college.registrations.show(view.registration_id).status == "active"
        assert enrolment.enrolled == set()
        pending = provisioning(college, view.registration_id, Operation.ENROL)
        assert pending.retry.due_at == toronto(2026, 7, 27, 12, 5)
        clock.set(toronto(2026, 7, 27, 12, 5))
        college.scheduler.tick()
        assert enrolment.enrolled == {(STUDENT, "IPAC")}
        done = provisioning(college, view.registration_id, Operation.ENROL)
        assert (done.outcome, done.failures) == (ProvisioningOutcome.DONE, 1)

    def test_each_failed_retry_waits_three_times_longer_up_to_six_hours(
        self, college: Services, clock: SettableClock, enrolment: InMemoryEnrolment
    ) -> None:
        view = registered(college, clock)
        enrolment.fail_next(6)
        clock.set(ACCESS_AT)
        college.scheduler.tick()
        due_times = []
        for _ in range(6):
            pending = provisioning(college, view.registration_id, Operation.ENROL)
            due_times.append(pending.retry.due_at)
            clock.set(pending.retry.due_at)
            college.scheduler.tick()

        gaps = [(b - a).total_seconds() / 60 for a, b in itertools.pairwise(due_times)]
        assert gaps == [15, 45, 135, 360, 360]
        assert enrolment.enrolled == {(STUDENT, "IPAC")}

    def test_a_refused_enrolment_is_flagged_to_the_college_once(
        self, college: Services, clock: SettableClock, enrolment: InMemoryEnrolment
    ) -> None:
        registered(college, clock)
        enrolment.fail_next(2, LmsUserUnknown("no LMS user has student number C0912345"))
        clock.set(ACCESS_AT)
        college.scheduler.tick()
        clock.set(toronto(2026, 7, 27, 12, 5))
        college.scheduler.tick()

        assert college_notices(college) == ["lms_provisioning_failed"]
        message = college.outbox.messages(COLLEGE)[0]
        assert "no LMS user has student number C0912345" in message.body
        assert message.subject == "The LMS did not enrol E1 in IPAC"

    def test_a_refused_enrolment_without_a_college_email_is_recorded_and_mails_nobody(
        self, services: Services, clock: SettableClock, enrolment: InMemoryEnrolment
    ) -> None:
        furnish(services, college_email=None)
        view = registered(services, clock)
        enrolment.fail_next(1, LmsUserUnknown("no LMS user has student number C0912345"))
        clock.set(ACCESS_AT)
        services.scheduler.tick()

        assert services.registrations.show(view.registration_id).status == "active"
        failed = provisioning(services, view.registration_id, Operation.ENROL)
        assert failed.open
        assert "lms_provisioning_failed" not in [m.kind for m in services.outbox.messages()]

    def test_an_enrolment_still_failing_when_access_ends_is_given_up_and_flagged(
        self, college: Services, clock: SettableClock, enrolment: InMemoryEnrolment
    ) -> None:
        view = registered(college, clock)
        enrolment.fail_next(
            1000, LmsRequestRefused("Brightspace refused POST /enrollments/ (HTTP 403)", 403)
        )
        clock.set(ACCESS_ENDS)

        college.scheduler.tick()

        ended = provisioning(college, view.registration_id, Operation.ENROL)
        assert ended.outcome is ProvisioningOutcome.GAVE_UP
        assert ended.reason == "access ended before the LMS enrolled them"
        assert college_notices(college) == ["lms_provisioning_failed"] * 2
        assert college.scheduler.tick().processed == []

    def test_an_enrolment_given_up_without_a_college_email_is_recorded_and_mails_nobody(
        self, services: Services, clock: SettableClock, enrolment: InMemoryEnrolment
    ) -> None:
        furnish(services, college_email=None)
        view = registered(services, clock)
        enrolment.fail_next(1000)
        clock.set(ACCESS_ENDS)

        services.scheduler.tick()

        ended = provisioning(services, view.registration_id, Operation.ENROL)
        assert ended.outcome is ProvisioningOutcome.GAVE_UP
        assert "lms_provisioning_failed" not in [m.kind for m in services.outbox.messages()]
        assert services.scheduler.tick().processed == []

    def test_the_log_names_the_registration_of_a_failed_call_but_not_the_student_number(
        self,
        college: Services,
        clock: SettableClock,
        enrolment: InMemoryEnrolment,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        view = registered(college, clock)
        enrolment.fail_next(2, LmsUserUnknown(f"no LMS user has student number {STUDENT}"))
        with caplog.at_level(logging.WARNING, logger="carepassport.application.training"):
            clock.set(ACCESS_AT)
            college.scheduler.tick()
            clock.set(toronto(2026, 7, 27, 12, 5))
            college.scheduler.tick()

        failures = [r.getMessage() for r in caplog.records if "LMS enrol" in r.getMessage()]
        assert len(failures) == 2
        assert all(str(view.registration_id) in f for f in failures)
        assert all("no LMS user has student number ***" in f for f in failures)
        assert not any(STUDENT in f for f in failures)
        assert STUDENT in provisioning(college, view.registration_id, Operation.ENROL).last_error

    def test_an_employee_without_a_student_number_is_enrolled_by_what_the_lms_knows(
        self, college: Services, clock: SettableClock, enrolment: InMemoryEnrolment
    ) -> None:
        college.reference.add_employee("E2", employer="SUNNY", email="sam@example.org")
        registered(college, clock)
        clock.set(toronto(2026, 7, 27, 10, 30))
        college.registrations.register("E2", "IPAC", self_pay=True)
        clock.set(toronto(2026, 7, 27, 12, 30))

        college.scheduler.tick()

        assert enrolment.enrolled == {(STUDENT, "IPAC"), (None, "IPAC")}


class TestUnenrolmentAtAccessEnd:
    def test_the_learner_is_unenrolled_when_access_ends(
        self, college: Services, clock: SettableClock, enrolment: InMemoryEnrolment
    ) -> None:
        view = registered(college, clock)
        clock.set(ACCESS_ENDS)

        college.scheduler.tick()

        assert enrolment.enrolled == set()
        assert enrolment.calls[-1] == ("unenrol", STUDENT, "IPAC", view.registration_id)
        assert college.registrations.show(view.registration_id).access == "ended"

    def test_a_failed_unenrolment_is_retried_until_done(
        self, college: Services, clock: SettableClock, enrolment: InMemoryEnrolment
    ) -> None:
        view = registered(college, clock)
        clock.set(toronto(2026, 8, 10, 23, 0))
        college.scheduler.tick()
        enrolment.fail_next(2)
        clock.set(ACCESS_ENDS)
        college.scheduler.tick()
        assert college.registrations.show(view.registration_id).status == "failed"
        assert enrolment.enrolled == {(STUDENT, "IPAC")}

        clock.set(toronto(2026, 8, 11, 0, 5))
        college.scheduler.tick()
        clock.set(toronto(2026, 8, 11, 0, 20))
        college.scheduler.tick()

        assert enrolment.enrolled == set()
        done = provisioning(college, view.registration_id, Operation.UNENROL)
        assert (done.outcome, done.failures) == (ProvisioningOutcome.DONE, 2)

    def test_an_unenrolment_failing_for_seven_days_is_left_to_the_college(
        self, college: Services, clock: SettableClock, enrolment: InMemoryEnrolment
    ) -> None:
        view = registered(college, clock)
        clock.set(toronto(2026, 8, 10, 23, 0))
        college.scheduler.tick()
        enrolment.fail_next(1000)
        clock.set(ACCESS_ENDS)
        college.scheduler.tick()
        clock.set(toronto(2026, 8, 18, 0, 0))

        college.scheduler.tick()

        ended = provisioning(college, view.registration_id, Operation.UNENROL)
        assert ended.outcome is ProvisioningOutcome.GAVE_UP
        assert college_notices(college)[-1] == "lms_provisioning_failed"

    def test_a_retake_keeps_the_course_when_the_failed_registration_ends(
        self,
        college: Services,
        clock: SettableClock,
        enrolment: InMemoryEnrolment,
        lms: InMemoryLms,
    ) -> None:
        first = registered(college, clock)
        deliver(
            lms,
            result("R1", toronto(2026, 7, 28, 14, 0), passed=False),
            result("R2", toronto(2026, 7, 29, 14, 0), passed=False, attempt=2),
        )
        clock.set(toronto(2026, 7, 30, 10, 0))
        college.scheduler.tick()
        retake = college.registrations.register("E1", "IPAC")
        clock.set(ACCESS_ENDS)

        college.scheduler.tick()

        assert college.registrations.show(first.registration_id).access == "ended"
        assert enrolment.enrolled == {(STUDENT, "IPAC")}
        clock.set(toronto(2026, 8, 14, 0, 0))
        college.scheduler.tick()
        assert enrolment.enrolled == set()
        assert [c[0] for c in enrolment.calls] == ["enrol", "enrol", "unenrol"]
        assert enrolment.calls[-1][3] == retake.registration_id
