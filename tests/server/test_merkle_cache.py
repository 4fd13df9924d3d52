"""`SubtreeCache`: every range root, inclusion path and consistency proof it gives equals the
one computed from the leaves (RFC 9162), for every size up to 70 and some larger ones; and
`merkle` takes it as a `RootSource`."""

from __future__ import annotations

import hashlib

import pytest

from hamaporsi.protocol import merkle
from hamaporsi.protocol.merkle import (EMPTY_ROOT, RangeError, RootSource, consistency_proof,
                                       inclusion_proof, range_root, verify_consistency,
                                       verify_inclusion)
from hamaporsi.server.merkle_cache import SubtreeCache


def leaves(n: int) -> list[bytes]:
    return [merkle.leaf_hash(hashlib.sha256(str(i).encode()).digest()) for i in range(n)]


def cache_of(ls: list[bytes]) -> SubtreeCache:
    c = SubtreeCache()
    c.extend(ls)
    return c


def test_every_range_root_up_to_40() -> None:
    ls = leaves(40)
    c = cache_of(ls)
    assert isinstance(c, RootSource)
    for start in range(41):
        for end in range(start, 41):
            assert c.range_root(start, end) == range_root(ls, start, end), (start, end)


@pytest.mark.parametrize("n", [*range(1, 71), 127, 128, 129, 1000])
def test_proofs_equal_the_leaf_computed_ones(n: int) -> None:
    ls = leaves(n)
    c = cache_of(ls)
    top = c.range_root(0, n)
    assert top == merkle.root(ls)
    for i in sorted({0, n // 3, n // 2, n - 1}):
        p = inclusion_proof(c, i, n)
        assert p == inclusion_proof(ls, i, n)
        verify_inclusion(ls[i], i, n, p, top)
    for old in sorted({1, n // 2, n - 1, n}):
        if old == 0:
            continue
        p = consistency_proof(c, old, n)
        assert p == consistency_proof(ls, old, n)
        verify_consistency(old, n, merkle.root(ls[:old]), top, p)


def test_grows_one_leaf_at_a_time() -> None:
    ls = leaves(33)
    c = SubtreeCache()
    assert c.size == 0 and c.range_root(0, 0) == EMPTY_ROOT
    for i, leaf in enumerate(ls, 1):
        c.append(leaf)
        assert c.size == i and c.range_root(0, i) == merkle.root(ls[:i])


def test_out_of_range_and_bad_leaves() -> None:
    c = cache_of(leaves(5))
    for start, end in ((0, 6), (3, 2), (-1, 2)):
        with pytest.raises(RangeError):
            c.range_root(start, end)
    with pytest.raises(RangeError):
        inclusion_proof(c, 5, 5)
    with pytest.raises(ValueError):
        c.append(b"short")
