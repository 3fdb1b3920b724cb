"""Brightspace's configuration, its attempts as canonical results, and its paging shapes."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from carepassport.adapters.lms.brightspace.config import BrightspaceConfig, CourseMapping
from carepassport.adapters.lms.brightspace.http import ValenceHttp, retry_after
from carepassport.adapters.lms.brightspace.mapping import quiz_result, record_id, utc_instant
from carepassport.application.training.ports import LmsRequestRefused
from carepassport.domain.errors import InvalidValue
from carepassport.domain.time import TORONTO

MINIMAL: dict[str, Any] = {
    "base_url": "https://college.brightspace.example/",
    "learner_role_id": 110,
    "courses": {"ipac": {"org_unit_id": 6606, "quiz_id": 41, "grade_object_id": 77}},
}
COURSE = CourseMapping(org_unit_id=6606, quiz_id=41, grade_object_id=77, pass_percent=Decimal(80))


class TestConfiguration:
    def test_a_json_file_gives_defaults_for_what_it_leaves_out(self, tmp_path: Path) -> None:
        path = tmp_path / "brightspace.json"
        path.write_text(json.dumps(MINIMAL))

        loaded = BrightspaceConfig.load(path)

        assert loaded.base_url == "https://college.brightspace.example"
        assert (loaded.lp_version, loaded.le_version, loaded.token_env) == (
            "1.46",
            "1.74",
            "BRIGHTSPACE_TOKEN",
        )
        assert loaded.course("IPAC") == CourseMapping(
            org_unit_id=6606, quiz_id=41, grade_object_id=77
        )

    def test_a_toml_file_reads_the_same(self, tmp_path: Path) -> None:
        path = tmp_path / "brightspace.toml"
        path.write_text(
            'base_url = "https://lms.example"\nlearner_role_id = 110\nle_version = "1.80"\n'
            "[courses.IPAC]\norg_unit_id = 6606\nquiz_id = 41\ngrade_object_id = 77\n"
            "pass_percent = 75\n"
        )

        loaded = BrightspaceConfig.load(path)

        assert loaded.le_version == "1.80"
        assert loaded.courses["IPAC"].pass_percent == Decimal(75)

    @pytest.mark.parametrize(
        ("change", "complaint"),
        [
            ({"base_url": "ftp://x"}, "base_url"),
            ({"lp_version": "v1"}, "lp_version"),
            ({"courses": {}}, "courses"),
            (
                {"courses": {"IPAC": {"org_unit_id": 0, "quiz_id": 1, "grade_object_id": 1}}},
                "org_unit_id",
            ),
            (
                {"courses": {"bad code!": {"org_unit_id": 1, "quiz_id": 1, "grade_object_id": 1}}},
                "code",
            ),
            ({"learner_roles": 3}, "learner_roles"),
        ],
    )
    def test_a_bad_setting_is_refused_by_name(self, change: dict[str, Any], complaint: str) -> None:
        with pytest.raises(InvalidValue, match=complaint):
            BrightspaceConfig.from_mapping({**MINIMAL, **change})

    def test_the_readme_example_is_a_valid_configuration(self) -> None:
        readme = (Path(__file__).parents[2] / "README.md").read_text()
        found = re.search(r"<!-- brightspace-config -->\s*```json\n(.*?)```", readme, re.S)
        assert found, "the README has no Brightspace configuration example"

        example = BrightspaceConfig.from_mapping(json.loads(found.group(1)))

        assert sorted(example.courses) == ["IPAC", "WHMIS"]

    def test_a_malformed_file_is_refused_with_its_path(self, tmp_path: Path) -> None:
        path = tmp_path / "brightspace.json"
        path.write_text("{not json")

        with pytest.raises(InvalidValue, match=r"brightspace.json is malformed"):
            BrightspaceConfig.load(path)

    def test_the_token_comes_from_the_named_environment_variable_and_stays_secret(self) -> None:
        settings = BrightspaceConfig.from_mapping({**MINIMAL, "token_env": "D2L_TOKEN"})

        token = settings.token({"D2L_TOKEN": "s3cret"})

        assert token.get_secret_value() == "s3cret"
        assert "s3cret" not in repr(token) and "s3cret" not in str(token)
        with pytest.raises(InvalidValue, match="set the environment variable D2L_TOKEN"):
            settings.token({})


class TestAttemptsAsResults:
    @pytest.mark.parametrize(
        ("text", "instant"),
        [
            ("2026-07-31T20:00:00.000Z", datetime(2026, 7, 31, 20, 0, tzinfo=UTC)),
            ("2026-07-31T20:00:00.1234567Z", datetime(2026, 7, 31, 20, 0, tzinfo=UTC)),
            ("2026-07-31 20:00:00", datetime(2026, 7, 31, 20, 0, tzinfo=UTC)),
            ("2026-07-31T16:00:00-04:00", datetime(2026, 7, 31, 20, 0, tzinfo=UTC)),
        ],
    )
    def test_brightspace_times_are_utc_to_the_second(self, text: str, instant: datetime) -> None:
        assert utc_instant(text, "Completed") == instant

    def test_a_time_that_is_not_one_is_refused(self) -> None:
        with pytest.raises(InvalidValue, match="Completed 'yesterday' is not a date-time"):
            utc_instant("yesterday", "Completed")

    @pytest.mark.parametrize(
        ("score", "possible", "percent", "passed"),
        [
            (Decimal(16), Decimal(20), Decimal("80.00"), True),
            (Decimal("15.99"), Decimal(20), Decimal("79.95"), False),
            (Decimal(2), Decimal(3), Decimal("66.67"), False),
            (Decimal(0), Decimal(20), Decimal("0.00"), False),
        ],
    )
    def test_the_score_is_a_percentage_passed_at_the_courses_pass_mark(
        self, score: Decimal, possible: Decimal, percent: Decimal, passed: bool
    ) -> None:
        result = quiz_result(
            code="IPAC",
            course=COURSE,
            attempt_id=9001,
            org_defined_id="C0912345",
            attempt_number=1,
            score=score,
            possible=possible,
            completed=datetime(2026, 7, 31, 20, 0, 0, 400000, tzinfo=UTC),
        )

        assert (result.score, result.passed) == (percent, passed)
        assert result.record_id == record_id(6606, 41, 9001) == "d2l:6606:41:9001"
        assert result.attempted_at == datetime(2026, 7, 31, 16, 0, tzinfo=TORONTO)

    def test_a_quiz_whose_points_are_unknown_cannot_be_scored(self) -> None:
        with pytest.raises(InvalidValue, match="set points_possible for IPAC"):
            quiz_result(
                code="IPAC",
                course=COURSE,
                attempt_id=1,
                org_defined_id="C0912345",
                attempt_number=1,
                score=Decimal(1),
                possible=None,
                completed=datetime(2026, 7, 31, tzinfo=UTC),
            )


class TestPagingAndRetryAfter:
    def test_a_paged_result_set_is_followed_by_its_bookmarks(self) -> None:
        def answer(request: httpx.Request) -> httpx.Response:
            bookmark = request.url.params.get("bookmark")
            if bookmark is None:
                page = {"PagingInfo": {"Bookmark": "b1", "HasMoreItems": True}, "Items": [1, 2]}
            else:
                page = {"PagingInfo": {"Bookmark": "b2", "HasMoreItems": False}, "Items": [3]}
            return httpx.Response(200, json=page)

        http = self._http(answer)

        assert list(http.pages("/d2l/api/lp/1.46/enrollments/users/501/orgUnits/")) == [1, 2, 3]

    def test_a_next_link_to_another_host_is_not_followed_with_the_token(self) -> None:
        def answer(request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, json={"Next": "https://elsewhere.example/x", "Objects": [1]})

        with pytest.raises(LmsRequestRefused, match="Next link leaves"):
            list(self._http(answer).pages("/d2l/api/le/1.74/6606/quizzes/41/attempts/"))

    @pytest.mark.parametrize(
        ("header", "seconds"),
        [
            ("120", 120.0),
            ("Fri, 31 Jul 2026 20:01:30 GMT", 90.0),
            ("Fri, 31 Jul 2026 19:00:00 GMT", 0.0),
            ("soon", None),
            (None, None),
        ],
    )
    def test_retry_after_is_read_as_seconds_or_as_a_date(
        self, header: str | None, seconds: float | None
    ) -> None:
        assert retry_after(header, datetime(2026, 7, 31, 20, 0, tzinfo=UTC)) == seconds

    @staticmethod
    def _http(answer: Any) -> ValenceHttp:
        settings = BrightspaceConfig.from_mapping(
            {**MINIMAL, "retry_wait_seconds": 0, "retry_jitter_seconds": 0}
        )
        return ValenceHttp(settings, SecretStr("t"), transport=httpx.MockTransport(answer))
