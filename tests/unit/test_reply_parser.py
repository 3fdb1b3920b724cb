"""Reading replies as real mail clients write them (R3): fixtures of each client style."""

from __future__ import annotations

import time
from email.message import EmailMessage
from pathlib import Path

import pytest

from carepassport.adapters.mail.reply_parser import MimeReplyParser, answer_line, html_to_text
from carepassport.domain.training.approval_reply import ReplyAnswer, read_answer

FIXTURES = Path(__file__).parent.parent / "fixtures" / "replies"
TOKEN = "a" * 48
SPONSORSHIP = "11111111-2222-3333-4444-555555555555"
APPROVER = "hr.approvals@sunnybrook-ltc.example"


def fixture(name: str) -> bytes:
    """A fixture with its placeholders filled in."""
    raw = (FIXTURES / name).read_bytes()
    return raw.replace(b"{{TOKEN}}", TOKEN.encode()).replace(
        b"{{SPONSORSHIP}}", SPONSORSHIP.encode()
    )


class TestRealClientReplies:
    @pytest.mark.parametrize(
        ("name", "line", "answer"),
        [
            ("gmail_plain_and_html_yes.eml", "Yes.", ReplyAnswer.YES),
            ("gmail_mobile_html_only_yes.eml", "YES!", ReplyAnswer.YES),
            ("outlook_web_html_only_yes.eml", "yes, approved", ReplyAnswer.YES),
            ("outlook_desktop_unquoted_block_no.eml",
             "No, we cannot fund this right now \u2013 please ask again in the fall.",
             ReplyAnswer.NO),
            ("outlook_original_message_subject_token_yes.eml", "Yes", ReplyAnswer.YES),
            ("apple_mail_iphone_yes.eml", "Yes, approved 👍", ReplyAnswer.YES),
            ("french_gmail_yes.eml", "YES — approuvé pour l'année.", ReplyAnswer.YES),
            ("spanish_gmail_no.eml", "NO. Lo siento, este año no hay presupuesto.", ReplyAnswer.NO),
            ("german_outlook_yes.eml", "YES, genehmigt.", ReplyAnswer.YES),
            ("german_gmail_no.eml", "no!", ReplyAnswer.NO),
            ("thunderbird_bottom_posted_yes.eml", "YES", ReplyAnswer.YES),
            ("gmail_empty_reply.eml", None, ReplyAnswer.UNCLEAR),
            ("outlook_empty_reply.eml", None, ReplyAnswer.UNCLEAR),
            ("gmail_maybe.eml", "Maybe - let me check with finance first.", ReplyAnswer.UNCLEAR),
            ("gmail_yes_and_no.eml", "Yes and no: IPAC yes, WHMIS no.", ReplyAnswer.UNCLEAR),
            ("spoofed_dmarc_fail_yes.eml", "YES", ReplyAnswer.YES),
        ],
    )  # fmt: skip
    def test_the_first_line_the_approver_wrote_is_found_above_the_quoted_request(
        self, name: str, line: str | None, answer: ReplyAnswer
    ) -> None:
        parsed = MimeReplyParser().parse(fixture(name))

        assert parsed.answer_line == line
        assert read_answer(parsed.answer_line).answer is answer

    def test_every_fixture_is_covered_by_the_table(self) -> None:
        names = {p.name for p in FIXTURES.glob("*.eml")}

        assert len(names) == 16

    @pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.eml")))
    def test_sender_is_the_lower_cased_from_address(self, name: str) -> None:
        assert MimeReplyParser().parse(fixture(name)).sender == APPROVER

    def test_reply_to_token_is_found_in_to_and_delivered_to_and_the_folded_subject(
        self,
    ) -> None:
        parsed = MimeReplyParser().parse(fixture("gmail_plain_and_html_yes.eml"))

        assert parsed.recipients == (f"approvals+{TOKEN}@college.example",) * 2
        assert parsed.subject.endswith(f"reply YES or NO [approval:{TOKEN}]")
        assert parsed.message_id == "<CAJx7Qm+Zp0r8L3nE5xk2V0o_Fq9S4hY@mail.gmail.com>"

    def test_encoded_word_subject_is_decoded(self) -> None:
        parsed = MimeReplyParser().parse(fixture("french_gmail_yes.eml"))

        assert parsed.subject == (
            f"Re: Sponsorship request {SPONSORSHIP} from E1: reply YES or NO [approval:{TOKEN}]"
        )

    def test_a_reply_to_the_from_address_keeps_the_token_only_in_the_subject(self) -> None:
        parsed = MimeReplyParser().parse(fixture("outlook_original_message_subject_token_yes.eml"))

        assert parsed.recipients == ("care-passport@college.example",)
        assert f"[approval:{TOKEN}]" in parsed.subject

    def test_authentication_results_are_kept_as_the_server_wrote_them(self) -> None:
        parsed = MimeReplyParser().parse(fixture("spoofed_dmarc_fail_yes.eml"))

        assert len(parsed.authentication_results) == 1
        assert "dmarc=fail" in parsed.authentication_results[0]


