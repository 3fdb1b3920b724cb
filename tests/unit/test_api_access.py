"""Bearer tokens and idempotent requests as domain records (ADR 0015)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from tests.conftest import toronto

from carepassport.domain.access.api_access import (
    IN_FLIGHT_LEASE,
    ApiToken,
    IdempotencyConflict,
    IdempotentRequest,
    Role,
)
from carepassport.domain.errors import InvalidTransition, InvalidValue

AT = toronto(2026, 4, 1, 9, 0)


def test_a_live_token_accepts_only_its_own_digest() -> None:
    token = ApiToken.issue("abc123", Role.COLLEGE, "registrar", "d" * 64, AT)

    assert token.accepts("d" * 64)
    assert not token.accepts("e" * 64)


def test_a_revoked_token_accepts_nothing_and_cannot_be_revoked_again() -> None:
    token = ApiToken.issue("abc123", Role.LMS, "brightspace", "d" * 64, AT)

    token.revoke(AT + timedelta(hours=1))

    assert not token.accepts("d" * 64)
    with pytest.raises(InvalidTransition, match="already revoked"):
        token.revoke(AT + timedelta(hours=2))


def test_a_token_without_a_subject_is_refused() -> None:
    with pytest.raises(InvalidValue, match="subject"):
        ApiToken.issue("abc123", Role.AUDITOR, "  ", "d" * 64, AT)


def test_an_unknown_role_is_refused_with_the_roles_listed() -> None:
    with pytest.raises(InvalidValue, match="employee, approver, college, auditor, lms"):
        Role.parse("admin")


def test_a_role_name_is_read_case_insensitively() -> None:
    assert Role.parse(" Approver ") is Role.APPROVER


def test_an_answered_request_replays_its_answer_for_the_same_fingerprint() -> None:
    request = IdempotentRequest.claim("employee:E1", "key-1", "f1", AT)
    request.record_answer(201, {"id": 1}, AT)

    assert request.replay("f1", AT + timedelta(days=3)) == (201, {"id": 1})


def test_a_key_reused_for_another_request_is_a_conflict() -> None:
    request = IdempotentRequest.claim("employee:E1", "key-1", "f1", AT)
    request.record_answer(201, {"id": 1}, AT)

    with pytest.raises(IdempotencyConflict, match="different request"):
        request.replay("f2", AT)


def test_an_unanswered_request_blocks_a_retry_within_its_lease() -> None:
    request = IdempotentRequest.claim("employee:E1", "key-1", "f1", AT)

    with pytest.raises(IdempotencyConflict, match="still being processed"):
        request.replay("f1", AT + IN_FLIGHT_LEASE - timedelta(seconds=1))


def test_an_unanswered_request_may_run_again_after_its_lease() -> None:
    request = IdempotentRequest.claim("employee:E1", "key-1", "f1", AT)
    later = AT + IN_FLIGHT_LEASE

    assert request.replay("f1", later) is None
    assert request.claimed_at == later
    with pytest.raises(IdempotencyConflict, match="still being processed"):
        request.replay("f1", later)


def test_a_released_request_may_run_again_at_once() -> None:
    request = IdempotentRequest.claim("employee:E1", "key-1", "f1", AT)
    request.release(AT)

    assert request.replay("f1", AT) is None


def test_a_released_request_run_again_blocks_the_next_retry() -> None:
    request = IdempotentRequest.claim("employee:E1", "key-1", "f1", AT)
    request.release(AT)
    request.replay("f1", AT)

    with pytest.raises(IdempotencyConflict, match="still being processed"):
        request.replay("f1", AT + timedelta(seconds=1))


@pytest.mark.parametrize("key", ["", "   ", "k" * 256])
def test_an_idempotency_key_must_have_1_to_255_characters(key: str) -> None:
    with pytest.raises(InvalidValue, match="1 to 255"):
        IdempotentRequest.claim("employee:E1", key, "f1", AT)


def test_no_caller_and_key_spell_another_callers_record() -> None:
    assert IdempotentRequest.identity("lms:vendor", "a/b") != IdempotentRequest.identity(
        "lms:vendor/a", "b"
    )
