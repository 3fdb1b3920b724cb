"""The nightly sync (R9), late syncs (R10), and a scheduler that was down for days."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.lms.memory import InMemoryLms
from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.application.services import Services
from carepassport.domain.training.completion import Completion
from carepassport.domain.training.lms import LmsSync
from tests.conftest import toronto
from tests.integration.helpers import footprint
from tests.integration.lms_helpers import deliver, registered, result


def completion_of(services: Services, registration_id: object) -> Completion:
    completion = services.app.find(Completion, Completion.identity(registration_id))  # type: ignore[arg-type]
    assert completion is not None
    return completion


class TestRedelivery:
    def test_a_redelivered_result_changes_nothing(
        self, college: Services, clock: SettableClock, lms: InMemoryLms, mailer: InMemoryMailer
    ) -> None:
        view = registered(college, clock)
        first = result("R1", toronto(2026, 7, 28, 14, 0), passed=False)
        deliver(lms, first)
        clock.set(toronto(2026, 7, 29, 0, 0))
        college.scheduler.tick()
        before = footprint(college), len(mailer.sent)

        lms.deliver(first, toronto(2026, 7, 29, 8, 0))
        clock.set(toronto(2026, 7, 30, 0, 0))
        college.scheduler.tick()

        assert [a.record_id for a in college.registrations.show(view.registration_id).attempts] == [
            "R1"
        ]
        events_before, mail_before = before[0][0], before[1]
        sync_events = 1  # only the sync's own MidnightSyncRan
        assert footprint(college)[0] == events_before + sync_events
        assert len(mailer.sent) == mail_before

    def test_a_result_delivered_twice_in_one_night_counts_once(
        self, college: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        view = registered(college, clock)
        failed = result("R1", toronto(2026, 7, 28, 14, 0), passed=False)
        deliver(lms, failed, failed)
        clock.set(toronto(2026, 7, 29, 0, 0))

        college.scheduler.tick()

        shown = college.registrations.show(view.registration_id)
        assert [a.record_id for a in shown.attempts] == ["R1"]
        assert shown.status == "active"


class TestLateResults:
    def test_a_result_the_lms_held_after_midnight_waits_for_the_next_sync(
        self, college: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        view = registered(college, clock)
        deliver(
            lms,
            result("R1", toronto(2026, 7, 30, 23, 50), passed=True),
            delay=timedelta(minutes=20),
        )
        clock.set(toronto(2026, 8, 1, 0, 0))

        college.scheduler.tick()

        completion = completion_of(college, view.registration_id)
        assert completion.recorded_at == toronto(2026, 8, 1, 0, 0)
        assert completion.publication.due_at == toronto(2026, 8, 3, 10, 0)

    def test_a_late_sync_publishes_at_the_first_ten_oclock_not_before_the_recording(
        self, college: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        view = registered(college, clock)
        deliver(
            lms, result("R1", toronto(2026, 7, 28, 15, 0), passed=True), delay=timedelta(days=2)
        )  # the LMS only had it on Thursday 15:00
        clock.set(toronto(2026, 8, 1, 0, 0))

        college.scheduler.tick()

        completion = completion_of(college, view.registration_id)
        assert completion.recorded_at == toronto(2026, 7, 31, 0, 0)
        assert completion.publication.due_at == toronto(2026, 7, 31, 10, 0)
        assert completion.published_at == toronto(2026, 7, 31, 10, 0)

    def test_an_operators_catch_up_sync_records_now_and_publishes_by_the_late_clause(
        self, college: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        view = registered(college, clock)
        deliver(
            lms, result("R1", toronto(2026, 7, 29, 16, 0), passed=True), delay=timedelta(hours=19)
        )  # the LMS export arrived Thursday 11:00
        clock.set(toronto(2026, 7, 30, 0, 0))
        college.scheduler.tick()
        clock.set(toronto(2026, 7, 30, 11, 30))

        report = college.sync.run_now()

        assert (report.kind, report.counted, report.synced_at) == (
            "manual",
            1,
            toronto(2026, 7, 30, 11, 30),
        )
        completion = completion_of(college, view.registration_id)
        assert completion.recorded_at == toronto(2026, 7, 30, 11, 30)
        assert completion.publication.due_at == toronto(2026, 7, 31, 10, 0)

    def test_the_next_midnight_does_not_take_what_a_catch_up_sync_took(
        self, college: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        view = registered(college, clock)
        deliver(lms, result("R1", toronto(2026, 7, 29, 16, 0), passed=False))
        clock.set(toronto(2026, 7, 29, 18, 0))
        assert college.sync.run_now().counted == 1

        clock.set(toronto(2026, 7, 30, 0, 0))
        college.scheduler.tick()

        midnight = college.histories.history(LmsSync.identity()).events[-1]
        assert (midnight.type, midnight.data["taken"]) == ("MidnightSyncRan", 0)
        attempts = college.registrations.show(view.registration_id).attempts
        assert [a.record_id for a in attempts] == ["R1"]


class TestSchedulerDownForDays:
    def test_every_midnight_and_publication_still_happens_once_in_order(
        self, college: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        ipac = registered(college, clock)
        clock.set(toronto(2026, 7, 27, 10, 30))
        whmis = college.registrations.register("E1", "WHMIS", self_pay=True)
        deliver(
            lms,
            result("I1", toronto(2026, 7, 30, 11, 0), passed=True),
            result("W1", toronto(2026, 7, 31, 16, 0), passed=True, code="WHMIS"),
        )
        clock.set(toronto(2026, 7, 30, 8, 0))
        college.scheduler.tick()  # last tick before the outage: Thursday 08:00

        clock.set(toronto(2026, 8, 4, 12, 0))  # back on Tuesday noon
        report = college.scheduler.tick()
        again = college.scheduler.tick()

        done = [(p.action, p.due_at) for p in report.processed]
        syncs = [due for action, due in done if action == "nightly_sync"]
        assert syncs == [toronto(2026, 7, day, 0, 0) for day in (31,)] + [
            toronto(2026, 8, day, 0, 0) for day in (1, 2, 3, 4)
        ]
        assert Counter(action for action, _ in done)["publish_completion"] == 2
        assert [due for _, due in done] == sorted(due for _, due in done)
        assert again.processed == []
        ipac_done = completion_of(college, ipac.registration_id)
        whmis_done = completion_of(college, whmis.registration_id)
        assert (ipac_done.recorded_at, ipac_done.published_at) == (
            toronto(2026, 7, 31, 0, 0),
            toronto(2026, 7, 31, 10, 0),
        )
        assert (whmis_done.recorded_at, whmis_done.published_at) == (
            toronto(2026, 8, 1, 0, 0),
            toronto(2026, 8, 3, 10, 0),
        )
