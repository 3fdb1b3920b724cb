"""R3 reminders to the approvers: 09:00 on the 2nd and 4th business day, only while unanswered."""

from __future__ import annotations

from datetime import datetime

import pytest

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.application.services import Services
from tests.conftest import APPROVER, toronto

# Requested Monday 2026-03-30 09:00: business days after are Tue 31, Wed 1 (2nd), Thu 2,
# (Good Friday 3 is a holiday) Mon 6 (4th).
FIRST = toronto(2026, 4, 1, 9, 0)
SECOND = toronto(2026, 4, 6, 9, 0)
APPROVERS = sorted([APPROVER, "backup@sunny.example"])


def reminders(mailer: InMemoryMailer) -> list[tuple[str, str]]:
    """(recipient, subject prefix) of every reminder delivered."""
    return [
        (m.recipient, m.subject.split(":")[0]) for m in mailer.sent if m.kind == "approval_reminder"
    ]


def tick_at(services: Services, clock: SettableClock, moment: datetime) -> list[str]:
    """Tick at ``moment``; the work done, apart from the nightly LMS syncs."""
    clock.set(moment)
    processed = services.scheduler.tick().processed
    return [p.action for p in processed if p.outcome == "done" and p.action != "nightly_sync"]


def reminders_pending(services: Services) -> int:
    due = services.app.views.due(toronto(2030, 1, 1), 1000)
    return len([item for item in due if item.action.startswith("approval_reminder")])


class TestApprovalReminders:
    def test_nothing_is_sent_before_nine_on_the_second_business_day(
        self, college: Services, clock: SettableClock, mailer: InMemoryMailer
    ) -> None:
        college.sponsorships.request("E1", ["IPAC"])

        assert tick_at(college, clock, toronto(2026, 4, 1, 8, 59, 59)) == []
        assert reminders(mailer) == []

    def test_first_reminder_goes_to_every_approver_at_nine_on_the_second_business_day(
        self, college: Services, clock: SettableClock, mailer: InMemoryMailer
    ) -> None:
        college.sponsorships.request("E1", ["IPAC", "WHMIS"])

        done = tick_at(college, clock, FIRST)

        assert done == ["approval_reminder:1"]
        assert sorted(reminders(mailer)) == [(a, "Reminder 1 of 2") for a in APPROVERS]
        message = next(m for m in mailer.sent if m.kind == "approval_reminder")
        assert "IPAC" in message.body and "WHMIS" in message.body
        assert "Reply YES to approve, or NO to decline." in message.body

    def test_second_reminder_follows_on_the_fourth_business_day_and_then_no_more(
        self, college: Services, clock: SettableClock, mailer: InMemoryMailer
    ) -> None:
        view = college.sponsorships.request("E1", ["IPAC"])
        tick_at(college, clock, FIRST)

        assert tick_at(college, clock, toronto(2026, 4, 3, 9, 0)) == []  # Good Friday
        assert tick_at(college, clock, SECOND) == ["approval_reminder:2"]
        assert tick_at(college, clock, toronto(2026, 6, 30, 9, 0)) == []

        assert [subject for _, subject in reminders(mailer)] == ["Reminder 1 of 2"] * 2 + [
            "Reminder 2 of 2"
        ] * 2
        events = college.histories.history(view.sponsorship_id).events
        sent = [e for e in events if e.type == "ApprovalReminderSent"]
        assert [(e.business_time, e.data["number"]) for e in sent] == [(FIRST, 1), (SECOND, 2)]

    def test_a_second_tick_sends_nothing_twice(
        self, college: Services, clock: SettableClock, mailer: InMemoryMailer
    ) -> None:
        college.sponsorships.request("E1", ["IPAC"])
        tick_at(college, clock, FIRST)

        assert tick_at(college, clock, toronto(2026, 4, 1, 9, 30)) == []
        assert len(reminders(mailer)) == 2

    def test_no_reminder_after_an_approval(
        self, college: Services, clock: SettableClock, mailer: InMemoryMailer
    ) -> None:
        view = college.sponsorships.request("E1", ["IPAC"])
        tick_at(college, clock, FIRST)
        clock.set(toronto(2026, 4, 2, 15, 0))
        college.sponsorships.approve(view.sponsorship_id, by=APPROVER)

        assert tick_at(college, clock, toronto(2026, 4, 30, 9, 0)) == ["enable_self_registration"]
        assert [subject for _, subject in reminders(mailer)] == ["Reminder 1 of 2"] * 2

    @pytest.mark.parametrize("answered_at", [toronto(2026, 3, 30, 17, 0), FIRST])
    def test_no_reminder_after_a_decline_even_at_the_reminders_own_time(
        self,
        college: Services,
        clock: SettableClock,
        mailer: InMemoryMailer,
        answered_at: datetime,
    ) -> None:
        view = college.sponsorships.request("E1", ["IPAC"])
        clock.set(answered_at)
        college.sponsorships.decline(view.sponsorship_id, by=APPROVER)

        assert tick_at(college, clock, toronto(2026, 4, 30, 9, 0)) == []
        assert reminders(mailer) == []
        assert reminders_pending(college) == 0

    def test_a_late_scheduler_sends_only_the_latest_reminder_with_its_due_time(
        self, college: Services, clock: SettableClock, mailer: InMemoryMailer
    ) -> None:
        view = college.sponsorships.request("E1", ["IPAC"])

        assert tick_at(college, clock, toronto(2026, 4, 7, 14, 0)) == ["approval_reminder:2"]

        assert [subject for _, subject in reminders(mailer)] == ["Reminder 2 of 2"] * 2
        sent = college.histories.history(view.sponsorship_id).events[-1]
        assert (sent.type, sent.business_time) == ("ApprovalReminderSent", SECOND)
        assert sent.recorded_at == toronto(2026, 4, 7, 14, 0)
