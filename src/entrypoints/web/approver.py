"""The employer approver's planning pages: who expires in the next 30, 60 or 90 days, the
expiry calendar of the next 90 days, the skills gap, and the employer's vacancies with their
matches (ADR 0024). Same use cases and access checks as the HTTP API."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from carepassport.application.access.api_access import Principal
from carepassport.application.services import Services
from carepassport.domain.access.api_access import Role
from carepassport.domain.errors import InvalidValue
from carepassport.entrypoints.web.more import _page_number, paged
from carepassport.entrypoints.web.pages import _read

router = APIRouter(prefix="/portal", include_in_schema=False)
WITHIN = (30, 60, 90)
CALENDAR_DAYS = 90
TREND_MONTHS = 12


@router.get("/expiring")
async def expiring(request: Request) -> Response:
    """Who expires in the next 30, 60 or 90 days, soonest first, 50 rows a page."""
    within_text = request.query_params.get("within") or "30"
    number = _page_number(request.query_params.get("page"))

    def build(who: Principal, s: Services) -> dict[str, Any]:
        s.access.require(who, Role.APPROVER)
        if within_text not in {str(w) for w in WITHIN}:
            raise InvalidValue(f"within must be one of 30, 60 or 90 days, not {within_text!r}")
        lines = s.reports.expiring(who.subject, int(within_text))
        return {**paged(lines, number, "lines"), "within": int(within_text), "choices": WITHIN}

    return await _read(request, "expiring.html", build)


@router.get("/calendar")
async def calendar(request: Request) -> Response:
    """The next 90 days a week a row, each day with how many credentials are valid for the
    last time on it; a bar chart of the weeks beside the same figures as a table."""

    def build(who: Principal, s: Services) -> dict[str, Any]:
        s.access.require(who, Role.APPROVER)
        days = s.reports.expiry_calendar(who.subject, CALENDAR_DAYS)
        weeks = _weeks(days)
        totals = [(w[0][0].strftime("%m-%d"), sum(n for _, n in w if n > 0)) for w in weeks]
        return {"weeks": weeks, "chart": bars(totals)}

    return await _read(request, "calendar.html", build)


def _weeks(days: list[tuple[date, int]]) -> list[list[tuple[date, int]]]:
    """The days in weeks from Monday (the first and last weeks padded with empty days)."""
    if not days:
        return []
    first = days[0][0] - timedelta(days=days[0][0].weekday())
    known = dict(days)
    last = days[-1][0]
    weeks = []
    monday = first
    while monday <= last:
        week = [monday + timedelta(days=n) for n in range(7)]
        weeks.append([(day, known.get(day, -1)) for day in week])
        monday += timedelta(days=7)
    return weeks


def bars(points: list[tuple[str, int]]) -> dict[str, Any]:
    """A bar a labelled point, scaled to the tallest (the SVG's geometry; ``_bars.html`` draws
    it, and the page shows the same figures in a table)."""
    tallest = max((n for _, n in points), default=0) or 1
    width, height = 40, 160
    return {
        "width": width * len(points),
        "height": height + 40,
        "bars": [
            {
                "x": i * width + 6,
                "width": width - 12,
                "height": round(height * max(n, 0) / tallest),
                "y": height - round(height * max(n, 0) / tallest) + 10,
                "short": label,
                "value": max(n, 0),
                "label_x": i * width + width // 2,
            }
            for i, (label, n) in enumerate(points)
        ],
        "base": height + 10,
    }


@router.get("/trend")
async def trend(request: Request) -> Response:
    """Compliance at the end of each of the last 12 months: a bar chart beside its table."""

    def build(who: Principal, s: Services) -> dict[str, Any]:
        s.access.require(who, Role.APPROVER)
        points = s.reports.trend(who.subject, TREND_MONTHS)
        return {"points": points, "chart": bars([(p.month, p.percent) for p in points])}

    return await _read(request, "trend.html", build)


@router.get("/skills-gap")
async def skills_gap(request: Request) -> Response:
    """The employer's gaps against its job functions' requirements, with the cheapest plan."""
    job_function = request.query_params.get("job_function") or None
    on_text = request.query_params.get("on", "").strip()

    def build(who: Principal, s: Services) -> dict[str, Any]:
        s.access.require(who, Role.APPROVER)
        on = _date(on_text) if on_text else None
        report = s.skills_gaps.report(who.subject, job_function, on)
        return {"report": report, "job_function": job_function or "", "on": on_text}

    return await _read(request, "skills_gap.html", build)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidValue(f"{text!r} is not a date (YYYY-MM-DD)") from None


@router.get("/vacancies")
async def vacancies(request: Request) -> Response:
    """The employer's vacancies, each with its count of matches."""

    def build(who: Principal, s: Services) -> dict[str, Any]:
        s.access.require(who, Role.APPROVER)
        return {"vacancies": s.matching.vacancies(who.subject)}

    return await _read(request, "vacancies.html", build)


@router.get("/vacancies/{vacancy_id}")
async def vacancy(request: Request, vacancy_id: str) -> Response:
    """One vacancy's candidates, eligible first, best score first, each explained."""

    def build(who: Principal, s: Services) -> dict[str, Any]:
        s.access.require(who, Role.APPROVER)
        s.access.vacancy(who, vacancy_id)
        return {
            "vacancy": s.matching.vacancy(vacancy_id),
            "matches": s.matching.matches(vacancy_id, 0, False),
        }

    return await _read(request, "vacancy.html", build)
