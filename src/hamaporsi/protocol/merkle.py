"""RFC 9162 §2.1 Merkle tree over SHA-256: hashes, roots, inclusion and consistency proofs.

    leaf_hash(d)    = SHA-256(0x00 || d)
    node_hash(l, r) = SHA-256(0x01 || l || r)
    MTH({})         = SHA-256("")
    MTH(D[n])       = node_hash(MTH(D[0:k]), MTH(D[k:n])), k the largest power of two < n

Proof generation reads leaf hashes from a `LeafSource` (a BoardStore, or any in-memory sequence)
by index range, in chunks, so memory stays O(log n + CHUNK) whatever the tree size. Verification
follows the RFC 9162 §2.1.3.2 and §2.1.4.2 algorithms exactly and raises InvalidProof.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol, runtime_checkable

from ..crypto.errors import InvalidProof
from .errors import ProtocolError


class RangeError(ProtocolError, IndexError):
    """An index or size outside [0, size] of the tree."""

    code = "out_of_range"

HASH_BYTES = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH({}) = SHA-256 of the empty string: the root of a tree with no leaves."""

CHUNK = 1 << 14
"""How many leaf hashes are read from a source at a time while hashing a range."""

DEFAULT_CHECK = "V-merkle"


@runtime_checkable
class LeafSource(Protocol):
    """Anything that can return the leaf hashes of indices [start, end) (a BoardStore does)."""

    def leaf_hashes(self, start: int, end: int) -> list[bytes]:
        """Leaf hashes of entries start..end-1, in order."""
        ...


@runtime_checkable
class RootSource(Protocol):
    """A source that knows MTH(D[start:end]) itself (a cache of subtree hashes, say), so that
    proofs cost O(log n) look-ups instead of re-hashing the leaves."""

    def range_root(self, start: int, end: int) -> bytes:
        """MTH of the leaves start..end-1."""
        ...


Leaves = LeafSource | Sequence[bytes]


def leaf_hash(entry: bytes) -> bytes:
    """SHA-256(0x00 || entry): the hash of one log entry (RFC 9162 §2.1.1)."""
    return hashlib.sha256(LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): the hash of an interior node (RFC 9162 §2.1.1)."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _largest_pow2_below(n: int) -> int:
    """The largest power of two strictly less than n (n ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class TreeBuilder:
    """Streaming MTH: append leaf hashes one by one, keeping only O(log n) subtree roots.

    The stack holds the roots of the perfect subtrees that tile [0, size), largest first, one per
    set bit of `size` (a "compact range"). `root()` folds them right to left, which is exactly
    MTH(D[0:size]) because RFC 9162 splits every tree at its largest power of two.
    """

    __slots__ = ("_size", "_stack")

    def __init__(self) -> None:
        self._size = 0
        self._stack: list[bytes] = []

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return self._size

    def append(self, leaf: bytes) -> None:
        """Add the next leaf hash (32 bytes) at index `size`."""
        if not isinstance(leaf, bytes) or len(leaf) != HASH_BYTES:
            raise ValueError(f"leaf hash must be {HASH_BYTES} bytes")
        h = leaf
        n = self._size
        while n & 1:  # every trailing 1 bit of the old size is a perfect subtree to merge with
            h = node_hash(self._stack.pop(), h)
            n >>= 1
        self._stack.append(h)
        self._size += 1

    def extend(self, leaves: Iterable[bytes]) -> None:
        """Append every leaf hash of `leaves`, in order."""
        for leaf in leaves:
            self.append(leaf)

    def root(self) -> bytes:
        """MTH of the leaves appended so far; EMPTY_ROOT when there are none. O(log n)."""
        if not self._stack:
            return EMPTY_ROOT
        r = self._stack[-1]
        for h in reversed(self._stack[:-1]):
            r = node_hash(h, r)
        return r

    def copy(self) -> TreeBuilder:
        """An independent builder in the same state."""
        other = TreeBuilder()
        other._size = self._size
        other._stack = list(self._stack)
        return other


def root(leaf_hashes: Iterable[bytes]) -> bytes:
    """MTH of a sequence or stream of leaf hashes, in O(log n) memory."""
    builder = TreeBuilder()
    builder.extend(leaf_hashes)
    return builder.root()


def _reader(leaves: Leaves) -> Callable[[int, int], Sequence[bytes]]:
    """A function returning the leaf hashes of [start, end) from a store or a sequence."""
    if isinstance(leaves, LeafSource):
        return leaves.leaf_hashes

    def read(start: int, end: int) -> Sequence[bytes]:
        if end > len(leaves):
            raise RangeError(f"leaves [{start}, {end}) requested from {len(leaves)} leaves")
        return leaves[start:end]

    return read


def _roots(leaves: Leaves | RootSource) -> Callable[[int, int], bytes]:
    """MTH(D[start:end]) as a function: the source's own when it has one, else by hashing."""
    if isinstance(leaves, RootSource):
        return leaves.range_root
    read = _reader(leaves)
    return lambda start, end: _range_root(read, start, end)


