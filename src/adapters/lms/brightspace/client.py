"""The Brightspace Valence API calls the workflow needs: users, enrolments, quiz attempts, grades.

Every call has a timeout; 429 (honouring Retry-After), 5xx, timeouts and broken connections
are retried with exponential backoff within a time budget, then raise LmsUnavailable; a 4xx
raises LmsRequestRefused at once, with the status and an excerpt of the body. The bearer token
is sent to the configured host only and never written to a log or an error.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import attrs
import httpx
from pydantic import SecretStr
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_before_delay,
    wait_exponential_jitter,
)

from carepassport.adapters.lms.brightspace.config import BrightspaceConfig
from carepassport.adapters.lms.brightspace.mapping import decimal, utc_instant, whole
from carepassport.application.ports import LmsRequestRefused, LmsUnavailable, LmsUserUnknown

log = logging.getLogger(__name__)
EXCERPT = 200
MAX_PAGES = 10_000

JsonObject = dict[str, Any]


class _Transient(Exception):
    """A failure worth retrying; ``retry_after`` is what the server asked for, if anything."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


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


def retry_after(header: str | None, now: datetime) -> float | None:
    """Retry-After in seconds: a number of seconds or an HTTP date (None when absent or odd)."""
    if not header:
        return None
    text = header.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max((moment.astimezone(UTC) - now).total_seconds(), 0.0)


