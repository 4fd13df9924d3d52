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
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from .errors import AppendOnlyViolation, BoardError, SchemaVersionError, StoreUnavailable
from .sql_common import APPEND_ONLY, SqlStore, check_cosignature_args

BUSY_TIMEOUT_S = 30.0

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


def _unavailable(e: sqlite3.Error) -> bool:
    """Is `e` a fault of the disk or of lock contention (full, I/O error, busy) rather than a bug?"""
    code = getattr(e, "sqlite_errorcode", None)
    return isinstance(e, sqlite3.OperationalError) and code is not None and (
        code & 0xFF in (SQLITE_BUSY, SQLITE_IOERR, SQLITE_FULL))


class SQLiteStore(SqlStore[sqlite3.Connection]):
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
        with self._write() as c:
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

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: BEGIN IMMEDIATE takes the write lock before reading the size.
        Any error rolls it back; a trigger's refusal is AppendOnlyViolation, a disk or lock
        fault StoreUnavailable."""
        with self._guard():
            c = self.conn
            c.execute("BEGIN IMMEDIATE")
            try:
                yield c
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

    # -- primitives of SqlStore ------------------------------------------------------------

    def _one(self, query: str, params: tuple[Any, ...] = ()) -> Any:
        """First row of a read (None if none), disk faults as StoreUnavailable."""
        with self._guard():
            return self.conn.execute(query, params).fetchone()

    def _all(self, query: str, params: tuple[Any, ...] = ()) -> list[Any]:
        """All rows of a read, disk faults as StoreUnavailable."""
        with self._guard():
            return self.conn.execute(query, params).fetchall()

    def _execute(self, c: sqlite3.Connection, query: str, params: tuple[Any, ...] = ()) -> Any:
        return c.execute(query, params)

    def _execute_many(self, c: sqlite3.Connection, query: str,
                      rows: Iterable[tuple[Any, ...]]) -> None:
        c.executemany(query, rows)

    # -- cosignatures ----------------------------------------------------------------------

    def add_cosignature(self, size: int, witness: bytes, data: bytes) -> bool:
        """Durably store a witness's cosignature bytes of the checkpoint at `size` (spec §8.8);
        True if stored, False if this witness already has one there (the first is kept: looked
        up under the write lock, since a trigger refuses any insert over it). AppendOnlyViolation
        if no checkpoint of that size is stored."""
        check_cosignature_args(size, witness, data)
        with self._write() as c:
            if c.execute("SELECT 1 FROM cosignatures WHERE size = ? AND witness = ?",
                         (size, witness)).fetchone() is not None:
                return False
            c.execute("INSERT INTO cosignatures (size, witness, data) VALUES (?, ?, ?)",
                      (size, witness, data))
        return True

    # -- lifetime --------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection (idempotent)."""
        self._closed = True
        if self._conn is not None:
            self._conn.close()
            self._conn = None
