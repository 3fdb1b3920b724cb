"""Replies that must change nothing (R3): each is refused, and only registered approvers hear."""

from __future__ import annotations

from uuid import UUID

import pytest

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.application.services import Services
from carepassport.application.training.approval_tokens import ApprovalTokens
from carepassport.application.training.replies import ReplyOutcome
from carepassport.domain.training.approval_reply import ApprovalReply
from tests.conftest import APPROVER, toronto
from tests.integration.helpers import footprint
from tests.integration.reply_helpers import (
    TOKENS,
    events_since,
    fixture_reply,
    position,
    reply,
)

BACKUP = "backup@sunny.example"
INTRUDER = "mallory@evil.example"
REFUSED = "approval_reply_refused"


@pytest.fixture
def requested(college: Services, clock: SettableClock) -> UUID:
    view = college.sponsorships.request("E1", ["IPAC"])
    clock.set(toronto(2026, 3, 31, 11, 0))
    return view.sponsorship_id


def refusals(mailer: InMemoryMailer) -> list[str]:
    return sorted(m.recipient for m in mailer.sent if m.kind == REFUSED)


class Refused:
    """What a refused reply left behind, compared with the store before it."""

    def __init__(self, services: Services, sponsorship: UUID) -> None:
        self.services = services
        self.sponsorship = sponsorship
        self.position = position(services)
        self.pending = services.scheduler.pending()
        self.history = services.histories.history(sponsorship).events

    def changed_nothing_but_the_refusal(self) -> None:
        """The sponsorship and its deadlines are as they were; only the refusal's record and
        its notices were written."""
        assert self.services.histories.history(self.sponsorship).events == self.history
        assert self.services.sponsorships.show(self.sponsorship).status == "requested"
        assert self.services.scheduler.pending() == self.pending
        assert set(events_since(self.services, self.position)) <= {
            "ReplyRefused",
            "NoticeQueued",
            "NotificationSent",
            "DeliveryAttempted",
        }


class TestRefusedAndAnsweredToTheSender:
    @pytest.mark.parametrize(
        ("first_line", "shown"),
        [
            ("yes and no", "'yes and no' starts with YES but also says 'no'"),
            ("Maybe next week", "'Maybe next week' does not start with YES or NO"),
            ("", "no answer above the quoted message"),
        ],
        ids=["yes-and-no", "maybe", "empty"],
    )
    def test_an_unclear_answer_is_refused_and_the_approver_is_told_what_was_read(
        self,
        college: Services,
        requested: UUID,
        mailer: InMemoryMailer,
        first_line: str,
        shown: str,
    ) -> None:
        before = Refused(college, requested)

        outcome = college.replies.receive_reply(reply(requested, first_line))

        assert (outcome.outcome, outcome.reasons, outcome.answered) == (
            "refused",
            ["unclear_answer"],
            [APPROVER],
        )
        before.changed_nothing_but_the_refusal()
        notice = next(m for m in mailer.sent if m.kind == REFUSED)
        assert notice.recipient == APPROVER and shown in notice.body
        assert notice.reply_to == TOKENS.reply_to(requested)  # answering the notice works
        assert f"[approval:{TOKENS.token(requested)}]" in notice.subject

    def test_yes_to_the_refusal_notice_then_approves(
        self, college: Services, requested: UUID
    ) -> None:
        college.replies.receive_reply(reply(requested, "maybe", message_id="<1@x>"))

        second = college.replies.receive_reply(reply(requested, "YES", message_id="<2@x>"))

        assert second.outcome == "approved"

    def test_a_reused_token_on_an_answered_request_is_refused_with_the_answer_given(
        self, college: Services, requested: UUID, mailer: InMemoryMailer
    ) -> None:
        college.sponsorships.approve(requested, by=BACKUP)
        pending = college.scheduler.pending()
        history = college.histories.history(requested).events

        outcome = college.replies.receive_reply(reply(requested, "NO"))

        assert outcome.reasons == ["already_answered"]
        assert college.scheduler.pending() == pending
        assert college.histories.history(requested).events == history
        notice = next(m for m in mailer.sent if m.kind == REFUSED)
        assert "The request was already approved." in notice.body
        assert notice.reply_to is None and "[approval:" not in notice.subject

    @pytest.mark.parametrize(
        ("header", "argument"),
        [("dkim=fail header.d=sunnybrook-ltc.example", None), (None, "dmarc=fail")],
        ids=["authentication-results-header", "inbound-source-verdict"],
    )
    def test_a_failed_dkim_spf_or_dmarc_check_refuses_and_is_recorded(
        self,
        college: Services,
        requested: UUID,
        mailer: InMemoryMailer,
        header: str | None,
        argument: str | None,
    ) -> None:
        before = Refused(college, requested)
        raw = reply(requested, "YES", authentication=header)

        outcome = college.replies.receive_reply(raw, authentication=argument)

        assert outcome.reasons == ["authentication_failed"]
        before.changed_nothing_but_the_refusal()
        record = college.histories.history(ApprovalReply.identity(outcome.message_id))
        assert record.events[0].data["reasons"] == ["authentication_failed"]
        assert [v for v in record.events[0].data["authentication"] if v.endswith("fail")]
        assert refusals(mailer) == [APPROVER]

    def test_the_spoofed_fixture_with_dmarc_fail_is_refused(
        self, college: Services, requested: UUID
    ) -> None:
        outcome = college.replies.receive_reply(
            fixture_reply("spoofed_dmarc_fail_yes.eml", requested)
        )

        assert outcome.reasons == ["authentication_failed"]
        assert "spf=fail, dmarc=fail" in outcome.explanation

    def test_tokens_of_two_requests_in_one_reply_are_refused(
        self, college: Services, requested: UUID, mailer: InMemoryMailer
    ) -> None:
        other = college.sponsorships.request("E1", ["WHMIS"]).sponsorship_id
        before = Refused(college, requested)

        outcome = college.replies.receive_reply(
            reply(requested, "YES", subject_token=TOKENS.token(other))
        )

        assert (outcome.sponsorship_id, outcome.reasons) == (requested, ["conflicting_tokens"])
        before.changed_nothing_but_the_refusal()
        assert college.sponsorships.show(other).status == "requested"
        assert refusals(mailer) == [APPROVER]


