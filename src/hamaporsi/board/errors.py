"""Errors raised by the bulletin board (log, store, checkpoints).

    BoardError (Exception)
    ├── AppendOnlyViolation   the store refused to change history: UPDATE/DELETE of an entry or
    │                         checkpoint, an entry index that is not the current size, a
    │                         checkpoint that is not after the latest one or beyond the log
    ├── RangeError            an index or tree size outside the log (also an IndexError)
    ├── StoreCorrupted        stored bytes disagree with themselves: a leaf hash that is not the
    │                         hash of its entry, a checkpoint whose root is not the log's root
    │   └── SchemaVersionError  the file was written by a newer schema than this code knows
    ├── StoreUnavailable      the database cannot be reached or written now (connection lost,
    │                         disk full, I/O error); nothing of the failed call was stored, and
    │                         the next call tries again (reconnecting if needed)
    └── CheckpointError       a checkpoint cannot be issued (clock before the latest checkpoint)

Proofs that fail to verify are not board errors: they raise crypto.errors.InvalidProof with the
verifier's check id, and malformed checkpoint JSON raises protocol.errors.MalformedInput.
"""

from __future__ import annotations

from ..protocol.merkle import RangeError as MerkleRangeError


class BoardError(Exception):
    """Base of every error the board layer raises."""


class AppendOnlyViolation(BoardError):
    """An attempt to rewrite, remove or reorder history was refused (spec §8.5)."""


class RangeError(BoardError, MerkleRangeError):
    """An index or size outside [0, size] of the log or tree."""


class StoreCorrupted(BoardError):
    """The store's contents are inconsistent: the log must not be served from it."""


class SchemaVersionError(StoreCorrupted):
    """The database records a schema version this code does not know (spec §8.6)."""


class StoreUnavailable(BoardError):
    """The database is unreachable or full right now; the call stored nothing (spec §8.6.3).
    Servers answer 503 with a retry hint; the store reconnects on its next call."""


class CheckpointError(BoardError):
    """A checkpoint could not be issued."""
