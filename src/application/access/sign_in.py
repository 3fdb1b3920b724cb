"""Signing in to the portal by e-mail (ADR 0024): a person gives their address and, if it is
registered, gets one link per identity it signs in as; the answer is the same either way."""

from __future__ import annotations

import hashlib
import secrets

from carepassport.application.access.api_access import Principal
from carepassport.application.mail.outbox import notify
from carepassport.application.store import CarePassportApplication
from carepassport.application.unit_of_work import UnitOfWork
from carepassport.domain.access.api_access import Role
from carepassport.domain.errors import InvalidValue
from carepassport.domain.sign_in import LINK_LIFETIME, LinkRefused, SignInAddress, SignInLink
from carepassport.domain.values import email_address

SIGN_IN_LINK = "sign_in_link"
"""The kind of the message that carries sign-in links."""
SECRET_BYTES = 32
DEFAULT_PORTAL_URL = "http://127.0.0.1:8000"
"""Where sign-in links point without ``CAREPASSPORT_PORTAL_URL`` (``make run``'s server)."""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class SignInLinks:
    def __init__(self, app: CarePassportApplication, portal_url: str) -> None:
        self._app = app
        self._portal_url = portal_url.rstrip("/")

    def request(self, address: str) -> None:
        """Mail a link for each identity ``address`` signs in as; nothing if it is unknown (the
        caller answers the same either way)."""
        try:
            email = email_address(address)
        except InvalidValue:
            return
        now = self._app.now_for_write()
        index = self._app.personal.index("email", email)
        known = self._app.find(SignInAddress, SignInAddress.identity(index))
        if known is None or not known.identities:
            return
        uow = UnitOfWork(self._app)
        lines = []
        last: SignInLink | None = None
        for role, subject in known.identities:
            secret = secrets.token_urlsafe(SECRET_BYTES)
            last = uow.add(SignInLink.issue(_hash(secret), email, role, subject, now))
            lines.append(f"  as {role} {subject}: {self._portal_url}/portal/sign-in/{secret}")
        assert last is not None
        minutes = int(LINK_LIFETIME.total_seconds() // 60)
        body = "\n".join(
            [
                "Someone (we hope you) asked to sign in to Care Passport with this address.",
                "",
                *lines,
                "",
                f"Each link works once, within {minutes} minutes. If you did not ask, ignore "
                "this message: nobody can sign in without the link.",
            ]
        )
        uow.add(notify(SIGN_IN_LINK, email, "Your Care Passport sign-in link", body, last, now))
        uow.commit()

    def redeem(self, secret: str) -> Principal:
        """The identity a link signs in as; the link is used up (LinkRefused if it is unknown,
        used or expired)."""
        now = self._app.now_for_write()
        link = self._app.find(SignInLink, SignInLink.identity(_hash(secret.strip())))
        if link is None:
            raise LinkRefused("this sign-in link is not valid: ask for a new one")
        link.use(now)
        self._app.record(link)
        return Principal(Role(link.role), link.subject, token_id=f"link:{link.id}")
