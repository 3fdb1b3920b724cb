"""Requesting, approving and declining sponsorship (R2-R4), on the memory and SQLite stores."""

from __future__ import annotations

import pytest

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.application.services import Services
from carepassport.domain.errors import (
    AlreadyRequested,
    InvalidTransition,
    InvalidValue,
    NotAnApprover,
    NotFound,
)
from tests.conftest import APPROVER, toronto
from tests.integration.helpers import footprint


class TestRequestSponsorship:
    def test_request_is_recorded_as_requested_for_the_employee_and_employer(
        self, college: Services
    ) -> None:
        view = college.sponsorships.request("E1", ["IPAC", "whmis"])

        shown = college.sponsorships.show(view.sponsorship_id)
        assert (shown.status, shown.employee_id, shown.employer_id) == ("requested", "E1", "SUNNY")
        assert shown.credentials == ["IPAC", "WHMIS"]

    def test_each_approver_is_emailed_once_with_every_requested_credential(
        self, college: Services, mailer: InMemoryMailer
    ) -> None:
        college.sponsorships.request("E1", ["IPAC", "WHMIS"])

        requests = [m for m in mailer.sent if m.kind == "approval_request"]
        assert sorted(m.recipient for m in requests) == ["backup@sunny.example", APPROVER]
        for message in requests:
            assert "IPAC" in message.body and "WHMIS" in message.body
            assert "YES" in message.body

    def test_queued_mail_is_marked_sent_once_delivered(self, college: Services) -> None:
        college.sponsorships.request("E1", ["IPAC"])

        outbox = college.outbox.messages(APPROVER)
        assert len(outbox) == 1 and outbox[0].sent_at is not None

    @pytest.mark.parametrize(
        ("employee", "codes", "error"),
        [
            ("NOBODY", ["IPAC"], NotFound),
            ("E1", ["NOPE"], NotFound),
            ("E1", [], InvalidValue),
            ("E1", ["IPAC", "IPAC"], InvalidValue),
        ],
        ids=["unknown-employee", "unknown-credential", "no-credentials", "duplicate-credential"],
    )
    def test_bad_request_is_refused_and_records_nothing(
        self, college: Services, employee: str, codes: list[str], error: type[Exception]
    ) -> None:
        before = footprint(college)

        with pytest.raises(error):
            college.sponsorships.request(employee, codes)

        assert footprint(college) == before

    def test_credential_already_awaiting_approval_cannot_be_requested_again(
        self, college: Services
    ) -> None:
        first = college.sponsorships.request("E1", ["IPAC"])

        with pytest.raises(AlreadyRequested, match=str(first.sponsorship_id)):
            college.sponsorships.request("E1", ["WHMIS", "IPAC"])


class TestApproveSponsorship:
    def test_approval_schedules_self_registration_at_nine_on_the_next_business_day(
        self, college: Services, clock: SettableClock
    ) -> None:
        view = college.sponsorships.request("E1", ["IPAC"])
        clock.set(toronto(2026, 4, 2, 15, 0))  # Thursday before Good Friday

        approved = college.sponsorships.approve(view.sponsorship_id, by=APPROVER.upper())

        assert approved.status == "approved"
        assert approved.approved_at == toronto(2026, 4, 2, 15, 0)
        assert approved.self_registration_at == toronto(2026, 4, 6, 9, 0)

    def test_approval_event_records_the_rule_calendar_and_settings_version(
        self, college: Services, clock: SettableClock
    ) -> None:
        college.reference.change_setting("closure_days", "2026-04-06")
        view = college.sponsorships.request("E1", ["IPAC"])
        clock.set(toronto(2026, 4, 2, 15, 0))

        college.sponsorships.approve(view.sponsorship_id, by=APPROVER)

        granted = college.histories.history(view.sponsorship_id).events[1]
        deadline = granted.data["self_registration"]
        assert granted.type == "ApprovalGranted"
        assert deadline.rule == "R4"
        assert deadline.due_at == toronto(2026, 4, 7, 9, 0)
        assert "closures=2026-04-06" in deadline.calendar_id
        assert deadline.settings_version == college.app.settings().version > 0

    def test_optional_holidays_setting_moves_the_deadline_past_easter_monday(
        self, college: Services, clock: SettableClock
    ) -> None:
        college.reference.change_setting("optional_holidays", "on")
        view = college.sponsorships.request("E1", ["IPAC"])
        clock.set(toronto(2026, 4, 2, 15, 0))

        approved = college.sponsorships.approve(view.sponsorship_id, by=APPROVER)

        assert approved.self_registration_at == toronto(2026, 4, 7, 9, 0)

    def test_approval_by_an_address_that_is_not_the_employers_approver_changes_nothing(
        self, college: Services
    ) -> None:
        view = college.sponsorships.request("E1", ["IPAC"])
        before = footprint(college)

        with pytest.raises(NotAnApprover):
            college.sponsorships.approve(view.sponsorship_id, by="pat.lee@example.org")

        assert footprint(college) == before
        assert college.sponsorships.show(view.sponsorship_id).status == "requested"

    def test_approver_of_another_employer_cannot_approve(self, college: Services) -> None:
        college.reference.add_employer("OTHER", name="Other LTC", approvers=["boss@other.example"])
        view = college.sponsorships.request("E1", ["IPAC"])

        with pytest.raises(NotAnApprover):
            college.sponsorships.approve(view.sponsorship_id, by="boss@other.example")

    def test_a_sponsorship_is_answered_only_once(self, college: Services) -> None:
        view = college.sponsorships.request("E1", ["IPAC"])
        college.sponsorships.approve(view.sponsorship_id, by=APPROVER)
        before = footprint(college)

        with pytest.raises(InvalidTransition, match="already approved"):
            college.sponsorships.decline(view.sponsorship_id, by=APPROVER)

        assert footprint(college) == before

    def test_decline_is_recorded_and_schedules_nothing(self, college: Services) -> None:
        view = college.sponsorships.request("E1", ["IPAC"])

        declined = college.sponsorships.decline(view.sponsorship_id, by=APPROVER)

        assert declined.status == "declined"
        assert declined.self_registration_at is None
        assert college.scheduler.pending() == 0

    @pytest.mark.parametrize("bad_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
    def test_unknown_sponsorship_is_refused(self, college: Services, bad_id: str) -> None:
        with pytest.raises((InvalidValue, NotFound)):
            college.sponsorships.approve(bad_id, by=APPROVER)
