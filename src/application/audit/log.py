"""The tamper-evident log (RFC 9162 over the notification log): the tree kept up to date,
signed checkpoints (C2SP), verification against the log, inclusion and consistency proofs, and
an export an auditor verifies on their own machine."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import attrs
from eventsourcing.persistence import IntegrityError

from carepassport.application.audit.ports import CheckpointFolder, Leaf, TreeHead, TreeStore
from carepassport.application.badges.ports import KeysUnavailable, SigningKeys
from carepassport.application.ports import DueItem, LogRow
from carepassport.application.store import (
    CarePassportApplication,
    ConcurrentUpdate,
    StoreUnavailable,
)
from carepassport.application.unit_of_work import UnitOfWork
from carepassport.audit import merkle, note
from carepassport.domain.audit.trail import AuditTrail, Made, Verified
from carepassport.domain.errors import InvalidValue, NotFound

log = logging.getLogger(__name__)
PAGE = 1000
"""Events read, hashed and added to the tree per transaction."""
EXPORT_FORMAT = "carepassport-audit-export/1"


@attrs.frozen
class CheckpointView:
    origin: str
    size: int
    root: str
    key_id: str
    note: str
    written_to: str


@attrs.frozen
class CheckpointCheck:
    size: int
    source: str
    ok: bool
    reason: str = ""


@attrs.frozen
class Divergence:
    """Where the log stops being the one the tree (or a checkpoint) was built from."""

    leaf_index: int
    position: int | None
    """The notification id found there now (None where the log ends)."""
    recorded_position: int | None
    """The notification id the tree recorded there (None when not recorded)."""
    originator_id: str | None
    version: int | None
    topic: str | None
    what: str


@attrs.frozen
class VerifyReport:
    verified: bool
    size: int
    root: str
    checkpoints: list[CheckpointCheck]
    divergence: Divergence | None


@attrs.frozen
class AuditTrailView:
    """The trail as auditors read it."""

    origin: str | None
    checkpoints: list[Made]
    verifications: list[Verified]


@attrs.frozen
class InclusionProof:
    position: int
    leaf_index: int
    tree_size: int
    leaf_hash: str
    root: str
    proof: list[str]


@attrs.frozen
class ConsistencyProof:
    old_size: int
    new_size: int
    old_root: str
    new_root: str
    proof: list[str]


class AuditLog:
    """``audit checkpoint | verify | prove | consistency | export``."""

    def __init__(
        self,
        app: CarePassportApplication,
        tree: TreeStore,
        keys: SigningKeys,
        folder: CheckpointFolder,
    ) -> None:
        self._app = app
        self._tree = tree
        self._keys = keys
        self._folder = folder

    # --- the tree ----------------------------------------------------------------------

    def update(self) -> TreeHead:
        """Add the events recorded since the tree's head (only those: the frontier is kept)."""
        while True:
            head = self._tree.head()
            page = self._app.reader.log_rows(head.last_id, PAGE)
            if not page:
                return head
            frontier = merkle.Frontier.decode(head.size, head.frontier)
            leaves = []
            for row in page:
                hash_ = merkle.leaf_hash(_leaf(row))
                leaves.append(Leaf(frontier.size, row[0], hash_))
                frontier.append(hash_)
            new = TreeHead(frontier.size, page[-1][0], frontier.encode())
            try:
                self._tree.extend(head, leaves, new)
            except IntegrityError:
                log.info("another process extended the audit tree; reading on")

    # --- checkpoints -------------------------------------------------------------------

    def ensure_started(self, at: datetime) -> None:
        """Open the trail (and schedule the daily checkpoint) unless it is open; another
        process opening it at the same moment is as good."""
        if self._app.find(AuditTrail, AuditTrail.identity()) is not None:
            return
        uow = UnitOfWork(self._app)
        self.start(at, uow)
        try:
            uow.commit()
        except ConcurrentUpdate:
            if self._app.find(AuditTrail, AuditTrail.identity()) is None:
                raise

    def start(self, at: datetime, uow: UnitOfWork) -> AuditTrail:
        """The store's audit trail, opened (and its daily checkpoint scheduled) on first use."""
        trail = uow.find(AuditTrail, AuditTrail.identity())
        return trail or uow.add(AuditTrail.open(f"carepassport.audit/{uuid4().hex}", at))

    def checkpoint(self) -> CheckpointView:
        """Sign the tree's current head, write it to the checkpoint folder and record it."""
        return self._checkpoint(self._app.now_for_write(), scheduled=False)

    def scheduled(self, item: DueItem) -> bool:
        """The daily checkpoint (00:05, after the midnight sync); skipped, and recorded as
        skipped, when no key can sign it."""
        trail = self._app.find(AuditTrail, item.aggregate_id)
        if trail is None or trail.next.due_at != item.due_at:
            return False
        try:
            self._checkpoint(self._app.now(), scheduled=True)
        except (KeysUnavailable, StoreUnavailable) as error:
            uow = UnitOfWork(self._app)
            found = uow.find(AuditTrail, AuditTrail.identity())
            assert found is not None
            found.skipped(str(error), self._app.now())
            uow.commit()
            log.warning("daily audit checkpoint skipped: %s", error)
        return True

    def _checkpoint(self, now: datetime, scheduled: bool) -> CheckpointView:
        uow = UnitOfWork(self._app)
        trail = self.start(now, uow)
        key = trail.key
        if key is None:
            key_id = f"audit-{len(trail.keys) + 1}"
            key = trail.add_key(key_id, self._keys.create(key_id), now)
        public = note.public_key_of_multikey(key.public_key)
        uow.commit()  # the trail and its key are in the log before the head is taken
        head = self.update()
        root = merkle.Frontier.decode(head.size, head.frontier).root()
        text = note.checkpoint_text(trail.origin, head.size, root)
        signed = note.sign(text, key.name, public, self._keys.signer(key.key_id))
        written = self._folder.write(head.size, signed)
        uow = UnitOfWork(self._app)
        found = uow.find(AuditTrail, AuditTrail.identity())
        assert found is not None
        found.made(head.size, root.hex(), signed, now, scheduled)
        uow.commit()
        return CheckpointView(trail.origin, head.size, root.hex(), key.key_id, signed, written)

    def verify_and_record(self, by: str) -> VerifyReport:
        """Verify the log (every recorded checkpoint with the recorded keys) and record the
        result in the trail, so the last verification is a fact others can read."""
        now = self._app.now_for_write()
        report = self.verify()
        uow = UnitOfWork(self._app)
        trail = self.start(now, uow)
        trail.verification(
            Verified(
                verified_at=now,
                by=by,
                size=report.size,
                verified=report.verified,
                checkpoints=len(report.checkpoints),
                failed_checkpoints=sum(1 for c in report.checkpoints if not c.ok),
                divergence_at=report.divergence.leaf_index if report.divergence else None,
            )
        )
        uow.commit()
        return report

    def trail(self) -> AuditTrailView:
        """The checkpoints made (newest first) and the verifications recorded (newest first)."""
        trail = self._app.find(AuditTrail, AuditTrail.identity())
        if trail is None:
            return AuditTrailView(None, [], [])
        return AuditTrailView(
            trail.origin, list(reversed(trail.checkpoints)), list(reversed(trail.verifications))
        )

    def latest(self) -> str:
        """The latest signed checkpoint (a note), for anyone to keep."""
        trail = self._app.find(AuditTrail, AuditTrail.identity())
        if trail is None or not trail.checkpoints:
            raise NotFound("no audit checkpoint has been made yet (audit checkpoint)")
        return trail.checkpoints[-1].note

    def verifier_keys(self) -> list[note.VerifierKey]:
        """The public halves of every key that signed checkpoints (as recorded)."""
        trail = self._app.find(AuditTrail, AuditTrail.identity())
        return [
            note.VerifierKey(k.name, note.public_key_of_multikey(k.public_key))
            for k in (trail.keys if trail else [])
        ]

    # --- verification ------------------------------------------------------------------

    def verify(
        self, notes: Sequence[tuple[str, str]] = (), keys: Sequence[note.VerifierKey] = ()
    ) -> VerifyReport:
        """Recompute the tree from the log; check every recorded checkpoint and each of
        ``notes`` (source, text): signed by a known key (``keys``, else the recorded ones),
        and a tree of the log's first leaves. The first position where the log differs from
        the tree as built, or from a checkpoint, is reported."""
        known = list(keys) or self.verifier_keys()
        wanted: list[tuple[str, note.Checkpoint | None, str]] = []
        trail = self._app.find(AuditTrail, AuditTrail.identity())
        for made in trail.checkpoints if trail else []:
            wanted.append(self._opened(f"recorded at {made.made_at.isoformat()}", made.note, known))
        for source, text in notes:
            wanted.append(self._opened(source, text, known))
        checks = [CheckpointCheck(0, s, False, why) for s, c, why in wanted if c is None]
        heads = sorted((c.size, s, c) for s, c, _ in wanted if c is not None)
        recorded = self._tree.head()
        frontier = merkle.Frontier()
        divergence: Divergence | None = None
        pending = list(heads)
        stored: dict[int, Leaf] = {}
        stored_until = 0
        for n in self._rows():
            index = frontier.size
            while pending and pending[0][0] == index:
                checks.append(self._against(pending.pop(0), frontier))
            hash_ = merkle.leaf_hash(_leaf(n))
            if divergence is None and index < recorded.size:
                if index >= stored_until:
                    stored_until = min(index + PAGE, recorded.size)
                    stored = dict(
                        zip(
                            range(index, stored_until),
                            self._tree.leaves(index, stored_until),
                            strict=False,
                        )
                    )
                mine = stored.get(index)
                if mine is not None and mine.leaf_index != index:
                    mine = None  # a gap in the recorded leaves
                if mine is None or (mine.notification_id, mine.hash) != (n[0], hash_):
                    divergence = _divergence(index, n, mine)
            frontier.append(hash_)
        size = frontier.size
        while pending and pending[0][0] == size:
            checks.append(self._against(pending.pop(0), frontier))
        for wanted_size, source, _ in pending:
            checks.append(CheckpointCheck(wanted_size, source, False,
                                          f"the log has only {size} events"))  # fmt: skip
        if divergence is None and size < recorded.size:
            lost = self._tree.leaves(size, size + 1)
            divergence = _divergence(size, None, lost[0] if lost else None)
        if divergence is None:
            failed = next((c for c in checks if not c.ok and c.size), None)
            if failed is not None:
                divergence = Divergence(failed.size, None, None, None, None, None,
                                        f"the log's first {failed.size} events differ from "
                                        f"the checkpoint {failed.source}")  # fmt: skip
        checks.sort(key=lambda c: (c.size, c.source))
        ok = divergence is None and all(c.ok for c in checks)
        return VerifyReport(ok, size, frontier.root().hex(), checks, divergence)

    @staticmethod
    def _opened(
        source: str, text: str, keys: Sequence[note.VerifierKey]
    ) -> tuple[str, note.Checkpoint | None, str]:
        try:
            return source, note.verify_checkpoint(text, keys), ""
        except note.NoteError as error:
            return source, None, str(error)

    @staticmethod
    def _against(
        wanted: tuple[int, str, note.Checkpoint], frontier: merkle.Frontier
    ) -> CheckpointCheck:
        size, source, checkpoint = wanted
        if frontier.root() == checkpoint.root:
            return CheckpointCheck(size, source, True)
        return CheckpointCheck(size, source, False, "the log's tree of that size has another root")

    def _rows(self) -> Iterator[LogRow]:
        after = 0
        while page := self._app.reader.log_rows(after, PAGE):
            yield from page
            after = page[-1][0]

    # --- proofs ------------------------------------------------------------------------

    def prove(self, position: int, checkpoint: str | None = None) -> InclusionProof:
        """The audit path of the event at notification ``position`` to the tree's current
        root, or to a checkpoint's (verified before it is given)."""
        head = self.update()
        index = self._tree.index_of(position)
        if index is None:
            raise NotFound(f"no event at position {position} in the audit tree")
        size, expected = head.size, None
        if checkpoint is not None:
            found = note.verify_checkpoint(checkpoint, self.verifier_keys())
            size, expected = found.size, found.root
        if index >= size:
            raise InvalidValue(f"position {position} came after the checkpoint's {size} events")
        hashes = self._tree.hashes(0, size)
        proof = merkle.inclusion_proof(index, hashes)
        top = merkle.root(hashes)
        if expected is not None and top != expected:
            raise InvalidValue("the log no longer matches that checkpoint: run audit verify")
        merkle.verify_inclusion(index, size, hashes[index], proof, top)
        return InclusionProof(position, index, size, hashes[index].hex(), top.hex(),
                              [p.hex() for p in proof])  # fmt: skip

    def consistency(self, old: int, new: int | None = None) -> ConsistencyProof:
        """RFC 9162's proof that the tree of ``old`` events is a prefix of that of ``new``."""
        head = self.update()
        new = head.size if new is None else new
        if not 0 <= old <= new <= head.size:
            raise InvalidValue(f"sizes must satisfy 0 <= old <= new <= {head.size}")
        hashes = self._tree.hashes(0, new)
        proof = merkle.consistency_proof(old, hashes)
        old_root, new_root = merkle.root(hashes[:old]), merkle.root(hashes)
        merkle.verify_consistency(old, new, old_root, new_root, proof)
        return ConsistencyProof(old, new, old_root.hex(), new_root.hex(), [p.hex() for p in proof])

    # --- export ------------------------------------------------------------------------

    def export(self, path: Path) -> dict[str, Any]:
        """Every stored event as JSON lines after a header with the log's origin, its keys and
        its checkpoints: what ``python -m carepassport.audit.verify_export`` checks."""
        trail = self._app.find(AuditTrail, AuditTrail.identity())
        checkpoints = [m.note for m in trail.checkpoints] if trail else []
        header = {
            "format": EXPORT_FORMAT,
            "origin": trail.origin if trail else None,
            "keys": [k.encode() for k in self.verifier_keys()],
            "checkpoints": checkpoints,
        }
        count = 0
        with path.open("w", encoding="utf-8") as out:
            out.write(json.dumps(header) + "\n")
            for position, originator, version, topic, state in self._rows():
                record = {
                    "position": position,
                    "originator_id": str(UUID(bytes=originator)),
                    "version": version,
                    "topic": topic,
                    "state": base64.b64encode(_bytes(state)).decode(),
                }
                out.write(json.dumps(record) + "\n")
                count += 1
        return {"path": str(path), "events": count, "checkpoints": len(checkpoints)}


def _leaf(row: LogRow) -> bytes:
    """The event as stored (state bytes as they are; anything else a tampered row may hold,
    such as text, as its UTF-8)."""
    state = row[4] if isinstance(row[4], bytes) else _bytes(row[4])
    return merkle.leaf(row[0], row[1], row[2], row[3], state)


def _bytes(value: object) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode("utf-8")


def _divergence(index: int, found: LogRow | None, mine: Leaf | None) -> Divergence:
    recorded = mine.notification_id if mine else None
    if found is None:
        what = f"the log ends before leaf {index}: events from position {recorded} are gone"
    elif recorded is None:
        what = f"leaf {index} was never added to the tree"
    elif found[0] != recorded:
        what = (
            f"leaf {index} was the event at position {recorded}; the log now has position "
            f"{found[0]} there (an event deleted, inserted or moved)"
        )
    else:
        what = f"the event at position {found[0]} is not the one recorded (changed)"
    return Divergence(
        index,
        found[0] if found else None,
        recorded,
        str(UUID(bytes=found[1])) if found else None,
        found[2] if found else None,
        found[3] if found else None,
        what,
    )
