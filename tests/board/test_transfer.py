"""Copying a board between stores (board/transfer.py, spec §8.6.6): SQLite → PostgreSQL and
back, resuming an interrupted copy, and refusing a source or target that is not this board."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from hamaporsi.board.election_board import ElectionBoard
from hamaporsi.board.open import open_store
from hamaporsi.board.store import BoardStore
from hamaporsi.board.transfer import TransferError, copy_board
from hamaporsi.cli.main import main
from hamaporsi.crypto import bip340
from hamaporsi.protocol.checkpoint import sign_checkpoint
from hamaporsi.protocol.cosignature import WitnessPolicy, cosign

from board.conftest import Backend
from support.election import Election

WITNESSES = [bip340.generate_secret() for _ in range(2)]


def content(s: BoardStore) -> tuple[list[bytes], list[object], list[tuple[int, bytes]]]:
    return ([d for _, d in s.entries()], list(s.checkpoints()), list(s.all_cosignatures()))


@pytest.fixture
def source(new_election: Callable[..., Election]) -> Election:
    """A board with ballots, three checkpoints and two witnesses' cosignatures."""
    el = new_election(voters=6, witnesses=WitnessPolicy(
        tuple(bip340.public_key(w) for w in WITNESSES), 2))
    el.open()
    for voter in range(3):
        el.cast(voter, [voter % 3])
        cp = el.eb.checkpoint()
        for w in WITNESSES:
            el.store.add_cosignature(cp.size, bip340.public_key(w), cosign(w, cp, 1).to_bytes())
    el.cast(3, [1])  # beyond the last checkpoint
    return el


def test_copy_to_the_other_backend_is_the_same_board(source: Election, backend: Backend,
                                                     tmp_path: Path, pg_url: str) -> None:
    other = str(tmp_path / "copy.sqlite") if backend.is_pg else pg_url
    with open_store(other) as dst:
        got = copy_board(source.store, dst)
        assert content(dst) == content(source.store)
        assert (got.entries, got.checkpoints, got.cosignatures) == (source.size, 3, 6)
        eb = ElectionBoard(dst, source.board_secret, source.manifest.hash.hex())
        assert eb.board.root() == source.eb.board.root()  # and it opens as this board
        again = copy_board(source.store, dst)  # nothing new: nothing copied
        assert (again.entries, again.checkpoints, again.cosignatures) == (0, 0, 0)


def test_interrupted_copy_resumes(source: Election, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import hamaporsi.board.transfer as transfer
    monkeypatch.setattr(transfer, "CHUNK", 4)
    calls = []

    def stop_after_two(done: int, total: int) -> None:
        calls.append(done)
        if len(calls) == 2:
            raise KeyboardInterrupt

    with open_store(tmp_path / "copy.sqlite") as dst:
        with pytest.raises(KeyboardInterrupt):
            copy_board(source.store, dst, progress=stop_after_two)
        assert dst.size() == calls[-1] < source.size
        got = copy_board(source.store, dst)
        assert got.size == source.size and content(dst) == content(source.store)


def test_a_target_holding_another_board_is_refused(source: Election, tmp_path: Path,
                                                   new_election: Callable[..., Election]) -> None:
    other = Election(tmp_path / "other.sqlite")
    other.open()
    size = other.store.size()
    with pytest.raises(TransferError, match="another board"):
        copy_board(source.store, other.store)
    assert other.store.size() == size  # nothing written
    with open_store(tmp_path / "big.sqlite") as big:
        copy_board(source.store, big)
        source.cast(4, [0])
        with pytest.raises(TransferError, match="more than the source"):
            copy_board(big, source.store)


def test_a_checkpoint_not_matching_its_entries_stops_the_copy(source: Election,
                                                             tmp_path: Path) -> None:
    """A source whose checkpoint (validly signed) names another root: the target keeps the
    checked prefix and never gets that checkpoint."""
    size = source.store.size()
    source.cast(5, [2])
    bad = sign_checkpoint(source.board_secret, source.manifest.hash.hex(), size + 1,
                          b"\x07" * 32, 2_000_000_000)
    source.store.add_checkpoint(bad)
    with open_store(tmp_path / "copy.sqlite") as dst:
        with pytest.raises(TransferError, match=f"size {size + 1} does not match"):
            copy_board(source.store, dst)
        assert dst.size() == size + 1 and bad not in list(dst.checkpoints())
        assert [cp.size for cp in dst.checkpoints()] == \
            [cp.size for cp in source.store.checkpoints()][:-1]


def test_a_checkpoint_of_another_key_stops_the_copy(source: Election, tmp_path: Path) -> None:
    source.cast(5, [2])
    forged = sign_checkpoint(bip340.generate_secret(), source.manifest.hash.hex(),
                             source.store.size(), source.eb.board.root(), 2_000_000_000)
    source.store.add_checkpoint(forged)
    with open_store(tmp_path / "copy.sqlite") as dst:
        with pytest.raises(TransferError, match="board key"):
            copy_board(source.store, dst)
        assert dst.size() == 0  # refused before anything was copied


def test_board_copy_command(source: Election, backend: Backend, tmp_path: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    dst = tmp_path / "copy.sqlite"
    assert main(["board", "copy", "--from", backend.url, "--to", str(dst)]) == 0
    assert f"copied {source.size} entries, 3 checkpoints and 6 cosignatures" in \
        capsys.readouterr().out
    assert main(["board", "copy", "--from", backend.url, "--to", backend.url]) != 0
    assert "same board" in capsys.readouterr().err
    empty = tmp_path / "empty.sqlite"
    open_store(empty).close()
    assert main(["board", "copy", "--from", str(empty), "--to", str(tmp_path / "x.sqlite")]) != 0
    assert "source board is empty" in capsys.readouterr().err
