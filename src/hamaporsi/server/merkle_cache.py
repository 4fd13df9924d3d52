"""Every perfect, aligned subtree hash of the log, in memory, so that receipt and consistency
proofs cost O(log n) look-ups instead of re-hashing up to n leaves per request (spec §8.2–§8.4).

Level j holds MTH(D[i·2^j : (i+1)·2^j]) for every complete block, packed 32 bytes apiece in
one bytearray: 2n hashes in all (64 bytes per entry; 64 MiB for a million entries)."""

from __future__ import annotations

from collections.abc import Iterable

from ..protocol.merkle import EMPTY_ROOT, HASH_BYTES, RangeError, node_hash

H = HASH_BYTES


def _largest_pow2_below(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


class SubtreeCache:
    """A `merkle.RootSource` over the leaf hashes appended to it, in order."""

    def __init__(self) -> None:
        self._levels: list[bytearray] = [bytearray()]

    @property
    def size(self) -> int:
        return len(self._levels[0]) // H

    def append(self, leaf: bytes) -> None:
        """Add the next leaf hash and every subtree it completes."""
        if len(leaf) != H:
            raise ValueError("a leaf hash is 32 bytes")
        node, j = leaf, 0
        while True:
            level = self._levels[j]
            level += node
            if (len(level) // H) % 2:
                return
            node = node_hash(bytes(level[-2 * H:-H]), bytes(level[-H:]))
            j += 1
            if j == len(self._levels):
                self._levels.append(bytearray())

    def extend(self, leaves: Iterable[bytes]) -> None:
        for leaf in leaves:
            self.append(leaf)

    def _node(self, j: int, i: int) -> bytes:
        return bytes(self._levels[j][i * H:(i + 1) * H])

    def range_root(self, start: int, end: int) -> bytes:
        """MTH(D[start:end]) of RFC 9162 §2.1.1, from the cached subtrees."""
        if not 0 <= start <= end <= self.size:
            raise RangeError(f"range [{start}, {end}) is outside the tree of size {self.size}")
        if start == end:
            return EMPTY_ROOT
        n = end - start
        if n & (n - 1) == 0 and start % n == 0:
            return self._node(n.bit_length() - 1, start // n)
        k = _largest_pow2_below(n)
        return node_hash(self.range_root(start, start + k), self.range_root(start + k, end))
