"""The college administrator's pages (decisions with a reason, the outbox and its retry button,
the last syncs, the settings) and the auditor's checkpoints and recorded verifications."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.lms.memory import InMemoryLms
from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.application.services import Services
from tests.conftest import APPROVER, toronto
from tests.integration.helpers import complete, footprint
from tests.integration.test_outbox_delivery import abandoned_requests
from tests.integration.test_portal import portal, psw, sign_in

__all__ = ["portal", "psw"]  # the portal's fixtures, shared


def credential_state(services: Services, code: str = "IPAC") -> str:
    (found,) = [c for c in services.statuses.of_employee("E1").credentials if c.code == code]
    return found.state


class TestDecisions:
    def test_the_college_suspends_a_credential_with_a_reason(
        self, portal: TestClient, psw: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        complete(psw, clock, lms, "IPAC", toronto(2026, 4, 7, 14, 0))
        csrf = sign_in(portal, psw, "college", "registrar")
        assert "IPAC" in portal.get("/portal/decisions?employee=E1").text

        answer = portal.post(
            "/portal/decisions",
            data={"csrf": csrf, "employee": "E1", "code": "IPAC", "decision": "suspend",
                  "reason": "complaint under review"},
        )  # fmt: skip

        assert answer.status_code == 303
        assert answer.headers["location"] == "/portal/decisions?employee=E1"
        assert credential_state(psw) == "suspended"
        assert "Suspended" in portal.get("/portal/decisions?employee=E1").text

    def test_a_decision_without_a_reason_is_refused_and_records_nothing(
        self, portal: TestClient, psw: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        complete(psw, clock, lms, "IPAC", toronto(2026, 4, 7, 14, 0))
        csrf = sign_in(portal, psw, "college", "registrar")
        before = footprint(psw)

        answer = portal.post(
            "/portal/decisions",
            data={"csrf": csrf, "employee": "E1", "code": "IPAC", "decision": "revoke",
                  "reason": "  "},
        )  # fmt: skip

        assert answer.status_code == 400 and "needs a reason" in answer.text
        assert footprint(psw) == before and credential_state(psw) == "valid"

    def test_an_unknown_decision_is_refused(
        self, portal: TestClient, psw: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        complete(psw, clock, lms, "IPAC", toronto(2026, 4, 7, 14, 0))
        csrf = sign_in(portal, psw, "college", "registrar")

        answer = portal.post(
            "/portal/decisions",
            data={"csrf": csrf, "employee": "E1", "code": "IPAC", "decision": "delete",
                  "reason": "why not"},
        )  # fmt: skip

        assert answer.status_code == 400 and credential_state(psw) == "valid"

    def test_an_approver_cannot_record_a_decision(
        self, portal: TestClient, psw: Services, clock: SettableClock, lms: InMemoryLms
    ) -> None:
        complete(psw, clock, lms, "IPAC", toronto(2026, 4, 7, 14, 0))
        csrf = sign_in(portal, psw, "approver", "SUNNY")

        answer = portal.post(
            "/portal/decisions",
            data={"csrf": csrf, "employee": "E1", "code": "IPAC", "decision": "revoke",
                  "reason": "no"},
        )  # fmt: skip

        assert answer.status_code == 403 and credential_state(psw) == "valid"


class TestOutbox:
    def test_an_abandoned_message_is_listed_as_failing_and_retried_with_the_button(
        self, portal: TestClient, psw: Services, mailer: InMemoryMailer, clock: SettableClock
    ) -> None:
        abandoned_requests(psw, mailer, clock)
        csrf = sign_in(portal, psw, "college", "registrar")
        failing = portal.get("/portal/outbox?failing=1").text
        assert "Abandoned after 8 attempts" in failing and "simulated mail outage" in failing
        (message,) = {
            m.message_id for m in psw.outbox.messages(APPROVER) if m.abandoned_at is not None
        }
        assert f'name="message" value="{html.escape(message)}"' in failing

        answer = portal.post("/portal/outbox/retry", data={"csrf": csrf, "message": message})

        assert answer.status_code == 303
        (entry,) = [m for m in psw.outbox.messages(APPROVER) if m.message_id == message]
        assert entry.sent_at is not None and entry.abandoned_at is None
        assert message in {m.message_id for m in mailer.sent}

    def test_the_outbox_shows_sent_messages_with_when(
        self, portal: TestClient, psw: Services
    ) -> None:
        psw.sponsorships.request("E1", ["IPAC"])
        sign_in(portal, psw, "college", "registrar")

        page = portal.get("/portal/outbox").text

        assert len(re.findall(r"Sent [A-Z][a-z]{2} \d+, 20\d\d", page)) == 2 and APPROVER in page


def test_the_syncs_page_lists_each_midnight_sync_with_what_it_took(
    portal: TestClient, psw: Services, clock: SettableClock, lms: InMemoryLms
) -> None:
    complete(psw, clock, lms, "IPAC", toronto(2026, 4, 7, 14, 0))
    sign_in(portal, psw, "college", "registrar")

    page = portal.get("/portal/syncs").text

    taken = re.findall(r"<td>midnight</td><td>(\d+)</td>", page)
    assert taken and sum(map(int, taken)) == 1
    assert [r.taken for r in psw.sync.recent()][: len(taken)] == list(map(int, taken))


class TestSettings:
    def test_the_college_changes_a_setting_from_the_form(
        self, portal: TestClient, psw: Services
    ) -> None:
        csrf = sign_in(portal, psw, "college", "registrar")
        version = psw.reference.show_settings().version

        answer = portal.post(
            "/portal/settings", data={"csrf": csrf, "key": "reminder_days", "value": "45,7"}
        )

        settings = psw.reference.show_settings()
        assert answer.status_code == 303 and settings.version == version + 1
        assert settings.reminder_days == [45, 7]
        assert "45, 7" in portal.get("/portal/settings").text

    def test_a_bad_setting_value_is_refused_and_changes_nothing(
        self, portal: TestClient, psw: Services
    ) -> None:
        csrf = sign_in(portal, psw, "college", "registrar")
        before = psw.reference.show_settings()

        answer = portal.post(
            "/portal/settings", data={"csrf": csrf, "key": "reminder_days", "value": "soon"}
        )

        assert answer.status_code == 400 and psw.reference.show_settings() == before


class TestAudit:
    def test_an_auditor_verifies_the_log_and_the_result_is_recorded(
        self, portal: TestClient, psw: Services
    ) -> None:
        csrf = sign_in(portal, psw, "auditor", "audit")
        assert "has not been verified here yet" in portal.get("/portal/audit").text

        answer = portal.post("/portal/audit/verify", data={"csrf": csrf})

        page = portal.get("/portal/audit").text
        (verification,) = psw.audit.trail().verifications
        assert answer.status_code == 303 and verification.verified
        assert verification.by == "auditor:audit" and verification.size > 0
        assert "match every checkpoint" in page and "No checkpoint has been made yet" in page

    def test_an_employee_cannot_verify_the_log(self, portal: TestClient, psw: Services) -> None:
        csrf = sign_in(portal, psw, "employee", "E1")

        answer = portal.post("/portal/audit/verify", data={"csrf": csrf})

        assert answer.status_code == 403 and psw.audit.trail().verifications == []


def test_the_outbox_is_searched_by_recipient_subject_or_kind(
    portal: TestClient, psw: Services
) -> None:
    psw.sponsorships.request("E1", ["IPAC"])
    sign_in(portal, psw, "college", "registrar")

    found = portal.get("/portal/outbox", params={"q": APPROVER.upper()}).text
    none = portal.get("/portal/outbox", params={"q": "no such thing"}).text

    assert found.count(f"<td>{APPROVER}</td>") == 1 and "1 message" in found
    assert "Nothing to show." in none
