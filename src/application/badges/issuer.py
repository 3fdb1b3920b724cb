"""Configuring the issuer: its profile, its signing keys and its DID document."""

from __future__ import annotations

import base64
from typing import Any

import attrs

from carepassport.application.badges.ports import BadgeTools, CheckFailed
from carepassport.application.store import CarePassportApplication
from carepassport.application.unit_of_work import UnitOfWork
from carepassport.domain.badges.issuer import IMAGE_LIMIT, BadgeIssuer, SigningKey
from carepassport.domain.badges.pathway import BadgeRules
from carepassport.domain.errors import InvalidTransition, InvalidValue, NotFound
from carepassport.domain.values import credential_code

DID_CONTEXTS = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"]
PNG = b"\x89PNG\r\n\x1a\n"


@attrs.frozen
class KeyView:
    """One signing key as shown to people."""

    key_id: str
    public_key_multibase: str
    valid_from: str
    retired_at: str | None
    verification_method: str


@attrs.frozen
class IssuerView:
    """The issuer's profile, identity and keys."""

    name: str
    url: str
    email: str
    did: str
    colours: tuple[str, ...]
    include_names: bool
    has_image: bool
    configured: bool
    key_folder: str
    keys: tuple[KeyView, ...]


def image_data_url(image: bytes, what: str = "the issuer image") -> tuple[str, str]:
    """The media type and data URL of a PNG or SVG image."""
    if len(image) > IMAGE_LIMIT:
        raise InvalidValue(f"{what} is over {IMAGE_LIMIT // 1024} KiB")
    if image.startswith(PNG):
        media = "image/png"
    elif b"<svg" in image[:2048]:
        media = "image/svg+xml"
    else:
        raise InvalidValue(f"{what} must be a PNG or an SVG")
    return media, f"data:{media};base64,{base64.b64encode(image).decode('ascii')}"


class Issuer:
    """The college as the issuer of its badges."""

    def __init__(self, app: CarePassportApplication, tools: BadgeTools) -> None:
        self._app = app
        self._tools = tools

    def set_profile(
        self,
        name: str,
        url: str = "",
        email: str = "",
        image: bytes | None = None,
        colours: tuple[str, str] | None = None,
        include_names: bool = False,
    ) -> IssuerView:
        """Name the issuer (and its URL, whose did:web is its identity, contact and image)."""
        now = self._app.now_for_write()
        uow = UnitOfWork(self._app)
        issuer = self._issuer(uow, now)
        media, data = image_data_url(image) if image else ("", "")
        issuer.set_profile(name, url, email, media, data, colours, include_names, now)
        uow.commit()
        return self.view()

    def set_entry_image(self, code: str, image: bytes | None) -> dict[str, str]:
        """The catalogue entry ``code``'s badges show this PNG or SVG (baked, in place of the
        drawn image); ``None`` goes back to the drawn one. The image is refused unless a
        credential can be baked into it and read back (a PNG that parses, an SVG without a
        DOCTYPE or entities)."""
        now = self._app.now_for_write()
        uow = UnitOfWork(self._app)
        entry = uow.catalogue().entry(credential_code(code))
        media, data = ("", "")
        if image:
            media, data = image_data_url(image, f"the image for {entry.code}")
            self._bakeable(image, media)
        rules = uow.find(BadgeRules, BadgeRules.identity()) or uow.add(BadgeRules.open(now))
        rules.set_image(entry.code, media, data, now)
        uow.commit()
        return {"code": entry.code, "media_type": media or "drawn"}

    def _bakeable(self, image: bytes, media: str) -> None:
        probe = '{"probe": true}'
        try:
            if media == "image/png":
                baked = self._tools.baking.bake_png(image, probe)
            else:
                baked = self._tools.baking.bake_svg(image.decode("utf-8"), probe).encode()
            read = self._tools.baking.unbake(baked)
        except (CheckFailed, UnicodeDecodeError, ValueError) as error:
            raise InvalidValue(f"the image cannot carry a badge: {error}") from None
        if read != {"probe": True}:
            raise InvalidValue("the image cannot carry a badge: it did not read back")

    def init_key(self) -> KeyView:
        """The first signing key (refused when there is one: rotate instead)."""
        now = self._app.now_for_write()
        uow = UnitOfWork(self._app)
        issuer = self._issuer(uow, now)
        if issuer.keys:
            raise InvalidTransition("the issuer already has a signing key; use keys rotate")
        return self._add_key(issuer, uow, now)

    def rotate_key(self) -> KeyView:
        """A new signing key from now; the current one is retired (its badges still verify)."""
        now = self._app.now_for_write()
        uow = UnitOfWork(self._app)
        issuer = self._issuer(uow, now)
        if not issuer.keys:
            raise InvalidTransition("the issuer has no signing key yet; use keys init")
        return self._add_key(issuer, uow, now)

    def _add_key(self, issuer: BadgeIssuer, uow: UnitOfWork, now: Any) -> KeyView:
        key_id = f"key-{len(issuer.keys) + 1}"
        public = self._tools.keys.create(key_id)
        key = issuer.add_key(key_id, public, now)
        uow.commit()
        return self._key_view(issuer, key)

    def find(self) -> BadgeIssuer | None:
        """The issuer, if it was ever set up."""
        return self._app.find(BadgeIssuer, BadgeIssuer.identity())

    def view(self) -> IssuerView:
        """The issuer as configured."""
        issuer = self.find()
        if issuer is None:
            raise NotFound("no badge issuer is set up: badges issuer set --name N [--url URL]")
        did = issuer.did() if issuer.url or issuer.keys else ""
        return IssuerView(
            name=issuer.name,
            url=issuer.origin,
            email=issuer.email,
            did=did,
            colours=issuer.colours,
            include_names=issuer.include_names,
            has_image=bool(issuer.image),
            configured=issuer.configured,
            key_folder=self._tools.keys.location,
            keys=tuple(self._key_view(issuer, key) for key in issuer.keys),
        )

    def did_document(self) -> dict[str, Any]:
        """The did:web DID document served at ``/.well-known/did.json``: every key, the
        retired ones too, so the credentials they signed still verify."""
        issuer = self.find()
        if issuer is None or not issuer.url:
            raise NotFound("the issuer has no URL, so no did:web document")
        did = issuer.did()
        methods = [
            {
                "id": issuer.verification_method(key),
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": key.public_key_multibase,
            }
            for key in issuer.keys
        ]
        return {
            "@context": DID_CONTEXTS,
            "id": did,
            "verificationMethod": methods,
            "assertionMethod": [method["id"] for method in methods],
        }

    @staticmethod
    def _key_view(issuer: BadgeIssuer, key: SigningKey) -> KeyView:
        return KeyView(
            key_id=key.key_id,
            public_key_multibase=key.public_key_multibase,
            valid_from=key.valid_from.isoformat(),
            retired_at=key.retired_at.isoformat() if key.retired_at else None,
            verification_method=issuer.verification_method(key),
        )

    @staticmethod
    def _issuer(uow: UnitOfWork, now: Any) -> BadgeIssuer:
        issuer = uow.find(BadgeIssuer, BadgeIssuer.identity())
        return issuer if issuer is not None else uow.add(BadgeIssuer.open(now))
