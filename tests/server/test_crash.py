"""Crash safety (issue 4 §4): `hamaporsi serve` is killed with SIGKILL in the middle of sustained
concurrent casting and restarted on the same board, while every client keeps retrying its
ballot with the same bytes until it gets 201 (stored) or 200 (already stored). Afterwards every
acknowledged ballot is on the board at the index its receipt named, no ballot is there twice,
the board holds exactly the distinct ballots sent, and the exported record verifies."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from hamaporsi.board.open import is_postgres, open_store
from hamaporsi.cli.roles_common import board_key_path
from hamaporsi.protocol.ballot import EncryptedBallot
from hamaporsi.verify.runner import verify_record

from support.election import Election
from support.server import JSON, free_port, start_server, stop_server, wait_up, write_board_key

pytestmark = pytest.mark.slow
CLIENTS = 8
"""Concurrent clients; each casts its own ballots one after the other."""


class Client:
    """One voter device: casts each of its ballots, retrying the same bytes on any failure
    (connection refused or reset, timeout, 503) until the server answers 201 or 200."""

    def __init__(self, url: str, ballots: list[EncryptedBallot]) -> None:
        self.url, self.ballots = url, ballots
        self.acked: list[tuple[EncryptedBallot, int, int]] = []  # ballot, status, index
        self.retries = 0

    def run(self, acked: Callable[[], None]) -> None:
        with httpx.Client(timeout=10) as h:
            for b in self.ballots:
                while True:
                    try:
                        r = h.post(self.url + "/api/ballots", content=b.bytes, headers=JSON)
                    except httpx.TransportError:
                        r = None
                    if r is not None and r.status_code in (200, 201):
                        body = r.json()
                        assert body["tracking_code"] == b.tracking_code.hex()
                        self.acked.append((b, r.status_code, body["index"]))
                        acked()
                        break
                    assert r is None or r.status_code == 503, r.text  # never a refusal
                    self.retries += 1
                    time.sleep(0.02)


def test_sigkill_mid_casting_loses_and_duplicates_nothing(
        board_url: str, tmp_path: Path, make_election: Callable[..., Election]) -> None:
    el = make_election(board_url, voters=24)
    setup = el.size
    url = str(el.path)
    key: list[Any] = []
    if is_postgres(url):
        key = ["--board-key", write_board_key(tmp_path / "board.key.json", el)]
    else:
        write_board_key(board_key_path(url), el)
    ballots = [el.ballot(v, [(v + k) % 3]) for k in range(3) for v in range(24)]  # re-votes
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    clients = [Client(base, ballots[i::CLIENTS]) for i in range(CLIENTS)]
    log = tmp_path / "serve.log"
    proc = start_server("--db", url, *key, port=port, log=log)
    wait_up(base, proc)

    count, lock, third = [0], threading.Lock(), threading.Event()

    def acked() -> None:
        with lock:
            count[0] += 1
            if count[0] >= len(ballots) // 3:
                third.set()

    with ThreadPoolExecutor(CLIENTS) as pool:
        futures = [pool.submit(c.run, acked) for c in clients]
        assert third.wait(60), "casting never got going"
        proc.kill()  # SIGKILL: no shutdown, no last checkpoint, a batch maybe mid-COMMIT
        proc.wait()
        at_kill = count[0]
        proc = start_server("--db", url, *key, port=port, log=log)
        try:
            wait_up(base, proc)
            for f in futures:
                f.result(timeout=120)
        finally:
            assert stop_server(proc) == 0
    assert at_kill < len(ballots), "the kill came after casting had finished"

    acks = [a for c in clients for a in c.acked]
    assert len(acks) == len(ballots)
    assert sum(c.retries for c in clients) > 0  # the clients did see the crash
    store = open_store(url)
    try:
        data = [d for _, d in store.entries()]
        assert len(data) == setup + len(ballots)  # the distinct ballots sent, nothing more
        for b, _, idx in acks:
            assert data[idx] == b.bytes
        assert len({b.bytes for b in ballots}) == len(set(data[setup:])) == len(ballots)
        assert sorted(idx for _, _, idx in acks) == list(range(setup, len(data)))
        rec = el.finish_on(store, tmp_path / "record")
    finally:
        store.close()
    report = verify_record(rec, workers=1)
    assert report.ok, report.failure
    assert "Traceback" not in log.read_text(errors="replace")
