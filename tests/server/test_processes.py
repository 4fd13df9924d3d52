"""Several `hamaporsi serve` processes on one board (issue 4 §2), on SQLite and on PostgreSQL:
the store's write lock is the one sequencer. Many concurrent clients cast distinct ballots (with
re-votes) round-robin over the processes, and copies of one ballot go to two processes at once:
every 201 has its own index, the indices are dense, exactly one of two simultaneous copies is
stored (the other answer is 200 with the same receipt), each process's receipts and reads see
the others' entries and checkpoints, and the exported record verifies with `hamaporsi verify`."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import httpx
import pytest

from hamaporsi.board.open import is_postgres, open_store
from hamaporsi.cli.main import main
from hamaporsi.cli.roles_common import board_key_path
from hamaporsi.protocol.ballot import EncryptedBallot
from hamaporsi.protocol.checkpoint import Checkpoint
from hamaporsi.protocol.merkle import verify_inclusion

from support.election import Election
from support.server import JSON, free_port, start_server, stop_server, wait_up, write_board_key

pytestmark = pytest.mark.slow


class Servers:
    """N `hamaporsi serve` processes on one board, each on its own port."""

    def __init__(self, el: Election, tmp: Path, n: int) -> None:
        url = str(el.path)
        if is_postgres(url):
            key = ["--board-key", write_board_key(tmp / "board.key.json", el)]
        else:
            write_board_key(board_key_path(url), el)
            key = []
        self.logs = [tmp / f"serve{i}.log" for i in range(n)]
        self.ports = [free_port() for _ in range(n)]
        self.procs = [start_server("--db", url, *key, port=p, log=log)
                      for p, log in zip(self.ports, self.logs)]
        self.urls = [f"http://127.0.0.1:{p}" for p in self.ports]
        for u, proc in zip(self.urls, self.procs):
            wait_up(u, proc)

    def stop(self) -> list[int]:
        return [stop_server(p) for p in self.procs]

    def kill(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()

    def log_text(self) -> str:
        return "".join(log.read_text(errors="replace") for log in self.logs)


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Callable[[Election, int], Servers]]:
    started: list[Servers] = []

    def start(el: Election, n: int) -> Servers:
        s = Servers(el, tmp_path, n)
        started.append(s)
        return s

    yield start
    for s in started:
        s.kill()


def post(h: httpx.Client, url: str, b: EncryptedBallot) -> tuple[int, dict[str, Any]]:
    r = h.post(url + "/api/ballots", content=b.bytes, headers=JSON)
    assert r.status_code in (200, 201), r.text
    return r.status_code, r.json()


def verify_cli(record: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        rc = main(["verify", str(record), "--workers", "1", "--no-state"])
    assert rc == 0, out.getvalue() + err.getvalue()


@pytest.mark.parametrize("n", [2, 4])
def test_processes_share_one_sequencer(n: int, board_url: str, tmp_path: Path,
                                       make_election: Callable[..., Election],
                                       servers: Callable[[Election, int], Servers]) -> None:
    el = make_election(board_url, voters=10)
    setup = el.size
    ballots = [el.ballot(v, [(v + k) % 3]) for k in range(2) for v in range(10)]  # re-votes
    pairs = [el.ballot(v, [1]) for v in range(4)]  # each sent to two processes at once
    s = servers(el, n)
    results: list[tuple[EncryptedBallot, int, dict[str, Any]]] = []
    lock = threading.Lock()
    with httpx.Client(timeout=60) as h:

        def one(i: int) -> None:
            b = ballots[i]
            status, body = post(h, s.urls[i % n], b)
            with lock:
                results.append((b, status, body))

        def copies(i: int) -> list[tuple[int, dict[str, Any]]]:
            b, gate = pairs[i], threading.Barrier(2)

            def send(url: str) -> tuple[int, dict[str, Any]]:
                gate.wait()
                return post(h, url, b)

            with ThreadPoolExecutor(2) as two:
                return list(two.map(send, [s.urls[i % n], s.urls[(i + 1) % n]]))

        with ThreadPoolExecutor(8) as pool:
            pair_futures = [pool.submit(copies, i) for i in range(len(pairs))]
            list(pool.map(one, range(len(ballots))))
            pair_results = [f.result() for f in pair_futures]

        assert [st for _, st, _ in results] == [201] * len(ballots)
        for b, (first, second) in zip(pairs, pair_results):
            assert sorted([first[0], second[0]]) == [200, 201]  # exactly one stored
            assert first[1] == second[1] and first[1]["tracking_code"] == b.tracking_code.hex()
            results.append((b, 201, first[1]))
        indices = [body["index"] for _, _, body in results]
        total = len(ballots) + len(pairs)
        assert sorted(indices) == list(range(setup, setup + total))  # distinct and dense

        for i, (b, _, body) in enumerate(results):  # every process answers for every ballot
            url = s.urls[(i + 1) % n]
            r = h.get(f"{url}/api/ballots/{body['tracking_code']}").json()
            assert r["index"] == body["index"] and r["leaf_hash"] == body["leaf_hash"]
    assert s.stop() == [0] * n
    log = s.log_text()
    assert "Traceback" not in log and "ERROR" not in log, log

    store = open_store(el.path)
    try:
        data = [d for _, d in store.entries()]
        assert len(data) == setup + total
        for b, _, body in results:
            assert data[body["index"]] == b.bytes and data.count(b.bytes) == 1
        cps = list(store.checkpoints())
        assert cps[-1].size == len(data)  # the last process to stop covered everything
        rec = el.finish_on(store, tmp_path / "record")
    finally:
        store.close()
    verify_cli(rec)


def test_receipts_and_reads_of_one_process_see_what_another_stored(
        board_url: str, tmp_path: Path, make_election: Callable[..., Election],
        servers: Callable[[Election, int], Servers]) -> None:
    el = make_election(board_url, voters=4)
    s = servers(el, 2)
    a, b = s.urls
    with httpx.Client(timeout=60) as h:
        _, body = post(h, a, el.ballot(0, [2]))
        tc = body["tracking_code"]
        deadline = time.monotonic() + 30
        while (r := h.get(f"{b}/api/ballots/{tc}").json())["status"] != "included":
            assert time.monotonic() < deadline, r
            time.sleep(0.05)
        cp = Checkpoint.from_json(r["checkpoint"])
        verify_inclusion(bytes.fromhex(r["leaf_hash"]), r["index"], cp.size,
                         [bytes.fromhex(x) for x in r["path"]], cp.root)
        assert h.get(f"{b}/api/results").json()["turnout"]["ballots"] == 1
        entries = h.get(f"{b}/api/board/entries?start={body['index']}").json()["entries"]
        assert entries[0]["credential"] == el.creds[0].public.hex()
        again = h.post(f"{b}/api/ballots", content=el.ballot(0, [2]).bytes, headers=JSON)
        assert again.status_code == 201  # a fresh encryption: a re-vote, through the other one
    assert s.stop() == [0, 0]
