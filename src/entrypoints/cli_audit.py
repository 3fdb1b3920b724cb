"""The ``audit`` commands: signed checkpoints of the event log, verifying the log against
them, inclusion and consistency proofs, and an export for auditors."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from carepassport.entrypoints.cli import Context, Raw, cli, parse_instant, pass_context, refuse, run

if TYPE_CHECKING:
    from carepassport.application.audit.log import VerifyReport
    from carepassport.application.audit.rederive import RederiveReport
    from carepassport.application.services import Services
    from carepassport.audit.note import VerifierKey

NOTE_LIMIT = 64 * 1024


@cli.group()
def audit() -> None:
    """The tamper-evident log: checkpoints, verification, proofs, export."""


@audit.command("checkpoint")
@pass_context
def audit_checkpoint(ctx: Context) -> None:
    """Sign the log's current tree head (a C2SP checkpoint), write it to the checkpoint folder
    and record it. The first one also starts the daily checkpoint at 00:05."""
    run(ctx, lambda s: s.audit.checkpoint())


@audit.command("latest")
@pass_context
def audit_latest(ctx: Context) -> None:
    """The latest signed checkpoint, as a note (to keep, or give to a witness)."""
    run(ctx, lambda s: Raw(s.audit.latest()), writes=False)


@audit.command("keys")
@pass_context
def audit_keys(ctx: Context) -> None:
    """The verifier keys of the checkpoints (name+id+key, as Go's note package reads them)."""
    run(ctx, lambda s: [k.encode() for k in s.audit.verifier_keys()], writes=False)


def _notes(paths: tuple[Path, ...]) -> list[tuple[str, str]]:
    found = []
    for path in paths:
        text = path.read_text("utf-8")
        if len(text) > NOTE_LIMIT:
            raise click.BadParameter(f"{path} is over {NOTE_LIMIT // 1024} KiB: not a checkpoint")
        found.append((str(path), text))
    return found


def _keys(ctx: Context, values: tuple[str, ...]) -> list[VerifierKey]:
    from carepassport.audit.note import NoteError, VerifierKey

    try:
        return [VerifierKey.decode(v) for v in values]
    except NoteError as error:
        refuse(ctx, {"error": "invalid_value", "message": str(error)})


@audit.command("verify")
@click.option(
    "--checkpoint",
    "checkpoints",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A checkpoint you kept (besides those recorded).",
)
@click.option("--key", "keys", multiple=True, help="Trust only this verifier key (name+id+key).")
@pass_context
def audit_verify(ctx: Context, checkpoints: tuple[Path, ...], keys: tuple[str, ...]) -> None:
    """Recompute the tree from the log and check every checkpoint against it; exit 1 and
    name the first diverging position if anything was inserted, changed, deleted or
    reordered."""
    notes, trusted = _notes(checkpoints), _keys(ctx, keys)
    outcome: list[VerifyReport] = []

    def verify(s: Services) -> Raw:
        from carepassport.entrypoints.present import as_json

        report = s.audit.verify(notes, trusted)
        outcome.append(report)
        return Raw(as_json(report) + "\n" if ctx.json else _report_text(report))

    run(ctx, verify, writes=False)
    sys.exit(0 if outcome and outcome[0].verified else 1)


def _report_text(report: VerifyReport) -> str:
    head = "verified" if report.verified else "NOT verified"
    lines = [f"{head}: {report.size} events, root {report.root}"]
    for check in report.checkpoints:
        state = "pass" if check.ok else "FAIL"
        lines.append(f"  {state} checkpoint of {check.size} ({check.source}) {check.reason}")
    if report.divergence is not None:
        d = report.divergence
        lines.append(f"  first divergence at leaf {d.leaf_index}: {d.what}")
        if d.originator_id:
            lines.append(f"    event now there: {d.originator_id} v{d.version} {d.topic}")
    return "\n".join(lines) + "\n"


@audit.command("prove")
@click.argument("position", type=click.IntRange(min=1))
@click.option(
    "--checkpoint",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Prove inclusion in this checkpoint's tree (default: the current tree).",
)
@pass_context
def audit_prove(ctx: Context, position: int, checkpoint: Path | None) -> None:
    """The inclusion proof (RFC 9162) of the event at notification POSITION."""
    note = _notes((checkpoint,))[0][1] if checkpoint else None
    run(ctx, lambda s: s.audit.prove(position, note))


@audit.command("consistency")
@click.argument("old", type=click.IntRange(min=0))
@click.argument("new", type=click.IntRange(min=0), required=False)
@pass_context
def audit_consistency(ctx: Context, old: int, new: int | None) -> None:
    """The consistency proof (RFC 9162) from the tree of OLD events to that of NEW (default:
    the current tree)."""
    run(ctx, lambda s: s.audit.consistency(old, new))


@audit.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_context
def audit_export(ctx: Context, file: Path) -> None:
    """Every stored event as JSON lines, with the log's keys and checkpoints, for
    ``python -m carepassport.audit.verify_export FILE``."""
    run(ctx, lambda s: s.audit.export(file), writes=False)


@audit.command("rederive")
@click.option("--from", "since", default=None, help="Recorded at or after (ISO-8601).")
@click.option("--to", "until", default=None, help="Recorded at or before (ISO-8601).")
@pass_context
def audit_rederive(ctx: Context, since: str | None, until: str | None) -> None:
    """Derive every recorded deadline again from its recorded inputs, with the calendar and
    settings recorded in force; list every difference with both values (exit 1 if any)."""
    start = parse_instant(since, "--from") if since else None
    end = parse_instant(until, "--to") if until else None
    outcome: list[RederiveReport] = []

    def rederive(s: Services) -> RederiveReport:
        report = s.rederivation.run(start, end)
        outcome.append(report)
        return report

    run(ctx, rederive, writes=False)
    sys.exit(0 if outcome and not outcome[0].divergences and not outcome[0].unknown else 1)
