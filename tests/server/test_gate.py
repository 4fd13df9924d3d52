"""Casting only while voting is open: before the board's `open` entry, after `close` (written
by another process while the server runs), and outside the manifest's period by the server's
clock — 409 with `not_open` or `voting_closed`, nothing stored."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hamaporsi.board.election_board import ElectionBoard
from hamaporsi.board.sqlite import SQLiteStore

from support.election import Election
from support.server import TestClient, cast, error_of, stored


def test_not_open_before_the_open_entry(tmp_path: Path,
                                        serve: Callable[..., TestClient]) -> None:
    el = Election(tmp_path / "board.sqlite")
    el.store.close()
    c = serve(el)
    assert c.get("/api/election").json()["phase"] == "setup"
    before = stored(el)
    error_of(cast(c, el.ballot(0, [0]).bytes), 409, "not_open")
    assert stored(el) == before


def test_voting_opens_while_the_server_runs(tmp_path: Path,
                                            serve: Callable[..., TestClient]) -> None:
    el = Election(tmp_path / "board.sqlite")
    c = serve(el)
    el.open()  # the organizer, through its own connection
    el.store.close()
    assert c.get("/api/election").json()["phase"] == "voting"
    r = cast(c, el.ballot(0, [0]).bytes)
    assert r.status_code == 201, r.text


def test_closed_by_another_process_while_serving(opened: Election,
                                                 serve: Callable[..., TestClient]) -> None:
    c = serve(opened)
    assert cast(c, opened.ballot(0, [0]).bytes).status_code == 201
    with SQLiteStore(opened.path) as s:  # the organizer's `close`, from the CLI say
        eb = ElectionBoard(s, opened.board_secret, opened.manifest.hash.hex())
        eb.submit(opened.close_entry(eb.ledger.ballots))
    before = stored(opened)
    error_of(cast(c, opened.ballot(1, [0]).bytes), 409, "voting_closed")
    assert stored(opened) == before
    assert c.get("/api/election").json()["phase"] == "closed"


def test_closed_between_the_gate_and_the_commit(opened: Election,
                                                serve: Callable[..., TestClient]) -> None:
    """The view still says voting; the ledger (caught up under the write lock) refuses."""
    c = serve(opened)
    with SQLiteStore(opened.path) as s:
        eb = ElectionBoard(s, opened.board_secret, opened.manifest.hash.hex())
        eb.submit(opened.close_entry(0))
    assert c.app.state.service.view.phase == "voting"  # type: ignore[attr-defined]
    before = stored(opened)
    error_of(cast(c, opened.ballot(1, [0]).bytes), 409, "voting_closed")
    assert stored(opened) == before


def test_before_the_period_by_the_clock(opened: Election,
                                        serve: Callable[..., TestClient]) -> None:
    c = serve(opened, clock=lambda: float(opened.manifest.opens - 60))
    error_of(cast(c, opened.ballot(0, [0]).bytes), 409, "not_open")


def test_after_the_period_by_the_clock(opened: Election,
                                       serve: Callable[..., TestClient]) -> None:
    c = serve(opened, clock=lambda: float(opened.manifest.closes + 1))
    before = stored(opened)
    error_of(cast(c, opened.ballot(0, [0]).bytes), 409, "voting_closed")
    assert stored(opened) == before
