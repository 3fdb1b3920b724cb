"""A Brightspace double: a real HTTP server on loopback with the Valence routes the adapter uses.

Shapes follow the published Valence API: UserData, CreateEnrollmentData / EnrollmentData,
Quiz.QuizAttemptData in an ObjectListPage (``Next`` link with a bookmark), Grade.GradeObject,
UserGradeValue pages and Grade.GradeValue. Faults (429 with Retry-After, 500, a slow answer)
are queued with ``inject`` and served to the next requests.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import attrs

TOKEN = "test-token-d2l"
LP = "1.46"
LE = "1.74"
NOT_FOUND = {"Errors": [{"Message": "Resource Not Found"}]}


@attrs.frozen
class Seen:
    """One request as the double received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    authorization: str
    body: Any


@attrs.frozen
class Fault:
    """What to do instead of (or before) answering: 429, 500, or wait ``seconds``."""

    kind: str
    seconds: float = 0.0


def utc(moment: datetime) -> str:
    """A Valence UTCDateTime."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@attrs.define
class BrightspaceState:
    """What the double knows: users, enrolments, attempts, grades; what it was asked."""

    users: dict[int, str] = attrs.Factory(dict)
    enrolled: dict[tuple[int, int], int] = attrs.Factory(dict)
    attempts: dict[tuple[int, int], list[dict[str, Any]]] = attrs.Factory(dict)
    grade_objects: dict[tuple[int, int], dict[str, Any]] = attrs.Factory(dict)
    final_grades: dict[tuple[int, int], dict[str, Any]] = attrs.Factory(dict)
    page_size: int = 2
    faults: list[Fault] = attrs.Factory(list)
    seen: list[Seen] = attrs.Factory(list)

    def add_user(self, user_id: int, org_defined_id: str) -> None:
        self.users[user_id] = org_defined_id

    def add_attempt(
        self,
        org_unit: int,
        quiz: int,
        *,
        attempt_id: int,
        user_id: int,
        number: int,
        score: float | None,
        completed: datetime | None,
    ) -> None:
        """A Quiz.QuizAttemptData; ``completed`` None while in progress."""
        started = completed or datetime.now(UTC)
        self.attempts.setdefault((org_unit, quiz), []).append(
            {
                "AttemptId": attempt_id,
                "QuizId": quiz,
                "UserId": user_id,
                "AttemptNumber": number,
                "Score": score,
                "Started": utc(started),
                "Completed": utc(completed) if completed else None,
                "AttemptFeedback": {"Text": "", "Html": None},
                "FeedbackLastModified": None,
                "IsPublished": False,
                "IsRetakeIncorrectOnly": False,
            }
        )

    def add_grade_object(self, org_unit: int, grade_object: int, max_points: float) -> None:
        self.grade_objects[(org_unit, grade_object)] = {
            "Id": grade_object,
            "Name": "Final quiz",
            "ShortName": "",
            "GradeType": "Numeric",
            "CategoryId": 0,
            "Description": {"Text": "", "Html": ""},
            "MaxPoints": max_points,
            "CanExceedMaxPoints": False,
            "IsBonus": False,
            "ExcludeFromFinalGradeCalculation": False,
            "GradeSchemeId": None,
            "Weight": 0,
        }

    def set_final_grade(self, org_unit: int, user_id: int, points: float, out_of: float) -> None:
        self.final_grades[(org_unit, user_id)] = grade_value(points, out_of, "Final Calculated")

    def inject(self, kind: str, count: int = 1, seconds: float = 0.0) -> None:
        """Serve ``kind`` ("429", "500" or "slow") to the next ``count`` requests."""
        self.faults.extend([Fault(kind, seconds)] * count)

    def requests(self, method: str, prefix: str = "") -> list[Seen]:
        return [s for s in self.seen if s.method == method and s.path.startswith(prefix)]


def grade_value(points: float, out_of: float, name: str) -> dict[str, Any]:
    """A numeric Grade.GradeValue."""
    return {
        "DisplayedGrade": f"{points / out_of * 100:.0f} %",
        "GradeObjectIdentifier": "1",
        "GradeObjectName": name,
        "GradeObjectType": 1,
        "GradeObjectTypeName": "Numeric",
        "PointsNumerator": points,
        "PointsDenominator": out_of,
        "WeightedNumerator": None,
        "WeightedDenominator": None,
        "Comments": {"Text": "", "Html": ""},
        "PrivateComments": {"Text": "", "Html": ""},
        "LastModified": None,
        "LastModifiedBy": None,
        "ReleasedDate": None,
    }


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        state = self.server.state
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        with self.server.lock:
            state.seen.append(
                Seen(
                    method,
                    parts.path,
                    parse_qs(parts.query),
                    self.headers.get("Authorization", ""),
                    body,
                )
            )
            fault = state.faults.pop(0) if state.faults else None
        if fault is not None and fault.kind == "429":
            return self._reply(
                429,
                {"Errors": [{"Message": "Too Many Requests"}]},
                {"Retry-After": str(int(fault.seconds))},
            )
        if fault is not None and fault.kind == "500":
            return self._reply(500, {"Errors": [{"Message": "Internal Server Error"}]})
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.seconds)
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._reply(401, {"Errors": [{"Message": "Unauthorized"}]})
        with self.server.lock:
            status, payload = route(
                state, method, parts.path, parse_qs(parts.query), body, self.server.base
            )
        self._reply(status, payload)

    def _reply(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a timeout test)


def _page(items: list[Any], query: dict[str, list[str]], link: str, size: int) -> dict[str, Any]:
    start = int(query.get("bookmark", ["0"])[0])
    end = start + size
    following = f"{link}?bookmark={end}" if end < len(items) else None
    return {"Next": following, "Objects": items[start:end]}


def route(
    state: BrightspaceState,
    method: str,
    path: str,
    query: dict[str, list[str]],
    body: Any,
    base: str,
) -> tuple[int, Any]:
    """The Valence routes the adapter uses."""
    if method == "GET" and (m := re.fullmatch(rf"/d2l/api/lp/{LP}/users/", path)):
        wanted = query.get("orgDefinedId", [""])[0]
        found = [user_data(uid, odi) for uid, odi in state.users.items() if odi == wanted]
        return (200, found) if found else (404, NOT_FOUND)
    if method == "GET" and (m := re.fullmatch(rf"/d2l/api/lp/{LP}/users/(\d+)", path)):
        uid = int(m[1])
        return (200, user_data(uid, state.users[uid])) if uid in state.users else (404, NOT_FOUND)
    if method == "POST" and path == f"/d2l/api/lp/{LP}/enrollments/":
        if set(body or {}) != {"OrgUnitId", "UserId", "RoleId"}:
            return 400, {"Errors": [{"Message": "Invalid CreateEnrollmentData"}]}
        if body["UserId"] not in state.users:
            return 404, NOT_FOUND
        state.enrolled[(body["OrgUnitId"], body["UserId"])] = body["RoleId"]
        return 200, {**body, "IsCascading": False}
    if method == "DELETE" and (
        m := re.fullmatch(rf"/d2l/api/lp/{LP}/enrollments/orgUnits/(\d+)/users/(\d+)", path)
    ):
        key = (int(m[1]), int(m[2]))
        if key not in state.enrolled:
            return 404, NOT_FOUND
        role = state.enrolled.pop(key)
        return 200, {"OrgUnitId": key[0], "UserId": key[1], "RoleId": role, "IsCascading": False}
    if method == "GET" and (
        m := re.fullmatch(rf"/d2l/api/le/{LE}/(\d+)/quizzes/(\d+)/attempts/", path)
    ):
        attempts = state.attempts.get((int(m[1]), int(m[2])))
        if attempts is None:
            return 404, NOT_FOUND
        return 200, _page(attempts, query, f"{base}{path}", state.page_size)
    if method == "GET" and (
        m := re.fullmatch(rf"/d2l/api/le/{LE}/(\d+)/grades/final/values/(\d+)", path)
    ):
        grade = state.final_grades.get((int(m[1]), int(m[2])))
        return (200, grade) if grade else (404, NOT_FOUND)
    if method == "GET" and (m := re.fullmatch(rf"/d2l/api/le/{LE}/(\d+)/grades/(\d+)", path)):
        item = state.grade_objects.get((int(m[1]), int(m[2])))
        return (200, item) if item else (404, NOT_FOUND)
    if method == "GET" and (
        m := re.fullmatch(rf"/d2l/api/le/{LE}/(\d+)/grades/(\d+)/values/", path)
    ):
        org_unit, grade_object = int(m[1]), int(m[2])
        if (org_unit, grade_object) not in state.grade_objects:
            return 404, NOT_FOUND
        out_of = state.grade_objects[(org_unit, grade_object)]["MaxPoints"]
        values = [
            {
                "User": {
                    "Identifier": str(uid),
                    "DisplayName": f"User {uid}",
                    "OrgDefinedId": state.users.get(uid),
                },
                "GradeValue": grade_value(best, out_of, "Final quiz") if best is not None else None,
            }
            for uid, best in _best_scores(state, org_unit).items()
        ]
        return 200, _page(values, query, f"{base}{path}", state.page_size)
    return 404, NOT_FOUND


def _best_scores(state: BrightspaceState, org_unit: int) -> dict[int, float | None]:
    best: dict[int, float | None] = {}
    for (ou, _quiz), attempts in state.attempts.items():
        for attempt in attempts:
            if ou == org_unit:
                score = attempt["Score"]
                previous = best.get(attempt["UserId"])
                best[attempt["UserId"]] = score if previous is None else max(previous, score or 0)
    return best


def user_data(user_id: int, org_defined_id: str) -> dict[str, Any]:
    """A UserData block."""
    return {
        "OrgId": 6606,
        "UserId": user_id,
        "FirstName": "Pat",
        "MiddleName": None,
        "LastName": "Lee",
        "UserName": f"user{user_id}",
        "ExternalEmail": None,
        "OrgDefinedId": org_defined_id,
        "UniqueIdentifier": f"user{user_id}",
        "Activation": {"IsActive": True},
        "LastAccessedDate": None,
        "Pronouns": None,
    }


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: BrightspaceState) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state
        self.lock = threading.Lock()
        self.base = f"http://127.0.0.1:{self.server_address[1]}"


@contextmanager
def brightspace_double() -> Iterator[tuple[str, BrightspaceState]]:
    """Serve a fresh double on a free loopback port; yields its base URL and its state."""
    state = BrightspaceState()
    server = _Server(state)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield server.base, state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