class BrightspaceClient:
    """A Valence API client on one Brightspace host (httpx, tenacity)."""

    def __init__(
        self,
        config: BrightspaceConfig,
        token: SecretStr,
        *,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.config = config
        self._sleep = sleep
        self._host = urlsplit(config.base_url)[:2]
        self._http = httpx.Client(
            base_url=config.base_url,
            timeout=config.timeout_seconds,
            headers={
                "Authorization": f"Bearer {token.get_secret_value()}",
                "Accept": "application/json",
            },
            transport=transport,
            follow_redirects=False,
        )
        self._backoff = wait_exponential_jitter(
            multiplier=config.retry_wait_seconds,
            max=config.retry_budget_seconds,
            jitter=config.retry_jitter_seconds,
        )

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()

    # Users and enrolments (LP) ------------------------------------------------------------

    def user_id(self, org_defined_id: str) -> int:
        """GET /d2l/api/lp/(v)/users/?orgDefinedId=: the one user with that OrgDefinedId."""
        try:
            found = self._json("GET", self._lp("users/"), params={"orgDefinedId": org_defined_id})
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
            user = self._json("GET", self._lp(f"users/{user_id}"))
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
        self._request("POST", self._lp("enrollments/"), json=body)

    def unenrol(self, org_unit_id: int, user_id: int) -> None:
        """DELETE /d2l/api/lp/(v)/enrollments/orgUnits/(ou)/users/(user); 404: not enrolled."""
        try:
            self._request("DELETE", self._lp(f"enrollments/orgUnits/{org_unit_id}/users/{user_id}"))
        except LmsRequestRefused as refused:
            if refused.status != 404:
                raise

    # Quizzes and grades (LE) --------------------------------------------------------------

    def quiz_attempts(self, org_unit_id: int, quiz_id: int) -> Iterator[QuizAttempt]:
        """GET /d2l/api/le/(v)/(ou)/quizzes/(quiz)/attempts/, every page."""
        for item in self._pages(self._le(f"{org_unit_id}/quizzes/{quiz_id}/attempts/")):
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
        item = self._json("GET", self._le(f"{org_unit_id}/grades/{grade_object_id}"))
        return decimal(item.get("MaxPoints") if isinstance(item, dict) else None, "MaxPoints")

    def grade_values(self, org_unit_id: int, grade_object_id: int) -> list[GradeValue]:
        """GET /d2l/api/le/(v)/(ou)/grades/(gradeObjectId)/values/, every page."""
        path = self._le(f"{org_unit_id}/grades/{grade_object_id}/values/")
        return [self._grade(item.get("User"), item.get("GradeValue")) for item in self._pages(path)]

    def final_grade(self, org_unit_id: int, user_id: int) -> GradeValue | None:
        """GET /d2l/api/le/(v)/(ou)/grades/final/values/(userId) (None: no final grade yet)."""
        try:
            value = self._json("GET", self._le(f"{org_unit_id}/grades/final/values/{user_id}"))
        except LmsRequestRefused as refused:
            if refused.status == 404:
                return None
            raise
        return self._grade({"Identifier": user_id}, value)

    # Plumbing -----------------------------------------------------------------------------

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

    def _pages(self, path: str) -> Iterator[JsonObject]:
        """The objects of a paged list: an ObjectListPage (follow ``Next``) or a
        PagedResultSet (pass ``PagingInfo.Bookmark`` back as ``bookmark``)."""
        url: str = path
        params: dict[str, str] = {}
        seen: set[tuple[str, str]] = set()
        for _ in range(MAX_PAGES):
            page = self._json("GET", url, params=params or None)
            if isinstance(page, list):
                yield from page
                return
            if not isinstance(page, dict):
                raise LmsUnavailable(f"Brightspace answered GET {path} with an unknown shape")
            if "Objects" in page:
                yield from page["Objects"] or []
                following = page.get("Next")
                if not following:
                    return
                url, params = self._same_host(following), {}
            else:
                yield from page.get("Items") or []
                info = page.get("PagingInfo") or {}
                if not info.get("HasMoreItems") or not info.get("Bookmark"):
                    return
                params = {"bookmark": str(info["Bookmark"])}
            if (url, params.get("bookmark", "")) in seen:
                raise LmsUnavailable(f"Brightspace's paging of GET {path} goes round in circles")
            seen.add((url, params.get("bookmark", "")))
        raise LmsUnavailable(f"Brightspace's paging of GET {path} did not end")

    def _same_host(self, link: str) -> str:
        """A Next link, refused if it would take the token to another host."""
        parts = urlsplit(link)
        if parts.scheme and parts[:2] != self._host:
            raise LmsRequestRefused(f"Brightspace's Next link leaves {self.config.base_url}")
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def _json(self, method: str, path: str, *, params: Mapping[str, str] | None = None) -> Any:
        response = self._request(method, path, params=params)
        try:
            return response.json()
        except ValueError:
            raise LmsUnavailable(f"Brightspace answered {method} {path} with no JSON") from None

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: JsonObject | None = None,
    ) -> httpx.Response:
        retrying = Retrying(
            stop=stop_after_attempt(self.config.retry_attempts)
            | stop_before_delay(self.config.retry_budget_seconds),
            wait=self._wait,
            retry=retry_if_exception_type(_Transient),
            sleep=self._sleep,
            reraise=True,
        )
        request = f"{method} {path}"
        try:
            for attempt in retrying:
                with attempt:
                    return self._send(method, path, params, json)
        except _Transient as failure:
            tries = retrying.statistics.get("attempt_number", 1)
            raise LmsUnavailable(
                f"Brightspace did not answer {request} after {tries} tries: {failure}"
            ) from None
        raise AssertionError("unreachable: tenacity either returns or raises")

    def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        json: JsonObject | None,
    ) -> httpx.Response:
        try:
            response = self._http.request(method, path, params=params, json=json)
        except httpx.TimeoutException:
            raise _Transient(f"no answer within {self.config.timeout_seconds} s") from None
        except httpx.TransportError as error:
            raise _Transient(f"connection failed ({type(error).__name__})") from None
        status = response.status_code
        if status == 429 or status >= 500:
            log.info("Brightspace answered %s %s with %s; retrying", method, path, status)
            wait = retry_after(response.headers.get("Retry-After"), datetime.now(UTC))
            if status == 429 and wait is not None:
                raise _Transient(f"HTTP 429, retry after {wait:g} s", wait)
            raise _Transient(f"HTTP {status}")
        if status >= 400:
            excerpt = " ".join(response.text.split())[:EXCERPT]
            raise LmsRequestRefused(
                f"Brightspace refused {method} {path} with HTTP {status}: {excerpt}",
                status,
                excerpt,
            )
        if status >= 300:
            raise LmsRequestRefused(
                f"Brightspace redirected {method} {path} (HTTP {status})", status
            )
        return response

    def _wait(self, state: RetryCallState) -> float:
        """Retry-After when the server gave one, else exponential backoff with jitter."""
        failure = state.outcome.exception() if state.outcome else None
        if isinstance(failure, _Transient) and failure.retry_after is not None:
            return failure.retry_after
        return float(self._backoff(state))
