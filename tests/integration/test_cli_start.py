"""What a ``carepassport`` command loads: only what it uses (issue 17, ADR 0025).

Each command runs in a fresh interpreter, which then lists the modules it imported. No timing
is asserted here (the start-up times are measured by ``bench.run --only startup``); the import
list is what keeps them low, and it does not depend on the machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

RUN_CLI = """
import json, sys
from carepassport.entrypoints.cli import main
sys.argv = ["carepassport", *json.loads(sys.argv[1])]
try:
    main()
finally:
    with open(OUT, "w") as out:
        json.dump(sorted(sys.modules), out)
"""

SERVER_AND_WEB = {"fastapi", "uvicorn", "starlette", "jinja2", "babel", "prometheus_client"}
POSTGRES = {"psycopg", "psycopg_pool", "eventsourcing.postgres"}
BRIGHTSPACE = {"httpx", "pydantic", "tenacity"}
BADGES = {"pyld", "PIL", "qrcode", "jsonschema", "lxml"}


def imported_by(tmp_path: Path, *args: str) -> set[str]:
    """The top-level and named modules loaded by ``carepassport ARGS`` (it must succeed)."""
    listing = tmp_path / "modules.json"
    code = f"OUT = {str(listing)!r}\n" + RUN_CLI
    done = subprocess.run(
        [sys.executable, "-c", code, json.dumps(args)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    modules = set(json.loads(listing.read_text()))
    return modules | {name.partition(".")[0] for name in modules}


@pytest.fixture
def sqlite_store(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cp.db'}"
    imported_by(tmp_path, "--store", url, "catalog", "add", "IPAC", "--title", "IPAC")
    return url


def test_help_loads_no_adapter_library_and_not_the_core(tmp_path: Path) -> None:
    loaded = imported_by(tmp_path, "--help")

    assert not loaded & (SERVER_AND_WEB | POSTGRES | BRIGHTSPACE | BADGES)
    assert not {m for m in loaded if m.startswith("carepassport.application")}
    assert "eventsourcing" not in loaded


def test_a_read_on_sqlite_loads_no_postgres_brightspace_server_or_badge_library(
    tmp_path: Path, sqlite_store: str
) -> None:
    loaded = imported_by(tmp_path, "--store", sqlite_store, "--json", "catalog", "list")

    assert not loaded & (SERVER_AND_WEB | POSTGRES | BRIGHTSPACE | BADGES)


def test_a_write_on_sqlite_loads_no_postgres_brightspace_server_or_badge_library(
    tmp_path: Path, sqlite_store: str
) -> None:
    loaded = imported_by(
        tmp_path, "--store", sqlite_store, "employers", "add", "SUNNY", "--name", "Sunny",
        "--approver", "boss@sunny.example",
    )  # fmt: skip

    assert not loaded & (SERVER_AND_WEB | POSTGRES | BRIGHTSPACE | BADGES)


def test_a_command_loads_the_sqlite_store_it_names(tmp_path: Path, sqlite_store: str) -> None:
    loaded = imported_by(tmp_path, "--store", sqlite_store, "--json", "catalog", "list")

    assert {"eventsourcing.sqlite", "carepassport.adapters.storage.sqlite"} <= loaded