def _range_root(read: Callable[[int, int], Sequence[bytes]], start: int, end: int) -> bytes:
    """MTH(D[start:end]), streaming the leaf hashes CHUNK at a time."""
    builder = TreeBuilder()
    for lo in range(start, end, CHUNK):
        hi = min(lo + CHUNK, end)
        chunk = read(lo, hi)
        if len(chunk) != hi - lo:
            raise RangeError(f"source returned {len(chunk)} leaf hashes for [{lo}, {hi})")
        builder.extend(chunk)
    return builder.root()


def range_root(leaves: Leaves, start: int, end: int) -> bytes:
    """MTH(D[start:end]) of the leaves of a store or sequence; for `start=0` the root at `end`."""
    _check_int("start", start)
    _check_int("end", end)
    if not 0 <= start <= end:
        raise RangeError(f"bad range [{start}, {end})")
    return _range_root(_reader(leaves), start, end)


def _check_int(name: str, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int")


def inclusion_proof(leaves: Leaves | RootSource, index: int, size: int) -> list[bytes]:
    """PATH(index, D[0:size]) of RFC 9162 §2.1.3.1: sibling hashes from the leaf up to the root."""
    _check_int("index", index)
    _check_int("size", size)
    if not 0 <= index < size:
        raise RangeError(f"no leaf {index} in a tree of size {size}")
    root_of = _roots(leaves)
    path: list[bytes] = []
    lo, hi, m = 0, size, index
    while hi - lo > 1:  # descend; siblings are collected top-down, returned bottom-up
        k = _largest_pow2_below(hi - lo)
        if m < k:
            path.append(root_of(lo + k, hi))
            hi = lo + k
        else:
            path.append(root_of(lo, lo + k))
            lo, m = lo + k, m - k
    path.reverse()
    return path


def consistency_proof(leaves: Leaves | RootSource, old_size: int,
                      new_size: int) -> list[bytes]:
    """PROOF(old_size, D[0:new_size]) of RFC 9162 §2.1.4.1; empty when old_size is 0 or new_size."""
    _check_int("old_size", old_size)
    _check_int("new_size", new_size)
    if not 0 <= old_size <= new_size:
        raise RangeError(f"no consistency proof from size {old_size} to {new_size}")
    if old_size in (0, new_size):
        return []
    root_of = _roots(leaves)
    proof: list[bytes] = []
    lo, hi, m, complete = 0, new_size, old_size, True
    while m != hi - lo:  # SUBPROOF(m, D[lo:hi], complete), unrolled
        k = _largest_pow2_below(hi - lo)
        if m <= k:
            proof.append(root_of(lo + k, hi))
            hi = lo + k
        else:
            proof.append(root_of(lo, lo + k))
            lo, m, complete = lo + k, m - k, False
    if not complete:
        proof.append(root_of(lo, hi))
    proof.reverse()
    return proof


def _check_hash(check: str, name: str, value: object) -> bytes:
    if not isinstance(value, bytes) or len(value) != HASH_BYTES:
        raise InvalidProof(check, f"{name} is not a {HASH_BYTES}-byte hash")
    return value


def _check_size(check: str, name: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidProof(check, f"{name} is not a non-negative integer")
    return value


def verify_inclusion(leaf: bytes, index: int, size: int, path: Sequence[bytes], root_hash: bytes,
                     *, check: str = DEFAULT_CHECK) -> None:
    """RFC 9162 §2.1.3.2: return if `path` proves leaf `index` of the size-`size` tree with root
    `root_hash`; raise InvalidProof(check, …) otherwise. The size itself is bound only by the
    signed checkpoint that supplies (size, root_hash), not by the path."""
    _check_hash(check, "leaf hash", leaf)
    _check_hash(check, "root", root_hash)
    _check_size(check, "index", index)
    _check_size(check, "tree size", size)
    if index >= size:
        raise InvalidProof(check, f"leaf index {index} is not below tree size {size}")
    fn, sn, r = index, size - 1, leaf
    for i, p in enumerate(path):
        _check_hash(check, f"path[{i}]", p)
        if sn == 0:
            raise InvalidProof(check, "inclusion path is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise InvalidProof(check, "inclusion path is shorter than the tree is deep")
    if r != root_hash:
        raise InvalidProof(check, f"inclusion path for leaf {index} does not lead to the root")


def _consistency_roots(old_size: int, new_size: int, path: Sequence[bytes],
                       check: str) -> tuple[bytes, bytes]:
    """The (old, new) roots a consistency path leads to, by RFC 9162 §2.1.4.2, for
    0 < old_size < new_size and a non-empty path (the old root first if old_size is a power of
    two); InvalidProof(check, …) if the path is too long or too short for the sizes."""
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise InvalidProof(check, "consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise InvalidProof(check, "consistency proof is too short")
    return fr, sr


def implied_roots(old_size: int, new_size: int,
                  proof: Sequence[bytes]) -> tuple[bytes, bytes] | None:
    """The (old, new) roots a consistency proof from `old_size` to `new_size` leads to, when
    old_size is not a power of two (its old root is then implied by the proof alone); None if
    the proof's shape does not fit the sizes. Evidence of a fork from the board's own proof."""
    if not 0 < old_size < new_size or not proof or old_size & (old_size - 1) == 0:
        return None
    try:
        return _consistency_roots(old_size, new_size, proof, DEFAULT_CHECK)
    except InvalidProof:
        return None


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes,
                       proof: Sequence[bytes], *, check: str = DEFAULT_CHECK) -> None:
    """RFC 9162 §2.1.4.2: return if `proof` shows the size-`old_size` tree with `old_root` is a
    prefix of the size-`new_size` tree with `new_root`; raise InvalidProof(check, …) otherwise.
    Equal sizes need equal roots and an empty proof; old size 0 needs an empty proof."""
    _check_size(check, "old size", old_size)
    _check_size(check, "new size", new_size)
    _check_hash(check, "old root", old_root)
    _check_hash(check, "new root", new_root)
    for i, p in enumerate(proof):
        _check_hash(check, f"proof[{i}]", p)
    if old_size > new_size:
        raise InvalidProof(check, f"old size {old_size} is larger than new size {new_size}")
    if old_size == new_size:
        if proof:
            raise InvalidProof(check, "consistency proof between equal sizes must be empty")
        if old_root != new_root:
            raise InvalidProof(check, f"two different roots for the same size {old_size}")
        return
    if old_size == 0:
        if proof:
            raise InvalidProof(check, "consistency proof from the empty tree must be empty")
        return
    if not proof:
        raise InvalidProof(check, "consistency proof is empty")
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # old tree is a complete subtree: its root is implied
        path.insert(0, old_root)
    fr, sr = _consistency_roots(old_size, new_size, path, check)
    if fr != old_root:
        raise InvalidProof(check, f"consistency proof does not lead to the old root (size {old_size})")
    if sr != new_root:
        raise InvalidProof(check, f"consistency proof does not lead to the new root (size {new_size})")
