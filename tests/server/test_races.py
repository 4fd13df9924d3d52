"""Reads racing other writers: the CLI may append an entry and sign a checkpoint at any moment,
even between the server's catching up with the log and with the checkpoints; and a protocol
error on a read path is a 503 to retry, never a 500."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from hamaporsi.board.election_board import ElectionBoard
from hamaporsi.board.sqlite import SQLiteStore
from hamaporsi.protocol.checkpoint import Checkpoint
from hamaporsi.protocol.merkle import RangeError, verify_inclusion

from support.election import Election
from support.server import TestClient, cast, error_of, stored, tick


def test_checkpoint_signed_between_the_log_and_the_checkpoints_read(
        opened: Election, serve: Callable[..., TestClient],
        monkeypatch: pytest.MonkeyPatch) -> None:
    c = serve(opened)
    tc = cast(c, opened.ballot(0, [1]).bytes).json()["tracking_code"]
    tick(c)
    eb = c.app.state.service.eb  # type: ignore[attr-defined]
    real = eb.sync
    done: list[int] = []

    def sync_then_another_writer_commits_and_signs() -> int:
        size = real()
        if not done:  # the CLI, in its own connection: one more ballot and a checkpoint
            with SQLiteStore(opened.path) as s:
                cli = ElectionBoard(s, opened.board_secret, opened.manifest.hash.hex())
                cli.submit_bytes(opened.ballot(1, [0]).bytes)
                done.append(cli.checkpoint().size)
        return size

    monkeypatch.setattr(eb, "sync", sync_then_another_writer_commits_and_signs)
    r = c.get(f"/api/ballots/{tc}")
    assert r.status_code == 200, r.text
    assert done == [stored(opened)]
    s = c.get(f"/api/ballots/{tc}").json()  # the next read catches up with both
    cp = Checkpoint.from_json(s["checkpoint"])
    assert s["status"] == "included" and cp.size == done[0]
    verify_inclusion(bytes.fromhex(s["leaf_hash"]), s["index"], cp.size,
                     [bytes.fromhex(h) for h in s["path"]], cp.root)


def test_protocol_error_on_a_read_is_503_with_retry_after(
        opened: Election, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    service = client.app.state.service  # type: ignore[attr-defined]

    def broken(*_: Any) -> bytes:
        raise RangeError("range [3, 9) is outside the tree of size 5")

    monkeypatch.setattr(service, "receipt_json", broken)
    r = client.get(f"/api/ballots/{'ab' * 32}")
    body = error_of(r, 503, "unavailable")
    assert int(r.headers["retry-after"]) >= 1
    assert "outside the tree" not in body["detail"]
    monkeypatch.undo()
    error_of(client.get(f"/api/ballots/{'ab' * 32}"), 404, "not_found")


# -- several writers signing checkpoints (several server processes) -------------------------------


def test_a_checkpoint_race_returns_the_other_writers_checkpoint(
        any_opened: Election, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two writers on one board: B appends and signs while A is about to sign a smaller or
    equal size. A's store refuses A's checkpoint (AppendOnlyViolation); A returns B's, caught
    up to it, instead of failing."""
    from hamaporsi.board.open import open_store
    el = any_opened
    s1, s2 = open_store(el.path), open_store(el.path)
    try:
        a = ElectionBoard(s1, el.board_secret, el.manifest.hash.hex())
        b = ElectionBoard(s2, el.board_secret, el.manifest.hash.hex())
        for same_size in (False, True):
            if same_size:
                a.sync()
            b.submit_bytes(el.ballot(int(same_size), [1]).bytes)
            theirs = b.checkpoint()
            if same_size:
                a.sync()
            calls: list[int] = []
            real = s1.latest_checkpoint

            def stale() -> Checkpoint | None:  # A read the latest before B stored its own
                calls.append(1)
                return None if len(calls) == 1 else real()

            monkeypatch.setattr(s1, "latest_checkpoint", stale)
            got = a.board.checkpoint(sync=False)
            monkeypatch.undo()
            assert got == theirs and len(calls) == 2
            assert a.board.size == theirs.size
            assert [cp.size for cp in s1.checkpoints()][-1] == theirs.size
        got = a.checkpoint()  # nothing new: the latest is returned, the ledger caught up
        assert got == theirs and a.ledger.entries == theirs.size and a.ledger.ballots == 2
    finally:
        s1.close()
        s2.close()


def test_a_checkpoint_signed_elsewhere_counts_turnout_without_a_rescan(
        opened: Election, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process signs a checkpoint at a size this server has passed: the turnout at
    that size comes from the counts noted on the way, not from re-reading the log."""
    from hamaporsi.server import service as service_mod
    assert cast(client, opened.ballot(0, [1]).bytes).status_code == 201
    with SQLiteStore(opened.path) as s:
        other = ElectionBoard(s, opened.board_secret, opened.manifest.hash.hex())
        size = other.board.size
        assert cast(client, opened.ballot(1, [0]).bytes).status_code == 201
        assert cast(client, opened.ballot(0, [2]).bytes).status_code == 201
        cp = other.board.checkpoint(sync=False)  # of the size it last saw
    assert cp.size == size < stored(opened)

    def no_rescan(*_: object) -> object:
        raise AssertionError("turnout counted from the entries")

    monkeypatch.setattr(service_mod, "turnout_of", no_rescan)
    r = client.get("/api/results").json()
    assert r["turnout"]["ballots"] == 1 and r["turnout"]["voters"] == 1
    assert client.get("/api/board/checkpoint").json() == cp.to_json()
    tick(client)  # its own checkpoint of everything
    assert client.get("/api/results").json()["turnout"]["ballots"] == 3
