"""The layer rules (docs/adr/0001 and 0018), read from the source itself."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).parents[2] / "src"


def files_under(folder: str) -> list[Path]:
    """Every module of a layer, its capability sub-packages' included."""
    return sorted((SRC / folder).rglob("*.py"))


def named(path: Path) -> str:
    return str(path.relative_to(SRC))


DOMAIN_FILES = files_under("domain")
APPLICATION_FILES = files_under("application")
DOMAIN_MAY_IMPORT = {"attrs", "eventsourcing.domain", "carepassport.domain"}


def imports_of(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def allowed_in_domain(module: str) -> bool:
    top = module.split(".")[0]
    if top in sys.stdlib_module_names and top not in {"sqlite3", "socket", "smtplib"}:
        return True
    return any(module == ok or module.startswith(ok + ".") for ok in DOMAIN_MAY_IMPORT)


@pytest.mark.parametrize("path", DOMAIN_FILES, ids=named)
def test_domain_imports_only_the_standard_library_attrs_and_eventsourcing_domain(
    path: Path,
) -> None:
    forbidden = [m for m in imports_of(path) if not allowed_in_domain(m)]

    assert forbidden == []


@pytest.mark.parametrize("path", DOMAIN_FILES, ids=named)
def test_domain_reads_no_clock_and_makes_no_random_ids(path: Path) -> None:
    text = path.read_text()

    assert "datetime.now(" not in text and ".today(" not in text
    assert "uuid4" not in text and "time.time(" not in text


@pytest.mark.parametrize("path", APPLICATION_FILES, ids=named)
def test_application_imports_no_adapter_entrypoint_or_bootstrap(path: Path) -> None:
    outward = [
        m
        for m in imports_of(path)
        if m.startswith(
            ("carepassport.adapters", "carepassport.entrypoints", "carepassport.bootstrap")
        )
    ]

    assert outward == []
