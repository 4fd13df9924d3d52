"""Database faults (issue 4, "Bad input and faults"): a database that is unreachable or full makes
casting and reading 503 `unavailable` with Retry-After; nothing is half-written (the store rolls
back, the ledger is as before, in memory); the board thread lives on; service resumes by itself
once the database is back (PostgreSQL behind a TCP proxy that the test cuts and restores), or,
for a full SQLite file, once the server restarts without the cap."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from hamaporsi.board.election_board import ElectionBoard
from hamaporsi.board.errors import StoreUnavailable
from hamaporsi.board.open import open_store
from hamaporsi.protocol.ballot import EncryptedBallot
from hamaporsi.protocol.ledger import MemoryIndex
from hamaporsi.server.app import scrub
from hamaporsi.server.config import ServerConfig
from hamaporsi.verify.runner import verify_record

from support.election import Election
from support.server import TestClient, cast, error_of, free_port, stored, tick


def unavailable(r: Any) -> None:
    error_of(r, 503, "unavailable")
    assert int(r.headers["retry-after"]) >= 1


def ledger_view(c: TestClient) -> tuple[Any, ...]:
    led = c.app.state.service.eb.ledger  # type: ignore[attr-defined]
    idx = led.index
    assert isinstance(idx, MemoryIndex)
    return (led.entries, led.ballots, led.audits, led.superseded, dict(idx._unique),
            dict(idx._last), tuple(x.encode() for x in led.all_sum or ()))


def finish_and_verify(el: Election, out: Path, sent: list[tuple[EncryptedBallot, int]]) -> None:
    """Finish the election on the board, export, verify; every acknowledged ballot is there
    once, at the index its receipt named."""
    s = el.store = open_store(el.path)
    try:
        el.eb = eb = ElectionBoard(s, el.board_secret, el.manifest.hash.hex())
        data = [d for _, d in s.entries()]
        for b, idx in sent:
            assert data[idx] == b.bytes and data.count(b.bytes) == 1
        el.finish()
        eb.checkpoint()
        rec = eb.export(out)
    finally:
        s.close()
    report = verify_record(rec, workers=1)
    assert report.ok, report.failure


# -- a store that fails, on both backends --------------------------------------------------------


def test_a_failed_commit_is_503_and_leaves_nothing_behind(
        any_opened: Election, serve: Callable[..., TestClient], tmp_path: Path) -> None:
    el = any_opened
    c = serve(el)
    sent = []
    b0 = el.ballot(0, [0])
    r = cast(c, b0.bytes)
    assert r.status_code == 201
    sent.append((b0, r.json()["index"]))
    store = c.app.state.service.eb.board.store  # type: ignore[attr-defined]
    original = store.append_each_checked
    before, n = ledger_view(c), stored(el)

    def fails_after_the_checks(entries: Any, check: Any) -> Any:
        def then_fail(i: int, index: int) -> bool:
            ok = check(i, index)
            if i == len(entries) - 1:  # every item applied to the ledger; then the COMMIT fails
                raise StoreUnavailable("simulated: connection lost at COMMIT")
            return bool(ok)
        return original(entries, then_fail)

    store.append_each_checked = fails_after_the_checks
    b1 = el.ballot(1, [2])
    unavailable(cast(c, b1.bytes))
    unavailable(cast(c, b1.bytes))  # and again: nothing was stored, nothing is remembered
    assert ledger_view(c) == before and stored(el) == n
    del store.append_each_checked
    r = cast(c, b1.bytes)  # the same bytes go in once the database is back
    assert r.status_code == 201 and r.json()["index"] == n
    sent.append((b1, n))
    tick(c)
    assert c.get(f"/api/ballots/{r.json()['tracking_code']}").json()["status"] == "included"
    c.__exit__(None, None, None)
    finish_and_verify(el, tmp_path / "record", sent)


def test_reads_during_an_outage_are_503_and_the_board_thread_lives_on(
        any_opened: Election, serve: Callable[..., TestClient]) -> None:
    el = any_opened
    c = serve(el)
    assert cast(c, el.ballot(0, [1]).bytes).status_code == 201
    store = c.app.state.service.eb.board.store  # type: ignore[attr-defined]

    def down(*_: Any, **__: Any) -> Any:
        raise StoreUnavailable("simulated: database unreachable")

    assert c.get("/api/health").json() == {"phase": "voting", "read_only": False,
                                           "status": "ok"}
    for name in ("size", "checkpoints", "latest_checkpoint", "append_each_checked"):
        setattr(store, name, down)
    for path in ("/api/health", "/api/results", "/api/election", "/api/board/checkpoints",
                 f"/api/ballots/{'ab' * 32}", "/api/board/entries?start=0"):
        unavailable(c.get(path))
    unavailable(cast(c, el.ballot(1, [0]).bytes))
    with pytest.raises(StoreUnavailable):  # a checkpointer round fails; the loop logs it
        tick(c)
    for name in ("size", "checkpoints", "latest_checkpoint", "append_each_checked"):
        delattr(store, name)
    assert c.get("/api/results").status_code == 200
    assert cast(c, el.ballot(1, [0]).bytes).status_code == 201


def test_driver_errors_that_slip_through_are_503(opened: Election, client: TestClient) -> None:
    import psycopg
    service = client.app.state.service  # type: ignore[attr-defined]
    real = service.results_json
    for error in (sqlite3.OperationalError("disk I/O error"),
                  psycopg.OperationalError("server closed the connection unexpectedly")):

        def fault(*_: Any) -> bytes:
            raise error

        service.results_json = fault
        unavailable(client.get("/api/results"))
        service.results_json = real
        assert client.get("/api/results").status_code == 200


def test_logged_faults_never_show_the_database_password() -> None:
    url = "postgresql://hamaporsi:s3cret-pw@db.example:5432/board?schema=x"
    msg = 'connection to "db.example" failed for user hamaporsi password s3cret-pw\nrefused'
    out = scrub(msg, url)
    assert "s3cret-pw" not in out and "***" in out and "\n" not in out
    assert scrub("plain", "board.sqlite") == "plain"


def test_the_server_config_never_shows_the_database_password() -> None:
    url = "postgresql://hamaporsi:s3cret-pw@db.example:5432/board?schema=x"
    cfg = ServerConfig(db=url, read_only=True)
    assert cfg.url == url  # the store still gets it
    for text in (repr(cfg), str(cfg)):
        assert "s3cret" not in text and "hamaporsi:***@db.example:5432/board" in text


# -- SQLite: the board file is full --------------------------------------------------------------


def page_count(path: Path) -> int:
    with closing(sqlite3.connect(path)) as c:
        return int(c.execute("PRAGMA page_count").fetchone()[0])


def test_a_full_sqlite_board_is_503_and_a_restart_without_the_cap_continues(
        tmp_path: Path, opened: Election, serve: Callable[..., TestClient]) -> None:
    el = opened
    cap = page_count(el.path) + 3
    c = serve(el, db=f"sqlite://{el.path}?max_pages={cap}", rate_burst=100, max_batch=1)
    sent: list[tuple[EncryptedBallot, int]] = []
    full = None
    for i in range(60):
        b = el.ballot(i % 4, [i % 3])
        r = cast(c, b.bytes)
        if r.status_code == 503:
            unavailable(r)
            full = b
            break
        assert r.status_code == 201, r.text
        sent.append((b, r.json()["index"]))
    assert full is not None and sent, "the cap never filled the board"
    n = stored(el)
    assert n == sent[-1][1] + 1
    unavailable(cast(c, full.bytes))
    assert c.get("/api/results").status_code == 200  # reads need no new page
    assert stored(el) == n
    c.__exit__(None, None, None)  # its final checkpoint does not fit either: logged, no crash
    c2 = serve(el, rate_burst=100)  # the operator made room: no cap
    r = cast(c2, full.bytes)
    assert r.status_code == 201 and r.json()["index"] == n
    sent.append((full, n))
    c2.__exit__(None, None, None)
    finish_and_verify(el, tmp_path / "record", sent)


# -- PostgreSQL behind a proxy that the test cuts ------------------------------------------------


class Proxy:
    """A TCP proxy 127.0.0.1:port → the PostgreSQL server, on its own event loop thread. `cut`
    resets every connection and stops listening (connections are refused); `restore` listens
    again on the same port."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server: asyncio.Server | None = None
        self.transports: set[asyncio.BaseTransport] = set()
        self.connections = 0

    def _run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=10)

    async def _pipe(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        try:
            while data := await r.read(65536):
                w.write(data)
                await w.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            w.transport.abort()

    async def _handle(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        try:
            ur, uw = await asyncio.open_connection(*self.target)
        except OSError:
            w.transport.abort()
            return
        self.connections += 1
        self.transports |= {w.transport, uw.transport}
        await asyncio.gather(self._pipe(r, uw), self._pipe(ur, w))

    async def _listen(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def _cut(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        for t in self.transports:
            t.abort()
        self.transports.clear()

    def restore(self) -> None:
        self._run(self._listen())

    def cut(self) -> None:
        self._run(self._cut())

    def close(self) -> None:
        self.cut()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


@pytest.fixture
def proxy(pg_base_url: str) -> Iterator[Proxy]:
    u = urlsplit(pg_base_url)
    p = Proxy((u.hostname or "127.0.0.1", u.port or 5432))
    p.restore()
    yield p
    p.close()


PASSWORD = "hunter2-not-for-logs"
"""The test database trusts 127.0.0.1, so a password in the URL is ignored there: it is only
there to show that no log line repeats it."""


def through(url: str, port: int) -> str:
    """`url` with its host and port replaced by 127.0.0.1:port, and a password."""
    u = urlsplit(url)
    return u._replace(netloc=f"{u.username or 'postgres'}:{PASSWORD}@127.0.0.1:{port}").geturl()


def test_postgres_cut_and_restored_serves_again_without_a_restart(
        pg_url: str, proxy: Proxy, make_election: Callable[..., Election],
        serve: Callable[..., TestClient], tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="hamaporsi")
    el = make_election(pg_url, voters=4)
    c = serve(el, db=through(pg_url, proxy.port))
    sent: list[tuple[EncryptedBallot, int]] = []

    def ok(b: EncryptedBallot) -> None:
        r = cast(c, b.bytes)
        assert r.status_code == 201, r.text
        sent.append((b, r.json()["index"]))

    ok(el.ballot(0, [0]))
    ok(el.ballot(1, [1]))
    tick(c)
    assert proxy.connections >= 1
    proxy.cut()
    waiting = el.ballot(2, [2])
    unavailable(cast(c, waiting.bytes))
    unavailable(cast(c, waiting.bytes))  # the reconnect is refused, too
    unavailable(c.get("/api/results"))
    unavailable(c.get(f"/api/ballots/{sent[0][0].tracking_code.hex()}"))
    proxy.restore()
    ok(waiting)  # no restart: the store reconnects on its next call
    ok(el.ballot(3, [0]))
    ok(el.ballot(0, [1]))  # a re-vote
    tick(c)
    assert c.get(f"/api/ballots/{waiting.tracking_code.hex()}").json()["status"] == "included"
    c.__exit__(None, None, None)
    assert "database" in caplog.text and "unavailable" in caplog.text  # the outage is logged
    assert f":***@127.0.0.1:{proxy.port}" in caplog.text  # where, without the password
    assert PASSWORD not in caplog.text
    assert sorted(i for _, i in sent) == list(range(sent[0][1], sent[0][1] + 5))
    finish_and_verify(el, tmp_path / "record", sent)
