"""SQLiteStore: append-only at the SQL level, durable across reopen, atomic batches, streaming."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from hamaporsi.board import sqlite as sqlite_mod
from hamaporsi.protocol.checkpoint import Checkpoint, sign_checkpoint
from hamaporsi.board.errors import (
    AppendOnlyViolation, BoardError, RangeError, SchemaVersionError, StoreCorrupted,
)
from hamaporsi.protocol.merkle import leaf_hash, root
from hamaporsi.board.sqlite import SQLiteStore
from hamaporsi.board.store import BoardStore
from hamaporsi.crypto import bip340

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


def _cp(store: SQLiteStore, size: int, t: int = 1) -> Checkpoint:
    return sign_checkpoint(SECRET, ELECTION, size, root(store.leaf_hashes(0, size)), t)


def test_implements_protocol(store: SQLiteStore) -> None:
    assert isinstance(store, BoardStore)


def test_pragmas_and_schema(store: SQLiteStore) -> None:
    c = store.conn
    assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert c.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store.schema_version() == 1 == sqlite_mod.SCHEMA_VERSION
    ddl = dict(c.execute("SELECT name, sql FROM sqlite_schema WHERE type = 'table'").fetchall())
    assert {"entries", "checkpoints", "schema_version"} <= set(ddl)
    assert all(ddl[t].rstrip().endswith("STRICT") for t in ("entries", "checkpoints", "schema_version"))


def test_append_returns_dense_indices(store: SQLiteStore) -> None:
    assert store.size() == 0
    assert [store.append(f"e{i}".encode()) for i in range(5)] == [0, 1, 2, 3, 4]
    assert store.append_many([b"x", b"y"]) == [5, 6]
    assert store.append_many([]) == []
    assert store.size() == 7
    assert store.entry(5) == b"x"
    assert store.leaf_hashes(5, 7) == [leaf_hash(b"x"), leaf_hash(b"y")]
    assert store.leaf_hashes(3, 3) == []
    with pytest.raises(RangeError):
        store.entry(7)
    with pytest.raises(RangeError):
        store.leaf_hashes(0, 8)
    with pytest.raises(TypeError):
        store.append("text")  # type: ignore[arg-type]


def test_raw_update_and_delete_fail(store: SQLiteStore, path: Path) -> None:
    store.append_many([b"a", b"b"])
    cp = _cp(store, 2)
    store.add_checkpoint(cp)
    raw = sqlite3.connect(path)
    statements = [
        "UPDATE entries SET data = x'00' WHERE idx = 0",
        "UPDATE entries SET leaf_hash = zeroblob(32)",
        "DELETE FROM entries WHERE idx = 1",
        "DELETE FROM entries",
        "UPDATE checkpoints SET size = 1",
        "DELETE FROM checkpoints",
        "DELETE FROM schema_version",
        "INSERT INTO entries VALUES (5, zeroblob(32), x'00')",  # gap
        "INSERT INTO entries VALUES (1, zeroblob(32), x'00')",  # reuse
        "INSERT OR REPLACE INTO entries VALUES (0, zeroblob(32), x'00')",
        "INSERT OR REPLACE INTO checkpoints VALUES (2, x'00', zeroblob(64))",
        "INSERT INTO checkpoints VALUES (1, x'00', zeroblob(64))",  # before the latest
    ]
    for sql in statements:
        with pytest.raises(sqlite3.IntegrityError, match="^append-only: "):
            raw.execute(sql)
        raw.rollback()
    with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint"):
        raw.execute("INSERT INTO entries VALUES (2, zeroblob(31), x'00')")  # not a hash
    raw.rollback()
    raw.close()
    assert [e for _, e in store.entries()] == [b"a", b"b"]
    assert list(store.checkpoints()) == [cp]


def test_reopen_keeps_data(path: Path) -> None:
    s = SQLiteStore(path)
    s.append_many([b"one", b"two", b"three"])
    cp = _cp(s, 3, t=99)
    s.add_checkpoint(cp)
    s.close()
    with SQLiteStore(path) as again:
        assert again.size() == 3
        assert list(again.entries()) == [(0, b"one"), (1, b"two"), (2, b"three")]
        assert again.latest_checkpoint() == cp
        assert again.schema_version() == 1
        assert again.append(b"four") == 3


def test_append_many_is_atomic(store: SQLiteStore) -> None:
    store.append(b"before")

    def boom() -> Iterator[bytes]:
        yield b"a"
        yield b"b"
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        store.append_many(boom())
    assert store.size() == 1
    with pytest.raises(TypeError):
        store.append_many([b"a", "not bytes", b"c"])  # type: ignore[list-item]
    assert store.size() == 1
    assert store.append_many([b"after"]) == [1]
    assert list(store.entries()) == [(0, b"before"), (1, b"after")]


def test_streaming_entries(store: SQLiteStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_mod, "PAGE", 7)
    data = [f"entry {i}".encode() for i in range(50)]
    store.append_many(data)
    it = store.entries(3, 45)
    assert next(it) == (3, data[3])
    assert list(it) == [(i, data[i]) for i in range(4, 45)]
    assert [i for i, _ in store.entries()] == list(range(50))
    assert list(store.entries(50, 50)) == []
    for bad in [(-1, 5), (5, 4), (0, 51)]:
        with pytest.raises(RangeError):
            store.entries(*bad)  # eager check: raises before the first next()


def test_checkpoints_are_increasing_and_within_log(store: SQLiteStore,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_mod, "PAGE", 2)
    assert store.latest_checkpoint() is None
    store.add_checkpoint(_cp(store, 0))
    store.append_many([bytes([i]) for i in range(10)])
    cps = [_cp(store, n, t=n) for n in (3, 5, 9, 10)]
    for cp in cps:
        store.add_checkpoint(cp)
    assert store.latest_checkpoint() == cps[-1]
    assert [c.size for c in store.checkpoints()] == [0, 3, 5, 9, 10]
    with pytest.raises(AppendOnlyViolation):
        store.add_checkpoint(_cp(store, 10, t=11))  # same size again
    with pytest.raises(AppendOnlyViolation):
        store.add_checkpoint(_cp(store, 4))  # before the latest
    store.append(b"x")
    beyond = sign_checkpoint(SECRET, ELECTION, 12, bytes(32), 1)
    with pytest.raises(AppendOnlyViolation):
        store.add_checkpoint(beyond)


def test_corruption_is_detected(path: Path) -> None:
    with SQLiteStore(path) as s:
        s.append_many([b"a", b"b"])
    raw = sqlite3.connect(path)
    raw.execute("DROP TRIGGER entries_no_update")  # an operator who owns the file can do this…
    raw.execute("UPDATE entries SET data = x'ff' WHERE idx = 1")
    raw.commit()
    raw.close()
    with SQLiteStore(path) as s:  # …and the stored leaf hash no longer matches
        with pytest.raises(StoreCorrupted):
            s.entry(1)
        with pytest.raises(StoreCorrupted):
            list(s.entries())


def test_newer_schema_is_refused(path: Path) -> None:
    SQLiteStore(path).close()
    raw = sqlite3.connect(path)
    raw.execute("INSERT INTO schema_version VALUES (2, 0)")
    raw.commit()
    raw.close()
    with pytest.raises(SchemaVersionError):
        SQLiteStore(path)


def test_two_stores_on_one_file_never_gap(path: Path) -> None:
    a, b = SQLiteStore(path), SQLiteStore(path)
    got = [a.append(b"a0"), b.append(b"b0"), a.append(b"a1"), *b.append_many([b"b1", b"b2"])]
    assert got == [0, 1, 2, 3, 4]
    assert a.size() == b.size() == 5
    a.close()
    b.close()


def test_concurrent_writers_from_threads(path: Path) -> None:
    SQLiteStore(path).close()
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            with SQLiteStore(path) as s:
                for i in range(20):
                    s.append(f"{n}:{i}".encode())
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with SQLiteStore(path) as s:
        assert s.size() == 80
        assert sorted(e for _, e in s.entries()) == sorted(
            f"{n}:{i}".encode() for n in range(4) for i in range(20))


def test_closed_store(path: Path) -> None:
    s = SQLiteStore(path)
    s.close()
    s.close()
    with pytest.raises(BoardError):
        s.size()


def test_append_survives_abrupt_exit(path: Path) -> None:
    """An append is committed when it returns: a process killed right after keeps it."""
    import subprocess
    import sys
    code = ("import os, sys\n"
            "from hamaporsi.board.sqlite import SQLiteStore\n"
            "s = SQLiteStore(sys.argv[1])\n"
            "s.append(b'kept'); s.append_many([b'also', b'kept'])\n"
            "os._exit(0)\n")
    subprocess.run([sys.executable, "-c", code, str(path)], check=True)
    with SQLiteStore(path) as s:
        assert [e for _, e in s.entries()] == [b"kept", b"also", b"kept"]
