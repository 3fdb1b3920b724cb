"""The repository stands alone: nothing it tracks links outside it, and nothing a user reads
names a source document (the rules are in docs/rules.md)."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from carepassport.entrypoints.cli import cli
from carepassport.entrypoints.http.app import create_app

ROOT = Path(__file__).parents[2]
# A markdown link or image target: ](target) — the target up to a space, ')' or '#'.
LINK = re.compile(r"\]\(\s*<?([^)\s#>]+)")


def tracked_text_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    paths = [ROOT / name for name in listed.split("\0") if name]
    return [p for p in paths if p.is_file() and p.suffix in {".md", ".py", ".toml", ".txt", ""}]


def links_leaving(text: str, folder: Path) -> list[str]:
    """Relative link targets in ``text`` that resolve outside the repository from ``folder``,
    and any mention of the sibling folder the rules were once kept in."""
    relative = [t for t in LINK.findall(text) if not re.match(r"[a-z]+:", t)]
    leaving = [t for t in relative if not (folder / t).resolve().is_relative_to(ROOT)]
    return leaving + re.findall(r"\.\./shared\b", text)


def every_help_text() -> Iterator[tuple[str, str]]:
    def walk(command: click.Command, path: list[str]) -> Iterator[tuple[str, str]]:
        context = click.Context(command, info_name=" ".join(path))
        yield " ".join(path), command.get_help(context)
        if isinstance(command, click.Group):
            for name in command.list_commands(context):
                sub = command.get_command(context, name)
                assert sub is not None
                yield from walk(sub, [*path, name])

    return walk(cli, ["carepassport"])


def test_the_link_finder_flags_a_link_that_leaves_the_repository() -> None:
    up = ".."  # spelt apart, so that this file holds no such link itself
    text = f"[a]({up}/{up}/elsewhere/x.md) [b](rules.md) [c](https://example.org/x) see {up}/shared"

    assert links_leaving(text, ROOT / "docs") == [f"{up}/{up}/elsewhere/x.md", f"{up}/shared"]


@pytest.mark.parametrize("path", tracked_text_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_tracked_file_links_outside_the_repository(path: Path) -> None:
    assert links_leaving(path.read_text(errors="replace"), path.parent) == []


def test_the_rules_are_in_the_repository_and_the_readme_links_them() -> None:
    rules = (ROOT / "docs" / "rules.md").read_text()

    assert all(f"## R{n} " in rules for n in range(1, 16))
    assert "(docs/rules.md)" in (ROOT / "README.md").read_text()


def test_no_cli_help_names_a_source_document() -> None:
    helps = dict(every_help_text())

    assert len(helps) > 20  # every command's, not the top level's alone
    assert [name for name, text in helps.items() if "seed" in text.lower()] == []


def test_the_openapi_document_names_no_source_document() -> None:
    document = create_app(lambda: None).openapi()  # type: ignore[arg-type, return-value]

    assert "/sponsorships" in str(document["paths"])
    assert "seed" not in str(document).lower()
