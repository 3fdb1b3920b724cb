"""The Brightspace adapter against the double: requests, paging, mapping, retries, refusals."""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from pydantic import SecretStr

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.lms.brightspace.client import BrightspaceClient, GradeValue
from carepassport.adapters.lms.brightspace.lms import BrightspaceEnrolment, BrightspaceLms
from carepassport.adapters.lms.memory import InMemoryLms
from carepassport.application.training.ports import (
    LmsRequestRefused,
    LmsUnavailable,
    LmsUserUnknown,
)
from tests.conftest import toronto
from tests.integration.brightspace_double import LE, LP, TOKEN, BrightspaceState
from tests.integration.brightspace_helpers import (
    IPAC_QUIZ,
    IPAC_UNIT,
    LEARNER_ROLE,
    PAT,
    SAM,
    WHMIS_QUIZ,
    WHMIS_UNIT,
    config,
)

pytest_plugins = ("tests.integration.brightspace_fixtures",)

Double = tuple[str, BrightspaceState]
ENROLMENTS = f"/d2l/api/lp/{LP}/enrollments/"


def attempt(
    state: BrightspaceState,
    attempt_id: int,
    completed: datetime | None,
    score: float | None,
    *,
    user: int = PAT,
    number: int = 1,
    unit: int = IPAC_UNIT,
    quiz: int = IPAC_QUIZ,
) -> None:
    state.add_attempt(
        unit,
        quiz,
        attempt_id=attempt_id,
        user_id=user,
        number=number,
        score=score,
        completed=completed,
    )


class TestEnrolment:
    def test_enrolling_posts_the_course_user_and_learner_role_with_the_bearer_token(
        self, client: BrightspaceClient, double: Double
    ) -> None:
        _, state = double

        BrightspaceEnrolment(client).enrol("C0912345", "IPAC", uuid4())

        lookup = state.requests("GET", f"/d2l/api/lp/{LP}/users/")[0]
        (post,) = state.requests("POST", ENROLMENTS)
        assert lookup.query == {"orgDefinedId": ["C0912345"]}
        assert post.body == {"OrgUnitId": IPAC_UNIT, "UserId": PAT, "RoleId": LEARNER_ROLE}
        assert {s.authorization for s in state.seen} == {f"Bearer {TOKEN}"}
        assert state.enrolled == {(IPAC_UNIT, PAT): LEARNER_ROLE}

    def test_unenrolling_deletes_the_users_enrolment_in_the_course_offering(
        self, client: BrightspaceClient, double: Double
    ) -> None:
        _, state = double
        enrolment = BrightspaceEnrolment(client)
        enrolment.enrol("C0912345", "IPAC", uuid4())

        enrolment.unenrol("C0912345", "IPAC", uuid4())

        (delete,) = state.requests("DELETE")
        assert delete.path == f"{ENROLMENTS}orgUnits/{IPAC_UNIT}/users/{PAT}"
        assert state.enrolled == {}

    def test_enrolling_and_unenrolling_log_the_registration_but_not_the_student_number(
        self, client: BrightspaceClient, caplog: pytest.LogCaptureFixture
    ) -> None:
        enrolment, registration = BrightspaceEnrolment(client), uuid4()
        with caplog.at_level(logging.INFO, logger="carepassport.adapters.lms"):
            enrolment.enrol("C0912345", "IPAC", registration)
            enrolment.unenrol("C0912345", "IPAC", registration)

        lines = [r.getMessage() for r in caplog.records]
        assert [line.split(" ")[0] for line in lines] == ["enrolled", "unenrolled"]
        assert all(str(registration) in line for line in lines)
        assert not any("C0912345" in line for line in lines)

    def test_unenrolling_a_learner_who_is_not_enrolled_succeeds(
        self, client: BrightspaceClient, double: Double
    ) -> None:
        BrightspaceEnrolment(client).unenrol("C0912345", "IPAC", uuid4())

        assert len(double[1].requests("DELETE")) == 1

    def test_a_student_number_brightspace_does_not_know_is_refused_by_name(
        self, client: BrightspaceClient
    ) -> None:
        with pytest.raises(LmsUserUnknown, match="no Brightspace user has OrgDefinedId C7777777"):
            BrightspaceEnrolment(client).enrol("C7777777", "IPAC", uuid4())

    def test_a_micro_credential_without_a_brightspace_course_is_refused(
        self, client: BrightspaceClient, double: Double
    ) -> None:
        with pytest.raises(LmsRequestRefused, match="no Brightspace course is configured for FIRE"):
            BrightspaceEnrolment(client).enrol("C0912345", "FIRE", uuid4())
        assert double[1].seen == []


