"""The ``badges`` and ``keys`` commands: the issuer, its keys, and the badges themselves."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import click

from carepassport.domain.errors import InvalidValue
from carepassport.entrypoints.cli import Context, Raw, cli, pass_context, refuse, run

if TYPE_CHECKING:
    from carepassport.application.badges.verification import VerificationReport
    from carepassport.application.services import Services

READ_LIMIT = 5 * 1024 * 1024
"""The most read of a credential to verify (a badge is a few KiB; a baked PNG some hundred)."""


def read_limited(source: BinaryIO, name: str, limit: int = READ_LIMIT) -> bytes:
    """At most ``limit`` bytes; a larger input is refused before it is read further."""
    data = source.read(limit + 1)
    if len(data) > limit:
        raise InvalidValue(f"{name} is over {limit // (1024 * 1024)} MiB; refused unread")
    return bytes(data)


def _read_file(path: str) -> bytes:
    if path == "-":
        return read_limited(sys.stdin.buffer, "standard input")
    with open(path, "rb") as file:
        return read_limited(file, path)


def _documents(paths: tuple[str, ...], what: str) -> list[dict[str, Any]]:
    found = []
    for path in paths:
        try:
            document = json.loads(_read_file(path))
        except ValueError as error:
            raise InvalidValue(f"the {what} {path} is not JSON: {error}") from None
        if not isinstance(document, dict):
            raise InvalidValue(f"the {what} {path} is not a JSON object")
        found.append(document)
    return found


@cli.group()
def badges() -> None:
    """Open Badges 3.0: the issuer, each employee's badges, verifying anyone's."""


@badges.group("issuer")
def badges_issuer() -> None:
    """Who signs the badges: the college's name, URL (its did:web) and image."""


@badges_issuer.command("set")
@click.option("--name", required=True, help="The college's name, as badges show it.")
@click.option("--url", default="", help="https origin; its did:web is the issuer's identity.")
@click.option("--email", default="", help="A contact address shown in every badge.")
@click.option(
    "--image", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="PNG or SVG."
)
@click.option(
    "--colours",
    nargs=2,
    metavar="BACKGROUND TEXT",
    default=None,
    help="The badge images' colours, #rrggbb each.",
)
@click.option(
    "--include-names/--no-include-names",
    default=False,
    help="Put the employee's name in badges (employees have none recorded yet).",
)
@pass_context
def badges_issuer_set(
    ctx: Context,
    name: str,
    url: str,
    email: str,
    image: Path | None,
    colours: tuple[str, str] | None,
    include_names: bool,
) -> None:
    """Set the issuer's profile (a new profile replaces the last; the URL cannot change once
    badges have been signed under it)."""
    data = image.read_bytes() if image else None
    run(
        ctx,
        lambda s: s.issuer.set_profile(
            name, url, email, data, (colours[0], colours[1]) if colours else None, include_names
        ),
    )


@badges_issuer.command("show")
@pass_context
def badges_issuer_show(ctx: Context) -> None:
    """The issuer's profile, DID and keys."""
    run(ctx, lambda s: s.issuer.view(), writes=False)


@badges_issuer.command("did-document")
@pass_context
def badges_issuer_did_document(ctx: Context) -> None:
    """The did:web DID document (what /.well-known/did.json serves), to publish or to hand to
    a verifier that cannot reach this service."""
    run(ctx, lambda s: s.issuer.did_document(), writes=False)


