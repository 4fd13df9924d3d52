"""`BoardStore` on one SQLite file: WAL, synchronous=FULL, STRICT tables, append-only triggers.

Durability: every append and checkpoint is its own `BEGIN IMMEDIATE … COMMIT`; with WAL and
synchronous=FULL the commit fsyncs the write-ahead log, so a method returns only once its data
survives power loss. Sequencing: the next index is read inside the write transaction, and a
trigger refuses any index other than the current size, so concurrent writers (other processes or
other store objects) are serialised by SQLite's write lock and can never leave a gap.

Thread-safety: a store object owns exactly one sqlite3 connection and may only be used from the
thread that created it (sqlite3's check_same_thread). Use one SQLiteStore per thread or process;
any number may open the same file.

The triggers stop accidental or careless rewriting through SQL; they do not stop whoever owns
the file (DROP TRIGGER). Tampering by the operator is caught by the Merkle tree and the signed
checkpoints, which verifiers and witnesses compare (spec §8).
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager

from ..protocol.errors import MalformedInput
from ..protocol.checkpoint import Checkpoint
from .errors import AppendOnlyViolation, BoardError, RangeError, SchemaVersionError, StoreCorrupted
from ..protocol.merkle import leaf_hash

PAGE = 1024
"""Rows fetched per query when streaming entries or checkpoints."""

BUSY_TIMEOUT_S = 30.0
APPEND_ONLY = "append-only"
"""Prefix of every trigger's RAISE message; maps sqlite3.IntegrityError to AppendOnlyViolation."""

_SCHEMA_VERSION_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version INTEGER PRIMARY KEY CHECK (version >= 1),"
    " applied_at INTEGER NOT NULL"
    ") STRICT"
)


def _forbid(table: str, op: str) -> str:
    return (f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} BEGIN"
            f" SELECT RAISE(ABORT, '{APPEND_ONLY}: {table} rows cannot be {op.lower()}d'); END")


MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (  # 1: the log, its checkpoints, and the append-only rules
        "CREATE TABLE entries ("
        " idx INTEGER PRIMARY KEY CHECK (idx >= 0),"
        " leaf_hash BLOB NOT NULL CHECK (length(leaf_hash) = 32),"
        " data BLOB NOT NULL"
        ") STRICT",
        "CREATE TABLE checkpoints ("
        " size INTEGER PRIMARY KEY CHECK (size >= 0),"
        " body BLOB NOT NULL,"
        " signature BLOB NOT NULL CHECK (length(signature) = 64)"
        ") STRICT",
        _forbid("entries", "UPDATE"),
        _forbid("entries", "DELETE"),
        _forbid("checkpoints", "UPDATE"),
        _forbid("checkpoints", "DELETE"),
        _forbid("schema_version", "UPDATE"),
        _forbid("schema_version", "DELETE"),
        "CREATE TRIGGER entries_dense BEFORE INSERT ON entries"
        " WHEN NEW.idx IS NOT (SELECT COALESCE(MAX(idx) + 1, 0) FROM entries) BEGIN"
        f" SELECT RAISE(ABORT, '{APPEND_ONLY}: entry index must equal the current size'); END",
        "CREATE TRIGGER checkpoints_increasing BEFORE INSERT ON checkpoints"
        " WHEN NEW.size <= COALESCE((SELECT MAX(size) FROM checkpoints), -1)"
        " OR NEW.size > (SELECT COALESCE(MAX(idx) + 1, 0) FROM entries) BEGIN"
        f" SELECT RAISE(ABORT, '{APPEND_ONLY}: checkpoint size must exceed the latest"
        " checkpoint and not exceed the log'); END",
    ),
)
"""Migration i+1 is MIGRATIONS[i]; add new ones at the end, never edit an applied one."""

SCHEMA_VERSION = len(MIGRATIONS)


def _translate(e: sqlite3.IntegrityError) -> BoardError:
    """A trigger's refusal as AppendOnlyViolation, any other constraint failure as BoardError."""
    msg = str(e)
    if msg.startswith(APPEND_ONLY):
        return AppendOnlyViolation(msg)
    return BoardError(f"SQLite constraint failed: {msg}")


