"""The staging LMS contract: the fake, the SQLite file and the PostgreSQL table hold imported
results the same way."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from decimal import Decimal
from pathlib import Path

import pytest

from carepassport.adapters.lms.memory import InMemoryLms
from carepassport.adapters.lms.postgres_staging import PostgresStagingLms
from carepassport.adapters.lms.staging import SQLiteStagingLms
from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.application.training.ports import StagingLms
from carepassport.bootstrap import bootstrap
from carepassport.domain.training.lms import QuizResult
from tests.conftest import toronto

HELD = toronto(2026, 7, 31, 20, 0)


def result(record_id: str, score: str = "88.50", attempt: int = 1) -> QuizResult:
    return QuizResult(
        record_id=record_id,
        student_number="C0912345",
        credential_code="IPAC",
        attempt=attempt,
        score=Decimal(score),
        passed=True,
        attempted_at=toronto(2026, 7, 31, 16, 0),
    )


def make_staging(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StagingLms]:
    if kind == "memory":
        yield InMemoryLms()
    elif kind == "sqlite":
        yield SQLiteStagingLms(tmp_path / "store.lms.db")
    else:
        services = bootstrap(request.getfixturevalue("postgres_url"), mailer=InMemoryMailer())
        try:
            yield PostgresStagingLms.on(services.app.factory)
        finally:
            services.close()


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def staging(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StagingLms]:
    yield from make_staging(request.param, request, tmp_path)


@pytest.fixture(params=["sqlite", "postgresql"])
def imports(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StagingLms]:
    """A staging LMS that takes each record id once (the fake keeps re-deliveries, as an LMS
    might send them)."""
    yield from make_staging(request.param, request, tmp_path)


class TestStagingContract:
    def test_results_are_read_forward_from_a_cursor_in_import_order(
        self, staging: StagingLms
    ) -> None:
        staging.stage([result("R1"), result("R2")], HELD)
        staging.stage([result("R3")], toronto(2026, 8, 1, 20, 0))

        first = staging.results_since(0, 2)
        rest = staging.results_since(first[-1].position, 10)

        assert [s.result.record_id for s in first + rest] == ["R1", "R2", "R3"]
        assert [s.held_at for s in first + rest] == [HELD, HELD, toronto(2026, 8, 1, 20, 0)]
        assert first[0].position < first[1].position < rest[0].position
        assert staging.results_since(rest[-1].position, 10) == []

    def test_a_staged_result_comes_back_as_it_was_staged(self, staging: StagingLms) -> None:
        staging.stage([result("R1", score="88.50", attempt=2)], HELD)

        (staged,) = staging.results_since(0, 10)

        assert staged.result == result("R1", score="88.50", attempt=2)
        assert staged.result.score.as_tuple() == Decimal("88.50").as_tuple()
        assert staged.result.attempted_at.utcoffset() is not None

    def test_find_returns_the_staged_results_with_the_given_record_ids(
        self, staging: StagingLms
    ) -> None:
        staging.stage([result("R1"), result("R2"), result("R3")], HELD)

        found = staging.find(["R3", "R1", "R9"])

        assert found == {"R1": result("R1"), "R3": result("R3")}

    def test_the_latest_import_time_is_known_and_none_before_any(self, staging: StagingLms) -> None:
        before = staging.latest_held_at()
        staging.stage([result("R1")], HELD)
        staging.stage([result("R2")], toronto(2026, 8, 1, 20, 0))

        assert before is None
        assert staging.latest_held_at() == toronto(2026, 8, 1, 20, 0).astimezone(UTC)


class TestImportsTakeEachRecordOnce:
    def test_a_record_already_staged_is_left_as_it_was(self, imports: StagingLms) -> None:
        staging = imports
        first = staging.stage([result("R1", score="40")], HELD)
        again = staging.stage([result("R1", score="99"), result("R2")], toronto(2026, 8, 1))

        assert (first, again) == (1, 1)
        assert [(s.result.record_id, s.result.score) for s in staging.results_since(0, 10)] == [
            ("R1", Decimal("40")),
            ("R2", Decimal("88.50")),
        ]
