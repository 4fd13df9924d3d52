"""Read-only serving (a mirror's copy, issue 4 §5): no board key, every GET as the original
answers it, every POST refused with 403 `read_only`, never a checkpoint signed; it follows the
copy as the mirror adds entries, checkpoints and cosignatures to it."""

from __future__ import annotations

import argparse
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from hamaporsi.board.election_board import ElectionBoard
from hamaporsi.board.errors import CheckpointError, StoreCorrupted
from hamaporsi.board.open import open_store
from hamaporsi.cli.main import build_parser
from hamaporsi.cli.roles_common import CLIError
from hamaporsi.cli.serve import server_config
from hamaporsi.protocol.canonical import canonical_bytes
from hamaporsi.protocol.checkpoint import Checkpoint
from hamaporsi.protocol.cosignature import cosign
from hamaporsi.server.config import ServerConfig

from support.election import Election
from support.server import JSON, TestClient, cast, error_of, stored, tick, write_board_key
from verify.witnessed import WITNESSES, policy, witnessed_election


def copy_board(src: Path, dst: Path) -> Path:
    """A consistent copy of an SQLite board file (what a mirror holds)."""
    with closing(sqlite3.connect(src)) as a, closing(sqlite3.connect(dst)) as b:
        a.backup(b)
    return dst


def reads(c: TestClient, tcs: list[str], size: int) -> dict[str, bytes]:
    """Every GET of the API, as bytes."""
    paths = ["/api/election", "/api/results", "/api/board/checkpoint",
             "/api/board/checkpoints?limit=50", "/api/board/entries?start=0",
             "/api/board/entries?start=3&end=9", f"/api/board/proofs/consistency?from=2&to={size}",
             f"/api/board/cosignatures?size={size}", f"/api/ballots/{'ab' * 32}",
             *(f"/api/ballots/{tc}" for tc in tcs)]
    out = {}
    for p in paths:
        r = c.get(p)
        assert r.status_code in (200, 404), (p, r.text)
        out[p] = r.content
    return out


def test_a_copy_served_read_only_answers_every_get_as_the_original(
        tmp_path: Path, serve: Callable[..., TestClient]) -> None:
    el = witnessed_election(tmp_path / "board.sqlite", policy(3, 2), voters=4)
    el.open()
    el.store.close()
    c = serve(el)
    tcs = [cast(c, el.ballot(v, [v % 3]).bytes).json()["tracking_code"] for v in range(3)]
    tcs.append(cast(c, canonical_bytes(el.ballot(3, [1]).audit_entry()), "audit")
               .json()["tracking_code"])
    tick(c)
    cp = c.get("/api/board/checkpoint").json()
    for w in (0, 1):
        cs = cosign(WITNESSES[w], Checkpoint.from_json(cp), 5 + w)
        assert c.post("/api/board/cosignatures", content=cs.to_bytes(),
                      headers=JSON).status_code == 201
    tcs.append(cast(c, el.ballot(0, [2]).bytes).json()["tracking_code"])  # not yet covered
    size = cp["size"]
    copy = copy_board(tmp_path / "board.sqlite", tmp_path / "mirror.sqlite")
    want = reads(c, tcs, size)
    ro = serve(el, db=str(copy), board_secret=None, election_id=None, read_only=True)
    assert reads(ro, tcs, size) == want
    assert ro.get(f"/api/ballots/{tcs[-1]}").json()["status"] == "pending"
    assert ro.get(f"/api/ballots/{tcs[0]}").json()["status"] == "included"
    assert ro.get("/api/health").json() == {"phase": "voting", "read_only": True,
                                            "status": "ok"}

    el.path = copy
    n = stored(el)
    b = el.ballot(1, [0])
    for path, body in (("/api/ballots", b.bytes), ("/api/audits", canonical_bytes(
            b.audit_entry())), ("/api/board/cosignatures", cs.to_bytes())):
        body_ = error_of(ro.post(path, content=body, headers=JSON), 403, "read_only")
        assert "read-only" in body_["detail"]
    tick(ro)  # an entry waits uncovered, and still no checkpoint is signed
    assert stored(el) == n
    assert ro.get("/api/board/checkpoint").json() == cp


