"""The portal's pages: server-rendered HTML on the same use cases and role rules as the HTTP
API (nothing is decided in a template). Every page works without JavaScript; every form
carries the session's CSRF token (ADR 0024)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context

from carepassport.application.access.api_access import Principal
from carepassport.application.compliance.requirements import RENEWABLE
from carepassport.application.services import Services
from carepassport.application.training.views import SponsorshipView
from carepassport.domain.access.api_access import Forbidden, Role
from carepassport.domain.compliance.standing import RequirementState
from carepassport.domain.errors import DomainError, NotFound
from carepassport.domain.training.sponsorship import SponsorshipStatus
from carepassport.domain.values import EmployeeId
from carepassport.entrypoints.http.core import Core
from carepassport.entrypoints.web import i18n
from carepassport.entrypoints.web.sessions import (
    COOKIE,
    LOCAL_HOSTS,
    SECURITY_HEADERS,
    Session,
    Sessions,
)

HERE = Path(__file__).parent
STATIC = HERE / "static"
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters["when"] = pass_context(
    lambda context, t: i18n.moment(t, context.get("lang", i18n.DEFAULT)) if t else ""
)
templates.env.filters["day"] = pass_context(
    lambda context, d: i18n.day(d, context.get("lang", i18n.DEFAULT)) if d else ""
)
router = APIRouter(prefix="/portal", include_in_schema=False)
FORM_LIMIT = 16 * 1024

STATE_LABELS = {
    "valid": "Valid",
    "expiring": "Expiring soon",
    "expired": "Expired",
    "never_completed": "Never completed",
    "in_progress": "In progress",
    "failed": "Failed",
    "suspended": "Suspended",
    "revoked": "Revoked",
    "recertification_required": "Recertification required",
    "pending_publication": "Pending publication",
}
TRANSLATED = (
    *("employee", "approver", "college", "auditor", "lms"),
    *("requested", "approved", "declined", "enabled"),
    *("active", "suspended", "revoked", "expired"),
    *("Requested", "Approved", "Enabled", "Registered", "Access from", "Access until"),
    *("Recorded", "Published"),
    *("open", "closed", "filled", "eligible", "trainable"),
    *("interested", "invited", "accepted", "rejected", "interviewed", "hired", "not_selected"),
    *("midnight", "manual", "Suspend", "Reinstate", "Revoke", "Require recertification"),
    "That token is not valid.",
    "The form expired; try again.",
)
"""Messages the pages hand to templates (roles, statuses, timeline steps, refusals), each in
the catalogue (a test checks)."""


class Portal:
    """What the pages share: the core and the sessions."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.sessions = Sessions(lambda: core.call(lambda s: s.portal_sessions))

    def principal(self, session: Session) -> Principal | None:
        """Who the session is, if its token (when it signed in with one) still works."""
        if not session.by_token:
            return session.principal
        principal = session.principal
        return principal if self.core.call(lambda s: s.api_tokens.still_valid(principal)) else None


def _portal(request: Request) -> Portal:
    portal: Portal = request.app.state.portal
    return portal


def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page in the caller's language, with the security headers."""
    asked = request.query_params.get("lang")
    lang = i18n.choose(
        asked, request.cookies.get(i18n.COOKIE), request.headers.get("accept-language")
    )
    other = "fr" if lang == "en" else "en"
    context = {
        **context,
        "lang": lang,
        "other_lang": other,
        "other_lang_name": i18n.LANGUAGES[other],
        **i18n.callables(lang),
    }
    response = templates.TemplateResponse(request, name, context, status_code=status)
    response.headers.update(SECURITY_HEADERS)
    if asked in i18n.LANGUAGES:
        response.set_cookie(
            i18n.COOKIE,
            lang,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="lax",
            secure=request.url.hostname not in LOCAL_HOSTS,
            path="/portal",
        )
    return response


def _signed_in(request: Request) -> tuple[Session, Principal] | None:
    portal = _portal(request)
    session = portal.sessions.find(request.cookies.get(COOKIE))
    if session is None:
        return None
    principal = portal.principal(session)
    if principal is None:
        portal.sessions.end(session.session_id)
        return None
    return session, principal


