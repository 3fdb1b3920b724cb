"""The portal in a real browser (Playwright driving Debian's chromium) against a real
``carepassport serve``: the journeys people make, axe-core on every page (no serious or
critical WCAG 2.2 AA violation), the keyboard alone, and screenshots for the README.

Without chromium or Playwright the tests are skipped, except in CI (``CI`` set), where they
fail: ``.ci/run`` installs both."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest

from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.bootstrap import bootstrap
from carepassport.domain.values import EmployeeId
from tests.conftest import toronto
from tests.integration.cli_helpers import APPROVER, Cli
from tests.integration.live_server import live_server

ROOT = Path(__file__).parents[2]
AXE = ROOT / "tests" / "js" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
HEADER = "record_id,student_number,credential_code,attempt,score,passed,attempted_at\n"
NOW = "2027-07-26T10:00"
"""A year after E1 passed IPAC: it has expired."""


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed"
    if CHROMIUM is None:
        return "chromium is not installed (apt-get install chromium)"
    if not AXE.exists():
        return "axe-core is not installed (cd tests/js && npm ci)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    problem = _missing()
    if problem:
        if _in_ci():
            raise RuntimeError(f"CI needs the browser tests' tools: {problem}")
        pytest.skip(f"SKIPPING BROWSER TESTS: {problem}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """A SQLite store: E1 (a PSW, IPAC required) passed IPAC a year before ``NOW``; a result
    for an unknown student number waits for the college."""
    monkeypatch.chdir(tmp_path)
    cp = Cli(f"sqlite:///{tmp_path / 'cp.db'}")
    at = "2026-07-01T09:00"
    cp.run("settings", "set", "college_email", "registrar@college.example", now=at)
    cp.run("catalog", "add", "IPAC", "--title", "Infection Prevention and Control", now=at)
    cp.run("employers", "add", "SUNNY", "--name", "Sunny LTC", "--approver", APPROVER, now=at)
    for employee, number in (("E1", "C0912345"), ("E2", "C0912346")):
        cp.run(
            "employees", "add", employee, "--employer", "SUNNY",
            "--email", f"{employee.lower()}@example.org", "--student-number", number, now=at,
        )  # fmt: skip
    cp.run("jobfunctions", "add", "PSW", "--requires", "IPAC", now=at)
    cp.run("employees", "assign-job-function", "E1", "PSW", now=at)
    cp.run("register", "E1", "IPAC", "--self-pay", now="2026-07-20T10:00")
    results = tmp_path / "r.csv"
    results.write_text(
        HEADER
        + "R1,C0912345,IPAC,1,90,true,2026-07-21T16:00\n"
        + "R2,C0999999,IPAC,1,80,true,2026-07-21T16:30\n"
    )
    cp.run("lms", "import", str(results), now="2026-07-21T20:00")
    cp.run("tick", now="2026-07-23T10:30")
    return cp


def token(cp: Cli, role: str, subject: str) -> str:
    issued: dict[str, str] = cp.run("tokens", "issue", role, subject)
    return issued["token"]


def shows(page: Any, text: str) -> None:
    """Wait until the page's main content holds ``text`` (a boosted form swaps it in)."""
    expect(page.locator("main")).to_contain_text(text)


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


CONTROLS = (
    "[...document.querySelectorAll('main input:not([type=hidden]), main select, main button,"
    " main textarea, main a[href]')].filter(e => e.offsetParent !== null)"
)


def check_keyboard(page: Any) -> None:
    """Tab alone reaches every control of the page's main content."""
    controls = page.evaluate(f"() => {CONTROLS}.length")
    reached = set()
    page.locator("body").focus()
    for _ in range(controls + 30):
        page.keyboard.press("Tab")
        reached.add(page.evaluate(f"() => {CONTROLS}.indexOf(document.activeElement)"))
    reached.discard(-1)
    assert len(reached) == controls, f"Tab reached {len(reached)} of {controls} controls"


