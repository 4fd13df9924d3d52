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