async def _form(request: Request) -> dict[str, str]:
    body = await request.body()
    if len(body) > FORM_LIMIT:
        return {}
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {key: values[0] for key, values in fields.items()}


def _sign_in_redirect() -> RedirectResponse:
    return RedirectResponse("/portal/sign-in", status_code=303)


def _refused(request: Request, error: DomainError, who: Principal | None = None) -> HTMLResponse:
    status = 403 if isinstance(error, Forbidden) else 404 if isinstance(error, NotFound) else 400
    return page(request, "refused.html", status, error=error.message, who=who)


@router.get("")
@router.get("/")
async def home(request: Request) -> Response:
    signed = await run_in_threadpool(_signed_in, request)
    if signed is None:
        return _sign_in_redirect()
    session, who = signed
    portal = _portal(request)
    try:
        context = await run_in_threadpool(portal.core.call, _home_context(who))
    except DomainError as error:
        return _refused(request, error, who)
    return page(request, f"home_{who.role.value}.html", who=who, csrf=session.csrf, **context)


def _home_context(who: Principal) -> Callable[[Services], dict[str, Any]]:
    def build(s: Services) -> dict[str, Any]:
        if who.role is Role.EMPLOYEE:
            listing = s.requirements.of_employee(who.subject)
            return {
                "listing": listing,
                "labels": STATE_LABELS,
                "renewable": [
                    r for r in listing.requirements if RequirementState(r.state) in RENEWABLE
                ],
                "sponsorships": [
                    SponsorshipView.of(x)
                    for x in s.sponsorships.of_employee(EmployeeId(who.subject))
                ],
            }
        if who.role is Role.APPROVER:
            employer = s.reference.show_employer(who.subject)
            return {"employer": employer, "pending": _pending(s, who.subject)}
        if who.role is Role.COLLEGE:
            return {"held": s.statuses.held_results()}
        return {}

    return build


def _pending(s: Services, employer: str) -> list[SponsorshipView]:
    """The employer's sponsorship requests awaiting an answer, oldest first."""
    pending = [
        SponsorshipView.of(sponsorship)
        for employee in s.reports.employees(employer)
        for sponsorship in s.sponsorships.of_employee(EmployeeId(employee))
        if sponsorship.status is SponsorshipStatus.REQUESTED
    ]
    return sorted(pending, key=lambda v: v.requested_at)


@router.get("/sign-in")
async def sign_in_page(request: Request) -> Response:
    return page(request, "sign_in.html")


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    token = (await _form(request)).get("token", "").strip()
    portal = _portal(request)
    try:
        who = await run_in_threadpool(portal.core.call, lambda s: s.api_tokens.authenticate(token))
    except DomainError:
        return page(request, "sign_in.html", 401, error="That token is not valid.")
    session = await run_in_threadpool(portal.sessions.start, who, by_token=True)
    return _start_session(request, session)


def _start_session(request: Request, session: Session) -> Response:
    response = RedirectResponse("/portal", status_code=303)
    response.set_cookie(
        COOKIE,
        session.session_id,
        httponly=True,
        samesite="lax",
        secure=request.url.hostname not in LOCAL_HOSTS,
        path="/portal",
    )
    return response


@router.post("/sign-in/email")
async def ask_for_a_link(request: Request) -> Response:
    """Mail a sign-in link to a registered address; the same answer for any address."""
    address = (await _form(request)).get("email", "")
    await run_in_threadpool(_portal(request).core.call, lambda s: s.sign_in.request(address))
    return page(request, "sign_in_sent.html")


@router.get("/sign-in/{secret}")
async def link_page(request: Request, secret: str) -> Response:
    """The page a sign-in link opens: a button that uses it (a mail scanner's GET uses
    nothing)."""
    return page(request, "sign_in_link.html", secret=secret)


