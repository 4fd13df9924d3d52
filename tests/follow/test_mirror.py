"""Mirrors: a verified copy of a live board with its checkpoints and valid cosignatures, kept
up incrementally, whose record files verify; a tampered upstream is refused with nothing
stored; the copy serves read-only like the original."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from hamaporsi.board.election_board import ElectionBoard
from hamaporsi.board.sqlite import SQLiteStore
from hamaporsi.cli.main import main
from hamaporsi.crypto import bip340
from hamaporsi.follow.copy import VerifiedCopy
from hamaporsi.follow.errors import Refused
from hamaporsi.follow.mirror import Mirror
from hamaporsi.follow.remote import BoardClient
from hamaporsi.follow.witness import Witness
from hamaporsi.protocol.cosignature import Cosignature
from hamaporsi.server.config import ServerConfig

from follow.helpers import (FAST, Record, body, genuine_proof, wait_checkpoint,
                            witnessed_election)
from follow.fakeboard import FakeBoard, View
from support.election import Election
from support.server import JSON, config_for, live_server

Fake = Callable[[View], tuple[FakeBoard, str]]


@pytest.fixture
def stack() -> Iterator[ExitStack]:
    with ExitStack() as s:
        yield s


def board_of(path: Path) -> tuple[list[bytes], list[bytes], list[tuple[int, bytes]]]:
    """Entries, checkpoints (canonical wire form) and cosignatures of a board file."""
    with SQLiteStore(path) as s:
        return ([d for _, d in s.entries()], [json.dumps(c.to_json()).encode()
                                               for c in s.checkpoints()],
                list(s.all_cosignatures()))


def cast(url: str, el: Election, n: int, choice: int) -> int:
    """Cast n ballots over HTTP (voters 0..n-1); wait for a checkpoint covering them."""
    last = 0
    for v in range(n):
        r = httpx.post(url + "/api/ballots", content=el.ballot(v, [choice]).bytes, headers=JSON,
                       timeout=30)
        assert r.status_code == 201, r.text
        last = r.json()["index"]
    return wait_checkpoint(url, last + 1).size


def test_mirror_of_a_live_board_incremental_verified_and_served(tmp_path: Path,
                                                                stack: ExitStack) -> None:
    wsecret = bip340.generate_secret()
    el = witnessed_election(tmp_path / "board.sqlite", [bip340.public_key(wsecret)], 1)
    el.open()
    el.store.close()
    url = stack.enter_context(live_server(config_for(el, checkpoint_every=0.05,
                                                     checkpoint_min_entries=1)))
    board = stack.enter_context(BoardClient(url, FAST))
    w = Witness(tmp_path / "w", wsecret, board)
    stack.callback(w.close)
    size = cast(url, el, 3, 0)
    m = Mirror(tmp_path / "m", board)
    stack.callback(m.close)
    first = m.sync()
    assert first.size >= size and first.record is None  # nothing witnessed yet: no record
    assert w.round().cosigned is not None
    again = m.sync()
    assert again.synced.entries == 0 and again.cosignatures_added == 1
    assert again.record is not None and again.record.size == again.size

    size2 = cast(url, el, 4, 1)
    w.round()
    third = m.sync()
    assert third.synced.entries == size2 - again.size  # only the new entries were fetched
    assert third.record is not None and third.record.size == size2

    # finish the referendum on the board file (the organizer and trustees, beside the server)
    el.store = SQLiteStore(el.path)
    el.eb = ElectionBoard(el.store, el.board_secret, el.manifest.hash.hex())
    el.finish()
    final = el.store.size()
    el.store.close()
    wait_checkpoint(url, final)
    assert w.round().cosigned is not None
    done = m.sync()
    assert done.size == final and done.record is not None and done.record.size == final
    assert main(["verify", str(tmp_path / "m"), "--workers", "1"]) == 0

    m.close()
    mine = board_of(tmp_path / "m" / "board.sqlite")
    source = board_of(el.path)
    assert mine[0] == source[0] and mine[1] == source[1]
    assert mine[2] == source[2] and len(mine[2]) >= 3
    for line in (tmp_path / "m" / "cosignatures.jsonl").read_bytes().splitlines():
        assert Cosignature.from_bytes(line).witness == bip340.public_key(wsecret)

    # the mirror serves read-only like the original, and can itself be mirrored
    ro = stack.enter_context(live_server(ServerConfig(
        db=tmp_path / "m" / "board.sqlite", read_only=True, verify_workers=0)))
    for path in ("/api/board/checkpoint", "/api/election", "/api/board/entries?start=0"):
        assert httpx.get(ro + path).content == httpx.get(url + path).content, path
    post = httpx.post(ro + "/api/ballots", content=el.ballot(0, [0]).bytes, headers=JSON)
    assert post.status_code in (403, 405, 409), post.text
    second = tmp_path / "m2"
    assert main(["mirror", ro, str(second), "--election", el.manifest.hash.hex()]) == 0
    assert board_of(second / "board.sqlite")[:2] == source[:2]


def test_tampered_upstream_is_refused_with_nothing_stored(tmp_path: Path, record: Record,
                                                          fake: Fake) -> None:
    board, url = fake(record.view(14, 20))
    client = BoardClient(url, FAST)
    m = Mirror(tmp_path / "m", client)
    assert m.sync().size == 20
    files = {p.name: p.read_bytes() for p in (tmp_path / "m").glob("*.jsonl")}
    assert set(files) == {"entries.jsonl", "checkpoints.jsonl", "cosignatures.jsonl"}
    board.view = record.view(14, 20, 30)
    board.view.entries = list(record.swapped(24))  # entries changed under the checkpoint
    board.view.overrides["consistency"] = body(genuine_proof(record.entries, 20, 30))
    with pytest.raises(Refused) as e:
        m.sync()
    assert e.value.code == "root_mismatch"
    assert m.copy.store.size() == 20 and m.copy.sizes() == [14, 20]
    assert {p.name: p.read_bytes() for p in (tmp_path / "m").glob("*.jsonl")} == files
    m.close()
    # a fresh mirror of a tampered board stores nothing at all
    fresh = Mirror(tmp_path / "fresh", client)
    with pytest.raises(Refused, match="root_mismatch"):
        fresh.sync()
    assert fresh.copy.store.size() == 0 and not list((tmp_path / "fresh").glob("*.jsonl"))
    fresh.close()
    client.close()


def test_mirror_command(tmp_path: Path, record: Record, fake: Fake,
                        capsys: pytest.CaptureFixture[str]) -> None:
    board, url = fake(record.view(14, 20))
    d = tmp_path / "m"
    assert main(["mirror", url, str(d), "--retries", "0"]) == 0
    out = capsys.readouterr().out
    assert f"mirror {d}: size 20, 2 checkpoints" in out and "+20 entries" in out
    assert " bytes " in out and "record up to size 20" in out
    board.view = record.view(14, 20, 38)
    assert main(["mirror", url, str(d)]) == 0
    out = capsys.readouterr().out
    assert "size 38, 3 checkpoints" in out and "+18 entries" in out
    assert VerifiedCopy.open(d).size == 38
    forked = record.swapped(30)
    board.view = View(list(forked), [record.cp(14), record.cp(20),
                                      record.cp(38, entries=forked, t=1_800_000_000)])
    assert main(["mirror", url, str(d)]) == 3
    err = capsys.readouterr().err
    assert "FORK" in err and (d / "evidence-1.json").exists()
    key = bip340.public_key(record.secret).hex()
    assert main(["witness", "check-evidence", str(d / "evidence-1.json"), "--board-key",
                 key]) == 0
    capsys.readouterr()
    assert main(["mirror", url, str(d)]) == 2  # refuses to go on next to evidence
    assert "evidence" in capsys.readouterr().err
    other = tmp_path / "o"
    board.view = record.view(14, 20)
    board.view.entries = list(record.swapped(15))
    assert main(["mirror", url, str(other)]) == 1
    assert "root_mismatch" in capsys.readouterr().err
    assert main(["mirror", "http://127.0.0.1:9", str(tmp_path / "x"), "--retries", "0"]) == 1
    assert "board:" in capsys.readouterr().err


def test_mirror_pages_through_more_checkpoints_than_one_listing(
        tmp_path: Path, record: Record, fake: Fake, monkeypatch: pytest.MonkeyPatch) -> None:
    """A board with more checkpoints than one listing returns: the mirror still stores every
    one of them (paging with ?after=), and a later round adds only what is new."""
    import hamaporsi.follow.mirror as mirror_module
    monkeypatch.setattr(mirror_module, "LIST", 2)
    board, url = fake(record.view(14, 16, 18, 20, 22, 24))
    with BoardClient(url, FAST) as client:
        m = Mirror(tmp_path / "m", client)
        try:
            run = m.sync()
            assert run.checkpoints == 6 and m.copy.sizes() == [14, 16, 18, 20, 22, 24]
            board.view = record.view(14, 16, 18, 20, 22, 24, 30, 32, 34, 38)
            run = m.sync()
            assert m.copy.sizes()[-4:] == [30, 32, 34, 38] and run.checkpoints == 10
            assert any("after=24" in q for q in board.view.requests)
        finally:
            m.close()
    lines = (tmp_path / "m" / "checkpoints.jsonl").read_text().splitlines()
    assert [json.loads(x)["size"] for x in lines] == [14, 16, 18, 20, 22, 24, 30, 32, 34, 38]


def test_mirror_listing_stops_at_the_newest_listed_checkpoint(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    """A board whose oldest-first pages never end (full pages of ever larger sizes) kept a
    mirror paging, and holding what it got, forever; it pages only up to the newest listing."""
    import hamaporsi.follow.mirror as mirror_mod
    from hamaporsi.protocol.checkpoint import sign_checkpoint
    monkeypatch.setattr(mirror_mod, "LIST", 3)
    secret = bip340.generate_secret()
    asked = 0

    def cp(n: int) -> dict[str, object]:
        return sign_checkpoint(secret, "aa" * 32, n, b"\x02" * 32, n).to_json()

    def handler(r: httpx.Request) -> httpx.Response:
        nonlocal asked
        asked += 1
        if asked > 60:
            return httpx.Response(400, json={"error": "stop", "detail": "asked too often"})
        limit = int(r.url.params["limit"])
        if "after" not in r.url.params:
            return httpx.Response(200, json={"checkpoints": [cp(n) for n in (102, 101, 100)]})
        after = int(r.url.params["after"])
        return httpx.Response(200, json={"checkpoints": [cp(after + i)
                                                         for i in range(1, limit + 1)]})

    b = BoardClient("http://board.test", FAST, transport=httpx.MockTransport(handler))
    m = Mirror(tmp_path / "m", b)
    try:
        got = m.listed()
    finally:
        m.close()
    assert [c.size for c in got] == list(range(103))
    assert asked <= 40
