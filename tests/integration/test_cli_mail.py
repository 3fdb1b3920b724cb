"""The CLI's --mail option (and CAREPASSPORT_MAIL) with a real SMTP server on loopback."""

from __future__ import annotations

from click.testing import CliRunner

from carepassport.entrypoints.cli import cli
from tests.integration.cli_helpers import APPROVER, Cli
from tests.integration.smtp_server import SmtpServer


class TestMailOption:
    def test_mail_named_in_the_environment_goes_to_the_smtp_server_not_to_eml_files(
        self, cp: Cli, smtp_server: SmtpServer
    ) -> None:
        cp.env["CAREPASSPORT_MAIL"] = f"{smtp_server.url}?from=registrar@college.example"

        cp.run("sponsorships", "request", "E1", "IPAC", now="2026-04-01T10:00")

        (message,) = smtp_server.messages
        (entry,) = cp.run("mail", "outbox", "--to", APPROVER)
        assert message["Message-ID"] == entry["message_id"]
        assert message["From"] == "registrar@college.example"
        assert (entry["sent_at"], entry["attempts"]) == ("2026-04-01T10:00:00-04:00", 1)
        assert not cp.outbox.exists()

    def test_outbox_shows_attempts_error_and_next_attempt_while_the_server_is_down(
        self, cp: Cli, smtp_server: SmtpServer
    ) -> None:
        smtp_server.stop()
        mail = ["--mail", smtp_server.url]

        cp.run(*mail, "sponsorships", "request", "E1", "IPAC", now="2026-04-01T10:00")

        (entry,) = cp.run("mail", "outbox", "--to", APPROVER)
        assert entry["sent_at"] is None and entry["abandoned"] is False
        assert entry["attempts"] == 1
        assert entry["next_attempt_at"] == "2026-04-01T10:05:00-04:00"
        assert "Connection refused" in entry["last_error"]

    def test_a_tick_after_the_server_is_back_delivers_once_and_later_ticks_do_not_resend(
        self, cp: Cli, smtp_server: SmtpServer
    ) -> None:
        smtp_server.stop()
        cp.run(
            "--mail",
            smtp_server.url,
            "sponsorships",
            "request",
            "E1",
            "IPAC",
            now="2026-04-01T10:00",
        )
        smtp_server.start()

        first = cp.run("--mail", smtp_server.url, "tick", now="2026-04-01T10:05")
        later = cp.run("--mail", smtp_server.url, "tick", now="2026-04-02T10:00")

        assert (first["mail_delivered"], later["mail_delivered"]) == (1, 0)
        assert len(smtp_server.messages) == 1
        (entry,) = cp.run("mail", "outbox", "--to", APPROVER)
        assert (entry["attempts"], entry["sent_at"]) == (2, "2026-04-01T10:05:00-04:00")

    def test_text_outbox_names_the_delivery_fields(self, cp: Cli, smtp_server: SmtpServer) -> None:
        smtp_server.stop()
        cp.run(
            "--mail",
            smtp_server.url,
            "sponsorships",
            "request",
            "E1",
            "IPAC",
            now="2026-04-01T10:00",
        )

        shown = CliRunner().invoke(cli, ["--store", cp.url, "mail", "outbox"])

        assert shown.exit_code == 0
        for line in ("attempts: 1", "next_attempt_at: 2026-04-01T10:05:00-04:00", "abandoned: no"):
            assert line in shown.stdout
        assert "last_error: cannot deliver through 127.0.0.1" in shown.stdout

    def test_a_bad_mail_url_is_refused_without_showing_its_password(self, cp: Cli) -> None:
        before = cp.events()

        result = cp.run(
            "--mail",
            "smtp://mailer:hunter2@relay.example:25",
            "sponsorships",
            "request",
            "E1",
            "IPAC",
            now="2026-04-01T10:00",
            ok=False,
        )

        assert result.exit_code == 1
        assert "unencrypted" in result.stderr
        assert "hunter2" not in result.stdout + result.stderr
        assert cp.events() == before


class TestMailRetry:
    def test_an_abandoned_message_is_queued_again_and_delivered(
        self, cp: Cli, smtp_server: SmtpServer
    ) -> None:
        smtp_server.reject("451 4.7.1 Greylisted")
        mail = ["--mail", smtp_server.url]
        cp.run(*mail, "sponsorships", "request", "E1", "IPAC", now="2026-04-01T10:00")
        for hour in range(24):  # hourly ticks: the 8th attempt, at 14:00, abandons it
            cp.run(*mail, "tick", now=f"2026-04-02T{hour:02d}:00")
        (abandoned,) = cp.run("mail", "outbox", "--to", APPROVER)
        smtp_server.reject(None)

        retried = cp.run(*mail, "mail", "retry", abandoned["message_id"], now="2026-04-05T09:00")

        assert abandoned["abandoned"] is True and abandoned["attempts"] == 8
        assert "451 4.7.1 Greylisted" in abandoned["last_error"]
        assert (retried["abandoned"], retried["attempts"]) == (False, 1)
        assert retried["sent_at"] == "2026-04-05T09:00:00-04:00"
        assert [m["Message-ID"] for m in smtp_server.messages] == [abandoned["message_id"]]

    def test_retrying_a_message_that_was_sent_is_refused(self, cp: Cli) -> None:
        cp.run("sponsorships", "request", "E1", "IPAC", now="2026-04-01T10:00")
        (sent,) = cp.run("mail", "outbox", "--to", APPROVER)

        result = cp.run("mail", "retry", sent["message_id"], now="2026-04-01T11:00", ok=False)

        assert result.exit_code == 1
        assert "only an abandoned message" in result.stderr
