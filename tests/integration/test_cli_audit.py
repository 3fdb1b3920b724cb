"""The audit commands as an operator and an auditor use them, on SQLite and PostgreSQL: a
checkpoint written to the folder, the log verified with the kept note and the given key, and
an edited event reported with exit 1 and its position."""

from __future__ import annotations

from pathlib import Path

from tests.integration.cli_helpers import Cli
from tests.stores import RawStore


def checkpointed(cp: Cli, tmp_path: Path) -> tuple[Path, str]:
    cp.env = {
        "CAREPASSPORT_KEYS": str(tmp_path / "keys"),
        "CAREPASSPORT_CHECKPOINTS": str(tmp_path / "checkpoints"),
    }
    made = cp.run("audit", "checkpoint", now="2026-04-01T09:00")
    (key,) = cp.run("audit", "keys")
    return Path(made["written_to"]), key


def test_the_log_verifies_against_the_kept_checkpoint_and_the_given_key(
    cp: Cli, tmp_path: Path
) -> None:
    kept, key = checkpointed(cp, tmp_path)

    done = cp.run("audit", "verify", "--checkpoint", str(kept), "--key", key, ok=False)

    assert done.exit_code == 0, done.output
    assert '"verified": true' in done.stdout
    assert kept.parent == tmp_path / "checkpoints"


def test_an_edited_event_fails_verification_and_is_located(cp: Cli, tmp_path: Path) -> None:
    kept, key = checkpointed(cp, tmp_path)
    raw = RawStore(cp.url)
    at = "rowid" if raw.kind == "sqlite" else "notification_id"
    raw.execute(f"UPDATE {raw.events_table} SET topic = topic || 'X' WHERE {at} = 2")

    done = cp.run("audit", "verify", "--checkpoint", str(kept), "--key", key, ok=False)

    assert done.exit_code == 1
    assert '"verified": false' in done.stdout and '"position": 2' in done.stdout


def test_an_inclusion_proof_is_printed_for_a_position(cp: Cli, tmp_path: Path) -> None:
    made, _ = checkpointed(cp, tmp_path)

    proof = cp.run("audit", "prove", "1", "--checkpoint", str(made))

    assert proof["leaf_index"] == 0 and proof["proof"]
