"""RFC 9162 Merkle tree: published vectors, then properties over random trees up to ~200 leaves."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hamaporsi.protocol import merkle
from hamaporsi.protocol.merkle import RangeError
from hamaporsi.protocol.merkle import (
    EMPTY_ROOT, TreeBuilder, consistency_proof, inclusion_proof, leaf_hash, node_hash, range_root,
    root, verify_consistency, verify_inclusion,
)
from hamaporsi.crypto.errors import InvalidProof

VECTORS_FILE = Path(__file__).resolve().parents[1] / "vectors" / "public" / "rfc9162-merkle.json"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "vectors" / "rfc9162-merkle.json"
V = json.loads(VECTORS_FILE.read_text())
LEAVES = [leaf_hash(bytes.fromhex(x)) for x in V["leaf_inputs"]]
ROOTS = [bytes.fromhex(x) for x in V["root_hashes"]]


def _hx(xs: list[str]) -> list[bytes]:
    return [bytes.fromhex(x) for x in xs]


def _leaves(n: int, salt: int = 0) -> list[bytes]:
    return [leaf_hash(f"{salt}:{i}".encode()) for i in range(n)]


def _reference_mth(hs: list[bytes]) -> bytes:
    """RFC 9162 §2.1.1 MTH written as the RFC's recursion, to check the streaming builder."""
    if not hs:
        return hashlib.sha256(b"").digest()
    if len(hs) == 1:
        return hs[0]
    k = 1 << ((len(hs) - 1).bit_length() - 1)
    return node_hash(_reference_mth(hs[:k]), _reference_mth(hs[k:]))


# -- published vectors ----------------------------------------------------------------------

@pytest.mark.skipif(not SHARED.exists(), reason="../shared/vectors not present (clean clone)")
def test_vendored_copy_matches_shared() -> None:
    assert VECTORS_FILE.read_bytes() == SHARED.read_bytes()


def test_vector_roots_of_every_prefix() -> None:
    assert len(ROOTS) == len(LEAVES) + 1
    b = TreeBuilder()
    for k, expected in enumerate(ROOTS):
        assert root(LEAVES[:k]) == expected
        assert range_root(LEAVES, 0, k) == expected
        assert b.root() == expected and b.size == k
        if k < len(LEAVES):
            b.append(LEAVES[k])


@pytest.mark.parametrize("case", V["inclusion"], ids=lambda c: f"{c['leaf_index']}of{c['tree_size']}")
def test_vector_inclusion(case: dict) -> None:
    i, n, path = case["leaf_index"], case["tree_size"], _hx(case["path"])
    assert inclusion_proof(LEAVES, i, n) == path
    verify_inclusion(LEAVES[i], i, n, path, ROOTS[n])


@pytest.mark.parametrize("case", V["consistency"], ids=lambda c: f"{c['size1']}to{c['size2']}")
def test_vector_consistency(case: dict) -> None:
    m, n, proof = case["size1"], case["size2"], _hx(case["proof"])
    assert consistency_proof(LEAVES, m, n) == proof
    verify_consistency(m, n, ROOTS[m], ROOTS[n], proof)


def test_vector_counts() -> None:
    assert len(V["inclusion"]) == 4 and len(V["consistency"]) == 4


# -- fixed facts ----------------------------------------------------------------------------

def test_empty_tree_root() -> None:
    assert EMPTY_ROOT == hashlib.sha256(b"").digest()
    assert root([]) == EMPTY_ROOT == TreeBuilder().root()


def test_hash_prefixes() -> None:
    assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert node_hash(b"a" * 32, b"b" * 32) == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()


def test_duplicated_last_leaf_changes_root() -> None:
    a, b, c = (leaf_hash(x) for x in (b"a", b"b", b"c"))
    assert root([a, b, c]) != root([a, b, c, c])


def test_single_leaf_root_is_its_leaf_hash() -> None:
    h = leaf_hash(b"only")
    assert root([h]) == h
    assert inclusion_proof([h], 0, 1) == []
    verify_inclusion(h, 0, 1, [], h)


def test_builder_rejects_non_hash() -> None:
    with pytest.raises(ValueError):
        TreeBuilder().append(b"short")


def test_builder_copy_is_independent() -> None:
    b = TreeBuilder()
    b.extend(_leaves(5))
    c = b.copy()
    c.append(leaf_hash(b"more"))
    assert b.size == 5 and c.size == 6
    assert b.root() == root(_leaves(5))


def test_proofs_read_leaves_in_bounded_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(merkle, "CHUNK", 4)
    hs = _leaves(50)
    reads: list[int] = []

    class Source:
        def leaf_hashes(self, start: int, end: int) -> list[bytes]:
            reads.append(end - start)
            return hs[start:end]

    for i in (0, 17, 49):
        p = inclusion_proof(Source(), i, 50)
        verify_inclusion(hs[i], i, 50, p, root(hs))
    verify_consistency(13, 50, root(hs[:13]), root(hs), consistency_proof(Source(), 13, 50))
    assert reads and max(reads) <= 4


def test_bad_proof_requests() -> None:
    hs = _leaves(4)
    for i, n in [(4, 4), (-1, 4), (0, 0), (0, 5)]:
        with pytest.raises(RangeError):
            inclusion_proof(hs, i, n)
    for m, n in [(3, 2), (-1, 2), (2, 5)]:
        with pytest.raises(RangeError):
            consistency_proof(hs, m, n)
    assert consistency_proof(hs, 0, 4) == []
    assert consistency_proof(hs, 4, 4) == []