def test_a_read_only_server_follows_its_copy(tmp_path: Path, opened: Election,
                                              serve: Callable[..., TestClient]) -> None:
    """The mirror keeps appending what it copied (entries, then their checkpoint): the
    read-only server publishes them with that checkpoint, as the original did."""
    copy = copy_board(opened.path, tmp_path / "mirror.sqlite")
    ro = serve(opened, db=str(copy), board_secret=None, election_id=None, read_only=True)
    assert ro.get("/api/board/checkpoint").status_code == 404
    orig = open_store(opened.path)
    try:
        eb = ElectionBoard(orig, opened.board_secret, opened.manifest.hash.hex())
        idx, _ = eb.submit_bytes(opened.ballot(2, [1]).bytes)
        cp = eb.checkpoint()
        mirror = open_store(copy)
        try:  # what `hamaporsi mirror` does after checking them
            mirror.append_many([d for _, d in orig.entries(mirror.size(), cp.size)])
            mirror.add_checkpoint(cp)
        finally:
            mirror.close()
    finally:
        orig.close()
    assert ro.get("/api/board/checkpoint").json() == cp.to_json()
    entries = ro.get(f"/api/board/entries?start={idx}").json()["entries"]
    assert len(entries) == 1 and entries[0]["type"] == "ballot"
    assert ro.get("/api/results").json()["turnout"]["ballots"] == 1


def test_a_board_without_its_key_cannot_sign(opened: Election) -> None:
    s = open_store(opened.path)
    try:
        eb = ElectionBoard.read_only(s)
        assert eb.board.board_key == opened.manifest.board_key and not eb.board.can_sign
        assert eb.ledger.phase == "voting"
        with pytest.raises(CheckpointError, match="read-only"):
            eb.checkpoint()
        assert s.latest_checkpoint() is None
    finally:
        s.close()


def test_read_only_refuses_another_election(tmp_path: Path, opened: Election,
                                            serve: Callable[..., TestClient]) -> None:
    from hamaporsi.server.app import create_app
    app = create_app(ServerConfig(db=str(opened.path), read_only=True,
                                  election_id="00" * 32, verify_workers=0))
    with pytest.raises(StoreCorrupted, match="is not election"):
        with TestClient(app):
            pass


def test_the_config_needs_a_key_unless_read_only(opened: Election) -> None:
    with pytest.raises(ValueError, match="secret"):
        ServerConfig(db="b.sqlite", election_id="00" * 32)
    with pytest.raises(ValueError, match="election id"):
        ServerConfig(db="b.sqlite", board_secret=bytes(range(32)))
    cfg = ServerConfig(db="b.sqlite", read_only=True)
    assert cfg.board_secret is None and cfg.url == "b.sqlite"


def _args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["serve", *argv])


def test_serve_read_only_needs_no_key_file_and_pg_needs_one(tmp_path: Path,
                                                            opened: Election) -> None:
    cfg = server_config(_args("--db", str(opened.path), "--read-only"), str(opened.path))
    assert cfg.read_only and cfg.board_secret is None
    with pytest.raises(CLIError, match="board key file"):  # no board.key.json beside it
        server_config(_args("--db", str(opened.path)), str(opened.path))
    key = write_board_key(tmp_path / "elsewhere.key.json", opened)
    cfg = server_config(_args("--db", f"sqlite://{opened.path}", "--board-key", str(key)),
                        f"sqlite://{opened.path}")
    assert cfg.board_secret == opened.board_secret and not cfg.read_only
    pg = "postgresql://postgres:hunter2@127.0.0.1:5432/test"
    with pytest.raises(CLIError, match="--board-key") as e:
        server_config(_args("--db", pg), pg)
    assert "hunter2" not in str(e.value)
