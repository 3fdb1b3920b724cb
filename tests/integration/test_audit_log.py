"""The tamper-evident log on every store: checkpoints signed and kept, the log verified against
them, proofs that verify, the daily checkpoint; and on the durable stores, each kind of
tampering with the events table (a changed state, a deleted row, two rows swapped, a truncated
log) and a forged checkpoint caught and located."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from carepassport.adapters.badges.keys import MemoryKeys
from carepassport.adapters.clocks import SettableClock
from carepassport.adapters.lms.memory import InMemoryLms
from carepassport.adapters.mail.mailers import InMemoryMailer
from carepassport.application.services import Services
from carepassport.audit import merkle, note
from carepassport.bootstrap import bootstrap
from carepassport.domain.audit.trail import AuditTrail
from carepassport.domain.errors import NotFound
from carepassport.entrypoints.http import create_app
from tests.conftest import APPROVAL_SECRET, REPLY_DOMAIN, toronto
from tests.stores import RawStore


def open_store(url: str, folder: Path, clock: SettableClock) -> Services:
    return bootstrap(
        url,
        clock=clock,
        mailer=InMemoryMailer(),
        lms=InMemoryLms(),
        approval_secret=APPROVAL_SECRET,
        reply_domain=REPLY_DOMAIN,
        keys=MemoryKeys(),
        environ={"CAREPASSPORT_CHECKPOINTS": str(folder)},
    )


def some_history(services: Services) -> None:
    services.reference.add_micro_credential("IPAC", "Infection Prevention and Control")
    services.reference.add_employer("SUNNY", name="Sunny", approvers=["hr@sunny.example"])
    services.reference.add_employee(
        "E1", employer="SUNNY", email="pat@example.org", student_number_="C0912345"
    )
    services.sponsorships.request("E1", ["IPAC"])


@pytest.fixture
def audited(store_url: str, tmp_path: Path, clock: SettableClock) -> Iterator[Services]:
    services = open_store(store_url, tmp_path / "checkpoints", clock)
    some_history(services)
    yield services
    services.close()


class TestCheckpoints:
    def test_a_checkpoint_is_signed_written_and_recorded_and_the_log_verifies(
        self, audited: Services, tmp_path: Path
    ) -> None:
        made = audited.audit.checkpoint()

        written = Path(made.written_to).read_text("utf-8")
        found = note.verify_checkpoint(written, audited.audit.verifier_keys())
        report = audited.audit.verify()
        assert written == made.note == audited.audit.latest()
        assert (found.size, found.root.hex()) == (made.size, made.root)
        assert report.verified and [c.ok for c in report.checkpoints] == [True]
        assert report.size == made.size + 1  # the checkpoint's own event came after it

    def test_a_later_checkpoint_is_consistent_with_the_earlier_one(self, audited: Services) -> None:
        first = audited.audit.checkpoint()
        audited.reference.add_micro_credential("FIRE", "Fire Safety")
        second = audited.audit.checkpoint()

        proof = audited.audit.consistency(first.size, second.size)

        merkle.verify_consistency(
            first.size,
            second.size,
            bytes.fromhex(first.root),
            bytes.fromhex(second.root),
            [bytes.fromhex(p) for p in proof.proof],
        )
        assert audited.audit.verify().verified

    def test_an_inclusion_proof_leads_to_the_checkpoints_root(self, audited: Services) -> None:
        made = audited.audit.checkpoint()

        proof = audited.audit.prove(2, made.note)

        merkle.verify_inclusion(
            proof.leaf_index,
            made.size,
            bytes.fromhex(proof.leaf_hash),
            [bytes.fromhex(p) for p in proof.proof],
            bytes.fromhex(made.root),
        )
        assert proof.tree_size == made.size

    def test_the_first_checkpoint_starts_a_daily_one_at_five_past_midnight(
        self, audited: Services, clock: SettableClock
    ) -> None:
        audited.audit.checkpoint()
        clock.set(toronto(2026, 3, 31, 0, 6))

        report = audited.scheduler.tick()

        trail = audited.app.find(AuditTrail, AuditTrail.identity())
        assert "audit_checkpoint" in [p.action for p in report.processed]
        assert trail is not None and [m.scheduled for m in trail.checkpoints] == [False, True]
        assert trail.next.due_at == toronto(2026, 4, 1, 0, 5)
        assert audited.audit.verify().verified

    def test_no_checkpoint_yet_is_not_found(self, audited: Services) -> None:
        with pytest.raises(NotFound, match="no audit checkpoint"):
            audited.audit.latest()


class TestStandAloneVerifier:
    def test_an_export_verifies_with_the_logs_key_on_its_own(
        self, audited: Services, tmp_path: Path
    ) -> None:
        audited.audit.checkpoint()
        export = tmp_path / "log.jsonl"
        audited.audit.export(export)
        (key,) = [k.encode() for k in audited.audit.verifier_keys()]

        done = verify_export(export, "--key", key)

        assert done.returncode == 0, done.stdout + done.stderr
        assert "pass checkpoint" in done.stdout

    def test_an_edited_export_fails(self, audited: Services, tmp_path: Path) -> None:
        audited.audit.checkpoint()
        export = tmp_path / "log.jsonl"
        audited.audit.export(export)
        lines = export.read_text("utf-8").splitlines()
        record = json.loads(lines[2])
        record["topic"] = record["topic"] + "X"
        lines[2] = json.dumps(record)
        export.write_text("\n".join(lines) + "\n", "utf-8")

        done = verify_export(export)

        assert done.returncode == 1 and "FAIL checkpoint" in done.stdout


def verify_export(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "carepassport.audit.verify_export", str(path), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


class TestTampering:
    @pytest.fixture
    def checkpointed(
        self, durable_url: str, tmp_path: Path, clock: SettableClock
    ) -> Iterator[tuple[Services, RawStore]]:
        services = open_store(durable_url, tmp_path / "checkpoints", clock)
        some_history(services)
        services.audit.checkpoint()
        yield services, RawStore(durable_url)
        services.close()

    @staticmethod
    def ids(raw: RawStore) -> tuple[str, str]:
        table = raw.events_table
        column = "rowid" if raw.kind == "sqlite" else "notification_id"
        return table, column

    def test_a_changed_state_is_located_at_its_position(
        self, checkpointed: tuple[Services, RawStore]
    ) -> None:
        services, raw = checkpointed
        table, at = self.ids(raw)
        raw.execute(f"UPDATE {table} SET state = state || state WHERE {at} = 3")

        report = services.audit.verify()

        assert not report.verified
        assert report.divergence is not None and report.divergence.position == 3
        assert "changed" in report.divergence.what
        assert [c.ok for c in report.checkpoints] == [False]

    def test_a_deleted_row_is_located(self, checkpointed: tuple[Services, RawStore]) -> None:
        services, raw = checkpointed
        table, at = self.ids(raw)
        raw.execute(f"DELETE FROM {table} WHERE {at} = 4")

        report = services.audit.verify()

        assert not report.verified and report.divergence is not None
        assert (report.divergence.recorded_position, report.divergence.position) == (4, 5)

    def test_two_swapped_rows_are_located_at_the_first(
        self, checkpointed: tuple[Services, RawStore]
    ) -> None:
        services, raw = checkpointed
        table, at = self.ids(raw)
        raw.execute(
            f"UPDATE {table} SET {at} = -1 WHERE {at} = 2",
            f"UPDATE {table} SET {at} = 2 WHERE {at} = 5",
            f"UPDATE {table} SET {at} = 5 WHERE {at} = -1",
        )

        report = services.audit.verify()

        assert not report.verified and report.divergence is not None
        assert report.divergence.position == 2 and "changed" in report.divergence.what

    def test_a_truncated_log_is_caught(self, checkpointed: tuple[Services, RawStore]) -> None:
        services, raw = checkpointed
        kept, keys = services.audit.latest(), services.audit.verifier_keys()  # as a witness
        table, at = self.ids(raw)
        raw.execute(f"DELETE FROM {table} WHERE {at} > 3")  # the trail's own events too

        report = services.audit.verify([("kept.txt", kept)], keys)

        assert not report.verified and report.divergence is not None
        assert report.size == 3 and "ends before" in report.divergence.what
        assert "only 3 events" in report.checkpoints[0].reason

    def test_a_checkpoint_forged_with_another_key_is_refused(
        self, checkpointed: tuple[Services, RawStore]
    ) -> None:
        services, _ = checkpointed
        real = note.verify_checkpoint(services.audit.latest(), services.audit.verifier_keys())
        (key,) = services.audit.verifier_keys()
        forger = Ed25519PrivateKey.generate()
        text = note.checkpoint_text(real.origin, real.size, bytes(32))
        forged = note.sign(text, key.name, key.public_key, forger.sign)

        report = services.audit.verify([("forged.txt", forged)])

        assert not report.verified
        (bad,) = [c for c in report.checkpoints if c.source == "forged.txt"]
        assert "does not verify" in bad.reason


def test_the_latest_checkpoint_is_served_to_anyone_as_plain_text(
    audited: Services,
) -> None:
    with TestClient(create_app(lambda: audited), raise_server_exceptions=False) as api:
        before = api.get("/audit/checkpoint")
        made = audited.audit.checkpoint()
        after = api.get("/audit/checkpoint")

    assert before.status_code == 404
    assert after.status_code == 200 and after.text == made.note
    assert after.headers["content-type"].startswith("text/plain")


def test_a_tick_after_missed_days_makes_one_checkpoint_and_schedules_the_next_ahead(
    audited: Services, clock: SettableClock
) -> None:
    audited.audit.checkpoint()
    clock.set(toronto(2026, 4, 5, 9, 0))

    report = audited.scheduler.tick()

    trail = audited.app.find(AuditTrail, AuditTrail.identity())
    assert [p.action for p in report.processed].count("audit_checkpoint") == 1
    assert trail is not None and trail.next.due_at == toronto(2026, 4, 6, 0, 5)
