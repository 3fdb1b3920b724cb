"""The CLI's badge commands on SQLite and PostgreSQL: the issuer, its keys in a key folder,
badges issued at publication, shown, exported and verified by exit code."""

from __future__ import annotations

import csv
import io
import json
import stat
from pathlib import Path
from typing import Any

import pytest

from carepassport.adapters.badges.baking import ImageBaking
from carepassport.adapters.badges.images import BadgeImages
from carepassport.entrypoints.cli import cli
from tests.integration.cli_helpers import Cli

HEADER = "record_id,student_number,credential_code,attempt,score,passed,attempted_at\n"


@pytest.fixture
def issuer(cp: Cli, tmp_path: Path) -> Cli:
    """A did:web issuer with its key in a folder of the test's own."""
    cp.env["CAREPASSPORT_KEYS"] = str(tmp_path / "keys")
    cp.run(
        "badges", "issuer", "set", "--name", "Care College", "--url", "https://college.example",
        now="2026-07-01T09:00",
    )  # fmt: skip
    cp.run("keys", "init", now="2026-07-01T09:00")
    return cp


@pytest.fixture
def badged(issuer: Cli, tmp_path: Path) -> tuple[Cli, str]:
    """E1 passed IPAC on 2026-07-31; published on 2026-08-03 with its badge."""
    issuer.run("register", "E1", "IPAC", "--self-pay", now="2026-07-27T10:00")
    results = tmp_path / "r.csv"
    results.write_text(HEADER + "R1,C0912345,IPAC,1,90,true,2026-07-31T16:00\n")
    issuer.run("lms", "import", str(results), now="2026-07-31T20:00")
    issuer.run("tick", now="2026-08-03T10:00")
    (badge,) = issuer.run("badges", "list", "E1", now="2026-08-03T11:00")
    return issuer, badge["badge_id"]


def verify(cp: Cli, path: Path, now: str = "2026-08-04T09:00") -> tuple[int, dict[str, object]]:
    result = cp.runner.invoke(
        cli,
        ["--store", cp.url, "--json", "--now", now, "badges", "verify", str(path)],
        env=cp.env,
    )
    return result.exit_code, json.loads(result.stdout)


def test_keys_init_writes_a_private_key_only_its_owner_can_read(
    issuer: Cli, tmp_path: Path
) -> None:
    (key_file,) = (tmp_path / "keys").iterdir()

    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    shown = issuer.run("badges", "issuer", "show", now="2026-07-01T10:00")
    assert shown["did"] == "did:web:college.example"
    assert shown["configured"] is True
    assert "secretKeyMultibase" not in json.dumps(shown)


def test_publication_lists_an_active_badge(badged: tuple[Cli, str]) -> None:
    cp, badge_id = badged

    (badge,) = cp.run("badges", "list", "E1", now="2026-08-03T11:00")

    assert (badge["code"], badge["status"]) == ("IPAC", "active")
    assert badge["url"] == f"https://college.example/badges/{badge_id}"


def test_a_baked_png_written_by_show_verifies_with_exit_0(
    badged: tuple[Cli, str], tmp_path: Path
) -> None:
    cp, badge_id = badged
    png = tmp_path / "badge.png"
    cp.run("badges", "show", badge_id, "--format", "png", "--out", str(png), ok=False)

    code, report = verify(cp, png)

    assert ImageBaking().unbake(png.read_bytes())["id"].endswith(badge_id)
    assert (code, report["verified"]) == (0, True)


def test_a_tampered_credential_fails_with_exit_1_and_names_the_proof(
    badged: tuple[Cli, str], tmp_path: Path
) -> None:
    cp, badge_id = badged
    document = cp.run("badges", "show", badge_id)
    document["validUntil"] = "2099-01-01T00:00:00Z"
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(document))
    before = cp.events()

    code, report = verify(cp, tampered)

    assert code == 1
    assert report["verified"] is False
    assert {c["check"] for c in report["checks"] if not c["passed"]} == {"proof"}  # type: ignore[attr-defined]
    assert cp.events() == before


def test_a_revoked_badge_fails_on_its_status(badged: tuple[Cli, str], tmp_path: Path) -> None:
    cp, badge_id = badged
    saved = tmp_path / "badge.json"
    saved.write_text(json.dumps(cp.run("badges", "show", badge_id)))
    cp.run("credentials", "revoke", "E1", "IPAC", "--reason", "misconduct", now="2026-08-04T08:00")

    code, report = verify(cp, saved)

    assert code == 1
    assert [c["detail"] for c in report["checks"] if not c["passed"]] == [  # type: ignore[attr-defined]
        "the credential is revoked"
    ]


