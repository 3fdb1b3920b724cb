"""Approval tokens (R3): genuine ones name their request; forged or altered ones name none."""

from __future__ import annotations

import base64
import string
from uuid import UUID

import pytest

from carepassport.application.training.approval_tokens import ApprovalTokens
from carepassport.domain.errors import InvalidValue

SECRET = "test-approval-secret-not-for-production"
A = UUID("6b1d3c52-0b52-5c1f-9d3e-4f4b2a7f9e10")
B = UUID("0f6e2a11-7c44-5b9e-8a21-3d5c4b6a7e98")
TOKENS = ApprovalTokens.create(SECRET, "College.Example")


def flipped(token: str, position: int) -> str:
    """``token`` with one character changed to another base32 character."""
    alphabet = string.ascii_lowercase + "234567"
    replacement = alphabet[(alphabet.index(token[position]) + 1) % len(alphabet)]
    return token[:position] + replacement + token[position + 1 :]


class TestIssuingTokens:
    def test_a_token_is_48_lower_case_base32_characters_and_fits_an_address_local_part(
        self,
    ) -> None:
        token = TOKENS.token(A)

        assert len(token) == 48 and set(token) <= set(string.ascii_lowercase + "234567")
        local_part = TOKENS.reply_to(A).split("@")[0]
        assert local_part == f"approvals+{token}" and len(local_part) <= 64

    def test_the_reply_address_and_subject_tag_carry_the_token(self) -> None:
        assert TOKENS.reply_to(A) == f"approvals+{TOKENS.token(A)}@college.example"
        assert TOKENS.subject_tag(A) == f"[approval:{TOKENS.token(A)}]"

    def test_a_token_is_stable_for_its_request_and_differs_between_requests(self) -> None:
        assert TOKENS.token(A) == ApprovalTokens.create(SECRET, "other.example").token(A)
        assert TOKENS.token(A) != TOKENS.token(B)

    def test_the_mac_carries_at_least_80_bits(self) -> None:
        raw = base64.b32decode(TOKENS.token(A).upper())

        assert raw[:16] == A.bytes and len(raw[16:]) * 8 >= 80

    def test_the_secret_is_not_shown_in_the_tokens_repr(self) -> None:
        assert SECRET not in repr(TOKENS)

    @pytest.mark.parametrize("secret", ["", "short", " " * 40, "fifteen-chars!!"])
    def test_a_short_secret_is_refused(self, secret: str) -> None:
        with pytest.raises(InvalidValue, match="at least 16"):
            ApprovalTokens.create(secret, "college.example")

    @pytest.mark.parametrize("domain", ["", "a b.example", "-x.example", "x@y.example"])
    def test_a_bad_reply_domain_is_refused(self, domain: str) -> None:
        with pytest.raises(InvalidValue, match="mail domain"):
            ApprovalTokens.create(SECRET, domain)


class TestReadingTokens:
    def test_a_genuine_token_names_its_request(self) -> None:
        assert TOKENS.read(TOKENS.token(A)) == A

    def test_reading_ignores_case_and_surrounding_space(self) -> None:
        assert TOKENS.read(f"  {TOKENS.token(A).upper()} ") == A

    def test_a_token_signed_with_another_secret_is_forged(self) -> None:
        other = ApprovalTokens.create("another-secret-of-some-length", "college.example")

        assert TOKENS.read(other.token(A)) is None

    def test_a_token_made_up_by_hand_is_forged(self) -> None:
        made_up = base64.b32encode(A.bytes + bytes(14)).decode().lower()

        assert TOKENS.read(made_up) is None

    def test_another_requests_token_does_not_name_this_request(self) -> None:
        theirs = base64.b32decode(TOKENS.token(B).upper())
        spliced = base64.b32encode(A.bytes + theirs[16:]).decode().lower()

        assert TOKENS.read(TOKENS.token(B)) == B
        assert TOKENS.read(spliced) is None

    @pytest.mark.parametrize("position", [0, 1, 12, 25, 26, 30, 46, 47])
    def test_a_token_with_any_one_character_altered_is_refused(self, position: int) -> None:
        assert TOKENS.read(flipped(TOKENS.token(A), position)) is None

    @pytest.mark.parametrize(
        "token",
        ["", "abc", "a" * 47, "a" * 49, "1" * 48, "!" * 48],
        ids=["empty", "short", "one-short", "one-long", "not-base32", "punctuation"],
    )
    def test_malformed_tokens_name_no_request(self, token: str) -> None:
        assert TOKENS.read(token) is None


class TestFindingTokens:
    def test_tokens_are_found_in_approvals_plus_addresses_of_any_domain(self) -> None:
        found = ApprovalTokens.in_addresses(
            ["Approvals+ABC@college.example", "approvals@college.example", "hr@x.example",
             "approvals+def@alias.example"]
        )  # fmt: skip

        assert found == ["ABC", "def"]

    def test_tokens_are_found_in_subject_tags(self) -> None:
        subject = f"RE: AW: Sponsorship request from E1 [Approval: {TOKENS.token(A)}]"

        assert ApprovalTokens.in_subject(subject) == [TOKENS.token(A)]
        assert ApprovalTokens.in_subject("Re: Sponsorship request") == []
