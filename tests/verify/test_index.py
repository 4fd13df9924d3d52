"""The two `Index` implementations agree: the board's in memory and the verifier's on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from hamaporsi.protocol.ledger import Index, MemoryIndex
from hamaporsi.verify.index import DiskIndex


@pytest.fixture(params=["memory", "disk"])
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Index:
    return MemoryIndex() if request.param == "memory" else DiskIndex(str(tmp_path / "i.db"))


def test_claims_are_unique_and_name_the_holder(index: Index) -> None:
    assert index.claim_all([b"a", b"b"], 5) is None
    assert index.claim_all([b"c"], 6) is None
    assert index.claim_all([b"d", b"b"], 7) == (b"b", 5)
    assert index.claim_all([b"c", b"e"], 8) == (b"c", 6)


def test_memory_index_refusal_changes_nothing() -> None:
    index = MemoryIndex()
    index.claim_all([b"a"], 1)
    assert index.claim_all([b"x", b"a"], 2) == (b"a", 1)
    assert index.claim_all([b"x"], 3) is None  # x was not kept by the refused claim


def test_credentials_and_last_ballot(index: Index) -> None:
    index.add_credentials([b"k1", b"k2"])
    assert index.has_credential(b"k1") and not index.has_credential(b"k3")
    assert index.set_last(b"k1", 10, b"ct1") is None
    assert index.set_last(b"k1", 12, b"ct2") == (10, b"ct1")
    assert index.set_last(b"k2", 13, b"ct3") is None
    assert index.voters() == 2
