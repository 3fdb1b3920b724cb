"""Importing Brightspace Data Sets (Quiz Attempts, with Users) as the nightly source of results."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.application.services import Services
from carepassport.application.training.lms_import import CsvProblem, CsvRejected
from carepassport.bootstrap import bootstrap
from carepassport.domain.errors import InvalidValue
from carepassport.domain.training.completion import Completion
from tests.conftest import toronto
from tests.integration.brightspace_double import BrightspaceState
from tests.integration.brightspace_helpers import (
    ENV,
    IPAC_QUIZ,
    IPAC_UNIT,
    PAT,
    WHMIS_QUIZ,
    WHMIS_UNIT,
    config,
)
from tests.integration.cli_helpers import APPROVER, Cli
from tests.integration.lms_helpers import registered

pytest_plugins = ("tests.integration.brightspace_fixtures",)

Double = tuple[str, BrightspaceState]
HEADER = (
    "AttemptId,QuizId,UserId,OrgUnitId,AttemptNumber,TimeStarted,TimeCompleted,Score,IsGraded,"
    "OldAttemptNumber,IsDeleted,PossibleScore,IsRetakeIncorrectOnly\n"
)
USERS = "UserId,UserName,OrgDefinedId,FirstName,LastName,IsActive\n501,pat,C0912345,Pat,Lee,True\n"
# Pat fails (9/20) on Thursday and passes (17/20) on Friday, in UTC; other rows are skipped:
# another course's quiz, an attempt in progress, a deleted attempt.
NIGHT = HEADER + (
    f"9001,{IPAC_QUIZ},501,{IPAC_UNIT},1,2026-07-30T17:40:00.000Z,2026-07-30T18:00:00.000Z,9,True,,False,20,False\n"
    f"9002,{IPAC_QUIZ},501,{IPAC_UNIT},2,2026-07-31T19:30:00.000Z,2026-07-31T20:00:00.1234567Z,17,True,,False,20,False\n"
    f"7001,999,501,5000,1,2026-07-31T10:00:00.000Z,2026-07-31T10:30:00.000Z,3,True,,False,5,False\n"
    f"9003,{IPAC_QUIZ},502,{IPAC_UNIT},1,2026-07-31T19:00:00.000Z,,,False,,False,20,False\n"
    f"9004,{IPAC_QUIZ},501,{IPAC_UNIT},1,2026-07-29T19:00:00.000Z,2026-07-29T19:30:00.000Z,1,True,,True,20,False\n"
)
RECORD = f"d2l:{IPAC_UNIT}:{IPAC_QUIZ}"


@pytest.fixture
def services(
    store_url: str, clock: SettableClock, mailer: InMemoryMailer, double: Double
) -> Iterator[Services]:
    wired = bootstrap(
        store_url,
        clock=clock,
        mailer=mailer,
        brightspace=config(double[0], read_results=False),
        environ=ENV,
    )
    yield wired
    wired.close()


def completion_of(services: Services, registration_id: object) -> Completion:
    found = services.app.find(Completion, Completion.identity(registration_id))  # type: ignore[arg-type]
    assert found is not None
    return found


class TestQuizAttemptsDataSet:
    def test_a_nights_export_stages_the_final_quiz_attempts_and_skips_the_rest(
        self, college: Services, clock: SettableClock
    ) -> None:
        view = registered(college, clock)
        clock.set(toronto(2026, 7, 31, 20, 30))

        report = college.lms_import.import_csv(
            NIGHT, format_name="brightspace-quiz-attempts", users_csv=USERS
        )
        clock.set(toronto(2026, 8, 3, 10, 0))
        college.scheduler.tick()

        assert (report.staged, report.already_staged, report.skipped) == (2, 0, 3)
        attempts = college.registrations.show(view.registration_id).attempts
        assert [(a.record_id, a.score, a.passed) for a in attempts] == [
            (f"{RECORD}:9001", Decimal("45.00"), False),
            (f"{RECORD}:9002", Decimal("85.00"), True),
        ]
        completion = completion_of(college, view.registration_id)
        assert completion.completed_at == toronto(2026, 7, 31, 16, 0)
        assert completion.published_at == toronto(2026, 8, 3, 10, 0)

    def test_a_file_with_bad_lines_is_refused_whole_naming_each_line(
        self, college: Services, clock: SettableClock
    ) -> None:
        registered(college, clock)
        clock.set(toronto(2026, 7, 31, 20, 30))
        bad = HEADER + (
            f"9001,{IPAC_QUIZ},501,{IPAC_UNIT},1,,2026-07-30T18:00:00Z,nine,True,,False,20,False\n"
            f"9002,{IPAC_QUIZ},501,{IPAC_UNIT},2,,2026-07-31T20:00:00Z,17,True,,False,20,False\n"
            f"9005,{IPAC_QUIZ},777,{IPAC_UNIT},1,,2026-07-31T20:00:00Z,17,True,,False,20,False\n"
            f"9006,{IPAC_QUIZ},501,{IPAC_UNIT},3,,2026-07-31T20:10:00Z,17,True,,False,20,False\n"
        )

        with pytest.raises(CsvRejected) as rejected:
            college.lms_import.import_csv(
                bad, format_name="brightspace-quiz-attempts", users_csv=USERS
            )

        assert rejected.value.problems == [
            CsvProblem(2, "Score 'nine' is not a number"),
            CsvProblem(4, "UserId 777 has no OrgDefinedId (student number)"),
            CsvProblem(5, "attempt must be 1 or 2, not 3"),
        ]
        assert (
            college.lms_import.import_csv(
                HEADER, format_name="brightspace-quiz-attempts", users_csv=USERS
            ).staged
            == 0
        )

    def test_without_the_users_data_set_learners_are_looked_up_in_brightspace(
        self, college: Services, clock: SettableClock, double: Double
    ) -> None:
        registered(college, clock)
        clock.set(toronto(2026, 7, 31, 20, 30))

        report = college.lms_import.import_csv(NIGHT, format_name="brightspace-quiz-attempts")

        assert report.staged == 2
        assert double[1].requests("GET", f"/d2l/api/lp/1.46/users/{PAT}")

    def test_the_users_data_set_must_name_user_ids_and_org_defined_ids(
        self, college: Services, clock: SettableClock
    ) -> None:
        clock.set(toronto(2026, 7, 31, 20, 30))

        with pytest.raises(InvalidValue, match="lacks column"):
            college.lms_import.import_csv(
                NIGHT, format_name="brightspace-quiz-attempts", users_csv="UserId,Name\n1,x\n"
            )

    def test_an_attempt_read_from_the_api_and_the_data_set_is_staged_once(
        self, store_url: str, clock: SettableClock, double: Double
    ) -> None:
        double[1].add_attempt(
            IPAC_UNIT,
            IPAC_QUIZ,
            attempt_id=9002,
            user_id=PAT,
            number=2,
            score=17,
            completed=toronto(2026, 7, 31, 16, 0),
        )
        both = bootstrap(store_url, clock=clock, brightspace=config(double[0]), environ=ENV)
        both.reference.add_micro_credential("IPAC", "IPAC")
        clock.set(toronto(2026, 7, 31, 20, 30))
        both.sync.run_now()

        row = f"9002,{IPAC_QUIZ},501,{IPAC_UNIT},2,,2026-07-31T20:00:00.5Z,17,True,,False,20,False"
        report = both.lms_import.import_csv(
            f"{HEADER}{row}\n",
            format_name="brightspace-quiz-attempts",
            users_csv=USERS,
        )
        both.close()

        assert (report.staged, report.already_staged) == (0, 1)

    def test_another_courses_quiz_in_the_export_is_skipped_by_its_quiz_id(
        self, college: Services, clock: SettableClock
    ) -> None:
        clock.set(toronto(2026, 7, 31, 20, 30))
        quiz = WHMIS_QUIZ + 100
        other_quiz = f"{HEADER}8001,{quiz},501,{WHMIS_UNIT},1,,2026-07-31T10:30:00Z,3,True,,,5,\n"

        report = college.lms_import.import_csv(
            other_quiz, format_name="brightspace-quiz-attempts", users_csv=USERS
        )

        assert (report.staged, report.skipped) == (0, 1)


def test_without_brightspace_the_data_set_format_is_unknown(tmp_path: Path) -> None:
    plain = bootstrap(f"sqlite:///{tmp_path / 'plain.db'}")
    try:
        with pytest.raises(InvalidValue, match="unknown import format 'brightspace-quiz-attempts'"):
            plain.lms_import.import_csv(NIGHT, format_name="brightspace-quiz-attempts")
    finally:
        plain.close()


class TestThroughTheCli:
    def test_a_data_sets_import_is_staged_synced_and_published(
        self, cp: Cli, tmp_path: Path, double: Double
    ) -> None:
        settings = tmp_path / "brightspace.json"
        settings.write_text(json.dumps(config(double[0]).model_dump(mode="json")))
        (tmp_path / "QuizAttempts.csv").write_text(NIGHT)
        (tmp_path / "Users.csv").write_text(USERS)
        cp.runner = CliRunner(env={"BRIGHTSPACE_TOKEN": ENV["BRIGHTSPACE_TOKEN"]})
        bright = ("--brightspace", str(settings))

        sid = cp.run(*bright, "sponsorships", "request", "E1", "IPAC", now="2026-07-23T10:00")[
            "sponsorship_id"
        ]
        cp.run(*bright, "sponsorships", "approve", sid, "--by", APPROVER, now="2026-07-24T15:00")
        cp.run(*bright, "tick", now="2026-07-27T09:00")
        cp.run(*bright, "register", "E1", "IPAC", now="2026-07-27T10:00")
        staged = cp.run(
            *bright,
            "lms",
            "import",
            "--format",
            "brightspace-quiz-attempts",
            "--users",
            str(tmp_path / "Users.csv"),
            str(tmp_path / "QuizAttempts.csv"),
            now="2026-07-31T20:30",
        )
        cp.run(*bright, "tick", now="2026-08-03T10:00")
        status = cp.run(*bright, "status", "E1", now="2026-08-03T10:05")

        assert (staged["staged"], staged["skipped"]) == (2, 3)
        assert status["credentials"][0]["state"] == "valid"
        assert double[1].enrolled == {(IPAC_UNIT, PAT): 110}

    def test_a_refusal_by_brightspace_is_a_clear_error_not_a_traceback(
        self, cp: Cli, tmp_path: Path, double: Double
    ) -> None:
        settings = tmp_path / "brightspace.toml"
        settings.write_text(
            f'base_url = "{double[0]}"\nlp_version = "1.46"\nle_version = "1.74"\n'
            "learner_role_id = 110\nretry_wait_seconds = 0\nretry_jitter_seconds = 0\n"
            f"[courses.IPAC]\norg_unit_id = {IPAC_UNIT}\nquiz_id = {IPAC_QUIZ}\n"
            "grade_object_id = 77\n"
        )
        cp.runner = CliRunner(env={"BRIGHTSPACE_TOKEN": "revoked"})

        failed = cp.run(
            "--brightspace", str(settings), "lms", "sync", now="2026-07-31T20:30", ok=False
        )

        assert failed.exit_code == 1
        error = json.loads(failed.stderr)
        assert error["error"] == "lms_refused"
        assert error["message"].startswith(
            "Brightspace refused GET /d2l/api/le/1.74/6606/grades/77"
        )
        assert "HTTP 401" in error["message"]

    def test_a_missing_token_is_named_by_its_environment_variable(
        self, cp: Cli, tmp_path: Path, double: Double
    ) -> None:
        settings = tmp_path / "brightspace.json"
        settings.write_text(
            json.dumps(config(double[0], token_env="D2L_TOKEN").model_dump(mode="json"))
        )

        failed = cp.run("--brightspace", str(settings), "lms", "sync", ok=False)

        assert failed.exit_code == 1
        assert "set the environment variable D2L_TOKEN" in json.loads(failed.stderr)["message"]
