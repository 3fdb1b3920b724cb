"""The college administrator's pages (decisions on credentials with a reason, the mail outbox
with its failures and a retry button, the last syncs with their counts, the settings) and the
auditor's page of checkpoints and verifications (ADR 0024). Same use cases and access checks as
the HTTP API."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from carepassport.application.access.api_access import Principal
from carepassport.application.mail.views import OutboxMessage
from carepassport.application.services import Services
from carepassport.domain.access.api_access import Role
from carepassport.domain.errors import InvalidValue
from carepassport.entrypoints.web.more import _page_number, matches, paged
from carepassport.entrypoints.web.pages import _command, _read, requiring

router = APIRouter(prefix="/portal", include_in_schema=False)
DECISIONS = {
    "suspend": "Suspend",
    "reinstate": "Reinstate",
    "revoke": "Revoke",
    "require-recertification": "Require recertification",
}
SETTINGS = ("college_email", "optional_holidays", "closure_days", "reminder_days")


@router.get("/decisions")
async def decisions(request: Request) -> Response:
    """One employee's credentials (by id) and the form for a decision on one of them."""
    employee = request.query_params.get("employee", "").strip()

    def build(who: Principal, s: Services) -> dict[str, Any]:
        s.access.require(who, Role.COLLEGE)
        status = s.statuses.of_employee(employee) if employee else None
        return {"employee": employee, "found": status, "decisions": DECISIONS}

    return await _read(request, "decisions.html", build)


@router.post("/decisions")
async def decide(request: Request) -> Response:
    """Suspend, reinstate, revoke, or require recertification, with a reason (recorded)."""

    def use(s: Services, _: Principal, form: dict[str, str]) -> Any:
        decision = form.get("decision", "")
        if decision not in DECISIONS:
            raise InvalidValue(f"unknown decision {decision!r}")
        reason = form.get("reason", "").strip()
        if not reason:
            raise InvalidValue("a decision needs a reason")
        verb = getattr(s.credentials, decision.replace("-", "_"))
        return verb(form.get("employee", ""), form.get("code", ""), reason, form.get("notes", ""))

    return await _command(request, requiring(Role.COLLEGE, use=use), then=_back_to_employee)


def _back_to_employee(form: dict[str, str]) -> str:
    """The decisions page of the employee decided on (their id kept to URL-safe characters)."""
    employee = "".join(c for c in form.get("employee", "") if c.isalnum() or c in "-_.")
    return f"/portal/decisions?employee={employee}"


@router.get("/outbox")
async def outbox(request: Request) -> Response:
    """The mail outbox, newest first, 50 a page; ``?failing=1`` for those not delivered that
    have failed at least once (abandoned ones with a retry button)."""
    failing = request.query_params.get("failing") == "1"
    search = request.query_params.get("q", "").strip()
    number = _page_number(request.query_params.get("page"))

    def build(who: Principal, s: Services) -> dict[str, Any]:
        s.access.require(who, Role.COLLEGE)
        messages = [OutboxMessage.of(m) for m in reversed(s.outbox.messages())]
        if failing:
            messages = [m for m in messages if m.sent_at is None and m.attempts > 0]
        if search:
            messages = [m for m in messages if matches(search, m.to, m.subject, m.kind)]
        return {**paged(messages, number, "messages"), "failing": failing, "q": search}

    return await _read(request, "outbox.html", build)


@router.post("/outbox/retry")
async def retry(request: Request) -> Response:
    """Queue an abandoned message again; it is tried at once."""
    use = requiring(Role.COLLEGE, use=lambda s, _, form: s.outbox.requeue(form.get("message", "")))
    return await _command(request, use, then="/portal/outbox?failing=1")


@router.get("/syncs")
async def syncs(request: Request) -> Response:
    """The last 30 syncs with what each took in, and the results still held."""

    def build(who: Principal, s: Services) -> dict[str, Any]:
        s.access.require(who, Role.COLLEGE, Role.AUDITOR)
        return {"runs": s.sync.recent(), "held": len(s.statuses.held_results())}

    return await _read(request, "syncs.html", build)


@router.get("/settings")
async def settings(request: Request) -> Response:
    """The settings in force, and a form to change one (recorded as an event)."""

    def build(who: Principal, s: Services) -> dict[str, Any]:
        s.access.require(who, Role.COLLEGE)
        return {"settings": s.reference.show_settings(), "keys": SETTINGS}

    return await _read(request, "settings.html", build)


@router.post("/settings")
async def change_setting(request: Request) -> Response:
    """Change one setting (recorded as an event; refused whole if the value is wrong)."""

    def use(s: Services, _: Principal, form: dict[str, str]) -> Any:
        return s.reference.change_setting(form.get("key", ""), form.get("value", ""))

    return await _command(request, requiring(Role.COLLEGE, use=use), then="/portal/settings")


@router.get("/audit")
async def audit(request: Request) -> Response:
    """The audit checkpoints made (50 a page) and the verifications recorded, newest first."""
    number = _page_number(request.query_params.get("page"))

    def build(who: Principal, s: Services) -> dict[str, Any]:
        s.access.require(who, Role.AUDITOR, Role.COLLEGE)
        trail = s.audit.trail()
        return {"trail": trail, **paged(trail.checkpoints, number, "checkpoints")}

    return await _read(request, "audit.html", build)


@router.post("/audit/verify")
async def verify(request: Request) -> Response:
    """Verify the log now against every recorded checkpoint, and record the result."""

    def use(s: Services, who: Principal, _: dict[str, str]) -> Any:
        return s.audit.verify_and_record(f"{who.role.value}:{who.subject}")

    return await _command(
        request, requiring(Role.AUDITOR, Role.COLLEGE, use=use), then="/portal/audit"
    )