class TestRetries:
    def test_a_429_is_retried_after_the_seconds_its_retry_after_asks_for(
        self, client: BrightspaceClient, double: Double, sleeps: list[float]
    ) -> None:
        double[1].inject("429", seconds=7)

        assert client.user_id("C0912345") == PAT
        assert sleeps == [7.0]

    def test_server_errors_are_retried_with_growing_waits_until_one_succeeds(
        self, client: BrightspaceClient, double: Double, sleeps: list[float]
    ) -> None:
        _, state = double
        state.inject("500", count=2)

        client.enrol(IPAC_UNIT, PAT, LEARNER_ROLE)

        assert sleeps == [0.01, 0.02]
        assert len(state.requests("POST", ENROLMENTS)) == 3
        assert state.enrolled == {(IPAC_UNIT, PAT): LEARNER_ROLE}

    def test_a_slow_answer_times_out_and_the_request_is_tried_again(
        self, double: Double, sleeps: list[float]
    ) -> None:
        base, state = double
        state.inject("slow", seconds=1.0)
        slow = BrightspaceClient(
            config(base, timeout_seconds=0.2), SecretStr(TOKEN), sleep=sleeps.append
        )

        try:
            assert slow.user_id("C0912345") == PAT
        finally:
            slow.close()
        assert len(sleeps) == 1
        assert len(state.requests("GET")) == 2

    def test_an_lms_failing_every_try_is_unavailable_after_the_configured_tries(
        self, client: BrightspaceClient, double: Double
    ) -> None:
        _, state = double
        state.inject("500", count=10)

        with pytest.raises(LmsUnavailable, match=r"did not answer POST .* after 4 tries: HTTP 500"):
            client.enrol(IPAC_UNIT, PAT, LEARNER_ROLE)
        assert len(state.requests("POST")) == 4

    def test_after_an_outage_brightspace_is_not_asked_again_until_the_cooldown_ends(
        self, double: Double, sleeps: list[float]
    ) -> None:
        base, state = double
        elapsed = [0.0]
        guarded = BrightspaceClient(
            config(base, outage_cooldown_seconds=30),
            SecretStr(TOKEN),
            sleep=sleeps.append,
            monotonic=lambda: elapsed[0],
        )
        state.inject("500", count=4)
        with pytest.raises(LmsUnavailable):
            guarded.user_id("C0912345")

        elapsed[0] = 29.0
        with pytest.raises(LmsUnavailable, match="not asked again before 30 s"):
            guarded.user_id("C0912345")
        asked_during_cooldown = len(state.seen)
        elapsed[0] = 30.0
        found = guarded.user_id("C0912345")
        guarded.close()

        assert asked_during_cooldown == 4
        assert found == PAT

    def test_a_retry_after_beyond_the_retry_budget_is_not_waited_for(
        self, client: BrightspaceClient, double: Double, sleeps: list[float]
    ) -> None:
        double[1].inject("429", seconds=3600)

        with pytest.raises(LmsUnavailable, match="retry after 3600 s"):
            client.user_id("C0912345")
        assert sleeps == []

    def test_a_4xx_is_refused_at_once_with_its_status_and_an_excerpt_of_the_body(
        self, double: Double, sleeps: list[float]
    ) -> None:
        base, state = double
        wrong = BrightspaceClient(config(base), SecretStr("expired-token"), sleep=sleeps.append)

        with pytest.raises(LmsRequestRefused) as refused:
            wrong.enrol(IPAC_UNIT, PAT, LEARNER_ROLE)
        wrong.close()

        assert refused.value.status == 401
        assert "Unauthorized" in refused.value.excerpt
        assert str(refused.value).startswith(f"Brightspace refused POST {ENROLMENTS} with HTTP 401")
        assert "expired-token" not in str(refused.value)
        assert (len(state.seen), sleeps) == (1, [])


