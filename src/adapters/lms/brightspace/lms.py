"""The LMS ports on Brightspace: results read into a local feed, enrolment through the API.

Brightspace lists a quiz's attempts a page at a time, in its own order, with links or bookmarks
that are only good for one reading; a new attempt can appear anywhere in that order. So the
cursor is not a Brightspace bookmark: each reading takes every completed, graded attempt, and
appends the ones not seen before to the staging feed (in completion order), where positions
only grow. The sync's integer cursor is a position in that feed; an attempt is staged as held
from its completion time, which is when Brightspace held it (ADR 0013).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from itertools import groupby
from uuid import UUID

from carepassport.adapters.lms.brightspace.client import BrightspaceClient
from carepassport.adapters.lms.brightspace.config import BrightspaceConfig, CourseMapping
from carepassport.adapters.lms.brightspace.mapping import quiz_result
from carepassport.application.ports import Clock
from carepassport.application.redaction import masked
from carepassport.application.training.ports import (
    LmsRequestRefused,
    LmsUserUnknown,
    StagedResult,
    StagingLms,
)
from carepassport.domain.errors import InvalidValue
from carepassport.domain.training.lms import QuizResult

log = logging.getLogger(__name__)


class BrightspaceLms:
    """Final-quiz results from Brightspace, staged beside CSV imports, read by position."""

    def __init__(
        self,
        client: BrightspaceClient,
        staging: StagingLms,
        clock: Clock,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._config: BrightspaceConfig = client.config
        self._staging = staging
        self._clock = clock
        self._monotonic = monotonic
        self._last_read: float | None = None
        self._students: dict[int, str] = {}

    def results_at(self, positions: Sequence[int]) -> list[StagedResult]:
        """The staged results at these positions (Brightspace is read by ``results_since``)."""
        return self._staging.results_at(positions)

    def results_since(self, cursor: int, limit: int) -> list[StagedResult]:
        """Results after position ``cursor``; at the end of the local feed, Brightspace is
        read first (at most once per ``refresh_seconds``)."""
        batch = self._staging.results_since(cursor, limit)
        if len(batch) < limit and self._config.read_results and self._read_due():
            self.read_attempts()
            batch = self._staging.results_since(cursor, limit)
        return batch

    def read_attempts(self) -> int:
        """Stage every completed, graded final-quiz attempt not staged before, each held from
        its completion; returns how many were new."""
        now = self._clock.now()
        found: list[QuizResult] = []
        for code, course in self._config.courses.items():
            found.extend(self._course_results(code, course, now))
        self._last_read = self._monotonic()
        known = self._staging.find([r.record_id for r in found])
        fresh = sorted(
            (r for r in found if r.record_id not in known),
            key=lambda r: (r.attempted_at, r.record_id),
        )
        staged = 0
        for held_at, results in groupby(fresh, key=lambda r: r.attempted_at):
            staged += self._staging.stage(list(results), held_at)
        log.info("Brightspace: %d new final-quiz results of %d", staged, len(found))
        return staged

    def stage(self, results: Sequence[QuizResult], held_at: datetime) -> int:
        """Stage imported results (the Data Sets or the canonical CSV) in the same feed."""
        return self._staging.stage(results, held_at)

    def find(self, record_ids: Sequence[str]) -> dict[str, QuizResult]:
        """The staged results with these record ids."""
        return self._staging.find(record_ids)

    def latest_held_at(self) -> datetime | None:
        """When the latest staged result was held."""
        return self._staging.latest_held_at()

    def _read_due(self) -> bool:
        if self._last_read is None:
            return True
        return self._monotonic() - self._last_read >= self._config.refresh_seconds

    def _course_results(self, code: str, course: CourseMapping, now: datetime) -> list[QuizResult]:
        possible = course.points_possible or self._client.grade_object_max_points(
            course.org_unit_id, course.grade_object_id
        )
        results: list[QuizResult] = []
        for attempt in self._client.quiz_attempts(course.org_unit_id, course.quiz_id):
            if attempt.completed is None or attempt.score is None or attempt.completed > now:
                continue  # in progress, not graded yet, or not yet happened (a simulation)
            student = self._student(attempt.user_id)
            if student is None:
                log.warning("Brightspace user %s has no OrgDefinedId; skipped", attempt.user_id)
                continue
            try:
                results.append(
                    quiz_result(
                        code=code,
                        course=course,
                        attempt_id=attempt.attempt_id,
                        org_defined_id=student,
                        attempt_number=attempt.attempt_number,
                        score=attempt.score,
                        possible=possible,
                        completed=attempt.completed,
                    )
                )
            except InvalidValue as bad:
                log.warning(
                    "Brightspace attempt %s skipped: %s",
                    attempt.attempt_id,
                    masked(bad.message, student, student.strip()),
                )
        return results

    def _student(self, user_id: int) -> str | None:
        if user_id not in self._students:
            found = self._client.org_defined_id(user_id)
            if found is None:
                return None
            self._students[user_id] = found
        return self._students[user_id]


class BrightspaceEnrolment:
    """Enrols learners in their micro-credential's course offering, found by OrgDefinedId."""

    def __init__(self, client: BrightspaceClient) -> None:
        self._client = client
        self._config = client.config
        self._users: dict[str, int] = {}

    def enrol(
        self, student_number: str | None, credential_code: str, registration_id: UUID
    ) -> None:
        """POST an enrolment with the configured learner role."""
        course = self._course(credential_code)
        user = self._user(student_number)
        self._client.enrol(course.org_unit_id, user, self._config.learner_role_id)
        log.info("enrolled the learner in %s for %s", credential_code, registration_id)

    def unenrol(
        self, student_number: str | None, credential_code: str, registration_id: UUID
    ) -> None:
        """DELETE the enrolment; a learner unknown to Brightspace has none to delete."""
        course = self._course(credential_code)
        try:
            user = self._user(student_number)
        except LmsUserUnknown:
            return
        self._client.unenrol(course.org_unit_id, user)
        log.info("unenrolled the learner from %s for %s", credential_code, registration_id)

    def _course(self, code: str) -> CourseMapping:
        course = self._config.course(code)
        if course is None:
            raise LmsRequestRefused(f"no Brightspace course is configured for {code}")
        return course

    def _user(self, student_number: str | None) -> int:
        if student_number is None:
            raise LmsUserUnknown(
                "the employee has no student number, which Brightspace knows learners by"
            )
        if student_number not in self._users:
            self._users[student_number] = self._client.user_id(student_number)
        return self._users[student_number]