def test_the_export_lists_the_badge_with_its_hash(badged: tuple[Cli, str]) -> None:
    cp, badge_id = badged
    result = cp.runner.invoke(
        cli, ["--store", cp.url, "badges", "export", "--employer", "SUNNY", "--csv"], env=cp.env
    )

    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["badge_id"], r["employer_id"], r["status"]) for r in rows] == [
        (badge_id, "SUNNY", "active")
    ]
    assert len(rows[0]["sha256"]) == 64


def test_an_unpinned_context_is_refused_and_nothing_is_fetched(
    badged: tuple[Cli, str], tmp_path: Path
) -> None:
    cp, badge_id = badged
    document = cp.run("badges", "show", badge_id)
    document["@context"].append("https://attacker.example/ctx.jsonld")
    path = tmp_path / "ctx.json"
    path.write_text(json.dumps(document))

    code, report = verify(cp, path)

    assert code == 1
    failed = {c["check"] for c in report["checks"] if not c["passed"]}  # type: ignore[attr-defined]
    assert failed == {"contexts"}


def test_without_a_key_folder_keys_init_on_postgresql_names_the_variable(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CAREPASSPORT_KEYS", raising=False)
    cp = Cli(postgres_url)

    result = cp.run("keys", "init", now="2026-07-01T09:00", ok=False)

    assert result.exit_code == 1
    assert "CAREPASSPORT_KEYS" in result.stderr
    assert cp.run("badges", "issuer", "show", ok=False).exit_code == 1


def test_another_installation_verifies_a_badge_with_the_issuers_did_document_and_lists(
    badged: tuple[Cli, str], tmp_path: Path
) -> None:
    """An employer's own installation (no issuer of its own) verifies the college's badge
    from files the college publishes; nothing is fetched, so without them the key is unknown."""
    college, badge_id = badged
    files = {
        "badge.json": college.run("badges", "show", badge_id),
        "did.json": college.run("badges", "issuer", "did-document"),
        "revocation.json": college.run("badges", "status-list", "1", "revocation"),
        "suspension.json": college.run("badges", "status-list", "1", "suspension"),
    }
    for name, document in files.items():
        (tmp_path / name).write_text(json.dumps(document))
    employer = Cli(f"sqlite:///{tmp_path / 'employer.db'}")
    employer.run(
        "employers", "add", "HOME", "--name", "Home Care", "--approver", "hr@home.example",
        now="2026-08-01T09:00",
    )  # fmt: skip
    supplied = [
        "--issuer-document", str(tmp_path / "did.json"),
        "--status-list", str(tmp_path / "revocation.json"),
        "--status-list", str(tmp_path / "suspension.json"),
    ]  # fmt: skip

    def verify_elsewhere(*options: str) -> tuple[int, dict[str, Any]]:
        result = employer.runner.invoke(
            cli,
            ["--store", employer.url, "--json", "--now", "2026-08-05T09:00", "badges", "verify",
             str(tmp_path / "badge.json"), *options],
            env=employer.env,
        )  # fmt: skip
        assert result.stdout, result.stderr
        return result.exit_code, json.loads(result.stdout)

    code, bare = verify_elsewhere()
    assert code == 1
    assert "issuer-key" in {c["check"] for c in bare["checks"] if not c["passed"]}

    code, report = verify_elsewhere(*supplied)
    assert (code, report["verified"]) == (0, True)
    assert {c["check"] for c in report["checks"]} >= {"proof", "issuer-key", "status"}


def test_badges_image_bakes_the_entrys_badges_into_its_own_png(
    badged: tuple[Cli, str], tmp_path: Path
) -> None:
    cp, badge_id = badged
    own = BadgeImages().png("Our art", "IPAC", ("#112233", "#ffeedd"))
    (tmp_path / "ipac.png").write_bytes(own)

    set_ = cp.run("badges", "image", "IPAC", str(tmp_path / "ipac.png"), now="2026-08-04T08:00")
    cp.run(
        "badges", "show", badge_id, "--format", "png", "--out", str(tmp_path / "b.png"), ok=False
    )

    assert set_ == {"code": "IPAC", "media_type": "image/png"}
    assert (tmp_path / "b.png").read_bytes().startswith(own[: own.index(b"IEND") - 4])
    assert cp.run("badges", "image", "IPAC", ok=False).exit_code == 2  # neither file nor --drawn
