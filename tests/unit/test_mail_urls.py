"""Mail URLs: what they configure, what they refuse, and that no password is ever shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from carepassport.adapters.mail.mailers import FileOutboxMailer, InMemoryMailer
from carepassport.adapters.mail.smtp import SmtpMailer, SmtpSettings, redact
from carepassport.bootstrap import DEFAULT_SENDER, mailer_for
from carepassport.domain.errors import InvalidValue

SECRET = "pa:ss/w@rd"
QUOTED_SECRET = "pa%3Ass%2Fw%40rd"


def parse(url: str, **environ: str) -> SmtpSettings:
    return SmtpSettings.from_url(url, environ=environ, default_sender=DEFAULT_SENDER)


class TestSmtpUrl:
    def test_a_bare_host_and_port_sends_in_the_clear_without_login(self) -> None:
        settings = parse("smtp://relay.college.example:2525")

        assert (settings.host, settings.port, settings.sender) == (
            "relay.college.example",
            2525,
            DEFAULT_SENDER,
        )
        assert (settings.username, settings.password, settings.starttls) == (None, None, False)
        assert settings.timeout == 10.0

    @pytest.mark.parametrize(
        ("url", "port"), [("smtp://relay.example", 25), ("smtps://relay.example", 465)]
    )
    def test_the_port_defaults_to_the_schemes(self, url: str, port: int) -> None:
        assert parse(url).port == port

    def test_user_password_starttls_sender_and_timeout_are_read_from_the_url(self) -> None:
        settings = parse(
            f"smtp://mailer%40college:{QUOTED_SECRET}@relay.example:587"
            "?starttls=true&from=Registrar@College.example&timeout=2.5&helo=cp.college.example"
        )

        assert (settings.username, settings.password) == ("mailer@college", SECRET)
        assert settings.starttls and not settings.implicit_tls
        assert settings.sender == "Registrar@College.example"
        assert (settings.timeout, settings.helo) == (2.5, "cp.college.example")

    def test_the_password_can_come_from_a_named_environment_variable(self) -> None:
        settings = parse(
            "smtps://mailer@relay.example?password_env=SMTP_PASSWORD", SMTP_PASSWORD=SECRET
        )

        assert settings.password == SECRET and settings.implicit_tls

    def test_a_ca_file_is_kept_for_checking_the_servers_certificate(self) -> None:
        settings = parse("smtps://relay.example?ca_file=/etc/college/ca.pem")

        assert settings.ca_file == Path("/etc/college/ca.pem")

    @pytest.mark.parametrize(
        ("url", "environ", "complaint"),
        [
            ("http://relay.example", {}, "smtp:// or smtps://"),
            ("smtp://:25", {}, "names no host"),
            ("smtp://relay.example:99999", {}, "invalid port"),
            ("smtp://relay.example/inbox", {}, "has a path"),
            ("smtp://relay.example?startls=true", {}, "'startls' is not one of"),
            ("smtp://relay.example?starttls=maybe", {}, "true or false"),
            ("smtp://relay.example?timeout=0", {}, "timeout"),
            ("smtp://relay.example?from=nobody", {}, "not an e-mail address"),
            ("smtp://relay.example?timeout=1&timeout=2", {}, "given twice"),
            (f"smtp://mailer:{QUOTED_SECRET}@relay.example", {}, "unencrypted"),
            ("smtp://mailer@relay.example?starttls=true", {}, "no password"),
            (f"smtp://:{QUOTED_SECRET}@relay.example?starttls=true", {}, "no user"),
            ("smtps://mailer@relay.example?password_env=SMTP_PASSWORD", {}, "is not set"),
            (
                f"smtps://mailer:{QUOTED_SECRET}@relay.example?password_env=SMTP_PASSWORD",
                {"SMTP_PASSWORD": "x"},
                "keep one",
            ),
        ],
        ids=[
            "other-scheme",
            "no-host",
            "bad-port",
            "path",
            "unknown-option",
            "bad-flag",
            "zero-timeout",
            "bad-sender",
            "repeated-option",
            "login-in-the-clear",
            "user-without-password",
            "password-without-user",
            "unset-variable",
            "two-passwords",
        ],
    )
    def test_a_url_that_cannot_work_is_refused_with_the_reason_and_no_password(
        self, url: str, environ: dict[str, str], complaint: str
    ) -> None:
        with pytest.raises(InvalidValue, match=complaint) as refused:
            parse(url, **environ)

        assert SECRET not in str(refused.value) and QUOTED_SECRET not in str(refused.value)

    def test_neither_the_settings_nor_the_mailer_show_the_password(self) -> None:
        settings = parse(f"smtps://mailer:{QUOTED_SECRET}@relay.example")

        shown = repr(settings) + repr(SmtpMailer(settings)) + settings.describe()

        assert SECRET not in shown and QUOTED_SECRET not in shown
        assert "mailer@relay.example:465" in settings.describe()

    @pytest.mark.parametrize(
        ("url", "shown"),
        [
            (f"smtp://u:{QUOTED_SECRET}@h:25?starttls=true", "smtp://u:***@h:25?starttls=true"),
            ("smtp://u@h:25", "smtp://u@h:25"),
            ("smtp://h:25", "smtp://h:25"),
            ("not a url", "not a url"),
        ],
    )
    def test_redaction_hides_only_the_password(self, url: str, shown: str) -> None:
        assert redact(url) == shown


class TestMailerFor:
    def test_no_url_writes_eml_files_beside_a_sqlite_store(self, tmp_path: Path) -> None:
        mailer = mailer_for(None, tmp_path / "cp.outbox")

        assert isinstance(mailer, FileOutboxMailer) and mailer.folder == tmp_path / "cp.outbox"

    def test_no_url_keeps_mail_in_memory_beside_a_memory_store(self) -> None:
        assert isinstance(mailer_for(None, None), InMemoryMailer)

    @pytest.mark.parametrize(
        ("url", "kind"),
        [
            ("smtp://relay.example:25", SmtpMailer),
            ("smtps://relay.example", SmtpMailer),
            ("file:///var/spool/carepassport", FileOutboxMailer),
            ("memory://", InMemoryMailer),
        ],
    )
    def test_a_url_names_its_mailer(self, url: str, kind: type) -> None:
        assert isinstance(mailer_for(url, None), kind)

    def test_an_smtp_url_reads_the_password_variable_from_the_environment_given(self) -> None:
        mailer = mailer_for(
            "smtps://m@relay.example?password_env=CP_PW", None, environ={"CP_PW": SECRET}
        )

        assert isinstance(mailer, SmtpMailer) and mailer.settings.password == SECRET

    @pytest.mark.parametrize("url", ["smpt://u:secret@relay", "file://relative", "ftp://x"])
    def test_an_unknown_url_is_refused_without_its_password(self, url: str) -> None:
        with pytest.raises(InvalidValue, match="unsupported mail URL") as refused:
            mailer_for(url, None)

        assert "secret" not in str(refused.value)
