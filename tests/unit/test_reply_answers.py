"""R3: what a reply's first line means, which replies count, and who hears of a refusal."""

from __future__ import annotations

from datetime import datetime

import pytest

from carepassport.adapters.calendar import OntarioCalendar
from carepassport.application.mail.authentication import authentication_verdicts
from carepassport.domain.reference import Employer
from carepassport.domain.time import TORONTO
from carepassport.domain.training.approval_reply import (
    AnswerReading,
    RefusalReason,
    ReplyAnswer,
    judge_reply,
    read_answer,
    refusal_recipients,
)
from carepassport.domain.training.sponsorship import Sponsorship
from carepassport.domain.values import CredentialCode, EmailAddress, EmployeeId, EmployerId

YES, NO, UNCLEAR = ReplyAnswer.YES, ReplyAnswer.NO, ReplyAnswer.UNCLEAR
BOSS = EmailAddress("boss@sunny.example")
DEPUTY = EmailAddress("deputy@sunny.example")
MONDAY = datetime(2026, 6, 1, 10, tzinfo=TORONTO)


class TestReadAnswer:
    @pytest.mark.parametrize(
        ("line", "answer"),
        [
            ("YES", YES), ("Yes.", YES), ("YES!", YES), ("yes, approved", YES),
            ("  Yes - approved for all three  ", YES), ("*YES*", YES), ("Yes!!! 👍", YES),
            ("\uff39\uff25\uff33", YES), ("1. yes", YES),
            ("NO", NO), ("No.", NO), ("no, sorry", NO), ("NO!", NO), ("No thank you", NO),
            ("No, not this year", NO),
            (None, UNCLEAR), ("", UNCLEAR), ("   ", UNCLEAR), ("...", UNCLEAR),
            ("Maybe", UNCLEAR), ("yes and no", UNCLEAR), ("Yes or no?", UNCLEAR),
            ("Yes, but only IPAC", UNCLEAR), ("YES if the fee is waived", UNCLEAR),
            ("Yes, not WHMIS", UNCLEAR), ("No problem", UNCLEAR),
            ("no problem, go ahead", UNCLEAR), ("No objection", UNCLEAR), ("Yeah", UNCLEAR),
            ("Ok", UNCLEAR), ("Approved", UNCLEAR), ("I said yes", UNCLEAR), ("Y", UNCLEAR),
            ("Perhaps yes", UNCLEAR), ("Oui", UNCLEAR), ("yesterday", UNCLEAR),
            ("Nope", UNCLEAR),
        ],
    )  # fmt: skip
    def test_first_line(self, line: str | None, answer: ReplyAnswer) -> None:
        assert read_answer(line).answer is answer

    def test_an_unclear_answer_says_what_was_read(self) -> None:
        reading = read_answer("Yes, but only IPAC")

        assert reading.explanation == (
            "the first line 'Yes, but only IPAC' starts with YES but also says 'but'"
        )

    def test_an_empty_reply_is_explained_as_such(self) -> None:
        assert "no answer above the quoted message" in read_answer(None).explanation

    def test_a_long_line_is_shortened_in_the_explanation(self) -> None:
        reading = read_answer("Perhaps " + "very " * 50)

        assert len(reading.explanation) < 160 and "…" in reading.explanation


def employer() -> Employer:
    return Employer.add(EmployerId("SUNNY"), "Sunny", [BOSS, DEPUTY], 0, MONDAY)


def requested() -> Sponsorship:
    return Sponsorship.request(
        EmployeeId("E1"), EmployerId("SUNNY"), [CredentialCode("IPAC")], 1, MONDAY,
        calendar=OntarioCalendar(), settings_version=0,
    )  # fmt: skip


def reasons(**changes: object) -> list[RefusalReason]:
    arguments: dict[str, object] = {
        "sponsorship": requested(),
        "employer": employer(),
        "sender": BOSS,
        "reading": AnswerReading(YES),
        "authentication_failures": [],
    } | changes
    return [r.reason for r in judge_reply(**arguments)]  # type: ignore[arg-type]


class TestJudgeReply:
    def test_a_clear_answer_from_an_approver_of_an_open_request_counts(self) -> None:
        assert reasons() == []

    def test_a_sender_who_is_not_an_approver_is_refused(self) -> None:
        assert reasons(sender=EmailAddress("mallory@evil.example")) == [
            RefusalReason.NOT_AN_APPROVER
        ]

    def test_a_message_without_a_single_sender_is_refused(self) -> None:
        assert reasons(sender=None) == [RefusalReason.NOT_AN_APPROVER]

    def test_a_failed_authentication_check_is_refused(self) -> None:
        assert reasons(authentication_failures=["dmarc=fail"]) == [
            RefusalReason.AUTHENTICATION_FAILED
        ]

    def test_an_answered_request_is_refused(self) -> None:
        s = requested()
        s.decline(employer(), BOSS, MONDAY)

        assert reasons(sponsorship=s) == [RefusalReason.ALREADY_ANSWERED]

    def test_every_reason_that_applies_is_given(self) -> None:
        found = reasons(
            sender=EmailAddress("mallory@evil.example"),
            reading=read_answer("maybe"),
            authentication_failures=["spf=fail"],
        )

        assert found == [
            RefusalReason.AUTHENTICATION_FAILED,
            RefusalReason.NOT_AN_APPROVER,
            RefusalReason.UNCLEAR_ANSWER,
        ]


class TestRefusalRecipients:
    def test_an_approver_who_sent_the_reply_is_answered(self) -> None:
        assert refusal_recipients(DEPUTY, [BOSS, DEPUTY]) == (DEPUTY,)

    def test_anyone_else_is_never_written_to_the_approvers_are_told_instead(self) -> None:
        assert refusal_recipients(EmailAddress("mallory@evil.example"), [BOSS, DEPUTY]) == (
            BOSS,
            DEPUTY,
        )
        assert refusal_recipients(None, [BOSS]) == (BOSS,)


class TestAuthenticationVerdicts:
    @pytest.mark.parametrize(
        ("results", "verdicts"),
        [
            (["mx.example; dkim=pass header.d=a.example; spf=pass; dmarc=pass"],
             ["dkim=pass", "spf=pass", "dmarc=pass"]),
            (["mx.example; DKIM=FAIL (bad signature) header.d=a.example"], ["dkim=fail"]),
            (["mx.example; spf=softfail smtp.mailfrom=a.example"], ["spf=softfail"]),
            (["mx.example; dkim=pass (the (nested) comment says dmarc=fail) header.d=x"],
             ["dkim=pass"]),
            (["mx.example; arc=pass; auth=pass"], []),
            (["mx.example; none"], []),
            ([None, "dmarc=fail"], ["dmarc=fail"]),
        ],
    )  # fmt: skip
    def test_verdicts(self, results: list[str | None], verdicts: list[str]) -> None:
        assert authentication_verdicts(results) == verdicts