@router.post("/sign-in/{secret}")
async def use_link(request: Request, secret: str) -> Response:
    portal = _portal(request)
    try:
        who = await run_in_threadpool(portal.core.call, lambda s: s.sign_in.redeem(secret))
    except DomainError as error:
        return _refused(request, error)
    session = await run_in_threadpool(portal.sessions.start, who, by_token=False)
    return _start_session(request, session)


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    signed = await run_in_threadpool(_signed_in, request)
    form = await _form(request)
    if signed is not None and signed[0].csrf_matches(form.get("csrf")):
        await run_in_threadpool(_portal(request).sessions.end, signed[0].session_id)
    response = _sign_in_redirect()
    response.delete_cookie(COOKIE, path="/portal")
    return response


async def _command(
    request: Request,
    action: Action,
    then: str | Callable[[dict[str, str]], str] = "/portal",
) -> Response:
    """A form post: signed in, the CSRF token matching, then the use case; then to ``then``
    (a page, or the page a function of the form names)."""
    signed = await run_in_threadpool(_signed_in, request)
    if signed is None:
        return _sign_in_redirect()
    session, who = signed
    form = await _form(request)
    if not session.csrf_matches(form.get("csrf")):
        return page(request, "refused.html", 403, error="The form expired; try again.", who=who)
    try:
        await run_in_threadpool(_portal(request).core.call, action(who, form))
    except DomainError as error:
        return _refused(request, error, who)
    return RedirectResponse(then if isinstance(then, str) else then(form), status_code=303)


Action = Callable[[Principal, dict[str, str]], Callable[[Services], Any]]


def requiring(*roles: Role, use: Callable[[Services, Principal, dict[str, str]], Any]) -> Action:
    """A form's action: the caller must hold one of ``roles``; then ``use`` with the form."""

    def action(who: Principal, form: dict[str, str]) -> Callable[[Services], Any]:
        def run(s: Services) -> Any:
            s.access.require(who, *roles)
            return use(s, who, form)

        return run

    return action


@router.post("/renewals")
async def ask_for_renewals(request: Request) -> Response:
    """An employee asks their employer to sponsor everything expired or expiring, in one step."""
    use = requiring(
        Role.EMPLOYEE, use=lambda s, who, _: s.requirements.request_renewals(who.subject)
    )
    return await _command(request, use)


def _answer(decision: str) -> Callable[[Principal, dict[str, str]], Callable[[Services], Any]]:
    def action(who: Principal, form: dict[str, str]) -> Callable[[Services], Any]:
        def run(s: Services) -> Any:
            s.access.require(who, Role.APPROVER)
            sponsorship = form.get("sponsorship", "")
            s.access.sponsorship(who, sponsorship)
            answer = s.sponsorships.approve if decision == "approve" else s.sponsorships.decline
            return answer(sponsorship, by=form.get("by", ""))

        return run

    return action


@router.post("/sponsorships/approve")
async def approve(request: Request) -> Response:
    return await _command(request, _answer("approve"))


@router.post("/sponsorships/decline")
async def decline(request: Request) -> Response:
    return await _command(request, _answer("decline"))


@router.post("/student-numbers")
async def set_student_number(request: Request) -> Response:
    """The college sets an employee's student number; results held for it are applied (R11)."""

    def use(s: Services, _: Principal, form: dict[str, str]) -> Any:
        return s.reference.set_student_number(
            form.get("employee", ""), form.get("student_number", "")
        )

    return await _command(request, requiring(Role.COLLEGE, use=use))


@router.get("/employees/{employee_id}")
async def employee_page(request: Request, employee_id: str) -> Response:
    """One employee's requirements, for those who may see them (else a 404 page)."""

    def build(who: Principal, s: Services) -> dict[str, Any]:
        s.access.employee(who, employee_id)
        return {"listing": s.requirements.of_employee(employee_id)}

    return await _read(request, "employee.html", build)


async def _read(
    request: Request, name: str, build: Callable[[Principal, Services], dict[str, Any]]
) -> Response:
    """A page for the signed-in caller, built from the use cases (a refusal is its page)."""
    signed = await run_in_threadpool(_signed_in, request)
    if signed is None:
        return _sign_in_redirect()
    session, who = signed
    try:
        context = await run_in_threadpool(_portal(request).core.call, lambda s: build(who, s))
    except DomainError as error:
        return _refused(request, error, who)
    return page(request, name, who=who, csrf=session.csrf, labels=STATE_LABELS, **context)
