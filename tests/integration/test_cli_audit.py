"""The audit commands as an operator and an auditor use them, on SQLite and PostgreSQL: a
checkpoint written to the folder, the log verified with the kept note and the given key, and
an edited event reported with exit 1 and its position."""

from __future__ import annotations

import json
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


def edit_state(raw: RawStore, topic_end: str, old: str, new: str) -> None:
    """Rewrite text inside the stored state of the events whose topic ends with ``topic_end``."""
    if raw.kind == "sqlite":
        value = f"CAST(replace(CAST(state AS TEXT), '{old}', '{new}') AS BLOB)"
    else:
        value = f"convert_to(replace(convert_from(state, 'UTF8'), '{old}', '{new}'), 'UTF8')"
    raw.execute(f"UPDATE {raw.events_table} SET state = {value} WHERE topic LIKE '%{topic_end}'")


def test_every_recorded_deadline_rederives_from_its_recorded_inputs(cp: Cli) -> None:
    cp.run("sponsorships", "request", "E1", "IPAC", now="2026-03-30T09:00")

    done = cp.run("audit", "rederive", ok=False)

    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert (report["events"], report["deadlines"]) == (1, 2)  # the two approval reminders (R3)
    assert (report["divergences"], report["unknown"]) == ([], [])


def test_a_hand_edited_deadline_is_reported_with_the_recorded_and_the_derived_value(
    cp: Cli,
) -> None:
    cp.run("sponsorships", "request", "E1", "IPAC", now="2026-03-30T09:00")
    raw = RawStore(cp.url)
    edit_state(raw, "SponsorshipRequested", "2026-04-01T09:00:00-04", "2026-04-03T09:00:00-04")

    done = cp.run("audit", "rederive", ok=False)

    assert done.exit_code == 1
    (divergence,) = json.loads(done.stdout)["divergences"]
    assert divergence["action"] == "approval_reminder:1" and divergence["rule"] == "R3"
    assert divergence["recorded"] == "2026-04-03T09:00:00-04:00"
    assert divergence["derived"] == "2026-04-01T09:00:00-04:00"


def test_rederive_reads_only_the_events_recorded_in_the_window_given(cp: Cli) -> None:
    cp.run("sponsorships", "request", "E1", "IPAC", now="2026-03-30T09:00")
    cp.run("sponsorships", "request", "E1", "WHMIS", now="2026-04-06T09:00")

    report = cp.run("audit", "rederive", "--from", "2026-04-01T00:00")

    assert (report["events"], report["deadlines"]) == (1, 2)


def test_a_wrong_date_for_rederive_is_refused(cp: Cli) -> None:
    done = cp.run("audit", "rederive", "--from", "last tuesday", ok=False)

    assert done.exit_code == 2 and "--from" in done.output


def test_an_event_edited_past_reading_is_named_not_a_crash(cp: Cli) -> None:
    cp.run("sponsorships", "request", "E1", "IPAC", now="2026-03-30T09:00")
    edit_state(
        RawStore(cp.url), "SponsorshipRequested", "2026-04-01T09:00:00-04:00", "2026-04-03T09:00"
    )  # no offset: the recorded deadline no longer decodes

    done = cp.run("audit", "rederive", ok=False)

    assert done.exit_code == 1, done.output
    (unknown,) = json.loads(done.stdout)["unknown"]
    assert "cannot be read" in unknown and "due_at must carry a time-zone offset" in unknown
