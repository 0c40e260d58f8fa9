"""The Merkle module against RFC 6962's reference shapes and an independent verifier."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from integrity.custody import merkle
from tests.custody import rfc9162

# The reference leaves and tree heads used by RFC 6962 implementations (Certificate Transparency).
LEAF_INPUTS = [
    bytes.fromhex(h)
    for h in [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
INCLUSION = [  # (leaf index from 0, tree size, path)
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
CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip
LEAVES = [merkle.leaf_hash(data) for data in LEAF_INPUTS]


@pytest.mark.parametrize("size", range(9))
def test_roots_match_the_reference(size: int) -> None:
    assert merkle.root(LEAVES, size).hex() == ROOTS[size]
    assert rfc9162.reference_root(LEAF_INPUTS[:size]).hex() == ROOTS[size]
    accumulator = merkle.Accumulator()
    for leaf in LEAVES[:size]:
        accumulator.append(leaf)
    assert accumulator.root().hex() == ROOTS[size]


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_inclusion_proofs_match_the_reference(index: int, size: int, path: list[str]) -> None:
    proof = merkle.inclusion_proof(index, LEAVES, size)
    assert [node.hex() for node in proof] == path
    root = bytes.fromhex(ROOTS[size])
    assert rfc9162.verifies_inclusion(index, size, LEAVES[index], proof, root)
    assert merkle.verify_inclusion(index, size, LEAVES[index], proof, root)
    assert not rfc9162.verifies_inclusion(index, size, LEAVES[index], proof, bytes.fromhex(ROOTS[0]))


@pytest.mark.parametrize(("first", "second", "path"), CONSISTENCY)
def test_consistency_proofs_match_the_reference(first: int, second: int, path: list[str]) -> None:
    proof = merkle.consistency_proof(first, second, LEAVES)
    assert [node.hex() for node in proof] == path
    first_root, second_root = bytes.fromhex(ROOTS[first]), bytes.fromhex(ROOTS[second])
    assert rfc9162.verifies_consistency(first, second, proof, first_root, second_root)
    assert merkle.verify_consistency(first, second, proof, first_root, second_root)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=8), min_size=1, max_size=70), st.data())
def test_every_proof_verifies_independently_and_tampering_fails(
    inputs: list[bytes], data: st.DataObject
) -> None:
    leaves = [merkle.leaf_hash(item) for item in inputs]
    size = data.draw(st.integers(1, len(leaves)))
    index = data.draw(st.integers(0, size - 1))
    root = rfc9162.reference_root(inputs[:size])
    assert merkle.root(leaves, size) == root
    proof = merkle.inclusion_proof(index, leaves, size)
    assert rfc9162.verifies_inclusion(index, size, leaves[index], proof, root)
    forged = hashlib.sha256(b"forged").digest()
    assert not rfc9162.verifies_inclusion(index, size, forged, proof, root)
    if proof:
        broken = [*proof[:-1], forged]
        assert not rfc9162.verifies_inclusion(index, size, leaves[index], broken, root)

    first = data.draw(st.integers(1, size))
    path = merkle.consistency_proof(first, size, leaves)
    first_root = rfc9162.reference_root(inputs[:first])
    assert rfc9162.verifies_consistency(first, size, path, first_root, root)
    if first < size:
        assert not rfc9162.verifies_consistency(first, size, path, forged, root)


def test_out_of_range_requests_are_refused() -> None:
    with pytest.raises(ValueError):
        merkle.inclusion_proof(8, LEAVES, 8)
    with pytest.raises(ValueError):
        merkle.consistency_proof(0, 3, LEAVES)
    with pytest.raises(ValueError):
        merkle.consistency_proof(5, 4, LEAVES)
    assert not merkle.verify_inclusion(8, 8, LEAVES[0], [], bytes(32))