def test_size_is_bound_by_the_checkpoint_not_the_path() -> None:
    """RFC 9162 paths do not commit to the tree size: the path of leaf 0 in a 3-leaf tree also
    verifies against that same root when size 4 is claimed. Verifiers take (size, root) together
    from a signed checkpoint, so this is harmless; the spec (§8.2) says so. Against the root of
    the claimed size the proof fails."""
    hs = _leaves(4)
    p = inclusion_proof(hs, 0, 3)
    verify_inclusion(hs[0], 0, 4, p, root(hs[:3]))
    with pytest.raises(InvalidProof):
        verify_inclusion(hs[0], 0, 4, p, root(hs))


# -- properties -----------------------------------------------------------------------------

sizes = st.integers(min_value=1, max_value=200)


@st.composite
def tree_and_index(draw: st.DrawFn) -> tuple[list[bytes], int]:
    n = draw(sizes)
    return _leaves(n, draw(st.integers(0, 3))), draw(st.integers(0, n - 1))


@st.composite
def tree_and_sizes(draw: st.DrawFn) -> tuple[list[bytes], int, int]:
    n = draw(sizes)
    m = draw(st.integers(1, n))
    return _leaves(n, draw(st.integers(0, 3))), m, n


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 200))
def test_builder_matches_rfc_recursion(n: int) -> None:
    hs = _leaves(n)
    b = TreeBuilder()
    for k in range(n + 1):
        if k in (0, 1, n // 2, n):
            assert b.root() == _reference_mth(hs[:k])
        if k < n:
            b.append(hs[k])
    assert len(b._stack) == bin(n).count("1")  # O(log n) state


@settings(max_examples=300, deadline=None)
@given(tree_and_index())
def test_inclusion_proof_verifies_and_tampering_fails(ti: tuple[list[bytes], int]) -> None:
    hs, i = ti
    n = len(hs)
    r = root(hs)
    path = inclusion_proof(hs, i, n)
    assert len(path) <= (n - 1).bit_length()
    verify_inclusion(hs[i], i, n, path, r)

    def fails(leaf: bytes, idx: int, size: int, p: list[bytes], rt: bytes) -> None:
        with pytest.raises(InvalidProof) as exc:
            verify_inclusion(leaf, idx, size, p, rt, check="V-test")
        assert exc.value.check == "V-test"

    fails(leaf_hash(b"other"), i, n, path, r)
    fails(hs[i], i, n, path, leaf_hash(b"other root"))
    for j in range(len(path)):
        bad = list(path)
        bad[j] = bytes([bad[j][0] ^ 1]) + bad[j][1:]
        fails(hs[i], i, n, bad, r)
    for j in range(n):
        if j != i:
            fails(hs[i], j, n, path, r)
    fails(hs[i], n, n, path, r)
    if path:
        fails(hs[i], i, n, path[:-1], r)
        fails(hs[i], i, n, path[1:], r)
    fails(hs[i], i, n, path + [leaf_hash(b"x")], r)
    fails(hs[i], i, n, [leaf_hash(b"x")] + path, r)
    # a wrong size, checked against the true root of a tree of that size, fails
    extra = _leaves(n + 7, 77)
    for wrong in {i + 1, n - 1, n + 1, 2 * n, n + 7} - {n}:
        if wrong > i:
            fails(hs[i], i, wrong, path, root((hs + extra)[:wrong]))


@settings(max_examples=300, deadline=None)
@given(tree_and_sizes())
def test_consistency_proof_verifies_and_tampering_fails(t: tuple[list[bytes], int, int]) -> None:
    hs, m, n = t
    old, new = root(hs[:m]), root(hs)
    proof = consistency_proof(hs, m, n)
    verify_consistency(m, n, old, new, proof)
    verify_consistency(0, n, EMPTY_ROOT, new, [])

    def fails(a: int, b: int, ra: bytes, rb: bytes, p: list[bytes]) -> None:
        with pytest.raises(InvalidProof):
            verify_consistency(a, b, ra, rb, p)

    other = leaf_hash(b"other")
    fails(m, n, other, new, proof)
    fails(m, n, old, other, proof)
    if m == n:
        assert proof == []
        fails(m, n, old, new, [other])
        return
    assert proof
    for j in range(len(proof)):
        bad = list(proof)
        bad[j] = bytes([bad[j][0] ^ 1]) + bad[j][1:]
        fails(m, n, old, new, bad)
    fails(m, n, old, new, proof[:-1])
    fails(m, n, old, new, proof[1:])
    fails(m, n, old, new, proof + [other])
    fails(m, n, old, new, [])
    fails(n, m, new, old, proof)
    # a wrong size, checked against the true root of that size, fails
    for m2 in {m - 1, m + 1} - {0, m}:
        if m2 <= n:
            fails(m2, n, root(hs[:m2]), new, proof)
    ext = hs + _leaves(3, 55)
    fails(m, n + 3, old, root(ext), proof)


@settings(max_examples=100, deadline=None)
@given(tree_and_sizes())
def test_consistency_chains_through_every_prefix(t: tuple[list[bytes], int, int]) -> None:
    hs, m, n = t
    b = TreeBuilder()
    b.extend(hs[:m])
    r_m = b.root()
    for k in range(m, n):
        b.append(hs[k])
        verify_consistency(m, k + 1, r_m, b.root(), consistency_proof(hs, m, k + 1))
