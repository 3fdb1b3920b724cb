"""The ``people`` commands: erasing a person's personal data (crypto-shredding, ADR 0023)."""

from __future__ import annotations

import getpass

import click

from carepassport.entrypoints.cli import Context, cli, pass_context, run


@cli.group()
def people() -> None:
    """A person's personal data: erasure on request."""


@people.command("erase")
@click.argument("person_id")
@click.option("--reason", required=True, help="Why (e.g. the erasure request's reference).")
@click.option("--by", "by", default=None, help="Who erases (default: cli:<login name>).")
@pass_context
def people_erase(ctx: Context, person_id: str, reason: str, by: str | None) -> None:
    """Erase an employee's or job seeker's personal data: their data keys are deleted, so their
    e-mail, student numbers, name and the messages naming them read as [erased] everywhere.
    History, reports, badges and the audit log stay intact; who, when and why are recorded."""
    who = by or f"cli:{getpass.getuser()}"
    run(ctx, lambda s: s.people.erase(person_id, reason, who))
