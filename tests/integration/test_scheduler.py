"""The scheduler: due work in due order, exactly once, with the due time as business time (§5)."""

from __future__ import annotations

import pytest

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.application.services import Services
from carepassport.bootstrap import bootstrap
from carepassport.domain.errors import ClockWentBackwards, NotAnApprover, NotFound
from tests.conftest import APPROVER, EMPLOYEE_EMAIL, toronto
from tests.integration.helpers import approved_in, footprint
from tests.stores import RawStore


@pytest.fixture
def approved(college: Services, clock: SettableClock) -> str:
    """A sponsorship approved on Thursday 2026-04-02 15:00 (enabled Monday 04-06 09:00)."""
    view = college.sponsorships.request("E1", ["IPAC"])
    clock.set(toronto(2026, 4, 2, 15, 0))
    college.sponsorships.approve(view.sponsorship_id, by=APPROVER)
    return str(view.sponsorship_id)


class TestTick:
    def test_nothing_is_done_before_the_due_time(
        self, college: Services, clock: SettableClock, approved: str
    ) -> None:
        clock.set(toronto(2026, 4, 6, 8, 59, 59))

        assert college.scheduler.tick().processed == []
        assert college.sponsorships.show(approved).status == "approved"

    def test_due_enablement_is_performed_and_the_employee_gets_instructions(
        self, college: Services, clock: SettableClock, approved: str, mailer: InMemoryMailer
    ) -> None:
        clock.set(toronto(2026, 4, 6, 9, 0))

        report = college.scheduler.tick()

        assert [(p.action, p.outcome) for p in report.processed] == [
            ("enable_self_registration", "done")
        ]
        assert college.sponsorships.show(approved).status == "enabled"
        instructions = [m for m in mailer.sent if m.kind == "self_registration_instructions"]
        assert [m.recipient for m in instructions] == [EMPLOYEE_EMAIL]

    def test_late_tick_records_the_due_time_as_business_time_and_keeps_processing_time(
        self, college: Services, clock: SettableClock, approved: str
    ) -> None:
        clock.set(toronto(2026, 4, 8, 17, 45))

        college.scheduler.tick()

        enabled = college.histories.history(approved).events[-1]
        assert enabled.type == "SelfRegistrationEnabled"
        assert enabled.business_time == toronto(2026, 4, 6, 9, 0)
        assert enabled.recorded_at == toronto(2026, 4, 8, 17, 45)
        assert college.sponsorships.show(approved).enabled_at == toronto(2026, 4, 6, 9, 0)

    def test_second_tick_does_nothing_twice(
        self, college: Services, clock: SettableClock, approved: str, mailer: InMemoryMailer
    ) -> None:
        clock.set(toronto(2026, 4, 6, 9, 0))
        college.scheduler.tick()
        before = footprint(college), len(mailer.sent)

        assert college.scheduler.tick().processed == []
        assert (footprint(college), len(mailer.sent)) == before

    def test_a_second_process_on_the_same_store_finds_the_work_done(
        self, durable_url: str, clock: SettableClock, mailer: InMemoryMailer
    ) -> None:
        first = approved_in(durable_url, clock, mailer)
        second = bootstrap(durable_url, clock=clock, mailer=mailer)
        clock.set(toronto(2026, 4, 6, 9, 0))

        done_first = first.scheduler.tick().processed
        done_second = second.scheduler.tick().processed

        assert [p.outcome for p in done_first] == ["done"]
        assert done_second == []
        assert len([m for m in mailer.sent if m.kind == "self_registration_instructions"]) == 1
        first.close()
        second.close()

    def test_due_work_runs_in_order_of_due_time_not_of_scheduling(
        self, college: Services, clock: SettableClock
    ) -> None:
        college.reference.add_employee("E2", employer="SUNNY", email="e2@example.org")
        later = college.sponsorships.request("E1", ["IPAC"])
        earlier = college.sponsorships.request("E2", ["IPAC"])
        clock.set(toronto(2026, 4, 7, 10, 0))
        college.reference.change_setting("closure_days", "2026-04-08")
        college.sponsorships.approve(later.sponsorship_id, by=APPROVER)  # due Thu 04-09 09:00
        college.reference.change_setting("closure_days", "")
        college.sponsorships.approve(earlier.sponsorship_id, by=APPROVER)  # due Wed 04-08 09:00
        clock.set(toronto(2026, 4, 20, 12, 0))

        report = college.scheduler.tick()

        assert [(p.aggregate_id, p.due_at) for p in report.processed] == [
            (earlier.sponsorship_id, toronto(2026, 4, 8, 9, 0)),
            (later.sponsorship_id, toronto(2026, 4, 9, 9, 0)),
        ]

    def test_a_refused_command_leaves_no_deadline_behind(
        self, college: Services, clock: SettableClock
    ) -> None:
        view = college.sponsorships.request("E1", ["IPAC"])
        pending = college.scheduler.pending()  # the request's approval reminders (R3)

        with pytest.raises(NotAnApprover):
            college.sponsorships.approve(view.sponsorship_id, by="intruder@example.org")

        assert college.scheduler.pending() == pending
        clock.set(toronto(2027, 1, 1, 0, 0))
        actions = {p.action.split(":")[0] for p in college.scheduler.tick().processed}
        assert actions == {"approval_reminder"}


