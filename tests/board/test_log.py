"""Board: appends, cached root, checkpoints, proofs, and the integrity checks done on open."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import pytest

from hamaporsi.protocol import merkle
from hamaporsi.protocol.checkpoint import verify_checkpoint
from hamaporsi.board.errors import CheckpointError, RangeError, StoreCorrupted
from hamaporsi.board.log import AppendReceipt, Board
from hamaporsi.protocol.merkle import leaf_hash, root, verify_consistency, verify_inclusion
from hamaporsi.crypto import bip340

if TYPE_CHECKING:
    from conftest import Backend

ELECTION = hashlib.sha256(b"board test").hexdigest()
SECRET = bip340.generate_secret()


@pytest.fixture
def board(backend: Backend) -> Board:
    return Board(backend.open(), SECRET, ELECTION, clock=lambda: 1000.0)


def test_append_and_roots(board: Board) -> None:
    entries = [f"ballot {i}".encode() for i in range(37)]
    hashes = [leaf_hash(e) for e in entries]
    assert board.root() == merkle.EMPTY_ROOT
    r = board.append(entries[0])
    assert r == AppendReceipt(0, hashes[0])
    receipts = board.append_many(entries[1:])
    assert [x.index for x in receipts] == list(range(1, 37))
    assert board.size == 37
    assert board.root() == root(hashes)
    for k in (0, 1, 5, 16, 36):
        assert board.root(k) == root(hashes[:k])
    with pytest.raises(RangeError):
        board.root(38)


def test_checkpoint_and_proofs(board: Board) -> None:
    board.append_many([bytes([i]) for i in range(20)])
    cp1 = board.checkpoint()
    assert (cp1.size, cp1.timestamp, cp1.election_id) == (20, 1000, ELECTION)
    verify_checkpoint(cp1, board.board_key)
    assert board.checkpoint() == cp1  # nothing new: same checkpoint
    board.append_many([bytes([i]) for i in range(20, 33)])
    cp2 = board.checkpoint(now=2000)
    assert cp2.size == 33 and cp2.root == board.root()
    verify_consistency(cp1.size, cp2.size, cp1.root, cp2.root,
                       board.consistency_proof(cp1.size, cp2.size))
    for i in (0, 7, 19):
        verify_inclusion(leaf_hash(bytes([i])), i, cp1.size, board.inclusion_proof(i, cp1.size),
                         cp1.root)
    verify_inclusion(leaf_hash(bytes([32])), 32, 33, board.inclusion_proof(32), cp2.root)
    assert board.store.latest_checkpoint() == cp2
    board.append(b"late")
    with pytest.raises(CheckpointError):
        board.checkpoint(now=1999)


def test_reopen_rebuilds_tree_and_checks_checkpoints(backend: Backend,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(merkle, "CHUNK", 8)
    s = backend.open()
    b = Board(s, SECRET, ELECTION)
    for n in (5, 17, 40):
        b.append_many([f"{n}:{i}".encode() for i in range(n)])
        b.checkpoint(now=n)
    expected = b.root()
    s.close()
    s = backend.open()
    again = Board(s, SECRET, ELECTION)
    assert again.size == 62 and again.root() == expected
    with pytest.raises(StoreCorrupted):
        Board(s, bip340.generate_secret(), ELECTION)  # checkpoints signed by another key
    with pytest.raises(StoreCorrupted):
        Board(s, SECRET, hashlib.sha256(b"other").hexdigest())


def test_tampered_log_is_detected_on_open(backend: Backend) -> None:
    b = Board(backend.open(), SECRET, ELECTION)
    b.append_many([b"a", b"b", b"c"])
    b.checkpoint(now=1)
    backend.disable_triggers("entries")
    backend.execute("UPDATE entries SET data = ?, leaf_hash = ? WHERE idx = 1",
                    (b"\x00", leaf_hash(b"\x00")))
    with pytest.raises(StoreCorrupted):
        Board(backend.open(), SECRET, ELECTION)


def test_catches_up_with_another_writer(backend: Backend) -> None:
    s1, s2 = backend.open(), backend.open()
    b = Board(s1, SECRET, ELECTION)
    b.append(b"mine")
    s2.append_many([b"theirs", b"too"])
    r = b.append(b"mine again")
    assert r.index == 3
    assert b.root() == root([leaf_hash(e) for e in (b"mine", b"theirs", b"too", b"mine again")])
    s2.append(b"more")
    assert b.checkpoint(now=5).size == 5


def test_repr_has_no_secret(board: Board) -> None:
    assert SECRET.hex() not in repr(board)
    with pytest.raises(ValueError):
        Board(board.store, SECRET, ELECTION.upper())
