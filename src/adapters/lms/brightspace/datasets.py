"""Brightspace Data Sets exports read as canonical results (``lms import --format``).

The Quiz Attempts data set has a row per attempt in every org unit: AttemptId, QuizId, UserId,
OrgUnitId, AttemptNumber, TimeStarted, TimeCompleted (UTC, empty while in progress), Score,
IsGraded, IsDeleted, PossibleScore, ... It names learners by their Brightspace UserId, so it is
read with the Users data set (UserId, OrgDefinedId, ...), or, without one, with the API.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from typing import Protocol

from carepassport.adapters.lms.brightspace.config import BrightspaceConfig
from carepassport.adapters.lms.brightspace.mapping import decimal, quiz_result, utc_instant, whole
from carepassport.application.training.ports import RowReader
from carepassport.domain.errors import InvalidValue
from carepassport.domain.training.lms import QuizResult

QUIZ_ATTEMPTS = "brightspace-quiz-attempts"
ATTEMPT_COLUMNS = (
    "AttemptId",
    "QuizId",
    "UserId",
    "OrgUnitId",
    "AttemptNumber",
    "TimeCompleted",
    "Score",
)
USER_COLUMNS = ("UserId", "OrgDefinedId")
TRUE = {"true", "1"}
FALSE = {"false", "0", ""}


class UserDirectory(Protocol):
    """Brightspace's users by id (the API client is one)."""

    def org_defined_id(self, user_id: int) -> str | None:
        """The OrgDefinedId (student number) of a user, if it has one."""
        ...


def users_data_set(text: str) -> dict[int, str]:
    """UserId -> OrgDefinedId from the Users data set (users without one are left out)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    absent = [c for c in USER_COLUMNS if c not in (reader.fieldnames or [])]
    if absent:
        raise InvalidValue(f"the Users data set lacks column(s) {', '.join(absent)}")
    found: dict[int, str] = {}
    try:
        for values in reader:
            number = (values.get("OrgDefinedId") or "").strip()
            if number:
                found[whole(values.get("UserId"), "UserId")] = number
    except InvalidValue as bad:
        raise InvalidValue(f"the Users data set, line {reader.line_num}: {bad.message}") from None
    except csv.Error as broken:
        raise InvalidValue(f"the Users data set is malformed: {broken}") from None
    return found


def _flag(values: Mapping[str, str], column: str) -> bool:
    text = (values.get(column) or "").strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise InvalidValue(f"{column} must be True or False, not {values.get(column)!r}")


class QuizAttemptsDataSet:
    """The Quiz Attempts data set: final-quiz attempts of the configured courses, completed
    and graded, become results; other quizzes, attempts in progress and deleted ones are
    skipped."""

    name = QUIZ_ATTEMPTS
    columns = ATTEMPT_COLUMNS

    def __init__(self, config: BrightspaceConfig, directory: UserDirectory | None) -> None:
        self._courses = {
            (c.org_unit_id, c.quiz_id): (code, c) for code, c in config.courses.items()
        }
        self._directory = directory

    def reader(self, users_csv: str | None) -> RowReader:
        """Rows of the data set, learners named through ``users_csv`` (or the API)."""
        student: Callable[[int], str | None]
        if users_csv is not None:
            student = users_data_set(users_csv).get
        elif self._directory is not None:
            student = self._directory.org_defined_id
        else:
            raise InvalidValue(
                "the Quiz Attempts data set names learners by UserId: give the Users data set "
                "(--users Users.csv)"
            )

        def read(values: Mapping[str, str]) -> QuizResult | None:
            return self._row(values, student)

        return read

    def _row(
        self, values: Mapping[str, str], student: Callable[[int], str | None]
    ) -> QuizResult | None:
        key = (whole(values["OrgUnitId"], "OrgUnitId"), whole(values["QuizId"], "QuizId"))
        mapped = self._courses.get(key)
        if mapped is None or _flag(values, "IsDeleted"):
            return None
        completed, score = (values.get("TimeCompleted") or "").strip(), values["Score"].strip()
        if not completed or not score:
            return None  # in progress, or not graded yet
        code, course = mapped
        user_id = whole(values["UserId"], "UserId")
        number = student(user_id)
        if number is None:
            raise InvalidValue(f"UserId {user_id} has no OrgDefinedId (student number)")
        possible = (values.get("PossibleScore") or "").strip()
        return quiz_result(
            code=code,
            course=course,
            attempt_id=whole(values["AttemptId"], "AttemptId"),
            org_defined_id=number,
            attempt_number=whole(values["AttemptNumber"], "AttemptNumber"),
            score=decimal(score, "Score"),
            possible=decimal(possible, "PossibleScore") if possible else None,
            completed=utc_instant(completed, "TimeCompleted"),
        )
