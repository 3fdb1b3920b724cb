"""What a log line may quote of an outside system's error text (ADR 0027)."""

from __future__ import annotations

from carepassport.application.redaction import masked


def test_an_address_quoted_by_a_mail_server_is_masked() -> None:
    text = "550 5.1.1 <jane.o'neil+ltc@example.org>: Recipient address rejected"
    assert masked(text) == "550 5.1.1 <***>: Recipient address rejected"


def test_a_named_student_number_is_masked_wherever_it_appears() -> None:
    text = "no Brightspace user has OrgDefinedId C0912345 (asked for C0912345)"
    assert masked(text, "C0912345") == "no Brightspace user has OrgDefinedId *** (asked for ***)"


def test_a_longer_name_is_masked_before_a_shorter_one_inside_it() -> None:
    assert masked("user 1234567 not found", "123", "1234567") == "user *** not found"


def test_a_missing_or_empty_name_masks_nothing() -> None:
    text = "Brightspace did not answer GET /users/ after 3 tries: HTTP 503"
    assert masked(text, None, "") == text
