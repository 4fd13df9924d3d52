"""The one storage seam of the board (spec §8.6.1): an append-only log of entries plus its
checkpoints.

Every backend (SQLite today) implements `BoardStore`. Indices are 0-based and dense: entry i
exists for every 0 ≤ i < size(), and nothing once stored is ever changed or removed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Protocol, runtime_checkable

from ..protocol.checkpoint import Checkpoint


@runtime_checkable
class BoardStore(Protocol):
    """Append-only storage of log entries (with their RFC 9162 leaf hashes) and checkpoints."""

    def append(self, entry: bytes) -> int:
        """Durably store `entry` and its leaf hash at index size(); return that index."""
        ...

    def append_many(self, entries: Iterable[bytes]) -> list[int]:
        """Store all `entries` in one transaction (all or none); return their indices."""
        ...

    def append_checked(self, entry: bytes, check: Callable[[int], None]) -> int:
        """Append at index size() only if check(size()) returns, under the write lock."""
        ...

    def append_each_checked(self, entries: Sequence[bytes],
                            check: Callable[[int, int], bool]) -> list[int | None]:
        """One write transaction: append each entry i whose check(i, next index) is True, skip
        the others; returns per entry its index or None (group commit: one durable commit)."""
        ...

    def size(self) -> int:
        """Number of entries stored."""
        ...

    def entry(self, index: int) -> bytes:
        """The bytes of entry `index`; RangeError if there is none."""
        ...

    def entries(self, start: int = 0, end: int | None = None) -> Iterator[tuple[int, bytes]]:
        """Stream (index, bytes) for start ≤ index < end (end defaults to size()), in order."""
        ...

    def leaf_hashes(self, start: int, end: int) -> list[bytes]:
        """Leaf hashes of entries [start, end), in order; RangeError outside the log."""
        ...

    def add_checkpoint(self, cp: Checkpoint) -> None:
        """Durably store `cp`; its size must exceed the latest checkpoint's and not the log's."""
        ...

    def latest_checkpoint(self) -> Checkpoint | None:
        """The checkpoint with the largest size, or None if there is none yet."""
        ...

    def checkpoints(self, after: int = -1) -> Iterator[Checkpoint]:
        """Stream every stored checkpoint of size > `after` in increasing size."""
        ...

    def add_cosignature(self, size: int, witness: bytes, data: bytes) -> bool:
        """Durably store a witness's cosignature (canonical JSON bytes, spec §8.8) of the
        checkpoint at `size`; True if stored, False if this witness already has one for this
        size (the first is kept). The checkpoint must be stored (AppendOnlyViolation if not).
        The caller verifies the cosignature first: the store only keeps bytes."""
        ...

    def cosignatures(self, size: int) -> list[bytes]:
        """The cosignatures stored for the checkpoint at `size`, ordered by witness key."""
        ...

    def all_cosignatures(self, after: int = -1) -> Iterator[tuple[int, bytes]]:
        """Stream (size, bytes) of every cosignature of a checkpoint of size > `after`, by size
        then witness key."""
        ...

    def close(self) -> None:
        """Release the backend's resources; the store must not be used afterwards."""
        ...

    def __enter__(self) -> BoardStore:
        ...

    def __exit__(self, *exc: object) -> None:
        """Close the store."""
        ...
