"""The employee's further pages: the requirements as CSV, and the vacancies they match with
their invitations, answered with a button (ADR 0024). Same use cases and access checks as the
HTTP API: an employee sees and answers only their own matches."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from carepassport.application.access.api_access import Principal
from carepassport.application.services import Services
from carepassport.domain.access.api_access import Role
from carepassport.domain.errors import DomainError, InvalidValue, NotFound
from carepassport.entrypoints.web.pages import (
    _command,
    _portal,
    _read,
    _refused,
    _sign_in_redirect,
    _signed_in,
    requiring,
)

router = APIRouter(prefix="/portal", include_in_schema=False)
ANSWERS = ("interest", "accept", "decline")


@router.get("/requirements.csv")
async def requirements_csv(request: Request) -> Response:
    """The employee's requirements with their states and dates, as CSV."""
    signed = await run_in_threadpool(_signed_in, request)
    if signed is None:
        return _sign_in_redirect()
    _, who = signed

    def build(s: Services) -> str:
        s.access.require(who, Role.EMPLOYEE)
        return s.requirements.as_csv(who.subject)

    try:
        text = await run_in_threadpool(_portal(request).core.call, build)
    except DomainError as error:
        return _refused(request, error, who)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="requirements-{who.subject}.csv"'},
    )


@router.get("/matches")
async def matches(request: Request) -> Response:
    """The open vacancies the employee matches, each with where they stand on it."""

    def build(who: Principal, s: Services) -> dict[str, Any]:
        s.access.require(who, Role.EMPLOYEE)
        s.access.own_candidate(who, who.subject)
        rows = []
        for match in s.matching.matches_for(who.subject):
            try:
                stage: str | None = s.engagements.show(match.vacancy_id, who.subject).stage
            except NotFound:
                stage = None
            rows.append(
                {"match": match, "vacancy": s.matching.vacancy(match.vacancy_id), "stage": stage}
            )
        return {"rows": rows}

    return await _read(request, "matches.html", build)


@router.post("/matches")
async def answer_match(request: Request) -> Response:
    """Show interest in a vacancy, accept an invitation, or decline."""

    def use(s: Services, who: Principal, form: dict[str, str]) -> Any:
        s.access.own_candidate(who, who.subject)
        answer, vacancy = form.get("answer", ""), form.get("vacancy", "")
        if answer not in ANSWERS:
            raise InvalidValue(f"unknown answer {answer!r}")
        if answer == "interest":
            return s.engagements.show_interest(vacancy, who.subject)
        if answer == "accept":
            return s.engagements.accept(vacancy, who.subject)
        return s.engagements.decline(vacancy, who.subject, form.get("reason", ""))

    return await _command(request, requiring(Role.EMPLOYEE, use=use), then="/portal/matches")