class TestRecordingTime:
    def test_a_write_earlier_than_the_latest_recorded_event_is_refused(
        self, college: Services, clock: SettableClock
    ) -> None:
        college.sponsorships.request("E1", ["IPAC"])
        before = footprint(college)
        clock.set(toronto(2026, 3, 29, 9, 0))

        with pytest.raises(ClockWentBackwards):
            college.sponsorships.request("E1", ["WHMIS"])

        assert footprint(college) == before

    def test_a_write_earlier_than_another_process_latest_event_is_refused(
        self, durable_url: str, mailer: InMemoryMailer
    ) -> None:
        first_clock = SettableClock(toronto(2026, 4, 1, 9, 0))
        second_clock = SettableClock(toronto(2026, 4, 3, 9, 0))
        first = bootstrap(durable_url, clock=first_clock, mailer=mailer)
        second = bootstrap(durable_url, clock=second_clock, mailer=mailer)
        try:
            first.reference.add_micro_credential("IPAC", "Infection Prevention", fee="125")
            second.reference.add_micro_credential("WHMIS", "WHMIS 2015", fee="95")
            first_clock.set(toronto(2026, 4, 2, 9, 0))  # after its own write, before the other's

            with pytest.raises(ClockWentBackwards):
                first.reference.add_micro_credential("FIRE", "Fire Safety", fee="60")
        finally:
            first.close()
            second.close()

    def test_a_read_at_an_earlier_time_sees_what_was_recorded_by_then(
        self, college: Services, clock: SettableClock
    ) -> None:
        view = college.sponsorships.request("E1", ["IPAC"])
        clock.set(toronto(2026, 4, 2, 15, 0))
        college.sponsorships.approve(view.sponsorship_id, by=APPROVER)

        clock.set(toronto(2026, 4, 1, 12, 0))
        then = college.sponsorships.show(view.sponsorship_id)
        clock.set(toronto(2026, 1, 1, 0, 0))
        with pytest.raises(NotFound):
            college.sponsorships.show(view.sponsorship_id)

        assert then.status == "requested"


class TestViewsAreDerived:
    def test_views_rebuilt_from_the_log_match_the_views_kept_in_step(
        self, durable_url: str, clock: SettableClock, mailer: InMemoryMailer
    ) -> None:
        services = approved_in(durable_url, clock, mailer)
        kept = (services.outbox.messages(), services.app.views.due(toronto(2030, 1, 1), 100))
        services.close()
        raw = RawStore(durable_url)

        raw.execute(
            "DELETE FROM cp_deadlines",
            "DELETE FROM cp_outbox",
            f"DELETE FROM {raw.tracking_table} WHERE application_name = 'CarePassport.views'",
        )

        rebuilt = bootstrap(durable_url, clock=clock, mailer=mailer)
        rebuilt.app.catch_up()

        assert rebuilt.outbox.messages() == kept[0]
        assert rebuilt.app.views.due(toronto(2030, 1, 1), 100) == kept[1]
        rebuilt.close()


class TestViewsSchema:
    def test_views_of_an_older_schema_are_rebuilt_from_the_log(
        self, durable_url: str, clock: SettableClock, mailer: InMemoryMailer
    ) -> None:
        approved_in(durable_url, clock, mailer).close()
        RawStore(durable_url).execute(
            "UPDATE cp_views_schema SET version = 1",
            "DROP TABLE cp_deadlines",
            "CREATE TABLE cp_deadlines (aggregate_id TEXT, due_at TEXT)",
        )

        reopened = bootstrap(durable_url, clock=clock, mailer=mailer)
        clock.set(toronto(2026, 4, 6, 9, 0))
        report = reopened.scheduler.tick()

        assert [p.action for p in report.processed] == ["enable_self_registration"]
        assert len(reopened.outbox.messages()) == 2
        reopened.close()
