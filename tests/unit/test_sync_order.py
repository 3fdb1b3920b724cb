"""R8 order of one night's results: the sync sorts them by a compact key (ADR 0014)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from tests.conftest import toronto

from carepassport.application.training.ports import StagedResult
from carepassport.application.training.sync import POSITION_SPAN, sort_key
from carepassport.domain.training.lms import QuizResult


def staged(position: int, attempted_at: datetime) -> StagedResult:
    result = QuizResult(
        record_id=f"R{position}",
        student_number="C1",
        credential_code="IPAC",
        attempt=1,
        score=Decimal("80"),
        passed=True,
        attempted_at=attempted_at,
    )
    return StagedResult(position, attempted_at + timedelta(minutes=5), result)


class TestSortKey:
    def test_results_sort_by_attempt_time_whatever_their_feed_position(self) -> None:
        later = staged(1, toronto(2026, 7, 28, 15, 0))
        earlier = staged(2, toronto(2026, 7, 28, 14, 59, 59, 999_999))
        assert sort_key(earlier) < sort_key(later)

    def test_results_attempted_at_the_same_instant_keep_their_feed_order(self) -> None:
        first = staged(7, toronto(2026, 7, 28, 14, 0))
        second = staged(8, datetime(2026, 7, 28, 18, 0, tzinfo=UTC))  # the same instant
        assert sort_key(first) < sort_key(second)

    def test_the_key_gives_the_feed_position_back(self) -> None:
        item = staged(123_456, toronto(2026, 7, 28, 14, 0))
        assert sort_key(item) % POSITION_SPAN == 123_456

    def test_a_position_beyond_the_span_is_refused(self) -> None:
        with pytest.raises(ValueError, match="out of range"):
            sort_key(staged(POSITION_SPAN, toronto(2026, 7, 28, 14, 0)))