class TestResults:
    def test_attempts_are_read_across_pages_and_mapped_to_canonical_results(
        self, client: BrightspaceClient, double: Double
    ) -> None:
        _, state = double
        attempt(state, 9001, toronto(2026, 7, 28, 14, 0), 9, number=1)
        attempt(state, 9002, toronto(2026, 7, 29, 16, 30), 17, number=2)
        attempt(state, 9003, toronto(2026, 7, 29, 17, 0), 19, user=SAM)
        attempt(state, 9004, None, None, user=SAM, number=2)  # in progress
        attempt(state, 9005, toronto(2026, 7, 29, 18, 0), 8, unit=WHMIS_UNIT, quiz=WHMIS_QUIZ)
        lms = BrightspaceLms(client, InMemoryLms(), SettableClock(toronto(2026, 7, 30, 0, 0)))

        staged = lms.results_since(0, 500)

        assert [(s.result.record_id, s.result.score, s.result.passed) for s in staged] == [
            (f"d2l:{IPAC_UNIT}:{IPAC_QUIZ}:9001", Decimal("45.00"), False),
            (f"d2l:{IPAC_UNIT}:{IPAC_QUIZ}:9002", Decimal("85.00"), True),
            (f"d2l:{IPAC_UNIT}:{IPAC_QUIZ}:9003", Decimal("95.00"), True),
            (f"d2l:{WHMIS_UNIT}:{WHMIS_QUIZ}:9005", Decimal("80.00"), True),
        ]
        second = staged[1]
        assert (second.result.student_number, second.result.credential_code) == ("C0912345", "IPAC")
        assert (second.result.attempt, second.result.attempted_at) == (
            2,
            toronto(2026, 7, 29, 16, 30),
        )
        assert second.held_at == second.result.attempted_at
        assert (
            len(state.requests("GET", f"/d2l/api/le/{LE}/{IPAC_UNIT}/quizzes/")) == 2
        )  # 4 a page of 2

    def test_an_attempt_by_a_user_with_an_invalid_org_defined_id_is_skipped_unnamed_in_the_log(
        self, client: BrightspaceClient, double: Double, caplog: pytest.LogCaptureFixture
    ) -> None:
        _, state = double
        state.add_user(503, " C09 12345 ")
        attempt(state, 9001, toronto(2026, 7, 28, 14, 0), 9, user=503)
        lms = BrightspaceLms(client, InMemoryLms(), SettableClock(toronto(2026, 7, 30, 0, 0)))

        with caplog.at_level(logging.WARNING, logger="carepassport.adapters.lms"):
            staged = lms.results_since(0, 500)

        (line,) = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
        assert staged == []
        assert line.startswith("Brightspace attempt 9001 skipped: student number '***' must be")
        assert "C09" not in line

    def test_a_new_attempt_comes_after_the_cursor_wherever_brightspace_lists_it(
        self, client: BrightspaceClient, double: Double
    ) -> None:
        _, state = double
        attempt(state, 9001, toronto(2026, 7, 28, 14, 0), 9)
        lms = BrightspaceLms(client, InMemoryLms(), SettableClock(toronto(2026, 7, 31, 0, 0)))
        cursor = lms.results_since(0, 500)[-1].position
        attempt(state, 9000, toronto(2026, 7, 27, 13, 0), 20, user=SAM)
        listed = state.attempts[(IPAC_UNIT, IPAC_QUIZ)]
        listed.insert(0, listed.pop())  # Brightspace lists it first, and it was earlier

        later = lms.results_since(cursor, 500)

        assert [s.result.record_id for s in later] == [f"d2l:{IPAC_UNIT}:{IPAC_QUIZ}:9000"]
        assert later[0].position > cursor

    def test_attempts_completed_after_the_clocks_time_are_left_for_a_later_reading(
        self, client: BrightspaceClient, double: Double
    ) -> None:
        _, state = double
        attempt(state, 9001, toronto(2026, 7, 28, 14, 0), 9)
        attempt(state, 9002, toronto(2026, 7, 30, 9, 0), 18, number=2)
        clock = SettableClock(toronto(2026, 7, 29, 0, 0))
        lms = BrightspaceLms(client, InMemoryLms(), clock)

        first = lms.results_since(0, 500)
        clock.set(toronto(2026, 7, 31, 0, 0))
        then = lms.results_since(first[-1].position, 500)

        assert [s.result.attempt for s in first] == [1]
        assert [s.result.attempt for s in then] == [2]

    def test_brightspace_is_read_again_only_after_the_refresh_interval(
        self, double: Double, sleeps: list[float]
    ) -> None:
        base, state = double
        ticking = [0.0]
        slow = BrightspaceClient(
            config(base, refresh_seconds=60), SecretStr(TOKEN), sleep=sleeps.append
        )
        lms = BrightspaceLms(
            slow,
            InMemoryLms(),
            SettableClock(toronto(2026, 7, 31, 0, 0)),
            monotonic=lambda: ticking[0],
        )

        lms.results_since(0, 500)
        lms.results_since(0, 500)
        ticking[0] = 61.0
        lms.results_since(0, 500)
        slow.close()

        assert len(state.requests("GET", f"/d2l/api/le/{LE}/{IPAC_UNIT}/quizzes/")) == 2

    def test_the_final_grade_and_the_quiz_grade_values_are_read(
        self, client: BrightspaceClient, double: Double
    ) -> None:
        _, state = double
        attempt(state, 9001, toronto(2026, 7, 28, 14, 0), 9)
        attempt(state, 9002, toronto(2026, 7, 29, 16, 30), 17, number=2)
        attempt(state, 9003, toronto(2026, 7, 29, 17, 0), 19, user=SAM)
        state.set_final_grade(IPAC_UNIT, PAT, 85, 100)

        final = client.final_grade(IPAC_UNIT, PAT)
        values = client.grade_values(IPAC_UNIT, 77)

        assert final == GradeValue(PAT, None, "85 %", Decimal(85), Decimal(100))
        assert [(v.org_defined_id, v.points_numerator) for v in values] == [
            ("C0912345", Decimal(17)),
            ("C0000002", Decimal(19)),
        ]
        assert client.final_grade(IPAC_UNIT, SAM) is None

    def test_what_the_quiz_is_out_of_comes_from_its_grade_item(
        self, client: BrightspaceClient
    ) -> None:
        assert client.grade_object_max_points(IPAC_UNIT, 77) == Decimal(20)
