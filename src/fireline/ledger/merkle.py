"""RFC 9162 Merkle tree maths: leaf and node hashes, roots, inclusion and consistency proofs.

Pure: no I/O. Hashes are raw 32-byte SHA-256 digests; leaves are indexed from 0. Proof
generation reads subtree hashes through a `SubtreeHash` callback, so the same code proves from
a list in memory (tests, exports) and from the stored perfect subtrees of the store's log
(`ledger/tlog.py`) in O(log n) reads. Verification follows RFC 9162 §2.1.3.2 and §2.1.4.2.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

# (start, end) → the hash of leaves start…end-1; only asked for ranges RFC 9162 proofs use.
SubtreeHash = Callable[[int, int], bytes]


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """The largest power of two strictly below `n` (n ≥ 2): where RFC 9162 splits a tree."""
    return 1 << ((n - 1).bit_length() - 1)


def root_of(leaves: Sequence[bytes]) -> bytes:
    """MTH of already-hashed leaves (the empty tree's root is SHA-256 of nothing)."""
    if not leaves:
        return EMPTY_ROOT
    return _subtree(leaves, 0, len(leaves))


def _subtree(leaves: Sequence[bytes], start: int, end: int) -> bytes:
    if end - start == 1:
        return leaves[start]
    mid = start + split(end - start)
    return node_hash(_subtree(leaves, start, mid), _subtree(leaves, mid, end))


def in_memory(leaves: Sequence[bytes]) -> SubtreeHash:
    """A SubtreeHash over a list of leaf hashes (recomputes each range: for small trees)."""
    return lambda start, end: _subtree(leaves, start, end)


def inclusion_proof(index: int, size: int, subtree: SubtreeHash) -> list[bytes]:
    """The audit path of leaf `index` in the tree of `size` leaves (RFC 9162 §2.1.3.1)."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        mid = start + split(end - start)
        if index < mid:
            path.append(subtree(mid, end))
            end = mid
        else:
            path.append(subtree(start, mid))
            start = mid
    return path[::-1]


def consistency_proof(old: int, new: int, subtree: SubtreeHash) -> list[bytes]:
    """The proof that the tree of `old` leaves is a prefix of the one of `new` (§2.1.4.1)."""
    if not 0 <= old <= new:
        raise ValueError(f"no consistency proof from {old} to {new} leaves")
    if old in (0, new):
        return []
    return _subproof(old, 0, new, True, subtree)


def _subproof(m: int, start: int, end: int, whole: bool, subtree: SubtreeHash) -> list[bytes]:
    n = end - start
    if m == n:
        return [] if whole else [subtree(start, end)]
    k = split(n)
    if m <= k:
        return [*_subproof(m, start, start + k, whole, subtree), subtree(start + k, end)]
    return [*_subproof(m - k, start + k, end, False, subtree), subtree(start, start + k)]


def root_from_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes]) -> bytes | None:
    """The root the audit path leads to (RFC 9162 §2.1.3.2), or None if it cannot be valid."""
    if not 0 <= index < size or not _hashes(path):
        return None
    fn, sn = index, size - 1
    r = leaf
    for p in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def verify_inclusion(
    index: int, size: int, leaf: bytes, path: Sequence[bytes], root: bytes
) -> bool:
    """Whether `leaf` is leaf `index` of the tree of `size` leaves whose root is `root`."""
    return root_from_inclusion(index, size, leaf, path) == root


def verify_consistency(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether the tree (`new`, `new_root`) extends the tree (`old`, `old_root`) (§2.1.4.2)."""
    if not 0 <= old <= new or not _hashes(proof):
        return False
    if old == new:
        return not proof and old_root == new_root
    if old == 0:
        return not proof  # the empty tree is a prefix of every tree
    if not proof:
        return False
    nodes = list(proof)
    if old & (old - 1) == 0:  # a power of two: the old root is the first node
        nodes.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = nodes[0]
    for c in nodes[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root


def _hashes(items: Sequence[bytes]) -> bool:
    return all(isinstance(h, bytes) and len(h) == HASH_SIZE for h in items)
