"""The bulletin board (spec §8): an append-only Merkle log over a BoardStore, with signed
checkpoints.

The board keeps a streaming TreeBuilder of the whole log, rebuilt on open from the stored leaf
hashes (O(log n) memory, one pass), so issuing a checkpoint costs O(log n), not a re-hash of the
log. On open every stored checkpoint is checked against the rebuilt tree and the board key.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from ..crypto import bip340
from ..crypto.errors import CryptoError
from ..protocol import merkle
from ..protocol.checkpoint import Checkpoint, sign_checkpoint, verify_checkpoint
from .errors import AppendOnlyViolation, CheckpointError, RangeError, StoreCorrupted
from ..protocol.merkle import TreeBuilder, leaf_hash
from .store import BoardStore

_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True, slots=True)
class AppendReceipt:
    """Where an entry landed: its 0-based index and RFC 9162 leaf hash."""

    index: int
    leaf_hash: bytes


class Board:
    """One election's board: append entries, issue signed checkpoints, serve Merkle proofs.

    Not thread-safe (neither is its store). Other writers may append to the same store; the
    board catches up with them (`sync()`) before every checkpoint and after every append.
    Without a secret (`board_secret=None` and the public `board_key`) the board is read-only
    as far as checkpoints go: it serves proofs but cannot sign (a mirror's copy).
    """

    __slots__ = ("store", "election_id", "board_key", "last_signed", "_secret", "_tree",
                 "_clock")

    def __init__(self, store: BoardStore, board_secret: bytes | None, election_id: str, *,
                 clock: Callable[[], float] = time.time, board_key: bytes | None = None
                 ) -> None:
        if (not isinstance(election_id, str) or len(election_id) != 64
                or not set(election_id) <= _HEX):
            raise ValueError("election_id must be 64 lowercase hex digits")
        if board_secret is not None:
            key = bip340.public_key(board_secret)
            if board_key is not None and board_key != key:
                raise ValueError("board_key is not the board secret's public key")
        elif board_key is None:
            raise ValueError("a board needs its secret or, read-only, its public key")
        else:
            key = board_key
        self.store = store
        self.election_id = election_id
        self.board_key = key
        self.last_signed: Checkpoint | None = None
        """The last checkpoint this board object signed and stored itself."""
        self._secret = board_secret
        self._clock = clock
        self._tree = TreeBuilder()
        self._rebuild()

    def __repr__(self) -> str:
        return (f"Board(election={self.election_id}, board_key={self.board_key.hex()}, "
                f"size={self._tree.size})")

    # -- tree cache ------------------------------------------------------------------------

    def _extend_to(self, size: int) -> None:
        """Stream leaf hashes [tree.size, size) from the store into the cached tree."""
        if size < self._tree.size:
            raise StoreCorrupted(f"store shrank from {self._tree.size} to {size} entries")
        for lo in range(self._tree.size, size, merkle.CHUNK):
            self._tree.extend(self.store.leaf_hashes(lo, min(lo + merkle.CHUNK, size)))

    def _rebuild(self) -> None:
        """Build the tree from the store, checking every stored checkpoint on the way."""
        target = self.store.size()
        for cp in self.store.checkpoints():
            if cp.size > target:
                raise StoreCorrupted(f"checkpoint at size {cp.size} beyond the log ({target})")
            self._extend_to(cp.size)
            self._check_stored(cp)
        self._extend_to(target)

    def _check_signer(self, cp: Checkpoint) -> None:
        """A stored checkpoint must be this election's and signed with this board's key."""
        if cp.election_id != self.election_id:
            raise StoreCorrupted(f"checkpoint at size {cp.size} is for election {cp.election_id}")
        try:
            verify_checkpoint(cp, self.board_key)
        except CryptoError as e:
            raise StoreCorrupted(f"checkpoint at size {cp.size}: {e}") from e

    def _check_stored(self, cp: Checkpoint) -> None:
        """A stored checkpoint must be this election's, this key's, and match the rebuilt tree."""
        self._check_signer(cp)
        if cp.root != self._tree.root():
            raise StoreCorrupted(f"checkpoint at size {cp.size} does not match the log's root")

    def sync(self) -> int:
        """Catch up with entries other writers appended to the store; return the size."""
        self._extend_to(self.store.size())
        return self._tree.size

    @property
    def size(self) -> int:
        """Entries in the log as of the last append or sync."""
        return self._tree.size

    # -- writing ---------------------------------------------------------------------------

    def _appended(self, index: int, entry: bytes) -> AppendReceipt:
        """Add the entry the store put at `index` to the tree (after any others' before it)."""
        self._extend_to(index)
        h = leaf_hash(entry)
        self._tree.append(h)
        return AppendReceipt(index, h)

    def append(self, entry: bytes) -> AppendReceipt:
        """Durably append `entry`; return its index and leaf hash."""
        return self._appended(self.store.append(entry), entry)

    def append_checked(self, entry: bytes, check: Callable[[int], None]) -> AppendReceipt:
        """Append `entry` only if `check(index)` returns, with no other writer in between."""
        return self._appended(self.store.append_checked(entry, check), entry)

    def append_each_checked(self, entries: Sequence[bytes], check: Callable[[int, int], bool]
                            ) -> list[AppendReceipt | None]:
        """Group commit: append, in one transaction, each entry whose `check(i, index)` is True
        (no other writer in between); per entry its receipt, or None if skipped."""
        indices = self.store.append_each_checked(entries, check)
        out: list[AppendReceipt | None] = []
        for data, index in zip(entries, indices, strict=True):
            out.append(None if index is None else self._appended(index, data))
        return out

    def append_many(self, entries: Iterable[bytes]) -> list[AppendReceipt]:
        """Durably append all `entries` in one transaction; return their receipts."""
        batch = list(entries)
        indices = self.store.append_many(batch)
        if not indices:
            return []
        self._extend_to(indices[0])
        hashes = [leaf_hash(e) for e in batch]
        self._tree.extend(hashes)
        return [AppendReceipt(i, h) for i, h in zip(indices, hashes, strict=True)]

    @property
    def can_sign(self) -> bool:
        """Does this board hold its secret (else: a read-only copy)?"""
        return self._secret is not None

    def checkpoint(self, now: int | None = None, *, sync: bool = True) -> Checkpoint:
        """Sign and store a checkpoint of the current size and root (idempotent per size);
        `sync=False`: of the size as last synced, without looking for other writers' entries.

        Several writers (server processes) may sign at once: if another stored a checkpoint of
        this size or larger meanwhile, that one is returned (it covers at least as much)."""
        if self._secret is None:
            raise CheckpointError("this board is read-only: it has no key to sign checkpoints")
        if sync:
            self.sync()
        size = self._tree.size
        latest = self.store.latest_checkpoint()
        if latest is not None and latest.size >= size:
            return self._theirs(latest)
        timestamp = int(self._clock()) if now is None else now
        if latest is not None and timestamp < latest.timestamp:
            raise CheckpointError(
                f"time {timestamp} is before the latest checkpoint's {latest.timestamp}")
        cp = sign_checkpoint(self._secret, self.election_id, size, self._tree.root(), timestamp)
        try:
            self.store.add_checkpoint(cp)
        except AppendOnlyViolation:  # another writer stored one of this size or larger first
            latest = self.store.latest_checkpoint()
            if latest is None or latest.size < size:
                raise
            return self._theirs(latest)
        self.last_signed = cp
        return cp

    def _theirs(self, cp: Checkpoint) -> Checkpoint:
        """A checkpoint another writer stored: this board's key and election, and the tree
        caught up to it (its root is checked on the next open, `_rebuild`)."""
        self._check_signer(cp)
        if cp.size > self._tree.size:
            self.sync()
        if cp.size == self._tree.size and cp.root != self._tree.root():
            raise StoreCorrupted(f"checkpoint at size {cp.size} does not match the log's root")
        return cp

    # -- reading ---------------------------------------------------------------------------

    def _size_arg(self, size: int | None) -> int:
        if size is None:
            return self._tree.size
        if size > self._tree.size:
            self.sync()
        if not 0 <= size <= self._tree.size:
            raise RangeError(f"size {size} is outside the log of size {self._tree.size}")
        return size

    def root(self, size: int | None = None) -> bytes:
        """MTH of the first `size` entries (default: all); O(log n) for the current size."""
        size = self._size_arg(size)
        if size == self._tree.size:
            return self._tree.root()
        return merkle.range_root(self.store, 0, size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """RFC 9162 inclusion path of entry `index` in the tree of `size` entries (default: all)."""
        return merkle.inclusion_proof(self.store, index, self._size_arg(size))

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """RFC 9162 consistency proof from `old_size` to `new_size` (default: all)."""
        return merkle.consistency_proof(self.store, old_size, self._size_arg(new_size))