def check_accessible(page: Any, name: str) -> None:
    """axe-core on the page: no serious or critical violation; and a screenshot."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        "async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a',"
        " 'wcag21aa', 'wcag22aa']})).violations"
    )
    bad = [v for v in found if v["impact"] in ("serious", "critical")]
    assert bad == [], json.dumps(bad, indent=1)[:3000]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(browser: Any, base: str, secret: str) -> Any:
    context = browser.new_context(bypass_csp=True)  # only so axe-core can be injected
    page = context.new_page()
    page.goto(f"{base}/portal")
    check_accessible(page, "sign-in")
    page.fill("#token", secret)
    page.keyboard.press("Enter")  # the keyboard alone
    page.wait_for_url(f"{base}/portal")
    return page


def sign_in_by_email(browser: Any, base: str, address: str, outbox: Path) -> Any:
    """Ask for a link, find it in the mail the server wrote, open it and use it."""
    page = browser.new_context(bypass_csp=True).new_page()
    page.goto(f"{base}/portal/sign-in")
    page.fill("#email", address)
    page.get_by_role("button", name="Send me a sign-in link").click()
    shows(page, "Check your e-mail")
    check_accessible(page, "sign-in-link-sent")
    mail = "".join(
        message.get_content()
        for p in sorted(outbox.glob("*.eml"))
        for message in [BytesParser(policy=policy.default).parsebytes(p.read_bytes())]
        if isinstance(message, EmailMessage)
    )
    (link,) = re.findall(rf"{re.escape(base)}/portal/sign-in/[A-Za-z0-9_-]+", mail)
    page.goto(link)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/portal")
    return page


def test_an_employee_asks_and_the_approver_approves_with_the_button(
    browser: Any, store: Cli, tmp_path: Path
) -> None:
    approver = token(store, "approver", "SUNNY")
    with live_server(store.url, "--tick-every", "0", now=NOW) as (base, _):
        page = sign_in_by_email(browser, base, "e1@example.org", tmp_path / "cp.outbox")
        assert "Expired" in page.inner_text("main")
        check_accessible(page, "employee-requirements")
        page.get_by_role("button", name="Ask my employer to sponsor").click()
        shows(page, "requested")

        desk = sign_in(browser, base, approver)
        check_accessible(desk, "approver-requests")
        desk.get_by_role("button", name="Approve").click()
        shows(desk, "No request is waiting")

    services = bootstrap(store.url, mailer=InMemoryMailer(), now=toronto(2027, 7, 26, 11, 0))
    try:
        (asked,) = services.sponsorships.of_employee(EmployeeId("E1"))
        assert (list(asked.credentials), asked.status.value) == (["IPAC"], "approved")
    finally:
        services.close()


def test_the_whole_renewal_from_the_request_to_the_published_credential(
    browser: Any, store: Cli, tmp_path: Path
) -> None:
    """Asked and approved in the browser; the clock moves (the server restarted at a later
    ``--now``, the scheduler ticked between); registered with the button; a result comes in;
    the credential shows as published and valid."""
    employee, approver = token(store, "employee", "E1"), token(store, "approver", "SUNNY")
    with live_server(store.url, "--tick-every", "0", now=NOW) as (base, _):
        page = sign_in(browser, base, employee)
        page.get_by_role("button", name="Ask my employer to sponsor").click()
        shows(page, "requested")
        desk = sign_in(browser, base, approver)
        desk.get_by_role("button", name="Approve").click()
        shows(desk, "No request is waiting")
    store.run("tick", now="2027-07-27T09:30")  # R4: enabled at 09:00 the next business day
    with live_server(store.url, "--tick-every", "0", now="2027-07-27T09:45") as (base, _):
        page = sign_in(browser, base, employee)
        page.locator('nav a[href="/portal/credentials"]').click()
        page.get_by_role("button", name="Register in IPAC").click()
        expect(page.locator("main")).not_to_contain_text("Register in IPAC")
    store.run("tick", now="2027-07-27T12:00")
    results = tmp_path / "renewal.csv"
    results.write_text(HEADER + "R3,C0912345,IPAC,1,92,true,2027-07-27T15:00\n")
    store.run("lms", "import", str(results), now="2027-07-27T16:00")
    store.run("tick", now="2027-07-29T10:30")  # the midnight sync, then publication at 10:00
    with live_server(store.url, "--tick-every", "0", now="2027-07-29T11:00") as (base, _):
        page = sign_in(browser, base, employee)
        page.locator('nav a[href="/portal/credentials"]').click()
        page.wait_for_url(f"{base}/portal/credentials")
        shown = page.inner_text("main")
        check_accessible(page, "employee-credential-published")

    assert "IPAC: Valid" in shown and "Published" in shown and "Valid until Jul 2" in shown


def test_the_college_fixes_an_unmatched_result_from_the_list(browser: Any, store: Cli) -> None:
    college = token(store, "college", "registrar")
    with live_server(store.url, "--tick-every", "0", now=NOW) as (base, _):
        page = sign_in(browser, base, college)
        assert "C0999999" in page.inner_text("main")
        check_accessible(page, "college-unmatched-results")
        page.fill("#employee", "E2")
        page.fill("#student_number", "C0999999")
        page.get_by_role("button", name="Set the student number").click()
        shows(page, "No result is waiting")

        assert "No result is waiting" in page.inner_text("main")


def test_an_employee_cannot_open_another_employees_page(browser: Any, store: Cli) -> None:
    employee = token(store, "employee", "E1")
    with live_server(store.url, "--tick-every", "0", now=NOW) as (base, _):
        page = sign_in(browser, base, employee)
        answer = page.goto(f"{base}/portal/employees/E2")

        assert answer is not None and answer.status == 404
        assert "not found" in page.inner_text("main") and "Traceback" not in page.content()
        check_accessible(page, "not-found")


PAGES = [
    ("employee", "E1", "/portal/credentials", "employee-credentials"),
    ("employee", "E1", "/portal/matches", "employee-matches"),
    ("approver", "SUNNY", "/portal/compliance", "approver-compliance"),
    ("approver", "SUNNY", "/portal/trend", "approver-trend"),
    ("approver", "SUNNY", "/portal/expiring", "approver-expiring"),
    ("approver", "SUNNY", "/portal/calendar", "approver-calendar"),
    ("approver", "SUNNY", "/portal/skills-gap", "approver-skills-gap"),
    ("approver", "SUNNY", "/portal/vacancies", "approver-vacancies"),
    ("auditor", "audit", "/portal", "auditor-home"),
    ("auditor", "audit", "/portal/history", "auditor-history"),
    ("auditor", "audit", "/portal/audit", "auditor-audit-log"),
    ("college", "registrar", "/portal/decisions", "college-decisions"),
    ("college", "registrar", "/portal/outbox", "college-outbox"),
    ("college", "registrar", "/portal/syncs", "college-syncs"),
    ("college", "registrar", "/portal/settings", "college-settings"),
]


def test_every_page_passes_axe_is_reached_from_the_navigation_and_works_by_keyboard(
    browser: Any, store: Cli
) -> None:
    tokens = {(role, subject): token(store, role, subject) for role, subject, _, _ in PAGES}
    with live_server(store.url, "--tick-every", "0", now=NOW) as (base, _):
        for role, subject, path, name in PAGES:
            page = sign_in(browser, base, tokens[(role, subject)])
            if path != "/portal":
                page.locator(f'nav a[href="{path}"]').click()
                page.wait_for_url(f"{base}{path}")
            check_accessible(page, name)
            check_keyboard(page)
            page.context.close()
        page = sign_in(browser, base, tokens[("employee", "E1")])
        page.get_by_role("link", name="Français").click()  # the person's choice, kept
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        assert "Mes exigences" in page.inner_text("main")
        check_accessible(page, "employee-requirements-fr")


def test_with_javascript_htmx_swaps_pages_in_place_under_the_strict_csp(
    browser: Any, store: Cli
) -> None:
    approver = token(store, "approver", "SUNNY")
    with live_server(store.url, "--tick-every", "0", now=NOW) as (base, _):
        context = browser.new_context()  # the CSP enforced, as for people
        page = context.new_page()
        refused: list[str] = []
        page.on(
            "console", lambda m: refused.append(m.text) if "Content Security" in m.text else None
        )
        page.goto(f"{base}/portal/sign-in")
        page.fill("#token", approver)
        page.keyboard.press("Enter")
        page.wait_for_url(f"{base}/portal")
        page.evaluate("window.sameDocument = true")

        page.locator('nav a[href="/portal/expiring"]').click()
        page.wait_for_url(f"{base}/portal/expiring")
        shows(page, "Who expires in the next 30 days")

        assert page.evaluate("window.sameDocument === true && typeof htmx === 'object'")
        assert page.title().startswith("Expiring soon")
        assert refused == []
        context.close()


def test_without_javascript_every_form_still_works(browser: Any, store: Cli) -> None:
    employee, approver = token(store, "employee", "E1"), token(store, "approver", "SUNNY")
    with live_server(store.url, "--tick-every", "0", now=NOW) as (base, _):
        for secret, button, after in (
            (employee, "Ask my employer to sponsor", "requested"),
            (approver, "Decline", "No request is waiting"),
        ):
            context = browser.new_context(java_script_enabled=False)
            page = context.new_page()
            page.goto(f"{base}/portal/sign-in")
            page.fill("#token", secret)
            page.keyboard.press("Enter")
            page.wait_for_url(f"{base}/portal")
            page.get_by_role("button", name=button).click()
            page.wait_for_url(f"{base}/portal")
            shows(page, after)
            context.close()
