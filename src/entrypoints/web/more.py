"""More of the portal: an employee's credentials with their timelines and registration, the
employer's compliance report (filtered, as CSV), and the auditor's history with a "known at"
time (ADR 0024). Same use cases and access checks as the HTTP API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from carepassport.application.access.api_access import Principal
from carepassport.application.services import Services
from carepassport.application.training.views import SponsorshipView
from carepassport.domain.access.api_access import Role
from carepassport.domain.errors import DomainError, InvalidValue
from carepassport.domain.time import TORONTO
from carepassport.domain.values import EmployeeId
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
REPORT_STATES = ("expiring", "expired", "in_progress", "failed", "never_completed")
PAGE_ROWS = 50


def _timeline(s: Services, employee: str) -> list[dict[str, Any]]:
    """Each micro-credential the employee touched: where it stands, step by step."""
    status = s.statuses.of_employee(employee)
    sponsorships = {
        v.sponsorship_id: v
        for v in (SponsorshipView.of(x) for x in s.sponsorships.of_employee(EmployeeId(employee)))
    }
    rows = []
    for credential in status.credentials:
        registration = s.registrations.show(credential.registration_id)
        asked = (
            sponsorships.get(registration.sponsorship_id) if registration.sponsorship_id else None
        )
        steps = [
            ("Requested", asked.requested_at if asked else None),
            ("Approved", asked.approved_at if asked else None),
            ("Enabled", asked.enabled_at if asked else None),
            ("Registered", registration.registered_at),
            ("Access from", registration.access_from),
            ("Access until", registration.access_until),
            ("Recorded", credential.recorded_at),
            ("Published", credential.published_at),
        ]
        rows.append(
            {
                "credential": credential,
                "registration": registration,
                "attempts_left": max(
                    0,
                    s.reference.micro_credential(credential.code).max_attempts
                    - len(registration.attempts),
                ),
                "steps": [(label, when) for label, when in steps if when is not None],
            }
        )
    return rows


@router.get("/credentials")
async def credentials(request: Request) -> Response:
    """The employee's credentials, each with its timeline; registration where it is enabled;
    their badges."""

    def build(who: Principal, s: Services) -> dict[str, Any]:
        s.access.require(who, Role.EMPLOYEE)
        enabled = [
            (v.sponsorship_id, code)
            for v in (
                SponsorshipView.of(x) for x in s.sponsorships.of_employee(EmployeeId(who.subject))
            )
            if v.status == "enabled"
            for code in v.credentials
            if code not in v.used
        ]
        return {
            "rows": _timeline(s, who.subject),
            "enabled": enabled,
            "badges": s.statuses.of_employee(who.subject).badges,
        }

    return await _read(request, "credentials.html", build)


@router.post("/registrations")
async def register(request: Request) -> Response:
    """The employee registers in a micro-credential their employer's sponsorship enabled."""

    def use(s: Services, who: Principal, form: dict[str, str]) -> Any:
        return s.registrations.register(who.subject, form.get("code", ""))

    return await _command(request, requiring(Role.EMPLOYEE, use=use), then="/portal/credentials")


@router.get("/compliance")
async def compliance(request: Request) -> Response:
    """The employer's compliance report, filtered by job function and state, 50 rows a page."""
    job_function = request.query_params.get("job_function") or None
    state = request.query_params.get("state") or None
    number = _page_number(request.query_params.get("page"))
    search = request.query_params.get("q", "").strip()

    def build(who: Principal, s: Services) -> dict[str, Any]:
        s.access.require(who, Role.APPROVER)
        if state is not None and state not in REPORT_STATES:
            raise InvalidValue(f"unknown state {state!r}")
        report = s.reports.compliance(who.subject, job_function)
        lines = getattr(report, state) if state else report.lines
        if search:
            lines = [line for line in lines if matches(search, line.employee_id, line.code)]
        return {
            "report": report,
            **paged(lines, number, "lines"),
            "state": state or "",
            "job_function": job_function or "",
            "q": search,
            "states": REPORT_STATES,
        }

    return await _read(request, "compliance.html", build)


@router.get("/compliance.csv")
async def compliance_csv(request: Request) -> Response:
    signed = await run_in_threadpool(_signed_in, request)
    if signed is None:
        return _sign_in_redirect()
    _, who = signed
    job_function = request.query_params.get("job_function") or None

    def build(s: Services) -> str:
        s.access.require(who, Role.APPROVER)
        return s.reports.as_csv(s.reports.compliance(who.subject, job_function))

    try:
        text = await run_in_threadpool(_portal(request).core.call, build)
    except DomainError as error:
        return _refused(request, error, who)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="compliance-{who.subject}.csv"'},
    )


@router.get("/history")
async def history(request: Request) -> Response:
    """Any record's history as it was known at a time (auditors and the college)."""
    record = request.query_params.get("record", "").strip()
    known_at = request.query_params.get("known_at", "").strip()
    number = _page_number(request.query_params.get("page"))

    def build(who: Principal, s: Services) -> dict[str, Any]:
        s.access.require(who, Role.AUDITOR, Role.COLLEGE)
        as_of = _known_at(known_at) if known_at else None
        found = s.histories.history(record, as_of) if record else None
        events = paged(found.events if found else [], number, "events")
        return {"record": record, "known_at": known_at, "found": found, **events}

    return await _read(request, "history.html", build)


def _known_at(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidValue(f"{text!r} is not a date and time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=TORONTO)


def paged(rows: list[Any], number: int, name: str) -> dict[str, Any]:
    """Page ``number`` of ``rows`` (50 a page) as ``name``, with what ``_pager.html`` needs."""
    start = (number - 1) * PAGE_ROWS
    return {
        name: rows[start : start + PAGE_ROWS],
        "total": len(rows),
        "page_number": number,
        "pages": max(1, -(-len(rows) // PAGE_ROWS)),
    }


def matches(search: str, *texts: str | None) -> bool:
    """Whether any of ``texts`` holds ``search``, ignoring case (a page's search box)."""
    wanted = search.casefold()
    return any(wanted in (text or "").casefold() for text in texts)


def _page_number(text: str | None) -> int:
    try:
        return max(1, int(text or "1"))
    except ValueError:
        return 1
