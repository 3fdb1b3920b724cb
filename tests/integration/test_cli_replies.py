"""``carepassport mail receive``: approvers' replies from .eml files or standard input."""

from __future__ import annotations

import json
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from uuid import UUID

import pytest

from carepassport.entrypoints.cli import cli
from tests.conftest import APPROVAL_SECRET, REPLY_DOMAIN
from tests.integration.cli_helpers import APPROVER, Cli
from tests.integration.reply_helpers import TOKENS, reply


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAREPASSPORT_APPROVAL_SECRET", APPROVAL_SECRET)
    monkeypatch.setenv("CAREPASSPORT_REPLY_DOMAIN", REPLY_DOMAIN)


def requested(cp: Cli) -> UUID:
    result = cp.run("sponsorships", "request", "E1", "IPAC", now="2026-04-01T10:00")
    return UUID(result["sponsorship_id"])


def eml(tmp_path: Path, name: str, raw: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(raw)
    return str(path)


@pytest.mark.usefixtures("secret")
class TestMailReceive:
    def test_outbox_shows_the_reply_to_address_of_each_request(self, cp: Cli) -> None:
        sid = requested(cp)

        outbox = cp.run("mail", "outbox", "--to", APPROVER)

        assert [m["reply_to"] for m in outbox] == [TOKENS.reply_to(sid)]
        written = next(cp.outbox.glob("*.eml")).read_bytes()
        assert message_from_bytes(written, policy=default)["Reply-To"] == TOKENS.reply_to(sid)

    def test_a_yes_reply_file_approves_and_reading_it_again_changes_nothing(
        self, cp: Cli, tmp_path: Path
    ) -> None:
        sid = requested(cp)
        path = eml(tmp_path, "yes.eml", reply(sid, "Yes.", sender=APPROVER))

        first = cp.run("mail", "receive", path, now="2026-04-02T15:00")
        events = cp.events()
        again = cp.run("mail", "receive", path, now="2026-04-02T15:05")

        assert [(o["outcome"], o["origin"]) for o in first] == [("approved", path)]
        assert [o["outcome"] for o in again] == ["duplicate"]
        assert cp.events() == events
        shown = cp.run("sponsorships", "show", str(sid), now="2026-04-02T16:00")
        assert (shown["status"], shown["self_registration_at"]) == (
            "approved",
            "2026-04-06T09:00:00-04:00",
        )

    def test_a_reply_on_standard_input_is_read(self, cp: Cli) -> None:
        sid = requested(cp)
        options = ["--store", cp.url, "--json", "--now", "2026-04-02T15:00"]

        result = cp.runner.invoke(
            cli, [*options, "mail", "receive", "-"], input=reply(sid, "NO", sender=APPROVER)
        )

        assert result.exit_code == 0, result.output
        assert [o["outcome"] for o in json.loads(result.stdout)] == ["declined"]

    def test_a_refused_reply_is_listed_with_its_reasons_and_exits_zero(
        self, cp: Cli, tmp_path: Path
    ) -> None:
        sid = requested(cp)
        unclear = eml(tmp_path, "a.eml", reply(sid, "maybe", sender=APPROVER, message_id="<a@x>"))
        spoofed = eml(tmp_path, "b.eml", reply(sid, "YES", sender="x@evil.example"))

        outcomes = cp.run("mail", "receive", unclear, spoofed, now="2026-04-02T15:00")

        assert [(o["outcome"], o["reasons"], o["answered"]) for o in outcomes] == [
            ("refused", ["unclear_answer"], [APPROVER]),
            ("refused", ["not_an_approver"], [APPROVER]),
        ]
        kinds = [m["kind"] for m in cp.run("mail", "outbox", "--to", APPROVER)]
        assert kinds == ["approval_request", "approval_reply_refused", "approval_reply_refused"]

    def test_the_inbound_sources_failed_verdict_refuses(self, cp: Cli, tmp_path: Path) -> None:
        sid = requested(cp)
        path = eml(tmp_path, "yes.eml", reply(sid, "YES", sender=APPROVER))

        outcomes = cp.run(
            "mail", "receive", path, "--authentication", "dmarc=fail", now="2026-04-02T15:00"
        )

        assert outcomes[0]["reasons"] == ["authentication_failed"]

    def test_a_missing_file_is_a_usage_error(self, cp: Cli, tmp_path: Path) -> None:
        result = cp.run("mail", "receive", str(tmp_path / "nope.eml"), ok=False)

        assert result.exit_code == 2


def test_mail_receive_refuses_to_start_without_a_secret(
    cp: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CAREPASSPORT_APPROVAL_SECRET", raising=False)
    sid = requested(cp)
    path = eml(tmp_path, "yes.eml", reply(sid, "YES", sender=APPROVER))
    before = cp.events()

    result = cp.run("mail", "receive", path, now="2026-04-02T15:00", ok=False)

    assert result.exit_code == 1
    assert json.loads(result.stderr)["error"] == "not_configured"
    assert cp.events() == before
