"""What both SQL backends of `BoardStore` share (spec §8.6): the queries and checks of the log,
its checkpoints and cosignatures, written once over a few backend primitives.

A backend (SQLiteStore, PostgresStore) supplies its connection handling, migrations, triggers
and error mapping, and the primitives `_write`, `_one`, `_all`, `_execute` and `_execute_many`.
Queries here use `?` placeholders; a backend with another style translates them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, Generic, Self, TypeVar

from ..protocol.checkpoint import Checkpoint
from ..protocol.errors import MalformedInput
from ..protocol.merkle import leaf_hash
from .errors import RangeError, StoreCorrupted

PAGE = 1024
"""Rows fetched per query when streaming entries, checkpoints or cosignatures."""

APPEND_ONLY = "append-only"
"""Prefix of every trigger's refusal message; each backend maps it to AppendOnlyViolation."""

INSERT_ENTRY = "INSERT INTO entries (idx, leaf_hash, data) VALUES (?, ?, ?)"
_SIZE = "SELECT COALESCE(MAX(idx) + 1, 0) FROM entries"

C = TypeVar("C")
"""The backend's connection type, as its `_write` yields it."""


def _require_int(name: str, value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int")


def check_cosignature_args(size: int, witness: bytes, data: bytes) -> None:
    """Types and lengths `add_cosignature` accepts (both backends)."""
    _require_int("size", size)
    if not isinstance(witness, bytes) or not isinstance(data, bytes):
        raise TypeError("witness and data must be bytes")
    if len(witness) != 32:
        raise ValueError("witness must be a 32-byte x-only public key")


class SqlStore(ABC, Generic[C]):
    """The backend-independent part of an SQL `BoardStore`: one connection, one thread."""

    url: str
    """How logs and messages name this store (no password)."""

    # -- backend primitives ----------------------------------------------------------------

    @abstractmethod
    def _write(self) -> AbstractContextManager[C]:
        """One write transaction holding the backend's write lock, yielding its connection;
        rolled back on any error (a trigger's refusal AppendOnlyViolation, a fault
        StoreUnavailable)."""

    @abstractmethod
    def _one(self, query: str, params: tuple[Any, ...] = ()) -> Any:
        """First row of a read (None if none); faults as StoreUnavailable."""

    @abstractmethod
    def _all(self, query: str, params: tuple[Any, ...] = ()) -> list[Any]:
        """All rows of a read; faults as StoreUnavailable."""

    @abstractmethod
    def _execute(self, c: C, query: str, params: tuple[Any, ...] = ()) -> Any:
        """Run one statement inside the write transaction on `c`; its cursor."""

    @abstractmethod
    def _execute_many(self, c: C, query: str, rows: Iterable[tuple[Any, ...]]) -> None:
        """Run one statement for each of `rows` inside the write transaction on `c`."""

    def schema_version(self) -> int:
        """The highest migration applied to this database."""
        return int(self._one("SELECT MAX(version) FROM schema_version")[0])

    # -- entries ---------------------------------------------------------------------------

    def _next_index(self, c: C) -> int:
        return int(self._execute(c, _SIZE).fetchone()[0])

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

        with self._write() as c:
            self._execute_many(c, INSERT_ENTRY, rows(self._next_index(c)))
        return indices

    def append_checked(self, entry: bytes, check: Callable[[int], None]) -> int:
        """Append `entry` at index size() only if `check(size())` returns, all under the write
        lock: no other writer can append between the check and the insert (spec §8.6.3)."""
        if not isinstance(entry, bytes):
            raise TypeError(f"entry must be bytes, got {type(entry).__name__}")
        with self._write() as c:
            idx = self._next_index(c)
            check(idx)
            self._execute(c, INSERT_ENTRY, (idx, leaf_hash(entry), entry))
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
        rows: list[tuple[int, bytes, bytes]] = []
        with self._write() as c:
            idx = self._next_index(c)
            for i, data in enumerate(entries):
                if not check(i, idx):
                    out.append(None)
                    continue
                rows.append((idx, leaf_hash(data), data))
                out.append(idx)
                idx += 1
            if rows:  # nobody else can write while we hold the lock: insert them all at once
                self._execute_many(c, INSERT_ENTRY, rows)
        return out

    def size(self) -> int:
        """Number of entries stored (MAX(idx)+1 on the primary key; indices are dense, so
        O(log n))."""
        return int(self._one(_SIZE)[0])

    def _check_range(self, start: int, end: int) -> None:
        _require_int("start", start)
        _require_int("end", end)
        size = self.size()
        if not 0 <= start <= end <= size:
            raise RangeError(f"range [{start}, {end}) is outside the log of size {size}")

    @staticmethod
    def _checked(index: int, stored_hash: bytes, data: bytes) -> bytes:
        if leaf_hash(data) != stored_hash:
            raise StoreCorrupted(f"entry {index} does not match its stored leaf hash")
        return data

    def entry(self, index: int) -> bytes:
        """The bytes of entry `index`, checked against its stored leaf hash."""
        _require_int("index", index)
        row = self._one("SELECT leaf_hash, data FROM entries WHERE idx = ?", (index,))
        if row is None:
            raise RangeError(f"no entry {index} in the log")
        return self._checked(index, bytes(row[0]), bytes(row[1]))

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
                yield idx, self._checked(idx, bytes(h), bytes(data))
                expected += 1

    def leaf_hashes(self, start: int, end: int) -> list[bytes]:
        """Leaf hashes of entries [start, end), in order; RangeError outside the log."""
        self._check_range(start, end)
        rows = self._all("SELECT leaf_hash FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx",
                         (start, end))
        if len(rows) != end - start:
            raise StoreCorrupted(f"entries missing in [{start}, {end})")
        return [bytes(r[0]) for r in rows]

    # -- checkpoints -----------------------------------------------------------------------

    def add_checkpoint(self, cp: Checkpoint) -> None:
        """Durably store `cp`; AppendOnlyViolation unless latest size < cp.size ≤ size()."""
        if not isinstance(cp, Checkpoint):
            raise TypeError("cp must be a Checkpoint")
        with self._write() as c:
            self._execute(c, "INSERT INTO checkpoints (size, body, signature) VALUES (?, ?, ?)",
                          (cp.size, cp.body_bytes(), cp.signature))

    @staticmethod
    def _load_checkpoint(size: int, body: bytes, signature: bytes) -> Checkpoint:
        try:
            cp = Checkpoint.from_body_bytes(bytes(body), bytes(signature))
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

    @abstractmethod
    def add_cosignature(self, size: int, witness: bytes, data: bytes) -> bool:
        """Durably store a witness's cosignature bytes of the checkpoint at `size` (spec §8.8);
        True if stored, False if this witness already has one there (the first is kept)."""

    def cosignatures(self, size: int) -> list[bytes]:
        """The cosignatures stored for the checkpoint at `size`, ordered by witness key."""
        _require_int("size", size)
        return [bytes(r[0]) for r in self._all(
            "SELECT data FROM cosignatures WHERE size = ? ORDER BY witness", (size,))]

    def all_cosignatures(self, after: int = -1) -> Iterator[tuple[int, bytes]]:
        """Stream (size, bytes) of every cosignature of a checkpoint of size > `after`, by size
        then witness key, PAGE rows per query."""
        rows = self._all("SELECT size, witness, data FROM cosignatures WHERE size > ?"
                         " ORDER BY size, witness LIMIT ?", (after, PAGE))
        while rows:
            for size, _, data in rows:
                yield size, bytes(data)
            last_size, last_witness = rows[-1][0], bytes(rows[-1][1])
            rows = self._all("SELECT size, witness, data FROM cosignatures"
                             " WHERE (size, witness) > (?, ?)"
                             " ORDER BY size, witness LIMIT ?", (last_size, last_witness, PAGE))

    # -- lifetime --------------------------------------------------------------------------

    @abstractmethod
    def close(self) -> None:
        """Close the connection (idempotent); the store must not be used afterwards."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
