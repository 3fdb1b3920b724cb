"""Mail through an SMTP server (stdlib smtplib), configured by a URL; secrets never shown.

``smtp://[user[:password]@]host[:port][?starttls=true&from=ADDRESS&password_env=VAR&timeout=10
&ca_file=PATH&helo=NAME]``, or ``smtps://`` for TLS from the first byte (port 465).
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import attrs

from carepassport.adapters.mail.mailers import to_email
from carepassport.application.mail.ports import MailServiceUnavailable, OutgoingMessage
from carepassport.domain.errors import InvalidValue
from carepassport.domain.values import email_address

DEFAULT_TIMEOUT = 10.0
"""Seconds to wait for the server at each step; a command waits at most this on an outage."""
OPTIONS = frozenset({"starttls", "from", "password_env", "timeout", "ca_file", "helo"})
SCHEMES = {"smtp": 25, "smtps": 465}


class MessageRefused(Exception):
    """The server refused this message (its recipient or content); others may still go."""


def redact(url: str) -> str:
    """The URL with any password replaced by ``***`` (for messages and logs)."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        return url
    authority, slash, tail = rest.partition("/")
    authority, question, query = authority.partition("?")
    userinfo, at, host = authority.rpartition("@")
    if at and ":" in userinfo:
        userinfo = userinfo.split(":", 1)[0] + ":***"
    return f"{scheme}://{userinfo}{at}{host}{question}{query}{slash}{tail}"


def _flag(value: str, name: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"true", "1", "yes", "on"}:
        return True
    if lowered in {"false", "0", "no", "off"}:
        return False
    raise InvalidValue(f"mail URL option {name} must be true or false, not {value!r}")


@attrs.frozen
class SmtpSettings:
    """Where and how to hand mail over. ``repr`` never shows the password."""

    host: str
    port: int
    sender: str
    username: str | None = None
    password: str | None = attrs.field(default=None, repr=False)
    starttls: bool = False
    implicit_tls: bool = False
    timeout: float = DEFAULT_TIMEOUT
    ca_file: Path | None = None
    helo: str | None = None

    @classmethod
    def from_url(cls, url: str, *, environ: Mapping[str, str], default_sender: str) -> SmtpSettings:
        """Parse a mail URL; the password comes from the URL or the variable ``password_env``
        names in ``environ``. Refuses a login that would travel unencrypted."""
        shown = redact(url)
        parts = urlsplit(url)
        if parts.scheme not in SCHEMES:
            raise InvalidValue(f"mail URL {shown!r} must start with smtp:// or smtps://")
        try:
            port = parts.port or SCHEMES[parts.scheme]
        except ValueError:
            raise InvalidValue(f"mail URL {shown!r} has an invalid port") from None
        if not parts.hostname:
            raise InvalidValue(f"mail URL {shown!r} names no host")
        if parts.path not in {"", "/"} or parts.fragment:
            raise InvalidValue(f"mail URL {shown!r} has a path; only ?options may follow")
        options = cls._options(parts.query, shown)
        username = unquote(parts.username) if parts.username else None
        password = cls._password(parts.password, options.get("password_env"), environ, shown)
        if password is not None and not username:
            raise InvalidValue(f"mail URL {shown!r} has a password but no user")
        if username and password is None:
            raise InvalidValue(
                f"mail URL {shown!r} names user {username!r} but no password "
                "(in the URL or through ?password_env=VARIABLE)"
            )
        starttls = _flag(options.get("starttls", "false"), "starttls")
        implicit_tls = parts.scheme == "smtps"
        if username and not (starttls or implicit_tls):
            raise InvalidValue(
                f"mail URL {shown!r} would send the password unencrypted: "
                "add ?starttls=true or use smtps://"
            )
        return cls(
            host=parts.hostname,
            port=port,
            sender=cls._sender(options.get("from"), default_sender),
            username=username,
            password=password,
            starttls=starttls,
            implicit_tls=implicit_tls,
            timeout=cls._timeout(options.get("timeout"), shown),
            ca_file=Path(options["ca_file"]) if "ca_file" in options else None,
            helo=options.get("helo"),
        )

    @staticmethod
    def _options(query: str, shown: str) -> dict[str, str]:
        try:
            pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
        except ValueError:
            raise InvalidValue(f"mail URL {shown!r} has malformed options") from None
        options: dict[str, str] = {}
        for key, value in pairs:
            if key not in OPTIONS:
                known = ", ".join(sorted(OPTIONS))
                raise InvalidValue(f"mail URL option {key!r} is not one of {known}")
            if key in options:
                raise InvalidValue(f"mail URL option {key!r} is given twice")
            options[key] = value
        return options

    @staticmethod
    def _sender(given: str | None, default_sender: str) -> str:
        if given is None:
            return default_sender
        email_address(given)  # refuses what is not an address
        return given.strip()

    @staticmethod
    def _password(
        in_url: str | None, variable: str | None, environ: Mapping[str, str], shown: str
    ) -> str | None:
        if variable is None:
            return unquote(in_url) if in_url is not None else None
        if in_url is not None:
            raise InvalidValue(f"mail URL {shown!r} has a password and password_env: keep one")
        if variable not in environ:
            raise InvalidValue(
                f"the environment variable {variable} (named by the mail URL's password_env) "
                "is not set"
            )
        return environ[variable]

    @staticmethod
    def _timeout(value: str | None, shown: str) -> float:
        if value is None:
            return DEFAULT_TIMEOUT
        try:
            seconds = float(value)
        except ValueError:
            seconds = 0.0
        if not 0 < seconds <= 300:
            raise InvalidValue(f"mail URL {shown!r}: timeout must be 0-300 seconds, not {value!r}")
        return seconds

    def describe(self) -> str:
        """Where mail goes, without the password."""
        user = f"{self.username}@" if self.username else ""
        scheme = "smtps" if self.implicit_tls else "smtp"
        tls = " with STARTTLS" if self.starttls else ""
        return f"{scheme}://{user}{self.host}:{self.port}{tls}"


