"""No portal page reflects unescaped input: every form of every page each role reaches is
submitted with markup in each of its fields in turn (the others empty), and no answer, nor the
page it leads to, holds the markup as sent (nor fails)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.lms.memory import InMemoryLms
from carepassport.application.services import Services
from tests.conftest import toronto
from tests.integration.helpers import complete
from tests.integration.test_portal import portal, psw, sign_in

__all__ = ["portal", "psw"]  # the portal's fixtures, shared

PAYLOAD = '<script>alert("x")</script>"><img src=x onerror=alert(1)>'
MINIMUM_FORMS = {"employee": 1, "approver": 3, "college": 6, "auditor": 2}
ROLES = [("employee", "E1"), ("approver", "SUNNY"), ("college", "registrar"), ("auditor", "audit")]


class Forms(HTMLParser):
    """The forms of a page (method, action, field names) and the portal links in it."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, str, list[str]]] = []
        self.links: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form":
            self.forms.append(
                ((found.get("method") or "get").lower(), found.get("action") or "", [])
            )
        elif tag in ("input", "select", "textarea") and self.forms and found.get("name"):
            self.forms[-1][2].append(found["name"] or "")
        elif tag == "a" and (found.get("href") or "").startswith("/portal"):
            self.links.add((found.get("href") or "").split("?")[0])


def forms_of(portal: TestClient, path: str) -> Forms:
    parsed = Forms()
    parsed.feed(portal.get(path).text)
    return parsed


@pytest.mark.parametrize(("role", "subject"), ROLES)
def test_no_field_of_any_form_is_reflected_unescaped(
    portal: TestClient,
    psw: Services,
    clock: SettableClock,
    lms: InMemoryLms,
    role: str,
    subject: str,
) -> None:
    complete(psw, clock, lms, "IPAC", toronto(2026, 4, 7, 14, 0))
    clock.set(toronto(2027, 4, 20, 10, 0))  # IPAC expired: the employee may ask for a renewal
    psw.sponsorships.request("E1", ["WHMIS"])  # and the approver has a request to answer
    csrf = sign_in(portal, psw, role, subject)
    pages = {"/portal"} | forms_of(portal, "/portal").links
    submitted = 0
    for path in sorted(pages - {"/portal/compliance.csv"}):
        for method, action, fields in forms_of(portal, path).forms:
            if action == "/portal/sign-out":
                continue
            for field in [name for name in fields if name != "csrf"] or ["csrf"]:
                data = {name: csrf if name == "csrf" else "" for name in fields}
                data[field] = PAYLOAD
                answer = (
                    portal.post(action, data=data)
                    if method == "post"
                    else portal.get(action, params=data)
                )
                moved = answer.status_code == 303
                followed = portal.get(answer.headers["location"]) if moved else answer
                for shown in (answer, followed):
                    assert shown.status_code < 500, (action, field, shown.text[:300])
                    assert PAYLOAD not in shown.text, (action, field)
                    assert "<script>" not in shown.text, (action, field)
            submitted += 1
    assert submitted >= MINIMUM_FORMS[role], f"only {submitted} forms found for {role}"
