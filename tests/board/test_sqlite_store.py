"""SQLiteStore only: its pragmas and STRICT tables, URL options, and faults (full, busy, I/O
error) raised as StoreUnavailable with nothing half-written (spec §8.6.2, §8.6.3)."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from hamaporsi.board import sqlite as sqlite_mod
from hamaporsi.board.errors import StoreUnavailable
from hamaporsi.board.open import describe, open_store, sqlite_max_pages, sqlite_path
from hamaporsi.board.sqlite import SQLiteStore
from hamaporsi.crypto import bip340
from hamaporsi.protocol.checkpoint import sign_checkpoint
from hamaporsi.protocol.merkle import root

ELECTION = hashlib.sha256(b"e").hexdigest()
SECRET = bip340.generate_secret()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "board.sqlite"


@pytest.fixture
def store(path: Path) -> Iterator[SQLiteStore]:
    s = SQLiteStore(path)
    yield s
    s.close()


def test_pragmas_and_schema(store: SQLiteStore) -> None:
    c = store.conn
    assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert c.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert c.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store.schema_version() == 2 == sqlite_mod.SCHEMA_VERSION
    tables = ("entries", "checkpoints", "schema_version", "cosignatures")
    ddl = dict(c.execute("SELECT name, sql FROM sqlite_schema WHERE type = 'table'").fetchall())
    assert set(tables) <= set(ddl)
    assert all("STRICT" in ddl[t] for t in tables)
    triggers = {r[0] for r in c.execute("SELECT name FROM sqlite_schema WHERE type = 'trigger'")}
    assert {"cosignatures_no_update", "cosignatures_no_delete", "cosignatures_of_checkpoint",
            "cosignatures_no_replace", "entries_dense", "checkpoints_increasing"} <= triggers


def test_urls(tmp_path: Path) -> None:
    p = tmp_path / "a?b.sqlite"  # a plain path is taken literally, '?' and all
    with open_store(str(p)) as s:  # type: ignore[attr-defined]
        s.append(b"x")
    assert p.exists()
    assert sqlite_path(f"sqlite://{tmp_path}/b.sqlite") == f"{tmp_path}/b.sqlite"  # sqlite:///abs
    with pytest.raises(ValueError):
        sqlite_path(f"sqlite://{p}")  # in a URL '?' starts the options
    assert sqlite_path("sqlite:rel/b.sqlite") == "rel/b.sqlite"
    url = f"sqlite://{tmp_path}/c.sqlite?max_pages=50"
    assert (sqlite_path(url), sqlite_max_pages(url)) == (f"{tmp_path}/c.sqlite", 50)
    assert sqlite_max_pages(str(p)) is None and describe(url) == f"{tmp_path}/c.sqlite"
    with open_store(url) as s:  # type: ignore[attr-defined]
        assert s.conn.execute("PRAGMA max_page_count").fetchone()[0] == 50
    for bad in ("?max_pages=0", "?max_pages=x", "?max_pages=-1", "?pages=5"):
        with pytest.raises(ValueError):
            open_store(f"sqlite://{tmp_path}/d.sqlite{bad}")
    with pytest.raises(ValueError):
        SQLiteStore(tmp_path / "e.sqlite", max_pages=0)


def test_full_database_is_unavailable_and_nothing_is_half_written(path: Path) -> None:
    """A board at its page cap refuses the batch that does not fit, whole; what is stored stays
    readable; without the cap the same file takes appends again."""
    with SQLiteStore(path) as s:
        s.append_many([b"first", b"second"])
        pages = s.conn.execute("PRAGMA page_count").fetchone()[0]
    full = open_store(f"sqlite://{path}?max_pages={pages + 8}")
    stored: list[bytes] = []
    with pytest.raises(StoreUnavailable, match="full"):
        for n in range(100):
            batch = [f"{n}:{i}:".encode() + bytes(1500) for i in range(4)]
            full.append_many(batch)
            stored += batch
    assert 0 < len(stored) < 400
    before = full.size()
    assert before == 2 + len(stored)
    with pytest.raises(StoreUnavailable):
        full.append_many([bytes(1500)] * 6)
    assert full.size() == before  # nothing of the failed batch, not even its first entry
    assert [e for _, e in full.entries()] == [b"first", b"second", *stored]
    cp = sign_checkpoint(SECRET, ELECTION, before, root(full.leaf_hashes(0, before)), 1)
    full.add_checkpoint(cp)  # a small write still fits
    assert full.latest_checkpoint() == cp
    full.close()
    with SQLiteStore(path) as s:
        assert s.append_many([bytes(1500)] * 6) == list(range(before, before + 6))
        assert s.latest_checkpoint() == cp


def test_busy_database_is_unavailable_then_recovers(path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A write lock not obtained within the busy timeout is StoreUnavailable; the next call
    (after the other writer is done) succeeds."""
    monkeypatch.setattr(sqlite_mod, "BUSY_TIMEOUT_S", 0.05)
    with SQLiteStore(path) as s:
        s.append(b"a")
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreUnavailable, match="locked"):
            s.append(b"b")
        with pytest.raises(StoreUnavailable):
            s.append_each_checked([b"c"], lambda i, idx: True)
        assert s.size() == 1  # readers are not blocked by a writer in WAL mode
        other.execute("ROLLBACK")
        other.close()
        assert s.append(b"b") == 1


def test_io_error_is_unavailable_and_reconnects(store: SQLiteStore,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """An I/O error (SQLITE_IOERR_*) during a write rolls back and drops the connection; the
    next call opens a new one. A bug (any other OperationalError) stays itself."""
    store.append(b"a")
    original = store.conn

    class FailingInsert:
        def __init__(self, code: int, message: str) -> None:
            self.code, self.message = code, message

        def __getattr__(self, name: str) -> object:
            return getattr(original, name)

        def execute(self, sql: str, *args: object) -> object:
            if sql.startswith("INSERT"):
                e = sqlite3.OperationalError(self.message)
                e.sqlite_errorcode = self.code  # type: ignore[attr-defined]
                raise e
            return original.execute(sql, *args)

        def close(self) -> None:
            original.close()

    monkeypatch.setattr(store, "_conn", FailingInsert(10 | (4 << 8), "disk I/O error"))
    with pytest.raises(StoreUnavailable, match="I/O"):
        store.append_checked(b"b", lambda idx: None)
    assert store._conn is None  # dropped: the next call reconnects
    assert store.size() == 1
    assert store.append(b"b") == 1
    original = store.conn
    monkeypatch.setattr(store, "_conn", FailingInsert(1, "no such table: entries"))
    with pytest.raises(sqlite3.OperationalError):
        store.append_checked(b"c", lambda idx: None)
    store._conn = original
    assert [e for _, e in store.entries()] == [b"a", b"b"]


def test_missing_directory_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailable):
        SQLiteStore(tmp_path / "no such dir" / "board.sqlite")