def message(body: str, **headers: str) -> bytes:
    email = EmailMessage()
    for name, value in {"From": APPROVER, "To": "x@college.example", **headers}.items():
        email[name.replace("_", "-")] = value
    email.set_content(body)
    return email.as_bytes()


class TestOddMessages:
    def test_a_message_without_message_id_is_known_by_a_digest_of_its_bytes(self) -> None:
        raw = message("YES")

        first, again = MimeReplyParser().parse(raw), MimeReplyParser().parse(raw)

        assert first.message_id.startswith("sha256:") and first.message_id == again.message_id

    def test_two_from_addresses_give_no_sender(self) -> None:
        raw = message("YES", From="a@example.org, b@example.org")

        assert MimeReplyParser().parse(raw).sender is None

    def test_no_body_at_all_gives_no_answer(self) -> None:
        raw = b"From: a@example.org\r\nSubject: hi\r\nContent-Type: image/png\r\n\r\nxxxx"

        assert MimeReplyParser().parse(raw).answer_line is None

    def test_garbage_bytes_do_not_raise(self) -> None:
        parsed = MimeReplyParser().parse(b"\x00\xff\xfe not an e-mail \n\n\x80YES")

        assert parsed.sender is None

    def test_an_unknown_charset_is_read_as_utf8_with_replacements(self) -> None:
        raw = b"From: a@example.org\r\nContent-Type: text/plain; charset=x-unknown\r\n\r\nYES\r\n"

        assert MimeReplyParser().parse(raw).answer_line == "YES"


class TestAnswerLine:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("YES\n> Reply YES to approve", "YES"),
            ("\n\n  \u200bYes.\u00a0\n", "Yes."),
            ("> quoted\n>> more\nNO", "NO"),
            ("On Mon, Apr 6, 2026 at 10:02 AM X <x@y.example>\nwrote:\n> q\n\nyes", "yes"),
            ("On Mon, Apr 6, 2026 at 10:02 AM Care\nPassport <x@y.example>\nwrote:\n> q\nNO",
             "NO"),
            ("Care Passport <x@y.example> schrieb am 06.04.26 um 10:02:\n> q\nYES", "YES"),
            ("Il giorno lun 6 apr 2026, Care Passport <x@y.example> ha scritto:\n> q\nno", "no"),
            ("Sent from my iPhone\n\n> On Apr 6 X wrote:\n> YES", None),
            ("Envoyé de mon iPhone\n", None),
            ("-----Original Message-----\nFrom: X\nSent: Y\n\nNO", None),
            ("-----Message d'origine-----\nDe : X\n\nYES", None),
            ("*From:* Care Passport\n*Sent:* Monday\n\nReply YES to approve", None),
            ("De : Care Passport <x@y.example>\nEnvoyé : lundi\nÀ : moi\n\nYES", None),
            ("--\nDana\n", None),
            ("From here on, YES", "From here on, YES"),
            ("On second thought: NO", "On second thought: NO"),
            ("YES, as my colleague wrote:", "YES, as my colleague wrote:"),
            ("", None),
        ],
    )  # fmt: skip
    def test_answer_line(self, text: str, expected: str | None) -> None:
        assert answer_line(text) == expected

    def test_a_hostile_long_line_is_read_in_linear_time(self) -> None:
        text = "On " + "a " * 500_000 + "\n" + ("On x@y " * 300 + "\n") * 400

        started = time.perf_counter()
        found = answer_line(text)

        assert time.perf_counter() - started < 1.0
        assert found is not None and found.startswith("On a a")


class TestHtmlToText:
    def test_blockquotes_become_quoted_lines_and_blocks_break_lines(self) -> None:
        html = (
            "<html><head><style>p{color:red}</style><title>t</title></head><body>"
            "<div>YES&nbsp;!</div><div><br></div><blockquote>Reply YES<br>to approve"
            "<blockquote>nested</blockquote></blockquote><p>after</p></body></html>"
        )

        lines = [line for line in html_to_text(html).split("\n") if line]

        assert lines == ["YES !", "> Reply YES", "> to approve", "> > nested", "after"]

    def test_scripts_and_styles_are_not_text(self) -> None:
        html = "<script>var yes = 1;</script><style>.no{}</style><p>No.</p>"

        assert answer_line(html_to_text(html)) == "No."
