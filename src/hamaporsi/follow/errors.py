"""Errors of the programs that follow a board over HTTP (witnesses and mirrors, spec §8.8).

    FollowError (Exception)
    ├── RemoteError             the board (or a peer witness) could not be read
    │   ├── Unreachable         connection refused, timeouts, 5xx answers, after the retries
    │   ├── BadResponse         an answer that breaks the read API: wrong status, not JSON,
    │   │   │                   wrong shape, a field of the wrong type, too few entries
    │   │   ├── TooLarge        more bytes than the cap for that request
    │   │   └── Truncated       the body ended before its announced length
    │   └── NotFound            404: no checkpoint yet, no such size
    ├── Refused                 a checkpoint the copy will not take; `code` names the reason,
    │                           nothing of it was stored, and the follower goes on
    ├── ForkDetected            two board-signed checkpoints that cannot both be true; carries
    │                           the Evidence; a witness stops cosigning for good
    ├── CopyCorrupted           the local copy disagrees with itself (its checkpoints, its
    │                           manifest, a half-applied update without its journal)
    └── InvalidEvidence         an evidence file that does not prove what it claims

Refusal codes (`Refused.code`): forged_signature, wrong_election, truncated, out_of_order,
inconsistent_proof, root_mismatch, not_canonical, bad_manifest, bad_checkpoint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .evidence import Evidence


class FollowError(Exception):
    """Base of every error of the follow layer."""


class RemoteError(FollowError):
    """The remote answered nothing usable for this request."""


class Unreachable(RemoteError):
    """No answer after the retries: connection errors, timeouts, 502/503/504."""


class BadResponse(RemoteError):
    """An answer that does not follow the read API (docs/api.md)."""


class TooLarge(BadResponse):
    """The answer exceeded the byte cap for its request; reading stopped at the cap."""


class Truncated(BadResponse):
    """The connection closed before the whole body arrived."""


class NotFound(RemoteError):
    """404: the remote has no such object (no checkpoint yet, no checkpoint of that size)."""


REFUSAL_CODES = frozenset({
    "forged_signature", "wrong_election", "truncated", "out_of_order", "inconsistent_proof",
    "root_mismatch", "not_canonical", "bad_manifest", "bad_checkpoint"})


class Refused(FollowError):
    """A checkpoint (and its entries) refused with a reason; nothing of it was stored."""

    def __init__(self, code: str, reason: str, *, size: int | None = None) -> None:
        assert code in REFUSAL_CODES, code
        where = f"checkpoint of size {size}: " if size is not None else ""
        super().__init__(f"{code}: {where}{reason}")
        self.code = code
        self.reason = reason
        self.size = size


class ForkDetected(FollowError):
    """Evidence that the board signed two incompatible checkpoints (a fork or a split view)."""

    def __init__(self, evidence: Evidence) -> None:
        super().__init__(evidence.describe())
        self.evidence = evidence


class CopyCorrupted(FollowError):
    """The local copy is inconsistent; it must not be followed or served until repaired."""


class InvalidEvidence(FollowError):
    """An evidence file that is malformed or does not show two incompatible board-signed
    checkpoints (spec §8.8.6)."""
