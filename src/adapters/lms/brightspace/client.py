"""The Brightspace Valence API calls the workflow needs: users, enrolments, quiz attempts, grades
(each with the timeouts, retries and errors of ``ValenceHttp``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal

import attrs
import httpx
from pydantic import SecretStr

from carepassport.adapters.lms.brightspace.config import BrightspaceConfig
from carepassport.adapters.lms.brightspace.http import ValenceHttp
from carepassport.adapters.lms.brightspace.mapping import decimal, utc_instant, whole
from carepassport.application.training.ports import LmsRequestRefused, LmsUserUnknown


@attrs.frozen
class QuizAttempt:
    """Quiz.QuizAttemptData, as far as results need it."""

    attempt_id: int
    user_id: int
    attempt_number: int
    score: Decimal | None
    completed: datetime | None


@attrs.frozen
class GradeValue:
    """Grade.GradeValue of one user (numeric grade items carry points)."""

    user_id: int | None
    org_defined_id: str | None
    displayed_grade: str
    points_numerator: Decimal | None
    points_denominator: Decimal | None


class BrightspaceClient:
    """A Valence API client on one Brightspace host (httpx, tenacity)."""

    def __init__(
        self,
        config: BrightspaceConfig,
        token: SecretStr,
        *,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self._http = ValenceHttp(
            config, token, sleep=sleep, transport=transport, monotonic=monotonic
        )

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()

    # Users and enrolments (LP) ------------------------------------------------------------

    def user_id(self, org_defined_id: str) -> int:
        """GET /d2l/api/lp/(v)/users/?orgDefinedId=: the one user with that OrgDefinedId."""
        try:
            found = self._http.json(
                "GET", self._lp("users/"), params={"orgDefinedId": org_defined_id}
            )
        except LmsRequestRefused as refused:
            if refused.status == 404:
                raise LmsUserUnknown(
                    f"no Brightspace user has OrgDefinedId {org_defined_id}", 404
                ) from None
            raise
        users = found if isinstance(found, list) else [found]
        ids = {whole(u["UserId"], "UserId") for u in users if isinstance(u, dict) and "UserId" in u}
        if not ids:
            raise LmsUserUnknown(f"no Brightspace user has OrgDefinedId {org_defined_id}")
        if len(ids) > 1:
            raise LmsRequestRefused(
                f"{len(ids)} Brightspace users have OrgDefinedId {org_defined_id}"
            )
        return ids.pop()

    def org_defined_id(self, user_id: int) -> str | None:
        """GET /d2l/api/lp/(v)/users/(userId): the user's OrgDefinedId (None if unknown)."""
        try:
            user = self._http.json("GET", self._lp(f"users/{user_id}"))
        except LmsRequestRefused as refused:
            if refused.status == 404:
                return None
            raise
        value = user.get("OrgDefinedId") if isinstance(user, dict) else None
        if value is None or not str(value).strip():
            return None
        return str(value).strip()

    def enrol(self, org_unit_id: int, user_id: int, role_id: int) -> None:
        """POST /d2l/api/lp/(v)/enrollments/ (CreateEnrollmentData); enrolling again is fine."""
        body = {"OrgUnitId": org_unit_id, "UserId": user_id, "RoleId": role_id}
        self._http.request("POST", self._lp("enrollments/"), json=body)

    def unenrol(self, org_unit_id: int, user_id: int) -> None:
        """DELETE /d2l/api/lp/(v)/enrollments/orgUnits/(ou)/users/(user); 404: not enrolled."""
        try:
            self._http.request(
                "DELETE", self._lp(f"enrollments/orgUnits/{org_unit_id}/users/{user_id}")
            )
        except LmsRequestRefused as refused:
            if refused.status != 404:
                raise

    # Quizzes and grades (LE) --------------------------------------------------------------

    def quiz_attempts(self, org_unit_id: int, quiz_id: int) -> Iterator[QuizAttempt]:
        """GET /d2l/api/le/(v)/(ou)/quizzes/(quiz)/attempts/, every page."""
        for item in self._http.pages(self._le(f"{org_unit_id}/quizzes/{quiz_id}/attempts/")):
            completed = item.get("Completed")
            score = item.get("Score")
            yield QuizAttempt(
                attempt_id=whole(item["AttemptId"], "AttemptId"),
                user_id=whole(item["UserId"], "UserId"),
                attempt_number=whole(item["AttemptNumber"], "AttemptNumber"),
                score=None if score is None else decimal(score, "Score"),
                completed=None if not completed else utc_instant(completed, "Completed"),
            )

    def grade_object_max_points(self, org_unit_id: int, grade_object_id: int) -> Decimal:
        """GET /d2l/api/le/(v)/(ou)/grades/(gradeObjectId): what the grade item is out of."""
        item = self._http.json("GET", self._le(f"{org_unit_id}/grades/{grade_object_id}"))
        return decimal(item.get("MaxPoints") if isinstance(item, dict) else None, "MaxPoints")

    def grade_values(self, org_unit_id: int, grade_object_id: int) -> list[GradeValue]:
        """GET /d2l/api/le/(v)/(ou)/grades/(gradeObjectId)/values/, every page."""
        path = self._le(f"{org_unit_id}/grades/{grade_object_id}/values/")
        return [
            self._grade(item.get("User"), item.get("GradeValue")) for item in self._http.pages(path)
        ]

    def final_grade(self, org_unit_id: int, user_id: int) -> GradeValue | None:
        """GET /d2l/api/le/(v)/(ou)/grades/final/values/(userId) (None: no final grade yet)."""
        try:
            value = self._http.json("GET", self._le(f"{org_unit_id}/grades/final/values/{user_id}"))
        except LmsRequestRefused as refused:
            if refused.status == 404:
                return None
            raise
        return self._grade({"Identifier": user_id}, value)

    # Paths and shapes --------------------------------------------------------------------

    def _lp(self, rest: str) -> str:
        return f"/d2l/api/lp/{self.config.lp_version}/{rest}"

    def _le(self, rest: str) -> str:
        return f"/d2l/api/le/{self.config.le_version}/{rest}"

    @staticmethod
    def _grade(user: object, value: object) -> GradeValue:
        who = user if isinstance(user, dict) else {}
        grade = value if isinstance(value, dict) else {}
        identifier = who.get("Identifier")

        def points(name: str) -> Decimal | None:
            found = grade.get(name)
            return None if found is None else decimal(found, name)

        return GradeValue(
            user_id=None if identifier is None else whole(identifier, "Identifier"),
            org_defined_id=who.get("OrgDefinedId"),
            displayed_grade=str(grade.get("DisplayedGrade") or ""),
            points_numerator=points("PointsNumerator"),
            points_denominator=points("PointsDenominator"),
        )
