"""`BoardStore` on one SQLite file: WAL, synchronous=FULL, STRICT tables, append-only triggers.

Durability: every append and checkpoint is its own `BEGIN IMMEDIATE … COMMIT`; with WAL and
synchronous=FULL the commit fsyncs the write-ahead log, so a method returns only once its data
survives power loss. Sequencing: the next index is read inside the write transaction, and a
trigger refuses any index other than the current size, so concurrent writers (other processes or
other store objects) are serialised by SQLite's write lock and can never leave a gap.

Faults: a full disk (or the optional `max_pages` cap), an I/O error, or a write lock not obtained
within the busy timeout raise StoreUnavailable; the transaction is rolled back, the connection is
reopened on the next call, and nothing of the failed call is stored (spec §8.6.3).

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
from typing import Any

from ..protocol.errors import MalformedInput
from ..protocol.checkpoint import Checkpoint
from .errors import (
    AppendOnlyViolation, BoardError, RangeError, SchemaVersionError, StoreCorrupted,
    StoreUnavailable,
)
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


_COSIGNATURE_TRIGGERS = (
    "CREATE TRIGGER cosignatures_of_checkpoint BEFORE INSERT ON cosignatures"
    " WHEN NOT EXISTS (SELECT 1 FROM checkpoints WHERE size = NEW.size) BEGIN"
    f" SELECT RAISE(ABORT, '{APPEND_ONLY}: no checkpoint of that size is stored'); END",
    # INSERT OR REPLACE deletes the old row without firing DELETE triggers on a connection
    # without recursive_triggers: refuse any insert over an existing (size, witness) instead.
    "CREATE TRIGGER cosignatures_no_replace BEFORE INSERT ON cosignatures"
    " WHEN EXISTS (SELECT 1 FROM cosignatures WHERE size = NEW.size AND witness = NEW.witness)"
    f" BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}: this witness already cosigned this checkpoint');"
    " END",
)


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
    (  # 2: witness cosignatures of stored checkpoints (spec §8.8), append-only too
        "CREATE TABLE cosignatures ("
        " size INTEGER NOT NULL REFERENCES checkpoints (size),"
        " witness BLOB NOT NULL CHECK (length(witness) = 32),"
        " data BLOB NOT NULL,"
        " PRIMARY KEY (size, witness)"
        ") STRICT, WITHOUT ROWID",
        _forbid("cosignatures", "UPDATE"),
        _forbid("cosignatures", "DELETE"),
        *_COSIGNATURE_TRIGGERS,
    ),
)
"""Migration i+1 is MIGRATIONS[i]; add new ones at the end, never edit an applied one."""

SCHEMA_VERSION = len(MIGRATIONS)

SQLITE_BUSY, SQLITE_IOERR, SQLITE_FULL = 5, 10, 13
"""Primary result codes (the low byte of an extended code) that mean "not now": StoreUnavailable."""


def _translate(e: sqlite3.IntegrityError) -> BoardError:
    """A trigger's refusal as AppendOnlyViolation, any other constraint failure as BoardError."""
    msg = str(e)
    if msg.startswith(APPEND_ONLY):
        return AppendOnlyViolation(msg)
    return BoardError(f"SQLite constraint failed: {msg}")


def check_cosignature_args(size: int, witness: bytes, data: bytes) -> None:
    """Types and lengths `add_cosignature` accepts (both backends)."""
    if not isinstance(size, int) or isinstance(size, bool):
        raise TypeError("size must be an int")
    if not isinstance(witness, bytes) or not isinstance(data, bytes):
        raise TypeError("witness and data must be bytes")
    if len(witness) != 32:
        raise ValueError("witness must be a 32-byte x-only public key")


def _unavailable(e: sqlite3.Error) -> bool:
    """Is `e` a fault of the disk or of lock contention (full, I/O error, busy) rather than a bug?"""
    code = getattr(e, "sqlite_errorcode", None)
    return isinstance(e, sqlite3.OperationalError) and code is not None and (
        code & 0xFF in (SQLITE_BUSY, SQLITE_IOERR, SQLITE_FULL))


