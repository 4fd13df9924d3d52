"""The BoardStore contract on both backends (SQLite file, PostgreSQL schema): append-only at the
SQL level, durable across reopen, atomic batches, streaming, one sequencer under concurrency,
cosignature storage, migrations (spec §8.6)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from hamaporsi.board import postgres as postgres_mod
from hamaporsi.board import sql_common
from hamaporsi.board import sqlite as sqlite_mod
from hamaporsi.board.open import open_store
from hamaporsi.board.errors import (
    AppendOnlyViolation, BoardError, RangeError, SchemaVersionError, StoreCorrupted,
)
from hamaporsi.board.store import BoardStore
from hamaporsi.crypto import bip340
from hamaporsi.protocol.checkpoint import Checkpoint, sign_checkpoint
from hamaporsi.protocol.merkle import leaf_hash, root

if TYPE_CHECKING:
    from conftest import Backend

ELECTION = hashlib.sha256(b"e").hexdigest()
SECRET = bip340.generate_secret()
W = [bytes([i]) * 32 for i in range(1, 5)]  # witness keys (any 32 bytes: the store keeps bytes)


def _cp(store: BoardStore, size: int, t: int = 1) -> Checkpoint:
    return sign_checkpoint(SECRET, ELECTION, size, root(store.leaf_hashes(0, size)), t)


def _page(backend: Backend, monkeypatch: pytest.MonkeyPatch, n: int) -> None:
    """Stream `n` rows per query on the backend under test (both share SqlStore's PAGE)."""
    monkeypatch.setattr(sql_common, "PAGE", n)


def test_implements_protocol(store: BoardStore) -> None:
    assert isinstance(store, BoardStore)
    assert store.schema_version() == 2  # type: ignore[attr-defined]


def test_append_returns_dense_indices(store: BoardStore) -> None:
    assert store.size() == 0
    assert [store.append(f"e{i}".encode()) for i in range(5)] == [0, 1, 2, 3, 4]
    assert store.append_many([b"x", b"y"]) == [5, 6]
    assert store.append_many([]) == []
    assert store.size() == 7
    assert store.entry(5) == b"x"
    assert store.entry(0) == b"e0"
    assert store.append(b"") == 7 and store.entry(7) == b""  # empty bytes are an entry too
    assert store.leaf_hashes(5, 7) == [leaf_hash(b"x"), leaf_hash(b"y")]
    assert store.leaf_hashes(3, 3) == []
    with pytest.raises(RangeError):
        store.entry(8)
    with pytest.raises(RangeError):
        store.entry(-1)
    with pytest.raises(RangeError):
        store.leaf_hashes(0, 9)
    with pytest.raises(TypeError):
        store.append("text")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        store.entry(True)
    assert store.size() == 8


def test_raw_update_and_delete_fail(backend: Backend, store: BoardStore) -> None:
    store.append_many([b"a", b"b"])
    cp = _cp(store, 2)
    store.add_checkpoint(cp)
    store.add_cosignature(2, W[0], b"cosig")
    z32, z64 = bytes(32), bytes(64)
    for statement, params in [
        ("UPDATE entries SET data = ? WHERE idx = 0", (b"\x00",)),
        ("UPDATE entries SET leaf_hash = ?", (z32,)),
        ("DELETE FROM entries WHERE idx = 1", ()),
        ("DELETE FROM entries", ()),
        ("UPDATE checkpoints SET size = 1", ()),
        ("DELETE FROM checkpoints", ()),
        ("DELETE FROM schema_version", ()),
        ("UPDATE schema_version SET version = 9", ()),
        ("UPDATE cosignatures SET data = ?", (b"forged",)),
        ("DELETE FROM cosignatures", ()),
        ("INSERT INTO entries VALUES (5, ?, ?)", (z32, b"\x00")),  # gap
        ("INSERT INTO entries VALUES (1, ?, ?)", (z32, b"\x00")),  # reuse
        ("INSERT INTO checkpoints VALUES (1, ?, ?)", (b"\x00", z64)),  # before the latest
        ("INSERT INTO cosignatures VALUES (1, ?, ?)", (W[1], b"x")),  # no checkpoint at 1
    ]:
        backend.refuse(statement, params)
    if backend.is_pg:
        for statement, params in [
            ("TRUNCATE entries CASCADE", ()),
            ("TRUNCATE cosignatures", ()),
            ("INSERT INTO entries VALUES (0, ?, ?) ON CONFLICT (idx) DO UPDATE SET data = ?",
             (z32, b"\x00", b"\x00")),
            ("INSERT INTO cosignatures VALUES (2, ?, ?) ON CONFLICT (size, witness)"
             " DO UPDATE SET data = ?", (W[0], b"x", b"forged")),
        ]:
            backend.refuse(statement, params)
    else:
        for statement, params in [
            ("INSERT OR REPLACE INTO entries VALUES (0, ?, ?)", (z32, b"\x00")),
            ("INSERT OR REPLACE INTO checkpoints VALUES (2, ?, ?)", (b"\x00", z64)),
            ("INSERT OR REPLACE INTO cosignatures VALUES (2, ?, ?)", (W[0], b"forged")),
        ]:
            backend.refuse(statement, params)
    with pytest.raises(Exception, match="(?i)check"):
        backend.execute("INSERT INTO entries VALUES (2, ?, ?)", (bytes(31), b"\x00"))  # not a hash
    assert [e for _, e in store.entries()] == [b"a", b"b"]
    assert list(store.checkpoints()) == [cp]
    assert store.cosignatures(2) == [b"cosig"]


def test_reopen_keeps_data(backend: Backend) -> None:
    s = backend.open()
    s.append_many([b"one", b"two", b"three"])
    cp = _cp(s, 3, t=99)
    s.add_checkpoint(cp)
    s.add_cosignature(3, W[0], b"c")
    s.close()
    again = backend.open()
    assert again.size() == 3
    assert list(again.entries()) == [(0, b"one"), (1, b"two"), (2, b"three")]
    assert again.latest_checkpoint() == cp
    assert again.cosignatures(3) == [b"c"]
    assert again.schema_version() == 2  # type: ignore[attr-defined]
    assert again.append(b"four") == 3


def test_append_many_is_atomic(store: BoardStore) -> None:
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


def test_append_checked_runs_the_check_under_the_lock(store: BoardStore) -> None:
    store.append(b"zero")
    seen: list[int] = []
    assert store.append_checked(b"one", seen.append) == 1
    assert seen == [1]

    def refuse(idx: int) -> None:
        raise ValueError(f"not at {idx}")

    with pytest.raises(ValueError, match="not at 2"):
        store.append_checked(b"refused", refuse)
    assert store.size() == 2
    with pytest.raises(TypeError):
        store.append_checked("text", seen.append)  # type: ignore[arg-type]
    assert store.append_checked(b"two", seen.append) == 2


def test_append_each_checked(store: BoardStore) -> None:
    store.append(b"zero")
    seen: list[tuple[int, int]] = []

    def check(i: int, idx: int) -> bool:
        seen.append((i, idx))
        return i != 1

    assert store.append_each_checked([b"a", b"b", b"c"], check) == [1, None, 2]
    assert seen == [(0, 1), (1, 2), (2, 2)]
    assert [d for _, d in store.entries()] == [b"zero", b"a", b"c"]
    assert store.leaf_hashes(0, 3) == [leaf_hash(d) for d in (b"zero", b"a", b"c")]
    assert store.append_each_checked([b"x"], lambda i, idx: False) == [None]
    assert store.append_each_checked([], check) == []

    def boom(i: int, idx: int) -> bool:
        if i == 2:
            raise RuntimeError("disk on fire")
        return True

    with pytest.raises(RuntimeError):
        store.append_each_checked([b"p", b"q", b"r"], boom)
    with pytest.raises(TypeError):
        store.append_each_checked([b"p", "q"], check)  # type: ignore[list-item]
    assert store.size() == 3


def test_streaming_entries(backend: Backend, store: BoardStore,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    _page(backend, monkeypatch, 7)
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


def test_checkpoints_are_increasing_and_within_log(backend: Backend, store: BoardStore,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    _page(backend, monkeypatch, 2)
    assert store.latest_checkpoint() is None
    store.add_checkpoint(_cp(store, 0))
    store.append_many([bytes([i]) for i in range(10)])
    cps = [_cp(store, n, t=n) for n in (3, 5, 9, 10)]
    for cp in cps:
        store.add_checkpoint(cp)
    assert store.latest_checkpoint() == cps[-1]
    assert [c.size for c in store.checkpoints()] == [0, 3, 5, 9, 10]
    assert [c.size for c in store.checkpoints(after=3)] == [5, 9, 10]
    assert list(store.checkpoints(after=10)) == []
    with pytest.raises(AppendOnlyViolation):
        store.add_checkpoint(_cp(store, 10, t=11))  # same size again
    with pytest.raises(AppendOnlyViolation):
        store.add_checkpoint(_cp(store, 4))  # before the latest
    store.append(b"x")
    beyond = sign_checkpoint(SECRET, ELECTION, 12, bytes(32), 1)
    with pytest.raises(AppendOnlyViolation):
        store.add_checkpoint(beyond)
    with pytest.raises(TypeError):
        store.add_checkpoint("cp")  # type: ignore[arg-type]
    assert store.latest_checkpoint() == cps[-1]


def test_cosignatures(backend: Backend, store: BoardStore,
                      monkeypatch: pytest.MonkeyPatch) -> None:
    _page(backend, monkeypatch, 3)
    store.append_many([bytes([i]) for i in range(6)])
    for n in (2, 4, 6):
        store.add_checkpoint(_cp(store, n))
    with pytest.raises(AppendOnlyViolation):
        store.add_cosignature(3, W[0], b"no checkpoint at 3")
    with pytest.raises(AppendOnlyViolation):
        store.add_cosignature(7, W[0], b"beyond")
    # stored in a scrambled order, read back ordered by witness key
    assert store.add_cosignature(4, W[2], b"4/2") is True
    assert store.add_cosignature(4, W[0], b"4/0") is True
    assert store.add_cosignature(2, W[3], b"2/3") is True
    assert store.add_cosignature(4, W[1], b"4/1") is True
    assert store.add_cosignature(6, W[0], b"6/0") is True
    assert store.add_cosignature(2, W[1], b"2/1") is True
    assert store.add_cosignature(4, W[0], b"a second one") is False  # the first is kept
    assert store.cosignatures(4) == [b"4/0", b"4/1", b"4/2"]
    assert store.cosignatures(2) == [b"2/1", b"2/3"]
    assert store.cosignatures(3) == [] and store.cosignatures(99) == []
    everything = [(2, b"2/1"), (2, b"2/3"), (4, b"4/0"), (4, b"4/1"), (4, b"4/2"), (6, b"6/0")]
    assert list(store.all_cosignatures()) == everything  # pages of 3 rows
    assert list(store.all_cosignatures(after=2)) == everything[2:]
    assert list(store.all_cosignatures(after=4)) == everything[5:]
    assert list(store.all_cosignatures(after=6)) == []
    for bad in [(4, "k" * 32, b"d"), (4, W[0], "d"), ("4", W[0], b"d")]:
        with pytest.raises(TypeError):
            store.add_cosignature(*bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        store.add_cosignature(4, bytes(31), b"d")
    backend.refuse("UPDATE cosignatures SET data = ? WHERE size = 4", (b"forged",))
    backend.refuse("DELETE FROM cosignatures WHERE size = 2", ())
    assert list(store.all_cosignatures()) == everything


def test_corruption_is_detected(backend: Backend) -> None:
    with_store = backend.open()
    with_store.append_many([b"a", b"b"])
    with_store.add_checkpoint(_cp(with_store, 2))
    backend.disable_triggers("entries")  # an operator who owns the database can do this…
    backend.execute("UPDATE entries SET data = ? WHERE idx = 1", (b"\xff",))
    s = backend.open()  # …and the stored leaf hash no longer matches
    with pytest.raises(StoreCorrupted):
        s.entry(1)
    with pytest.raises(StoreCorrupted):
        list(s.entries())
    assert s.entry(0) == b"a"
    backend.disable_triggers("checkpoints")
    backend.execute("UPDATE checkpoints SET body = ?", (b"{}",))
    with pytest.raises(StoreCorrupted):
        s.latest_checkpoint()


def test_newer_schema_is_refused(backend: Backend) -> None:
    backend.open().close()
    backend.execute("INSERT INTO schema_version VALUES (3, 0)")
    with pytest.raises(SchemaVersionError):
        backend.open()


def test_version_1_migrates_to_2(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    """A board written before cosignatures existed gets the cosignatures table on open, with
    its data intact; migration 2 runs once."""
    mod = postgres_mod if backend.is_pg else sqlite_mod
    full = mod.MIGRATIONS
    monkeypatch.setattr(mod, "MIGRATIONS", full[:1])
    old = backend.open()
    assert old.schema_version() == 1  # type: ignore[attr-defined]
    old.append_many([b"a", b"b", b"c"])
    cp = _cp(old, 3)
    old.add_checkpoint(cp)
    old.close()
    with pytest.raises(Exception, match="cosignatures"):
        backend.execute("SELECT * FROM cosignatures")
    monkeypatch.setattr(mod, "MIGRATIONS", full)
    new = backend.open()
    assert new.schema_version() == 2  # type: ignore[attr-defined]
    assert [e for _, e in new.entries()] == [b"a", b"b", b"c"]
    assert new.latest_checkpoint() == cp
    assert new.add_cosignature(3, W[0], b"c") is True
    assert new.cosignatures(3) == [b"c"]
    assert backend.execute("SELECT version FROM schema_version ORDER BY version") == [(1,), (2,)]
    backend.open().close()  # and again: nothing left to apply
    assert backend.execute("SELECT COUNT(*) FROM schema_version") == [(2,)]


def test_two_stores_never_gap(make_store: Callable[[], BoardStore]) -> None:
    a, b = make_store(), make_store()
    got = [a.append(b"a0"), b.append(b"b0"), a.append(b"a1"), *b.append_many([b"b1", b"b2"])]
    assert got == [0, 1, 2, 3, 4]
    assert a.size() == b.size() == 5
    assert a.append_each_checked([b"a2"], lambda i, idx: idx == 5) == [5]


def test_concurrent_writers_from_threads(backend: Backend) -> None:
    backend.open().close()
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            with open_store(backend.url) as s:  # type: ignore[attr-defined]
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
    s = backend.open()
    assert s.size() == 80
    assert sorted(e for _, e in s.entries()) == sorted(
        f"{n}:{i}".encode() for n in range(4) for i in range(20))


WRITER = """
import json, os, sys, time
from hamaporsi.board.open import open_store
url, name, go, batches = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
s = open_store(url)
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.001)
got = []
for b in range(batches):
    entries = [f"{name}:{b}:{i}".encode() for i in range(4)]
    seen = {}
    def check(i, idx):
        seen[i] = idx
        return i != 2
    out = s.append_each_checked(entries, check)
    for i, (e, x) in enumerate(zip(entries, out)):
        assert x is None or x == seen[i], (x, seen)
        got.append([e.decode(), x])
    one = f"{name}:{b}:single".encode()
    got.append([one.decode(), s.append(one)])
s.close()
print(json.dumps(got))
"""


def test_concurrent_writer_processes_share_one_sequence(backend: Backend, tmp_path: Path) -> None:
    """4 processes append at once to one board (group commits and single appends): every
    position 0..n-1 is assigned exactly once, to the entry stored there; skipped entries are
    nowhere."""
    backend.open().close()
    go, batches = tmp_path / "go", 15
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, backend.url, f"p{n}", str(go),
                               str(batches)], stdout=subprocess.PIPE, text=True)
             for n in range(4)]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    go.touch()
    claimed: dict[int, str] = {}
    skipped: list[str] = []
    for p in procs:
        out, _ = p.communicate(timeout=600)
        assert p.returncode == 0
        for entry, idx in json.loads(out):
            if idx is None:
                skipped.append(entry)
            else:
                assert idx not in claimed, f"position {idx} given twice"
                claimed[idx] = entry
    n = 4 * batches * 4
    assert len(skipped) == 4 * batches
    assert sorted(claimed) == list(range(n))
    s = backend.open()
    assert s.size() == n
    assert {i: e.decode() for i, e in s.entries()} == claimed
    assert not set(skipped) & set(claimed.values())


def test_closed_store(backend: Backend) -> None:
    s = backend.open()
    s.close()
    s.close()
    with pytest.raises(BoardError):
        s.size()
    with pytest.raises(BoardError):
        s.append(b"x")


def test_context_manager(backend: Backend) -> None:
    with backend.open() as s:  # type: ignore[attr-defined]
        s.append(b"x")
    with pytest.raises(BoardError):
        s.size()


def test_append_survives_abrupt_exit(backend: Backend) -> None:
    """An append is committed when it returns: a process killed right after keeps it."""
    code = ("import os, sys\n"
            "from hamaporsi.board.open import open_store\n"
            "s = open_store(sys.argv[1])\n"
            "s.append(b'kept'); s.append_many([b'also', b'kept'])\n"
            "os._exit(0)\n")
    subprocess.run([sys.executable, "-c", code, backend.url], check=True)
    assert [e for _, e in backend.open().entries()] == [b"kept", b"also", b"kept"]