class TestRefusedWithoutWritingToTheSender:
    def test_a_spoofed_sender_is_never_written_to_the_approvers_are_told(
        self, college: Services, requested: UUID, mailer: InMemoryMailer
    ) -> None:
        before = Refused(college, requested)

        outcome = college.replies.receive_reply(reply(requested, "YES", sender=INTRUDER))

        assert (outcome.reasons, outcome.answered) == (
            ["not_an_approver"],
            sorted([APPROVER, BACKUP]),
        )
        before.changed_nothing_but_the_refusal()
        assert refusals(mailer) == sorted([APPROVER, BACKUP])
        assert INTRUDER not in [m.recipient for m in mailer.sent]

    def test_the_approvers_are_not_shown_what_an_unregistered_sender_wrote(
        self, college: Services, requested: UUID, mailer: InMemoryMailer
    ) -> None:
        college.replies.receive_reply(
            reply(requested, "Maybe, click http://evil.example/login", sender=INTRUDER)
        )

        notice = next(m for m in mailer.sent if m.kind == REFUSED)
        assert "evil.example/login" not in notice.body
        assert "its first line is not a clear YES or NO" in notice.body

    def test_another_employers_request_cannot_be_answered_by_our_approver(
        self, college: Services, requested: UUID, mailer: InMemoryMailer
    ) -> None:
        college.reference.add_employer("OTHER", name="Other LTC", approvers=["boss@other.example"])
        college.reference.add_employee("E2", employer="OTHER", email="e2@example.org")
        theirs = college.sponsorships.request("E2", ["IPAC"]).sponsorship_id

        outcome = college.replies.receive_reply(reply(theirs, "YES"))

        assert outcome.reasons == ["not_an_approver"]
        assert college.sponsorships.show(theirs).status == "requested"
        assert refusals(mailer) == ["boss@other.example"]


class TestRefusedAndRecordingNothing:
    @pytest.mark.parametrize(
        ("variant", "reason"),
        [
            ("forged", "invalid_token"),
            ("altered", "invalid_token"),
            ("other-secret", "invalid_token"),
            ("none", "no_token"),
        ],
    )
    def test_a_reply_without_a_genuine_token_records_nothing_and_writes_to_nobody(
        self,
        college: Services,
        requested: UUID,
        mailer: InMemoryMailer,
        variant: str,
        reason: str,
    ) -> None:
        genuine = TOKENS.token(requested)
        token = {
            "forged": "a" * 48,
            "altered": genuine[:-1] + ("b" if genuine[-1] != "b" else "c"),
            "other-secret": _other_secret_token(requested),
            "none": "",
        }[variant]
        before = footprint(college), len(mailer.sent)

        outcome = college.replies.receive_reply(
            reply(requested, "YES", to_token=token, subject_token=token)
        )

        assert (outcome.outcome, outcome.reasons, outcome.answered) == ("refused", [reason], [])
        assert outcome.sponsorship_id is None
        assert (footprint(college), len(mailer.sent)) == before
        assert college.sponsorships.show(requested).status == "requested"

    def test_a_genuine_token_beside_an_altered_one_is_refused_and_the_sender_told(
        self, college: Services, requested: UUID, mailer: InMemoryMailer
    ) -> None:
        outcome = college.replies.receive_reply(reply(requested, "YES", subject_token="a" * 48))

        assert outcome.reasons == ["invalid_token"]
        assert college.sponsorships.show(requested).status == "requested"
        assert refusals(mailer) == [APPROVER]

    def test_a_refused_reply_delivered_twice_is_answered_once(
        self, college: Services, requested: UUID, mailer: InMemoryMailer
    ) -> None:
        raw = reply(requested, "maybe")
        first = college.replies.receive_reply(raw)
        before = footprint(college), len(mailer.sent)

        again = college.replies.receive_reply(raw)

        assert (first.outcome, again.outcome, again.reasons) == (
            "refused",
            "duplicate",
            ["unclear_answer"],
        )
        assert (footprint(college), len(mailer.sent)) == before

    def test_a_refused_reply_delivered_again_after_its_sender_became_an_approver_stays_refused(
        self, college: Services, requested: UUID
    ) -> None:
        raw = reply(requested, "YES", sender=INTRUDER)
        college.replies.receive_reply(raw)
        college.reference.add_employer("X", name="x", approvers=[INTRUDER])

        again: ReplyOutcome = college.replies.receive_reply(raw)

        assert again.outcome == "duplicate"
        assert college.sponsorships.show(requested).status == "requested"


def _other_secret_token(sponsorship: UUID) -> str:
    return ApprovalTokens.create("someone-elses-secret-value", "x.example").token(sponsorship)
