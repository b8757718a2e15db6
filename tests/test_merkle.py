"""RFC 9162 tree maths against the published RFC 6962 vectors, and proofs as properties."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fireline.ledger import merkle

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parent / "data" / "merkle" / "vectors.json").read_text()
)
LEAVES = [merkle.leaf_hash(bytes.fromhex(data)) for data in VECTORS["leaves"]]
ROOTS = [bytes.fromhex(root) for root in VECTORS["roots"]]


def _hashes(items: list[str]) -> list[bytes]:
    return [bytes.fromhex(item) for item in items]


def test_root_of_matches_every_published_root() -> None:
    assert merkle.root_of([]) == bytes.fromhex(VECTORS["empty_root"])
    for size, root in enumerate(ROOTS, 1):
        assert merkle.root_of(LEAVES[:size]) == root


def test_perfect_subtrees_match_the_published_node_hashes() -> None:
    subtree = merkle.in_memory(LEAVES)
    for level, row in enumerate(VECTORS["node_hashes"]):
        width = 1 << level
        for index, expected in enumerate(row):
            assert subtree(index * width, (index + 1) * width) == bytes.fromhex(expected)


@pytest.mark.parametrize("vector", VECTORS["inclusion_proofs"])
def test_inclusion_proof_matches_published_vector(vector: dict[str, Any]) -> None:
    index, size, proof = vector["leaf"] - 1, vector["size"], _hashes(vector["proof"])
    assert merkle.inclusion_proof(index, size, merkle.in_memory(LEAVES[:size])) == proof
    assert merkle.verify_inclusion(index, size, LEAVES[index], proof, ROOTS[size - 1])
    assert not merkle.verify_inclusion(index, size, LEAVES[index], proof, merkle.EMPTY_ROOT)
    if proof:
        assert not merkle.verify_inclusion(index, size, LEAVES[index], proof[:-1], ROOTS[size - 1])
        assert not merkle.verify_inclusion(
            index, size, LEAVES[index], [*proof, proof[0]], ROOTS[size - 1]
        )
        assert not merkle.verify_inclusion(index, size * 2, LEAVES[index], proof, ROOTS[size - 1])


@pytest.mark.parametrize("vector", VECTORS["consistency_proofs"])
def test_consistency_proof_matches_published_vector(vector: dict[str, Any]) -> None:
    old, new, proof = vector["size1"], vector["size2"], _hashes(vector["proof"])
    assert merkle.consistency_proof(old, new, merkle.in_memory(LEAVES[:new])) == proof
    old_root, new_root = ROOTS[old - 1], ROOTS[new - 1]
    assert merkle.verify_consistency(old, new, old_root, new_root, proof)
    if proof:
        assert not merkle.verify_consistency(old, new, new_root, old_root, proof)
        assert not merkle.verify_consistency(old, new, old_root, new_root, proof[:-1])
        assert not merkle.verify_consistency(old, new, old_root, new_root, [])
        assert not merkle.verify_consistency(old + 1, new, old_root, new_root, proof)


def test_audit_path_from_a_real_certificate_transparency_log_verifies() -> None:
    vector = VECTORS["ct_audit_path"]
    leaf, root, path = (
        bytes.fromhex(vector["leaf_hash"]),
        bytes.fromhex(vector["root"]),
        _hashes(vector["path"]),
    )
    index, size = vector["leaf_index"], vector["tree_size"]
    assert merkle.verify_inclusion(index, size, leaf, path, root)
    assert not merkle.verify_inclusion(index + 1, size, leaf, path, root)
    assert not merkle.verify_inclusion(index, size, leaf, path, bytes(32))


def test_sizes_that_are_always_consistent_and_ones_that_never_are() -> None:
    root = ROOTS[0]
    assert merkle.verify_consistency(0, 0, root, root, [])
    assert merkle.verify_consistency(0, 5, merkle.EMPTY_ROOT, ROOTS[4], [])
    assert not merkle.verify_consistency(1, 1, ROOTS[0], ROOTS[1], [])
    assert not merkle.verify_consistency(2, 1, ROOTS[1], ROOTS[0], [])
    assert not merkle.verify_consistency(0, 1, root, root, [merkle.EMPTY_ROOT])
    with pytest.raises(ValueError, match="not in a tree"):
        merkle.inclusion_proof(3, 3, merkle.in_memory(LEAVES[:3]))
    with pytest.raises(ValueError, match="no consistency proof"):
        merkle.consistency_proof(4, 3, merkle.in_memory(LEAVES[:3]))


sizes = st.integers(min_value=1, max_value=70)


def _tree(size: int) -> list[bytes]:
    return [merkle.leaf_hash(n.to_bytes(4, "big")) for n in range(size)]


def _flip(hashes: list[bytes], item: int, bit: int) -> list[bytes]:
    changed = bytearray(hashes[item])
    changed[bit // 8] ^= 1 << (bit % 8)
    return [*hashes[:item], bytes(changed), *hashes[item + 1 :]]


@given(sizes, st.data())
def test_every_inclusion_proof_verifies_and_any_bit_flip_fails(size: int, data: Any) -> None:
    leaves = _tree(size)
    root = merkle.root_of(leaves)
    index = data.draw(st.integers(0, size - 1))
    proof = merkle.inclusion_proof(index, size, merkle.in_memory(leaves))
    assert merkle.verify_inclusion(index, size, leaves[index], proof, root)
    bit = data.draw(st.integers(0, 255))
    flipped_leaf = _flip([leaves[index]], 0, bit)[0]
    assert not merkle.verify_inclusion(index, size, flipped_leaf, proof, root)
    if proof:
        item = data.draw(st.integers(0, len(proof) - 1))
        flipped = _flip(proof, item, bit)
        assert not merkle.verify_inclusion(index, size, leaves[index], flipped, root)


@given(sizes, st.data())
def test_every_consistency_proof_verifies_and_any_bit_flip_fails(size: int, data: Any) -> None:
    new = data.draw(st.integers(size, size + 70))
    leaves = _tree(new)
    old_root, new_root = merkle.root_of(leaves[:size]), merkle.root_of(leaves)
    proof = merkle.consistency_proof(size, new, merkle.in_memory(leaves))
    assert merkle.verify_consistency(size, new, old_root, new_root, proof)
    bit = data.draw(st.integers(0, 255))
    if proof:
        item = data.draw(st.integers(0, len(proof) - 1))
        assert not merkle.verify_consistency(size, new, old_root, new_root, _flip(proof, item, bit))
        assert not merkle.verify_consistency(
            size, new, _flip([old_root], 0, bit)[0], new_root, proof
        )
    rewritten = [*leaves[: size - 1], merkle.leaf_hash(b"rewritten"), *leaves[size:]]
    assert not merkle.verify_consistency(size, new, old_root, merkle.root_of(rewritten), proof)
