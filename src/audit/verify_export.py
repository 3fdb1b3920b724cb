"""Verify an audit export on your own machine (standard library and ``cryptography`` only):

    python -m carepassport.audit.verify_export EXPORT.jsonl [--checkpoint FILE ...] [--key VKEY ...]

It recomputes the RFC 9162 tree over the exported events, opens each checkpoint (those in the
export, and any you kept yourself) with the verifier keys (yours with ``--key``, else the
export's own, which says only that the export is consistent with itself), and checks that each
is the root of the tree of the log's first events. Exit 0 when everything holds, 1 otherwise,
naming the first checkpoint that does not."""

from __future__ import annotations

import argparse
import base64
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from uuid import UUID

from carepassport.audit import merkle, note

FORMAT = "carepassport-audit-export/1"


def verify(
    lines: Sequence[str], extra: Sequence[tuple[str, str]], keys: Sequence[note.VerifierKey]
) -> tuple[bool, list[str]]:
    """(verified, what was found, one line each)."""
    header = json.loads(lines[0])
    if header.get("format") != FORMAT:
        return False, [f"not an export of format {FORMAT}"]
    trusted = list(keys) or [note.VerifierKey.decode(k) for k in header.get("keys", [])]
    report = [] if keys else ["keys: taken from the export itself (pass --key to trust yours)"]
    wanted: list[tuple[int, str, bytes]] = []
    ok = True
    notes = [("export", text) for text in header.get("checkpoints", [])] + list(extra)
    for source, text in notes:
        try:
            found = note.verify_checkpoint(text, trusted)
        except note.NoteError as error:
            ok = False
            report.append(f"FAIL checkpoint ({source}): {error}")
            continue
        if header.get("origin") and found.origin != header["origin"]:
            ok = False
            report.append(f"FAIL checkpoint ({source}): of another log, {found.origin}")
            continue
        wanted.append((found.size, source, found.root))
    wanted.sort()
    frontier = merkle.Frontier()
    previous = 0
    for number, line in enumerate(lines[1:], start=2):
        while wanted and wanted[0][0] == frontier.size:
            ok &= _check(wanted.pop(0), frontier, report)
        record = json.loads(line)
        if record["position"] <= previous:
            ok = False
            report.append(f"FAIL line {number}: position {record['position']} out of order")
        previous = record["position"]
        data = merkle.leaf(
            record["position"],
            UUID(record["originator_id"]),
            record["version"],
            record["topic"],
            base64.b64decode(record["state"]),
        )
        frontier.append(merkle.leaf_hash(data))
    while wanted and wanted[0][0] == frontier.size:
        ok &= _check(wanted.pop(0), frontier, report)
    for size, source, _ in wanted:
        ok = False
        report.append(f"FAIL checkpoint of {size} ({source}): the export has {frontier.size}")
    report.insert(0, f"{frontier.size} events, root {frontier.root().hex()}")
    return ok, report


def _check(wanted: tuple[int, str, bytes], frontier: merkle.Frontier, report: list[str]) -> bool:
    size, source, root = wanted
    if frontier.root() == root:
        report.append(f"pass checkpoint of {size} ({source})")
        return True
    report.append(f"FAIL checkpoint of {size} ({source}): the first {size} events differ")
    return False


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("export", type=Path)
    parser.add_argument("--checkpoint", action="append", default=[], type=Path)
    parser.add_argument("--key", action="append", default=[])
    args = parser.parse_args(argv)
    try:
        lines = args.export.read_text("utf-8").splitlines()
        extra = [(str(p), p.read_text("utf-8")) for p in args.checkpoint]
        keys = [note.VerifierKey.decode(k) for k in args.key]
        ok, report = verify(lines, extra, keys)
    except (OSError, ValueError, KeyError, IndexError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(("verified" if ok else "NOT verified") + ": " + report[0])
    for line in report[1:]:
        print("  " + line)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
