"""Badges over HTTP. Public, for anyone to check a badge they were shown: ``POST /verify``,
``GET /badges/{id}`` (JSON-LD, PNG or a page with a QR code, by content negotiation), the
status lists and the issuer's DID document. An employee's badges need a token, as status does."""

from __future__ import annotations

import base64
import json
from html import escape
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response

from carepassport.application.badges.reading import BadgeReader, BadgeView
from carepassport.application.services import Services
from carepassport.domain.errors import InvalidValue
from carepassport.entrypoints.http.core import Caller, Core, allow
from carepassport.entrypoints.http.models import model_for
from carepassport.entrypoints.http.problems import problem
from carepassport.entrypoints.http.routes.employees import SEES_EMPLOYEES

router = APIRouter(tags=["badges"])
public = APIRouter(tags=["badges (public)"])

UPLOAD_LIMIT = 5 * 1024 * 1024
"""The largest credential accepted by ``POST /verify`` (refused with 413 before it is read)."""
LD_JSON = "application/ld+json"


def _core(request: Request) -> Core:
    core: Core = request.app.state.core
    return core


async def _call(request: Request, action: Any) -> Any:
    return await run_in_threadpool(_core(request).call, action)


@router.get("/employees/{employee_id}/badges", response_model=list[model_for(BadgeView)])  # type: ignore[misc]
def employee_badges(
    employee_id: str, caller: Annotated[Caller, Depends(allow(*SEES_EMPLOYEES))]
) -> Any:
    """The employee's badges, newest first (who may see them: as for status)."""
    caller.check(lambda access, who: access.employee(who, employee_id))
    return caller.read(lambda s: s.badges.of_employee(employee_id))


@public.get("/.well-known/did.json")
async def did_document(request: Request) -> Response:
    """The issuer's did:web DID document: every signing key, retired ones too."""
    document = await _call(request, lambda s: s.issuer.did_document())
    return JSONResponse(document, media_type="application/did+json")


@public.get("/badges/status/{number}/{purpose}")
async def status_list(request: Request, number: int, purpose: str) -> Response:
    """A signed ``BitstringStatusListCredential`` (purpose ``revocation`` or ``suspension``)."""
    document = await _call(request, lambda s: s.badges.status_list(number, purpose))
    return JSONResponse(document, media_type=LD_JSON, headers={"Cache-Control": "max-age=300"})


@public.get("/badges/{badge_id}.png")
async def badge_png(request: Request, badge_id: str) -> Response:
    """The badge's image with the signed credential baked in."""
    rendered = await _call(request, lambda s: s.badges.render(badge_id, "png"))
    return Response(rendered.content, media_type="image/png")


@public.get("/badges/{badge_id}.json")
async def badge_json(request: Request, badge_id: str) -> Response:
    """The signed credential as JSON-LD, whatever the Accept header (a download link)."""
    rendered = await _call(request, lambda s: s.badges.render(badge_id, "json"))
    return Response(rendered.content, media_type=LD_JSON)


@public.get("/badges/{badge_id}")
async def badge(request: Request, badge_id: str) -> Response:
    """The badge: JSON-LD (``Accept: application/ld+json`` or ``application/json``), the baked
    PNG (``image/png``) or, for a browser (``text/html``), a page with its QR code."""
    wanted = _preferred(request.headers.get("accept", ""))
    if wanted == "image/png":
        rendered = await _call(request, lambda s: s.badges.render(badge_id, "png"))
        return Response(rendered.content, media_type="image/png")
    if wanted == "text/html":
        page = await _call(request, lambda s: _page(s, badge_id))
        return HTMLResponse(page)
    rendered = await _call(request, lambda s: s.badges.render(badge_id, "json"))
    return Response(rendered.content, media_type=LD_JSON)


def _preferred(accept: str) -> str:
    """The first of JSON-LD, JSON, PNG or HTML in the Accept header's order of preference."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept.split(",")):
        media, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranked.append((-quality, position, media.strip().lower()))
    for _, _, media in sorted(ranked):
        if media in (LD_JSON, "application/json"):
            return LD_JSON
        if media in ("image/png", "text/html"):
            return media
    return LD_JSON


def _page(services: Services, badge_id: str) -> str:
    reader: BadgeReader = services.badges
    found = reader.badge(badge_id)
    view = BadgeView.of(found, services.app.now())
    document = found.document
    qr = base64.b64encode(services.badges.render(badge_id, "qr").content).decode()
    achievement = document["credentialSubject"]["achievement"]
    issuer = document["issuer"]
    rows = [
        ("Issued by", f"{issuer.get('name', '')} ({issuer.get('id', '')})"),
        ("Status", view.status),
        ("Valid from", document.get("validFrom", "")),
        ("Valid until", document.get("validUntil", "")),
        ("Badge id", view.badge_id),
    ]
    table = "".join(
        f"<tr><th scope='row'>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(achievement['name'])}</title></head><body><main>"
        f"<h1>{escape(achievement['name'])}</h1>"
        f"<p>{escape(achievement.get('description', ''))}</p>"
        f"<table>{table}</table>"
        f"<p><img src='data:image/png;base64,{qr}' width='200' height='200' "
        f"alt='QR code of this badge&#39;s address, {escape(view.url)}'></p>"
        f"<p><a href='{escape(view.badge_id)}.png' download>Download the badge (PNG)</a></p>"
        "<p>Anyone can check this badge: <code>POST /verify</code> with its JSON or PNG.</p>"
        "</main></body></html>"
    )


@public.post("/verify")
async def verify(request: Request) -> Response:
    """Verify a credential: its JSON, a baked PNG or SVG as the body; or JSON
    ``{"credential": …, "issuer_documents": […], "status_lists": […]}``. Answers the checks
    and ``verified``; 413 over 5 MiB."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > UPLOAD_LIMIT:
        return _too_large()
    body = bytearray()
    async for part in request.stream():
        body += part
        if len(body) > UPLOAD_LIMIT:
            return _too_large()
    data, dids, lists = _unwrap(bytes(body))
    report = await _call(request, lambda s: s.verifier.verify(data, dids, lists))
    return JSONResponse(report.as_dict())


def _unwrap(body: bytes) -> tuple[bytes, list[dict[str, Any]], list[dict[str, Any]]]:
    if not body.lstrip().startswith(b"{"):
        return body, [], []
    try:
        parsed = json.loads(body)
    except ValueError:
        return body, [], []
    if not isinstance(parsed, dict) or "credential" not in parsed or "@context" in parsed:
        return body, [], []
    dids, lists = parsed.get("issuer_documents", []), parsed.get("status_lists", [])
    if not isinstance(dids, list) or not isinstance(lists, list):
        raise InvalidValue("issuer_documents and status_lists are lists of JSON objects")
    credential = parsed["credential"]
    data = credential.encode() if isinstance(credential, str) else json.dumps(credential).encode()
    return data, [d for d in dids if isinstance(d, dict)], [s for s in lists if isinstance(s, dict)]


def _too_large() -> Response:
    return problem("payload_too_large", f"over {UPLOAD_LIMIT // (1024 * 1024)} MiB", status=413)
