"""The portal in English and French (Ontario): one catalogue, complete; the language chosen by
the person (kept in a cookie) or by the browser."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from carepassport.adapters.clocks import SettableClock
from carepassport.application.services import Services
from carepassport.entrypoints.http import create_app
from carepassport.entrypoints.web import pages
from carepassport.entrypoints.web.i18n import LOCALES
from tests.conftest import toronto
from tests.integration.test_portal import sign_in

WEB = Path(pages.__file__).parent
SINGULAR = re.compile(r"""(?<![A-Za-z])_\((["'])(.+?)\1""")
PLURAL = re.compile(r'ngettext\("([^"]*)", "([^"]*)"')


def catalogue() -> dict[str, object]:
    with (LOCALES / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return {m.id if isinstance(m.id, str) else m.id[0]: m.string for m in read_po(po) if m.id}


def used_messages() -> set[str]:
    """Every message the templates ask for, and the labels and refusals the pages give them."""
    found: set[str] = set()
    for template in (WEB / "templates").glob("*.html"):
        text = template.read_text("utf-8")
        found |= {m.group(2) for m in SINGULAR.finditer(text)}
        found |= {m.group(1) for m in PLURAL.finditer(text)}
    found |= set(pages.STATE_LABELS.values()) | set(pages.TRANSLATED)
    return found


def test_every_message_of_the_portal_has_a_french_translation() -> None:
    french = catalogue()

    missing = sorted(m for m in used_messages() if not french.get(m))

    assert used_messages(), "no message found: the extraction is broken"
    assert missing == []


@pytest.fixture
def portal(college: Services) -> TestClient:
    app = create_app(lambda: college)
    return TestClient(app, raise_server_exceptions=False, follow_redirects=False)


def test_a_french_browser_gets_the_pages_in_french(portal: TestClient) -> None:
    page = portal.get("/portal/sign-in", headers={"Accept-Language": "fr-CA,fr;q=0.9"})

    assert '<html lang="fr">' in page.text
    assert "Se connecter" in page.text and "Sign in with the token" not in page.text


def test_an_english_browser_gets_the_pages_in_english(portal: TestClient) -> None:
    page = portal.get("/portal/sign-in", headers={"Accept-Language": "en-CA"})

    assert '<html lang="en">' in page.text and "Sign in with the token" in page.text


def test_the_language_a_person_chooses_is_kept_for_the_next_pages(
    portal: TestClient, college: Services
) -> None:
    sign_in(portal, college, "employee", "E1")

    chosen = portal.get("/portal?lang=fr")
    later = portal.get("/portal")
    back = portal.get("/portal?lang=en")

    assert "Mes exigences" in chosen.text and "Mes exigences" in later.text
    assert "My requirements" in back.text


def test_a_refusal_is_shown_in_the_chosen_language(portal: TestClient) -> None:
    answer = portal.post(
        "/portal/sign-in?lang=fr", data={"token": "nope"}, headers={"Accept-Language": "fr"}
    )

    assert answer.status_code == 401 and "Ce jeton n'est pas valide." in html.unescape(answer.text)


def test_dates_and_times_read_as_people_read_them_in_each_language(
    portal: TestClient, college: Services, clock: SettableClock
) -> None:
    clock.set(toronto(2026, 4, 7, 14, 5))
    sign_in(portal, college, "employee", "E1")

    english = portal.get("/portal?lang=en").text
    french = portal.get("/portal?lang=fr").text

    spaced = {ord("\u202f"): " ", ord("\xa0"): " "}  # CLDR's no-break spaces
    assert "Apr 7, 2026 2:05 p.m." in english.translate(spaced)
    assert "7 avr. 2026 14 h 05" in html.unescape(french).translate(spaced)