class SQLiteStore:
    """An append-only board log in one SQLite file; one connection, one thread (see module doc)."""

    def __init__(self, path: str | os.PathLike[str], *, max_pages: int | None = None) -> None:
        """Open (creating and migrating) the file at `path`; `max_pages` caps its size in pages
        (PRAGMA max_page_count), beyond which writes raise StoreUnavailable (tests, quotas)."""
        if max_pages is not None and (not isinstance(max_pages, int) or max_pages < 1):
            raise ValueError("max_pages must be a positive int")
        self.path = os.fspath(path)
        self.url = self.path
        """How logs and messages name this store (as PostgresStore.url)."""
        self.max_pages = max_pages
        self._closed = False
        self._conn: sqlite3.Connection | None = None
        try:
            self._connect()
            self._migrate()
        except BaseException:
            self.close()
            raise

    # -- connection setup ------------------------------------------------------------------

    @property
    def conn(self) -> sqlite3.Connection:
        """The open connection (reopened if a fault dropped it); BoardError after close()."""
        if self._closed:
            raise BoardError("store is closed")
        if self._conn is None:
            self._connect()
        assert self._conn is not None
        return self._conn

    def _connect(self) -> None:
        try:
            self._conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            self._configure()
        except sqlite3.Error as e:
            self._drop()
            if isinstance(e, sqlite3.OperationalError):  # cannot open the file, busy, I/O error
                raise StoreUnavailable(f"SQLite board {self.path}: {e}") from e
            raise

    def _drop(self) -> None:
        """Forget a connection after a fault; the next call opens a new one."""
        if self._conn is not None:
            try:
                self._conn.close()
            except sqlite3.Error:
                pass
            self._conn = None

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Turn a disk or lock fault into StoreUnavailable (dropping the connection)."""
        try:
            yield
        except sqlite3.Error as e:
            if not _unavailable(e):
                raise
            self._drop()
            raise StoreUnavailable(f"SQLite board {self.path}: {e}") from e

    def _configure(self) -> None:
        assert self._conn is not None
        c = self._conn
        mode = c.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode != "wal" and self.path != ":memory:":
            raise BoardError(f"SQLite refused WAL mode (got {mode!r})")
        c.execute("PRAGMA synchronous = FULL")
        c.execute("PRAGMA recursive_triggers = ON")  # REPLACE deletes then fire the DELETE triggers
        c.execute("PRAGMA trusted_schema = OFF")
        c.execute("PRAGMA foreign_keys = ON")
        if self.max_pages is not None:
            c.execute(f"PRAGMA max_page_count = {int(self.max_pages)}")

    def _migrate(self) -> None:
        target = len(MIGRATIONS)
        with self._write():
            c = self.conn
            c.execute(_SCHEMA_VERSION_TABLE)
            current = c.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[0]
            if current > target:
                raise SchemaVersionError(
                    f"database schema version {current} is newer than this code's {target}")
            for version in range(current + 1, target + 1):
                for statement in MIGRATIONS[version - 1]:
                    c.execute(statement)
                c.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                          (version, int(time.time())))

    def schema_version(self) -> int:
        """The highest migration applied to this file."""
        return self.conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]

    @contextmanager
    def _write(self) -> Iterator[None]:
        """One write transaction: BEGIN IMMEDIATE takes the write lock before reading the size.
        Any error rolls it back; a trigger's refusal is AppendOnlyViolation, a disk or lock
        fault StoreUnavailable."""
        with self._guard():
            c = self.conn
            c.execute("BEGIN IMMEDIATE")
            try:
                yield
                c.execute("COMMIT")
            except BaseException as e:
                self._rollback(c)
                if isinstance(e, sqlite3.IntegrityError):
                    raise _translate(e) from e
                raise

    def _rollback(self, c: sqlite3.Connection) -> None:
        """Roll back if a transaction is still open (SQLite may already have rolled back after
        a full disk or I/O error); if even that fails, drop the connection (closing it rolls
        back) and leave the original error to the caller."""
        try:
            if c.in_transaction:
                c.execute("ROLLBACK")
        except sqlite3.Error:
            self._drop()

    # -- entries ---------------------------------------------------------------------------

    def _next_index(self) -> int:
        return self._one("SELECT COALESCE(MAX(idx) + 1, 0) FROM entries")[0]

    def _one(self, sql: str, params: tuple[object, ...] = ()) -> Any:
        """First row of a read (None if none), disk faults as StoreUnavailable."""
        with self._guard():
            return self.conn.execute(sql, params).fetchone()

    def _all(self, sql: str, params: tuple[object, ...] = ()) -> list[Any]:
        """All rows of a read, disk faults as StoreUnavailable."""
        with self._guard():
            return self.conn.execute(sql, params).fetchall()

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

        with self._write():
            self.conn.executemany("INSERT INTO entries (idx, leaf_hash, data) VALUES (?, ?, ?)",
                                  rows(self._next_index()))
        return indices

    def append_checked(self, entry: bytes, check: Callable[[int], None]) -> int:
        """Append `entry` at index size() only if `check(size())` returns, all under the write
        lock: no other writer can append between the check and the insert (spec §8.6.3)."""
        if not isinstance(entry, bytes):
            raise TypeError(f"entry must be bytes, got {type(entry).__name__}")
        with self._write():
            idx = self._next_index()
            check(idx)
            self.conn.execute("INSERT INTO entries (idx, leaf_hash, data) VALUES (?, ?, ?)",
                              (idx, leaf_hash(entry), entry))
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
        with self._write():
            idx = self._next_index()
            for i, data in enumerate(entries):
                if not check(i, idx):
                    out.append(None)
                    continue
                self.conn.execute("INSERT INTO entries (idx, leaf_hash, data) VALUES (?, ?, ?)",
                                  (idx, leaf_hash(data), data))
                out.append(idx)
                idx += 1
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
        row = self._one("SELECT leaf_hash, data FROM entries WHERE idx = ?", (index,))
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
            rows = self._all("SELECT idx, leaf_hash, data FROM entries WHERE idx >= ? AND idx < ?"
                             " ORDER BY idx LIMIT ?", (expected, end, PAGE))
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
        rows = self._all("SELECT leaf_hash FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx",
                         (start, end))
        if len(rows) != end - start:
            raise StoreCorrupted(f"entries missing in [{start}, {end})")
        return [r[0] for r in rows]

    # -- checkpoints -----------------------------------------------------------------------

    def add_checkpoint(self, cp: Checkpoint) -> None:
        """Durably store `cp`; AppendOnlyViolation unless latest size < cp.size ≤ size()."""
        if not isinstance(cp, Checkpoint):
            raise TypeError("cp must be a Checkpoint")
        with self._write():
            self.conn.execute("INSERT INTO checkpoints (size, body, signature) VALUES (?, ?, ?)",
                              (cp.size, cp.body_bytes(), cp.signature))

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
        row = self._one("SELECT size, body, signature FROM checkpoints ORDER BY size DESC LIMIT 1")
        return None if row is None else self._load_checkpoint(*row)

    def checkpoints(self, after: int = -1) -> Iterator[Checkpoint]:
        """Stream every checkpoint of size > `after` in increasing size, PAGE rows per query."""
        while True:
            rows = self._all("SELECT size, body, signature FROM checkpoints WHERE size > ?"
                             " ORDER BY size LIMIT ?", (after, PAGE))
            if not rows:
                return
            for row in rows:
                yield self._load_checkpoint(*row)
            after = rows[-1][0]

    # -- cosignatures ----------------------------------------------------------------------

    def add_cosignature(self, size: int, witness: bytes, data: bytes) -> bool:
        """Durably store a witness's cosignature bytes of the checkpoint at `size` (spec §8.8);
        True if stored, False if this witness already has one there (the first is kept: looked
        up under the write lock, since a trigger refuses any insert over it). AppendOnlyViolation
        if no checkpoint of that size is stored."""
        check_cosignature_args(size, witness, data)
        with self._write():
            c = self.conn
            if c.execute("SELECT 1 FROM cosignatures WHERE size = ? AND witness = ?",
                         (size, witness)).fetchone() is not None:
                return False
            c.execute("INSERT INTO cosignatures (size, witness, data) VALUES (?, ?, ?)",
                      (size, witness, data))
        return True

    def cosignatures(self, size: int) -> list[bytes]:
        """The cosignatures stored for the checkpoint at `size`, ordered by witness key."""
        if not isinstance(size, int) or isinstance(size, bool):
            raise TypeError("size must be an int")
        return [r[0] for r in self._all(
            "SELECT data FROM cosignatures WHERE size = ? ORDER BY witness", (size,))]

    def all_cosignatures(self, after: int = -1) -> Iterator[tuple[int, bytes]]:
        """Stream (size, bytes) of every cosignature of a checkpoint of size > `after`, by size
        then witness key, PAGE rows per query."""
        rows = self._all("SELECT size, witness, data FROM cosignatures WHERE size > ?"
                         " ORDER BY size, witness LIMIT ?", (after, PAGE))
        while rows:
            for size, _, data in rows:
                yield size, data
            last_size, last_witness = rows[-1][0], rows[-1][1]
            rows = self._all("SELECT size, witness, data FROM cosignatures"
                             " WHERE (size, witness) > (?, ?)"
                             " ORDER BY size, witness LIMIT ?", (last_size, last_witness, PAGE))

    # -- lifetime --------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection (idempotent)."""
        self._closed = True
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