class SQLiteStore:
    """An append-only board log in one SQLite file; one connection, one thread (see module doc)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._conn: sqlite3.Connection | None = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            self._configure()
            self._migrate()
        except BaseException:
            self.close()
            raise

    # -- connection setup ------------------------------------------------------------------

    @property
    def conn(self) -> sqlite3.Connection:
        """The open connection; BoardError after close()."""
        if self._conn is None:
            raise BoardError("store is closed")
        return self._conn

    def _configure(self) -> None:
        c = self.conn
        mode = c.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode != "wal" and self.path != ":memory:":
            raise BoardError(f"SQLite refused WAL mode (got {mode!r})")
        c.execute("PRAGMA synchronous = FULL")
        c.execute("PRAGMA recursive_triggers = ON")  # REPLACE deletes then fire the DELETE triggers
        c.execute("PRAGMA trusted_schema = OFF")
        c.execute("PRAGMA foreign_keys = ON")

    def _migrate(self) -> None:
        with self._write():
            c = self.conn
            c.execute(_SCHEMA_VERSION_TABLE)
            current = c.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[0]
            if current > SCHEMA_VERSION:
                raise SchemaVersionError(
                    f"database schema version {current} is newer than this code's {SCHEMA_VERSION}")
            for version in range(current + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[version - 1]:
                    c.execute(statement)
                c.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                          (version, int(time.time())))

    def schema_version(self) -> int:
        """The highest migration applied to this file."""
        return self.conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]

    @contextmanager
    def _write(self) -> Iterator[None]:
        """One write transaction: BEGIN IMMEDIATE takes the write lock before reading the size."""
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if c.in_transaction:
                c.execute("ROLLBACK")
            raise
        try:
            c.execute("COMMIT")
        except BaseException:
            if c.in_transaction:
                c.execute("ROLLBACK")
            raise

    # -- entries ---------------------------------------------------------------------------

    def _next_index(self) -> int:
        return self.conn.execute("SELECT COALESCE(MAX(idx) + 1, 0) FROM entries").fetchone()[0]

    def append(self, entry: bytes) -> int:
        """Durably store `entry` and its leaf hash at index size(); return that index."""
        return self.append_many((entry,))[0]

    def append_many(self, entries: Iterable[bytes]) -> list[int]:
        """Store all `entries` in one transaction (all or none, even if the iterable raises)."""
        indices: list[int] = []

        def rows(idx: int) -> Iterator[tuple[int, bytes, bytes]]:
            for data in entries:
                if not isinstance(data, bytes):
                    raise TypeError(f"entry must be bytes, got {type(data).__name__}")
                indices.append(idx)
                yield idx, leaf_hash(data), data
                idx += 1

        try:
            with self._write():
                self.conn.executemany(
                    "INSERT INTO entries (idx, leaf_hash, data) VALUES (?, ?, ?)",
                    rows(self._next_index()))
        except sqlite3.IntegrityError as e:
            raise _translate(e) from e
        return indices

    def append_checked(self, entry: bytes, check: Callable[[int], None]) -> int:
        """Append `entry` at index size() only if `check(size())` returns, all under the write
        lock: no other writer can append between the check and the insert (spec §8.6.3)."""
        if not isinstance(entry, bytes):
            raise TypeError(f"entry must be bytes, got {type(entry).__name__}")
        try:
            with self._write():
                idx = self._next_index()
                check(idx)
                self.conn.execute("INSERT INTO entries (idx, leaf_hash, data) VALUES (?, ?, ?)",
                                  (idx, leaf_hash(entry), entry))
        except sqlite3.IntegrityError as e:
            raise _translate(e) from e
        return idx

    def append_each_checked(self, entries: Sequence[bytes],
                            check: Callable[[int, int], bool]) -> list[int | None]:
        """Group commit: in one write transaction, append each entry whose `check(i, index)`
        returns True, at the next index, and skip the others; one COMMIT (one fsync) for all.
        Returns per entry its index or None. If the transaction fails nothing is stored."""
        for data in entries:
            if not isinstance(data, bytes):
                raise TypeError(f"entry must be bytes, got {type(data).__name__}")
        out: list[int | None] = []
        try:
            with self._write():
                idx = self._next_index()
                for i, data in enumerate(entries):
                    if not check(i, idx):
                        out.append(None)
                        continue
                    self.conn.execute(
                        "INSERT INTO entries (idx, leaf_hash, data) VALUES (?, ?, ?)",
                        (idx, leaf_hash(data), data))
                    out.append(idx)
                    idx += 1
        except sqlite3.IntegrityError as e:
            raise _translate(e) from e
        return out

    def size(self) -> int:
        """Number of entries stored (MAX(idx)+1; indices are dense, so O(log n))."""
        return self._next_index()

    def _check_range(self, start: int, end: int) -> None:
        for name, v in (("start", start), ("end", end)):
            if not isinstance(v, int) or isinstance(v, bool):
                raise TypeError(f"{name} must be an int")
        size = self.size()
        if not 0 <= start <= end <= size:
            raise RangeError(f"range [{start}, {end}) is outside the log of size {size}")

    def entry(self, index: int) -> bytes:
        """The bytes of entry `index`, checked against its stored leaf hash."""
        if not isinstance(index, int) or isinstance(index, bool):
            raise TypeError("index must be an int")
        row = self.conn.execute(
            "SELECT leaf_hash, data FROM entries WHERE idx = ?", (index,)).fetchone()
        if row is None:
            raise RangeError(f"no entry {index} in the log")
        return self._checked(index, row[0], row[1])

    @staticmethod
    def _checked(index: int, stored_hash: bytes, data: bytes) -> bytes:
        if leaf_hash(data) != stored_hash:
            raise StoreCorrupted(f"entry {index} does not match its stored leaf hash")
        return data

    def entries(self, start: int = 0, end: int | None = None) -> Iterator[tuple[int, bytes]]:
        """Stream (index, bytes) for start ≤ index < end, PAGE rows per query, hashes checked."""
        if end is None:
            end = self.size()
        self._check_range(start, end)
        return self._stream_entries(start, end)

    def _stream_entries(self, start: int, end: int) -> Iterator[tuple[int, bytes]]:
        expected = start
        while expected < end:
            rows = self.conn.execute(
                "SELECT idx, leaf_hash, data FROM entries WHERE idx >= ? AND idx < ?"
                " ORDER BY idx LIMIT ?", (expected, end, PAGE)).fetchall()
            if not rows:
                raise StoreCorrupted(f"entry {expected} is missing")
            for idx, h, data in rows:
                if idx != expected:
                    raise StoreCorrupted(f"entry {expected} is missing")
                yield idx, self._checked(idx, h, data)
                expected += 1

    def leaf_hashes(self, start: int, end: int) -> list[bytes]:
        """Leaf hashes of entries [start, end), in order; RangeError outside the log."""
        self._check_range(start, end)
        rows = self.conn.execute(
            "SELECT leaf_hash FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx",
            (start, end)).fetchall()
        if len(rows) != end - start:
            raise StoreCorrupted(f"entries missing in [{start}, {end})")
        return [r[0] for r in rows]

    # -- checkpoints -----------------------------------------------------------------------

    def add_checkpoint(self, cp: Checkpoint) -> None:
        """Durably store `cp`; AppendOnlyViolation unless latest size < cp.size ≤ size()."""
        if not isinstance(cp, Checkpoint):
            raise TypeError("cp must be a Checkpoint")
        try:
            with self._write():
                self.conn.execute(
                    "INSERT INTO checkpoints (size, body, signature) VALUES (?, ?, ?)",
                    (cp.size, cp.body_bytes(), cp.signature))
        except sqlite3.IntegrityError as e:
            raise _translate(e) from e

    @staticmethod
    def _load_checkpoint(size: int, body: bytes, signature: bytes) -> Checkpoint:
        try:
            cp = Checkpoint.from_body_bytes(body, signature)
        except MalformedInput as e:
            raise StoreCorrupted(f"checkpoint at size {size}: {e}") from e
        if cp.size != size:
            raise StoreCorrupted(f"checkpoint stored at size {size} says size {cp.size}")
        return cp

    def latest_checkpoint(self) -> Checkpoint | None:
        """The checkpoint with the largest size, or None."""
        row = self.conn.execute(
            "SELECT size, body, signature FROM checkpoints ORDER BY size DESC LIMIT 1").fetchone()
        return None if row is None else self._load_checkpoint(*row)

    def checkpoints(self, after: int = -1) -> Iterator[Checkpoint]:
        """Stream every checkpoint of size > `after` in increasing size, PAGE rows per query."""
        while True:
            rows = self.conn.execute(
                "SELECT size, body, signature FROM checkpoints WHERE size > ?"
                " ORDER BY size LIMIT ?", (after, PAGE)).fetchall()
            if not rows:
                return
            for row in rows:
                yield self._load_checkpoint(*row)
            after = rows[-1][0]

    # -- lifetime --------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection (idempotent)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
