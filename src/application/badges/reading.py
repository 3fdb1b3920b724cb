"""Reading badges: an employee's list, one badge as JSON, baked PNG or SVG, or QR code, the
CSV of what was issued, and the signed status-list credentials."""

from __future__ import annotations

import base64
import csv
import io
from datetime import datetime
from typing import Any
from uuid import UUID

import attrs

from carepassport.application.badges.issuing import Issuing, profile, serialize
from carepassport.application.badges.ports import BadgeTools, KeysUnavailable
from carepassport.application.compliance.status import HeldBadge
from carepassport.application.store import CarePassportApplication
from carepassport.domain.badges.badge import Badge
from carepassport.domain.badges.credential import Addresses, status_list_credential
from carepassport.domain.badges.issuer import BadgeIssuer
from carepassport.domain.badges.pathway import BadgeRules, BadgeWallet
from carepassport.domain.badges.status_list import StatusList, StatusPurpose
from carepassport.domain.compliance.credential import Credential
from carepassport.domain.errors import InvalidValue, NotFound
from carepassport.domain.reference import Catalogue, Employee
from carepassport.domain.values import employee_id, employer_id, parse_id

FORMATS = ("json", "png", "svg", "qr")
CSV_COLUMNS = (
    "badge_id",
    "employee_id",
    "employer_id",
    "code",
    "kind",
    "status",
    "valid_from",
    "valid_until",
    "issued_at",
    "key_id",
    "sha256",
    "url",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value


@attrs.frozen
class BadgeView:
    """A badge as listed."""

    badge_id: str
    kind: str
    code: str
    employee_id: str
    status: str
    valid_from: str
    valid_until: str | None
    issued_at: str
    key_id: str
    url: str

    @classmethod
    def of(cls, badge: Badge, now: datetime) -> BadgeView:
        return cls(
            badge_id=str(badge.id),
            kind=badge.kind.value,
            code=badge.code,
            employee_id=badge.employee_id,
            status=badge.status(now).value,
            valid_from=badge.valid_from.isoformat(),
            valid_until=badge.valid_until.isoformat() if badge.valid_until else None,
            issued_at=badge.issued_at.isoformat(),
            key_id=badge.key_id,
            url=str(badge.document.get("id", "")),
        )


@attrs.frozen
class Rendered:
    """A badge in one format: its bytes and media type."""

    content: bytes
    media_type: str
    suffix: str


def _data(data_url: str) -> bytes:
    """The bytes of a ``data:…;base64,`` URL (recorded by ``set_entry_image``)."""
    return base64.b64decode(data_url.partition(",")[2])


class BadgeReader:
    """What people and other systems read of the badges."""

    def __init__(self, app: CarePassportApplication, tools: BadgeTools, issuing: Issuing) -> None:
        self._app = app
        self._tools = tools
        self._issuing = issuing

    def of_employee(self, employee: str) -> list[BadgeView]:
        """Every badge issued to an employee, newest first."""
        eid = employee_id(employee)
        if self._app.find(Employee, Employee.identity(eid)) is None:
            raise NotFound(f"employee {eid} not found")
        badges = self.badges_of(eid)
        now = self._app.now()
        return [BadgeView.of(badge, now) for badge in badges]

    def badges_of(self, employee: str) -> list[Badge]:
        """The employee's badges (every renewal's), newest first."""
        catalogue = self._app.find(Catalogue, Catalogue.identity())
        codes = list(catalogue.entries) if catalogue else []
        credentials = self._app.find_many(
            [Credential.identity(employee_id(employee), code) for code in codes]
        )
        ids = [
            Badge.for_completion(completion)
            for credential in credentials.values()
            if isinstance(credential, Credential)
            for completion in credential.completions
        ]
        wallet = self._app.find(BadgeWallet, BadgeWallet.identity(employee_id(employee)))
        ids += wallet.pathway_badges if wallet else []
        found = [b for b in self._app.find_many(ids).values() if isinstance(b, Badge)]
        return sorted(found, key=lambda b: b.issued_at, reverse=True)

    def held(self, employee: str) -> list[HeldBadge]:
        """What the status view shows: the employee's badges, then recognised credentials."""
        now = self._app.now()
        held = [
            HeldBadge(
                badge_id=str(b.id),
                kind=b.kind.value,
                code=b.code,
                status=b.status(now).value,
                valid_until=b.valid_until,
                url=str(b.document.get("id", "")),
                issuer=str(b.document.get("issuer", {}).get("id", "")),
            )
            for b in self.badges_of(employee)
        ]
        wallet = self._app.find(BadgeWallet, BadgeWallet.identity(employee_id(employee)))
        for found in wallet.recognised if wallet else []:
            expired = found.valid_until is not None and now > found.valid_until
            held.append(
                HeldBadge(
                    badge_id=found.digest[:16],
                    kind="recognised",
                    code=found.counts_as or found.achievement_name,
                    status="expired" if expired else "recognised",
                    valid_until=found.valid_until,
                    url=found.credential_id,
                    issuer=f"{found.issuer_name} ({found.issuer_id})",
                )
            )
        return held

    def badge(self, badge_id: str | UUID) -> Badge:
        """One badge (NotFound for an unknown id)."""
        identity = parse_id(badge_id, "badge id")
        badge = self._app.find(Badge, identity)
        if badge is None:
            raise NotFound(f"badge {identity} not found")
        return badge

    def view(self, badge_id: str | UUID) -> BadgeView:
        return BadgeView.of(self.badge(badge_id), self._app.now())

    def render(self, badge_id: str | UUID, fmt: str = "json") -> Rendered:
        """The badge as JSON-LD, a baked PNG, a baked SVG, or a QR code of its URL."""
        if fmt not in FORMATS:
            raise InvalidValue(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
        badge = self.badge(badge_id)
        text = serialize(badge.document)
        if fmt == "json":
            return Rendered(text.encode(), "application/ld+json", "json")
        if fmt == "qr":
            return Rendered(self._tools.images.qr_png(badge.document["id"]), "image/png", "png")
        title, colours = self._face(badge)
        rules = self._app.find(BadgeRules, BadgeRules.identity())
        if fmt == "png":
            own = rules.image_of(badge.code, "image/png") if rules else None
            image = _data(own) if own else self._tools.images.png(title, badge.code, colours)
            return Rendered(self._tools.baking.bake_png(image, text), "image/png", "png")
        own = rules.image_of(badge.code, "image/svg+xml") if rules else None
        image_svg = (
            _data(own).decode("utf-8")
            if own
            else self._tools.images.svg(title, badge.code, colours)
        )
        baked = self._tools.baking.bake_svg(image_svg, text)
        return Rendered(baked.encode(), "image/svg+xml", "svg")

    def image(self, badge_id: str | UUID) -> bytes:
        """The badge's image (PNG), baked: what the credential's ``image`` points at."""
        return self.render(badge_id, "png").content

    def _face(self, badge: Badge) -> tuple[str, tuple[str, ...]]:
        issuer = self._app.find(BadgeIssuer, BadgeIssuer.identity())
        subject = badge.document.get("credentialSubject", {})
        title = str(subject.get("achievement", {}).get("name", badge.code))
        return title, issuer.colours if issuer else ("#00467f", "#ffffff")

    def export_csv(self, employer: str | None = None) -> str:
        """Every badge issued (or an employer's employees'), one row each, CSV-injection safe."""
        wanted = employer_id(employer) if employer else None
        now = self._app.now()
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        employers: dict[str, str] = {}
        for badge_id in self._issuing.badge_ids():
            badge = self._app.find(Badge, badge_id)
            if badge is None:
                continue
            if badge.employee_id not in employers:
                record = self._app.find(Employee, Employee.identity(employee_id(badge.employee_id)))
                employers[badge.employee_id] = record.employer_id if record else ""
            if wanted is not None and employers[badge.employee_id] != wanted:
                continue
            view = BadgeView.of(badge, now)
            row = [
                view.badge_id,
                view.employee_id,
                employers[badge.employee_id],
                view.code,
                view.kind,
                view.status,
                view.valid_from,
                view.valid_until or "",
                view.issued_at,
                view.key_id,
                badge.digest,
                view.url,
            ]
            writer.writerow([_cell(value) for value in row])
        return out.getvalue()

    def status_list(self, number: int, purpose: str) -> dict[str, Any]:
        """The signed ``BitstringStatusListCredential`` of list ``number`` for ``purpose``."""
        try:
            chosen = StatusPurpose(purpose)
        except ValueError:
            raise NotFound(f"no status list for {purpose!r}") from None
        found = self._app.find(StatusList, StatusList.identity(number))
        issuer = self._app.find(BadgeIssuer, BadgeIssuer.identity())
        if found is None or issuer is None or issuer.current_key is None:
            raise NotFound(f"status list {number} not found")
        key = issuer.current_key
        document = status_list_credential(
            url=Addresses(issuer.origin).status_list(number, chosen),
            issuer=profile(issuer, key).did,
            purpose=chosen,
            encoded=found.encoded(chosen),
            valid_from=max(found.modified_on, key.valid_from),
        )
        try:
            signer = self._tools.keys.signer(key.key_id)
        except KeysUnavailable as error:
            raise NotFound(f"status list {number} cannot be signed here: {error}") from None
        return self._tools.proofs.sign(
            document,
            signer,
            issuer.verification_method(key),
            max(found.modified_on, key.valid_from),
        )
