"""The Merkle tree of RFC 9162 (Certificate Transparency 2.0), section 2.1: SHA-256, a leaf
hashed as ``SHA-256(0x00 || leaf)``, a node as ``SHA-256(0x01 || left || right)``, the tree of
``n`` leaves split at the largest power of two below ``n``. Inclusion and consistency proofs are
generated and verified as sections 2.1.3 and 2.1.4 define them.

The leaves are the stored events: :func:`leaf` is their canonical encoding.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence
from uuid import UUID

EMPTY_ROOT = hashlib.sha256(b"").digest()
LEAF_FORMAT = b"carepassport-event/1"


class ProofError(ValueError):
    """A proof that does not verify, or asked for with impossible sizes."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def leaf(
    position: int, originator_id: UUID | bytes, version: int, topic: str, state: bytes
) -> bytes:
    """One stored event as a leaf: a format tag, then its notification position, originator
    id (16 bytes), version, topic and state bytes exactly as stored, lengths big-endian."""
    name = topic.encode("utf-8")
    return b"".join(
        (
            LEAF_FORMAT,
            struct.pack(">QQ", position, version),
            originator_id.bytes if isinstance(originator_id, UUID) else originator_id,
            struct.pack(">I", len(name)),
            name,
            struct.pack(">Q", len(state)),
            state,
        )
    )


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def root(hashes: Sequence[bytes]) -> bytes:
    """MTH of the leaves whose hashes are ``hashes``."""
    if not hashes:
        return EMPTY_ROOT
    level = list(hashes)
    # Bottom-up, pairing left to right and carrying an odd last node up: the same tree as
    # RFC 9162's recursive split at the largest power of two.
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


class Frontier:
    """The roots of the perfect subtrees of a tree, largest first: enough to append leaves and
    compute the root without the leaves themselves (a "compact range" from the left edge)."""

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if len(hashes) != bin(size).count("1"):
            raise ValueError(f"a frontier of {size} leaves has {bin(size).count('1')} hashes")
        self.size = size
        self.hashes = list(hashes)

    def append(self, hash_: bytes) -> None:
        """Add one leaf (by its leaf hash)."""
        carry, size = hash_, self.size
        while size & 1:
            carry = node_hash(self.hashes.pop(), carry)
            size >>= 1
        self.hashes.append(carry)
        self.size += 1

    def root(self) -> bytes:
        if not self.hashes:
            return EMPTY_ROOT
        found = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            found = node_hash(left, found)
        return found

    def encode(self) -> bytes:
        return b"".join(self.hashes)

    @classmethod
    def decode(cls, size: int, data: bytes) -> Frontier:
        return cls(size, [data[i : i + 32] for i in range(0, len(data), 32)])


def inclusion_proof(index: int, hashes: Sequence[bytes]) -> list[bytes]:
    """PATH(index, D[n]): the audit path of leaf ``index`` in the tree of ``hashes``."""
    n = len(hashes)
    if not 0 <= index < n:
        raise ProofError(f"leaf {index} is not in a tree of {n}")
    if n == 1:
        return []
    k = _split(n)
    if index < k:
        return [*inclusion_proof(index, hashes[:k]), root(hashes[k:])]
    return [*inclusion_proof(index - k, hashes[k:]), root(hashes[:k])]


def consistency_proof(old: int, hashes: Sequence[bytes]) -> list[bytes]:
    """PROOF(old, D[n]): shows the tree of the first ``old`` leaves is a prefix of ``hashes``."""
    n = len(hashes)
    if not 0 <= old <= n:
        raise ProofError(f"a tree of {old} cannot be a prefix of one of {n}")
    if old in (0, n):
        return []
    return _subproof(old, hashes, True)


def _subproof(m: int, hashes: Sequence[bytes], complete: bool) -> list[bytes]:
    n = len(hashes)
    if m == n:
        return [] if complete else [root(hashes)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, hashes[:k], complete), root(hashes[k:])]
    return [*_subproof(m - k, hashes[k:], False), root(hashes[:k])]


def root_from_inclusion(index: int, size: int, hash_: bytes, proof: Sequence[bytes]) -> bytes:
    """The root the audit path ``proof`` of leaf ``index`` leads to (RFC 9162 2.1.3.2)."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} is not in a tree of {size}")
    fn, sn, found = index, size - 1, hash_
    for p in proof:
        if sn == 0:
            raise ProofError("the inclusion proof is too long")
        if fn & 1 or fn == sn:
            found = node_hash(p, found)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            found = node_hash(found, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the inclusion proof is too short")
    return found


def verify_inclusion(
    index: int, size: int, hash_: bytes, proof: Sequence[bytes], expected: bytes
) -> None:
    """Raise ``ProofError`` unless leaf ``index`` with hash ``hash_`` is in the tree whose
    root is ``expected``."""
    if root_from_inclusion(index, size, hash_, proof) != expected:
        raise ProofError(f"leaf {index} is not included in that tree of {size}")


def verify_consistency(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Raise ``ProofError`` unless the tree of ``old`` leaves (``old_root``) is a prefix of
    the tree of ``new`` leaves (``new_root``) (RFC 9162 2.1.4.2)."""
    if not 0 <= old <= new:
        raise ProofError(f"a tree of {old} cannot be a prefix of one of {new}")
    if old == new:
        if proof or old_root != new_root:
            raise ProofError("equal sizes need equal roots and an empty proof")
        return
    if old == 0:
        if proof:
            raise ProofError("a proof from the empty tree is empty")
        return
    if not proof:
        raise ProofError("the consistency proof is empty")
    path = list(proof)
    if old & (old - 1) == 0:  # a power of two: the old root is the first node of the path
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("the consistency proof is too long")
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the consistency proof is too short")
    if fr != old_root or sr != new_root:
        raise ProofError(f"the tree of {old} is not a prefix of the tree of {new}")
