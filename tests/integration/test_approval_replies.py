"""Approval by e-mail reply (R3), on the memory and SQLite stores: tokens, YES, NO, redelivery."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import pytest

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.mail.inbound import InMemoryInbound
from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.application.services import Services
from carepassport.application.training.replies import RepliesNotConfigured
from carepassport.bootstrap import bootstrap
from carepassport.domain.training.approval_reply import ApprovalReply
from tests.conftest import APPROVAL_SECRET, APPROVER, EMPLOYEE_EMAIL, REPLY_DOMAIN, toronto
from tests.integration.helpers import footprint
from tests.integration.reply_helpers import (
    TOKENS,
    events_since,
    fixture_reply,
    position,
    reply,
)

ANSWERED_AT = toronto(2026, 4, 2, 15, 0)  # Thursday before Good Friday: R4 opens Monday 09:00


@pytest.fixture
def requested(college: Services, clock: SettableClock) -> UUID:
    """A request by E1 for IPAC on Monday 2026-03-30, answered (or not) on Thursday 04-02."""
    view = college.sponsorships.request("E1", ["IPAC"])
    clock.set(ANSWERED_AT)
    return view.sponsorship_id


class TestRequestCarriesAToken:
    def test_each_approval_request_has_a_tokenised_reply_to_and_a_subject_tag(
        self, college: Services, requested: UUID, mailer: InMemoryMailer
    ) -> None:
        token = TOKENS.token(requested)

        sent = [m for m in mailer.sent if m.kind == "approval_request"]

        assert {m.reply_to for m in sent} == {f"approvals+{token}@{REPLY_DOMAIN}"}
        assert all(m.subject.endswith(f"[approval:{token}]") for m in sent)
        assert {e.reply_to for e in college.outbox.messages(APPROVER)} == {sent[0].reply_to}
        assert TOKENS.read(token) == requested

    def test_reminders_carry_the_same_token(
        self, college: Services, requested: UUID, clock: SettableClock, mailer: InMemoryMailer
    ) -> None:
        clock.set(toronto(2026, 4, 1, 9, 0))  # before the answer time: the first reminder
        college.scheduler.tick()

        reminders = [m for m in mailer.sent if m.kind == "approval_reminder"]

        assert reminders and {m.reply_to for m in reminders} == {TOKENS.reply_to(requested)}

    def test_no_line_of_the_request_starts_with_yes_or_no(
        self, requested: UUID, mailer: InMemoryMailer
    ) -> None:
        body = next(m.body for m in mailer.sent if m.kind == "approval_request")

        assert not [
            line for line in body.splitlines() if line.strip().lower().startswith(("yes", "no"))
        ]

    def test_without_a_secret_requests_carry_no_token_and_replies_are_not_read(
        self, clock: SettableClock, mailer: InMemoryMailer
    ) -> None:
        services = bootstrap("memory://", clock=clock, mailer=mailer, approval_secret="")
        services.reference.add_micro_credential("IPAC", "IPAC")
        services.reference.add_employer("SUNNY", name="Sunny", approvers=[APPROVER])
        services.reference.add_employee("E1", employer="SUNNY", email=EMPLOYEE_EMAIL)
        view = services.sponsorships.request("E1", ["IPAC"])
        before = footprint(services)

        with pytest.raises(RepliesNotConfigured, match="CAREPASSPORT_APPROVAL_SECRET"):
            services.replies.receive_reply(reply(view.sponsorship_id, "YES"))

        assert footprint(services) == before
        assert mailer.sent[0].reply_to is None and "[approval:" not in mailer.sent[0].subject


class TestApproveByReply:
    def test_yes_approves_exactly_as_the_cli_would(
        self, college: Services, requested: UUID
    ) -> None:
        outcome = college.replies.receive_reply(reply(requested, "Yes."))

        shown = college.sponsorships.show(requested)
        assert (outcome.outcome, outcome.sponsorship_id, outcome.sender) == (
            "approved",
            requested,
            APPROVER,
        )
        assert (shown.status, shown.approved_at) == ("approved", ANSWERED_AT)
        assert shown.self_registration_at == toronto(2026, 4, 6, 9, 0)
        granted = college.histories.history(requested).events[-1]
        assert (granted.type, granted.data["approved_by"]) == ("ApprovalGranted", APPROVER)

    def test_the_reply_is_recorded_with_its_message_id_beside_the_approval(
        self, college: Services, requested: UUID
    ) -> None:
        before = position(college)

        college.replies.receive_reply(reply(requested, "YES!", message_id="<a1@sunny.example>"))

        assert events_since(college, before) == ["ApprovalGranted", "ReplyAccepted"]
        record = college.histories.history(ApprovalReply.identity("<a1@sunny.example>"))
        assert record.events[0].data["message_id"] == "<a1@sunny.example>"
        assert record.events[0].data["first_line"] == "YES!"

    def test_an_approval_by_reply_enables_self_registration_and_cancels_reminders(
        self, college: Services, requested: UUID, clock: SettableClock, mailer: InMemoryMailer
    ) -> None:
        college.replies.receive_reply(reply(requested, "yes, approved"))
        clock.set(toronto(2026, 4, 30, 9, 0))

        done = [p.action for p in college.scheduler.tick().processed if p.outcome == "done"]

        assert "enable_self_registration" in done
        assert not [a for a in done if a.startswith("approval_reminder")]
        assert [m.recipient for m in mailer.sent if m.kind == "self_registration_instructions"] == [
            EMPLOYEE_EMAIL
        ]

    def test_no_declines(self, college: Services, requested: UUID) -> None:
        outcome = college.replies.receive_reply(reply(requested, "No, sorry."))

        shown = college.sponsorships.show(requested)
        assert outcome.outcome == "declined"
        assert (shown.status, shown.declined_at, shown.self_registration_at) == (
            "declined",
            ANSWERED_AT,
            None,
        )

    def test_the_subject_token_alone_is_enough(self, college: Services, requested: UUID) -> None:
        raw = reply(requested, "YES", to_token="")

        assert college.replies.receive_reply(raw).outcome == "approved"

    def test_the_same_message_delivered_twice_changes_nothing_the_second_time(
        self, college: Services, requested: UUID, mailer: InMemoryMailer
    ) -> None:
        raw = reply(requested, "YES")
        college.replies.receive_reply(raw)
        before = footprint(college), len(mailer.sent)

        again = college.replies.receive_reply(raw)

        assert again.outcome == "duplicate" and "already received" in again.explanation
        assert (footprint(college), len(mailer.sent)) == before

    def test_a_second_process_receiving_the_same_message_changes_nothing(
        self, tmp_path: Path, clock: SettableClock, mailer: InMemoryMailer
    ) -> None:
        url = f"sqlite:///{tmp_path / 'shared.db'}"
        first = bootstrap(url, clock=clock, mailer=mailer, approval_secret=APPROVAL_SECRET)
        first.reference.add_micro_credential("IPAC", "IPAC")
        first.reference.add_employer("SUNNY", name="Sunny", approvers=[APPROVER])
        first.reference.add_employee("E1", employer="SUNNY", email=EMPLOYEE_EMAIL)
        sid = first.sponsorships.request("E1", ["IPAC"]).sponsorship_id
        second = bootstrap(url, clock=clock, mailer=mailer, approval_secret=APPROVAL_SECRET)
        raw = reply(sid, "YES")

        outcomes = [first.replies.receive_reply(raw), second.replies.receive_reply(raw)]

        assert [o.outcome for o in outcomes] == ["approved", "duplicate"]
        assert len(second.histories.history(sid).events) == 2
        first.close()
        second.close()

    def test_messages_from_an_inbound_source_are_each_handled_once(
        self, college: Services, requested: UUID
    ) -> None:
        inbound = InMemoryInbound()
        inbound.deliver(reply(requested, "YES", message_id="<m1@x>"), origin="imap:1")
        inbound.deliver(reply(requested, "YES", message_id="<m1@x>"), origin="imap:2")

        outcomes = college.replies.receive_from(inbound)

        assert [(o.origin, o.outcome) for o in outcomes] == [
            ("imap:1", "approved"),
            ("imap:2", "duplicate"),
        ]
        assert inbound.waiting == [] and len(inbound.handled) == 2


class TestRealClients:
    @pytest.mark.parametrize(
        ("name", "status"),
        [
            ("gmail_plain_and_html_yes.eml", "approved"),
            ("gmail_mobile_html_only_yes.eml", "approved"),
            ("outlook_web_html_only_yes.eml", "approved"),
            ("outlook_desktop_unquoted_block_no.eml", "declined"),
            ("outlook_original_message_subject_token_yes.eml", "approved"),
            ("apple_mail_iphone_yes.eml", "approved"),
            ("french_gmail_yes.eml", "approved"),
            ("spanish_gmail_no.eml", "declined"),
            ("german_outlook_yes.eml", "approved"),
            ("german_gmail_no.eml", "declined"),
            ("thunderbird_bottom_posted_yes.eml", "approved"),
            ("gmail_empty_reply.eml", "requested"),
            ("outlook_empty_reply.eml", "requested"),
            ("gmail_maybe.eml", "requested"),
            ("gmail_yes_and_no.eml", "requested"),
            ("spoofed_dmarc_fail_yes.eml", "requested"),
        ],
    )
    def test_each_client_style_is_read_as_its_author_meant(
        self, college: Services, requested: UUID, name: str, status: str
    ) -> None:
        college.replies.receive_reply(fixture_reply(name, requested))

        assert college.sponsorships.show(requested).status == status