class SmtpMailer:
    """Hands each message to an SMTP server in its own session: connect, STARTTLS and login
    if configured, send, quit. Raises unless the server accepted the message."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def __repr__(self) -> str:
        return f"SmtpMailer({self.settings.describe()})"

    @property
    def sender(self) -> str:
        """The From address."""
        return self.settings.sender

    def send(self, message: OutgoingMessage) -> None:
        """Deliver one message; MailServiceUnavailable if no message could get through now,
        MessageRefused if the server refused this one."""
        email = to_email(message, self.settings.sender)
        where = f"{self.settings.host}:{self.settings.port}"
        try:
            with self._connect() as smtp:
                if self.settings.starttls:
                    smtp.starttls(context=self._tls())
                if self.settings.username and self.settings.password is not None:
                    smtp.login(self.settings.username, self.settings.password)
                smtp.send_message(email, self.settings.sender, [message.recipient])
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()), (0, b""))
            raise self._refused(where, "the recipient", code, reply) from None
        except smtplib.SMTPDataError as error:
            raise self._refused(where, "the message", error.smtp_code, error.smtp_error) from None
        except smtplib.SMTPSenderRefused as error:
            # Every message has this sender: none would get through.
            raise MailServiceUnavailable(
                f"SMTP server {where} refused the sender {self.settings.sender}: "
                f"{_reply(error.smtp_code, error.smtp_error)}"
            ) from None
        except smtplib.SMTPAuthenticationError as error:
            answer = _reply(error.smtp_code, error.smtp_error)
            raise MailServiceUnavailable(
                f"SMTP server {where} refused the login: {answer}"
            ) from None
        except smtplib.SMTPResponseException as error:
            raise MailServiceUnavailable(
                f"SMTP server {where} answered {_reply(error.smtp_code, error.smtp_error)}"
            ) from None
        except (OSError, smtplib.SMTPException) as error:
            reason = str(error) or type(error).__name__
            raise MailServiceUnavailable(f"cannot deliver through {where}: {reason}") from None

    def _connect(self) -> smtplib.SMTP:
        helo = self.settings.helo or socket.gethostname()
        if self.settings.implicit_tls:
            return smtplib.SMTP_SSL(
                self.settings.host,
                self.settings.port,
                local_hostname=helo,
                timeout=self.settings.timeout,
                context=self._tls(),
            )
        return smtplib.SMTP(
            self.settings.host,
            self.settings.port,
            local_hostname=helo,
            timeout=self.settings.timeout,
        )

    def _tls(self) -> ssl.SSLContext:
        cafile = str(self.settings.ca_file) if self.settings.ca_file else None
        return ssl.create_default_context(cafile=cafile)

    @staticmethod
    def _refused(where: str, what: str, code: int, reply: bytes | str) -> Exception:
        """A 421 means the service is closing: no other message gets through either."""
        text = f"SMTP server {where} refused {what}: {_reply(code, reply)}"
        return MailServiceUnavailable(text) if code == 421 else MessageRefused(text)


def _reply(code: int, reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return f"{code} {' '.join(text.split())}".strip()
