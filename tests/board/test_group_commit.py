"""Group commit (`ElectionBoard.submit_verified`): ballots checked ahead of the write lock go
in one transaction, each accepted or refused on its own; a failed transaction stores nothing
and leaves the ledger as the store is. Also `sync()` (catch up with another writer) and
`checkpoints(after=)`. The store's own `append_each_checked` is tested in test_store.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from hamaporsi.board.election_board import ElectionBoard
from hamaporsi.board.errors import AppendOnlyViolation
from hamaporsi.board.open import is_postgres, open_store
from hamaporsi.protocol.canonical import canonical_bytes, parse_canonical
from hamaporsi.protocol.errors import ProtocolError, Rejected
from hamaporsi.protocol.ledger import BallotFacts
from hamaporsi.protocol.merkle import root

from support.election import Election

if TYPE_CHECKING:
    from conftest import Backend


def facts(el: Election, data: bytes) -> BallotFacts:
    f = el.eb.ledger.check_alone(parse_canonical(data))
    assert f is not None
    return f


def test_mixed_batch_accepts_the_good_and_refuses_the_bad(el: Election) -> None:
    good = [el.ballot(v, [v % 3]) for v in (0, 1)]
    items = [(good[0].bytes, facts(el, good[0].bytes)),
             (good[0].bytes, facts(el, good[0].bytes)),  # replay within the batch
             (good[1].bytes, facts(el, good[1].bytes))]
    size = el.size
    out = el.eb.submit_verified(items)
    assert out[0] == size and out[2] == size + 1
    assert isinstance(out[1], Rejected) and out[1].code == "duplicate"
    assert el.store.size() == el.size == size + 2
    assert el.eb.ledger.ballots == 2 and el.eb.ledger.index.voters() == 2
    assert el.eb.board.root() == root(el.store.leaf_hashes(0, size + 2))
    assert [d for _, d in el.store.entries(size)] == [good[0].bytes, good[1].bytes]


def test_batch_follows_entries_of_another_writer(el: Election) -> None:
    """A second writer appended a ballot of voter 0 after our facts were checked: its replay in
    our batch is refused, the rest lands after it."""
    b0, b1 = el.ballot(0, [0]), el.ballot(1, [1])
    items = [(b0.bytes, facts(el, b0.bytes)), (b1.bytes, facts(el, b1.bytes))]
    with open_store(el.path) as s2:  # type: ignore[attr-defined]
        other = ElectionBoard(s2, el.board_secret, el.manifest.hash.hex())
        idx, _ = other.submit_bytes(b0.bytes)
    out = el.eb.submit_verified(items)
    assert isinstance(out[0], ProtocolError) and out[0].code == "duplicate"
    assert out[1] == idx + 1
    assert el.eb.ledger.ballots == 2


def test_failed_commit_stores_nothing_and_the_ledger_matches_the_store(
        el: Election, backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    b = el.ballot(0, [0])
    items = [(b.bytes, facts(el, b.bytes))]
    size, ballots = el.size, el.eb.ledger.ballots
    if is_postgres(el.path):  # a deferred trigger: the server itself refuses the COMMIT
        backend.execute("CREATE FUNCTION fail_commit() RETURNS trigger LANGUAGE plpgsql AS $$"
                        " BEGIN RAISE EXCEPTION 'append-only: simulated commit failure'; END $$")
        backend.execute("CREATE CONSTRAINT TRIGGER fail_commit AFTER INSERT ON entries"
                        " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fail_commit()")
        with pytest.raises(AppendOnlyViolation, match="simulated commit failure"):
            el.eb.submit_verified(items)
        backend.execute("DROP TRIGGER fail_commit ON entries")
    else:
        original = el.store.conn  # type: ignore[attr-defined]

        class FailingCommit:
            def __getattr__(self, name: str) -> object:
                return getattr(original, name)

            def execute(self, sql: str, *args: object) -> object:
                if sql == "COMMIT":
                    raise AppendOnlyViolation("simulated commit failure")
                return original.execute(sql, *args)

        monkeypatch.setattr(el.store, "_conn", FailingCommit())
        with pytest.raises(AppendOnlyViolation):
            el.eb.submit_verified(items)
        monkeypatch.setattr(el.store, "_conn", original)
    assert el.store.size() == size and el.eb.ledger.ballots == ballots
    assert el.eb.ledger.index.holder(b.tracking_code) is None  # the ledger was rebuilt
    assert el.eb.submit_verified(items) == [size]


def test_period_is_checked_for_verified_ballots(new_election: Callable[..., Election]) -> None:
    el = new_election()
    el.open()
    b = el.ballot(0, [0])
    item = (b.bytes, facts(el, b.bytes))
    el.eb.clock = lambda: float(el.manifest.closes + 1)
    out = el.eb.submit_verified([item])
    assert isinstance(out[0], Rejected) and out[0].code == "voting_closed"
    assert el.store.size() == el.size
    el.store.close()


def test_sync_catches_up_ledger_and_tree(el: Election) -> None:
    with open_store(el.path) as s2:  # type: ignore[attr-defined]
        other = ElectionBoard(s2, el.board_secret, el.manifest.hash.hex())
        other.submit_bytes(el.ballot(2, [1]).bytes)
        other.submit(el.close_entry(1))
    assert el.eb.ledger.phase == "voting"
    size = el.eb.sync()
    assert size == el.store.size() and el.eb.board.size == size
    assert el.eb.ledger.phase == "closed" and el.eb.ledger.ballots == 1


def test_checkpoints_after(el: Election) -> None:
    sizes = []
    for v in range(3):
        el.cast(v, [0])
        sizes.append(el.eb.checkpoint().size)
    assert [c.size for c in el.store.checkpoints()] == sizes
    assert [c.size for c in el.store.checkpoints(after=sizes[0])] == sizes[1:]
    assert list(el.store.checkpoints(after=sizes[-1])) == []


def test_index_holder_and_last(el: Election) -> None:
    first = el.cast(0, [0])
    second = el.cast(0, [1])
    idx = el.eb.ledger.index
    h1, h2 = idx.holder(first.tracking_code), idx.holder(second.tracking_code)  # type: ignore[attr-defined]
    assert h1 is not None and h2 == h1 + 1
    assert idx.last(el.creds[0].public) == h2  # type: ignore[attr-defined]
    assert idx.last(el.creds[1].public) is None  # type: ignore[attr-defined]
    assert idx.holder(b"\x00" * 32) is None  # type: ignore[attr-defined]
    assert canonical_bytes(parse_canonical(first.bytes)) == first.bytes