@badges.command("image")
@click.argument("code")
@click.argument(
    "image", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--drawn", is_flag=True, help="Go back to the image drawn from the name.")
@pass_context
def badges_image(ctx: Context, code: str, image: Path | None, drawn: bool) -> None:
    """The catalogue entry CODE's own badge image, a PNG or SVG (at most 512 KiB): its badges
    are baked into it instead of the drawn one."""
    if (image is None) == (not drawn):
        raise click.UsageError("name an IMAGE file, or --drawn")
    data = image.read_bytes() if image else None
    run(ctx, lambda s: s.issuer.set_entry_image(code, data))


@badges.command("status-list")
@click.argument("number", type=click.IntRange(min=1))
@click.argument("purpose", type=click.Choice(["revocation", "suspension"]))
@pass_context
def badges_status_list(ctx: Context, number: int, purpose: str) -> None:
    """The signed status list credential NUMBER for PURPOSE (what /badges/status/N/PURPOSE
    serves), to hand to a verifier with --status-list."""
    run(ctx, lambda s: s.badges.status_list(number, purpose), writes=False)


@cli.group()
def keys() -> None:
    """The issuer's Ed25519 signing keys (private halves in the key folder, public recorded)."""


@keys.command("init")
@pass_context
def keys_init(ctx: Context) -> None:
    """Create the first signing key (CAREPASSPORT_KEYS, or <store>.keys/ beside SQLite)."""
    run(ctx, lambda s: s.issuer.init_key())


@keys.command("rotate")
@pass_context
def keys_rotate(ctx: Context) -> None:
    """A new signing key from now; the old one is retired (its badges still verify)."""
    run(ctx, lambda s: s.issuer.rotate_key())


@badges.command("list")
@click.argument("employee_id")
@pass_context
def badges_list(ctx: Context, employee_id: str) -> None:
    """An employee's badges, newest first: id, code, validity, status and URL."""
    run(ctx, lambda s: s.badges.of_employee(employee_id), writes=False)


@badges.command("show")
@click.argument("badge_id")
@click.option("--format", "fmt", type=click.Choice(["json", "png", "svg", "qr"]), default="json")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file.")
@pass_context
def badges_show(ctx: Context, badge_id: str, fmt: str, out: Path | None) -> None:
    """The badge as signed JSON-LD, a baked PNG or SVG, or a QR code of its URL."""

    def render(s: Services) -> Raw:
        rendered = s.badges.render(badge_id, fmt)
        if out is not None:
            out.write_bytes(rendered.content)
            return Raw(f"{out}\n")
        if fmt in ("json", "svg"):
            return Raw(rendered.content.decode() + "\n")
        stdout = sys.stdout.buffer
        stdout.write(rendered.content)
        stdout.flush()
        return Raw("")

    run(ctx, render, writes=False)


@badges.command("export")
@click.option("--employer", default=None, help="Only this employer's employees' badges.")
@click.option("--csv", "as_csv", is_flag=True, required=True, help="CSV (the only format).")
@pass_context
def badges_export(ctx: Context, employer: str | None, as_csv: bool) -> None:
    """Every badge issued, one CSV row each (cells that could run as formulas are escaped)."""
    run(ctx, lambda s: Raw(s.badges.export_csv(employer)), writes=False)


@badges.command("issue-missing")
@pass_context
def badges_issue_missing(ctx: Context) -> None:
    """Issue badges for valid credentials published before badges were set up."""
    run(ctx, lambda s: {"issued": [str(b) for b in s.issuing.issue_missing()]})


@badges.command("verify")
@click.argument("file")
@click.option(
    "--issuer-document",
    "issuer_documents",
    multiple=True,
    metavar="FILE",
    help="Another issuer's DID document (did:web; nothing is fetched).",
)
@click.option(
    "--status-list",
    "status_lists",
    multiple=True,
    metavar="FILE",
    help="Another issuer's status-list credential (nothing is fetched).",
)
@pass_context
def badges_verify(
    ctx: Context, file: str, issuer_documents: tuple[str, ...], status_lists: tuple[str, ...]
) -> None:
    """Verify a credential (JSON, baked PNG or SVG; - for standard input): every check, and
    exit 0 only when all pass."""
    try:
        data = _read_file(file)
        dids = _documents(issuer_documents, "DID document")
        lists = _documents(status_lists, "status list")
    except (OSError, InvalidValue) as error:
        refuse(ctx, {"error": "invalid_value", "message": str(error)})
    outcome: list[VerificationReport] = []

    def verify(s: Services) -> Raw:
        from carepassport.entrypoints.present import as_json

        report = s.verifier.verify(data, dids, lists)
        outcome.append(report)
        return Raw(as_json(report.as_dict()) + "\n" if ctx.json else _report_text(report))

    run(ctx, verify, writes=False)
    sys.exit(0 if outcome and outcome[0].verified else 1)


def _report_text(report: VerificationReport) -> str:
    lines = [f"{'verified' if report.verified else 'NOT verified'}: {report.credential_id}"]
    for check in report.checks:
        lines.append(f"  {'pass' if check.passed else 'FAIL'} {check.check}: {check.detail}")
    return "\n".join(lines) + "\n"


@badges.command("recognise")
@click.argument("file")
@click.option("--employee", "employee_id", required=True, help="Whose credential it is.")
@click.option("--issuer-document", "issuer_documents", multiple=True, metavar="FILE")
@click.option("--status-list", "status_lists", multiple=True, metavar="FILE")
@pass_context
def badges_recognise(
    ctx: Context,
    file: str,
    employee_id: str,
    issuer_documents: tuple[str, ...],
    status_lists: tuple[str, ...],
) -> None:
    """Record another issuer's Open Badges 3.0 credential for an employee, once it verifies
    (shown in status as recognised; it counts as a catalogue entry that accepts it)."""
    try:
        data = _read_file(file)
        dids = _documents(issuer_documents, "DID document")
        lists = _documents(status_lists, "status list")
    except (OSError, InvalidValue) as error:
        refuse(ctx, {"error": "invalid_value", "message": str(error)})
    run(ctx, lambda s: s.stacking.recognise(data, employee_id, dids, lists))


@badges.command("accept")
@click.argument("code")
@click.option(
    "--achievement", "achievement_id", required=True, help="The foreign achievement's id."
)
@click.option("--issuer", default="", help="Only from this issuer (its DID); default any.")
@pass_context
def badges_accept(ctx: Context, code: str, achievement_id: str, issuer: str) -> None:
    """Declare that the catalogue entry CODE accepts a foreign achievement as equivalent."""
    run(ctx, lambda s: s.stacking.accept(code, achievement_id, issuer))


@cli.group()
def pathways() -> None:
    """Stackable pathways: micro-credentials that together earn a pathway credential."""


@pathways.command("add")
@click.argument("name")
@click.option("--requires", "codes", multiple=True, required=True, metavar="CODE")
@click.option("--title", default="", help="The pathway credential's name (default: NAME).")
@pass_context
def pathways_add(ctx: Context, name: str, codes: tuple[str, ...], title: str) -> None:
    """A pathway of at least two micro-credentials; its credential is issued whenever every
    one is valid (now, to those who already hold them all), and suspended while one is not."""
    run(ctx, lambda s: s.stacking.add_pathway(name, codes, title))


@pathways.command("list")
@pass_context
def pathways_list(ctx: Context) -> None:
    """The pathways and their micro-credentials."""
    run(ctx, lambda s: s.stacking.pathways(), writes=False)
