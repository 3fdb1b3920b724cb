"""The RFC 9162 tree against the published test vectors of Go's transparency-dev/merkle (the
RFC 6962 leaves: roots of the first n leaves, inclusion and consistency proofs), and proofs of
our own generated and verified for every size and index up to 40."""

from __future__ import annotations

from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carepassport.audit.merkle import (
    EMPTY_ROOT,
    Frontier,
    ProofError,
    consistency_proof,
    inclusion_proof,
    leaf,
    leaf_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

h = bytes.fromhex
LEAVES = [h(x) for x in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                         "606162636465666768696a6b6c6d6e6f")]  # fmt: skip
HASHES = [leaf_hash(x) for x in LEAVES]
ROOTS = [
    EMPTY_ROOT,
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]
INCLUSION = [  # (leaf index, tree size, path)
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip
CONSISTENCY = [  # (old size, new size, path)
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]  # fmt: skip


@pytest.mark.parametrize("size", range(9))
def test_the_root_of_the_first_n_leaves_is_the_published_one(size: int) -> None:
    assert root(HASHES[:size]) == ROOTS[size]


@pytest.mark.parametrize("size", range(9))
def test_a_frontier_fed_leaf_by_leaf_has_the_same_root(size: int) -> None:
    frontier = Frontier()
    for hash_ in HASHES[:size]:
        frontier.append(hash_)

    assert frontier.root() == ROOTS[size]
    assert Frontier.decode(size, frontier.encode()).root() == ROOTS[size]


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_the_inclusion_proof_is_the_published_one_and_verifies(
    index: int, size: int, path: list[str]
) -> None:
    proof = inclusion_proof(index, HASHES[:size])

    assert [p.hex() for p in proof] == path
    verify_inclusion(index, size, HASHES[index], proof, ROOTS[size])


@pytest.mark.parametrize(("old", "new", "path"), CONSISTENCY)
def test_the_consistency_proof_is_the_published_one_and_verifies(
    old: int, new: int, path: list[str]
) -> None:
    proof = consistency_proof(old, HASHES[:new])

    assert [p.hex() for p in proof] == path
    verify_consistency(old, new, ROOTS[old], ROOTS[new], proof)


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_a_corrupted_inclusion_proof_fails(index: int, size: int, path: list[str]) -> None:
    proof = [h(p) for p in path]
    corrupted = [
        (index + 1, size, proof),
        (index, size * 2, proof),
        (index, size, [*proof, ROOTS[size]]),
        (index, size, proof[:-1]),
        (index, size, [bytes([proof[0][0] ^ 8]) + proof[0][1:], *proof[1:]]),
    ]
    for i, n, p in corrupted:
        with pytest.raises(ProofError):
            verify_inclusion(i, n, HASHES[index], p, ROOTS[size])


@pytest.mark.parametrize(("old", "new", "path"), CONSISTENCY)
def test_a_corrupted_consistency_proof_fails(old: int, new: int, path: list[str]) -> None:
    proof = [h(p) for p in path]
    corrupted = [
        (old + 1, new, ROOTS[old], ROOTS[new], proof),
        (old, new, ROOTS[new], ROOTS[old], proof),
        (old, new, ROOTS[old], ROOTS[new], []),
        (old, new, ROOTS[old], ROOTS[new], proof[:-1]),
        (old, new, ROOTS[old], ROOTS[new], [*proof, ROOTS[new]]),
    ]
    for o, n, r1, r2, p in corrupted:
        with pytest.raises(ProofError):
            verify_consistency(o, n, r1, r2, p)


def test_every_proof_up_to_40_leaves_verifies() -> None:
    hashes = [leaf_hash(bytes([i])) for i in range(40)]
    for size in range(1, 41):
        top = root(hashes[:size])
        for index in range(size):
            verify_inclusion(index, size, hashes[index], inclusion_proof(index, hashes[:size]), top)
        for old in range(size + 1):
            proof = consistency_proof(old, hashes[:size])
            verify_consistency(old, size, root(hashes[:old]), top, proof)


@given(st.lists(st.binary(max_size=8), max_size=70))
def test_the_frontier_always_agrees_with_the_recursive_root(leaves: list[bytes]) -> None:
    frontier = Frontier()
    for data in leaves:
        frontier.append(leaf_hash(data))

    assert frontier.root() == root([leaf_hash(d) for d in leaves])


def test_a_leaf_encodes_every_field_so_changing_any_changes_its_hash() -> None:
    base = (7, UUID(int=1), 2, "app:Event", b'{"a":1}')
    variants = [
        (8, UUID(int=1), 2, "app:Event", b'{"a":1}'),
        (7, UUID(int=2), 2, "app:Event", b'{"a":1}'),
        (7, UUID(int=1), 3, "app:Event", b'{"a":1}'),
        (7, UUID(int=1), 2, "app:Other", b'{"a":1}'),
        (7, UUID(int=1), 2, "app:Event", b'{"a":2}'),
    ]

    hashes = {leaf_hash(leaf(*v)) for v in [base, *variants]}

    assert len(hashes) == 6
