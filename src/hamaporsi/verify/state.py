"""Snapshots of a resumable verification (spec §9.4): what the run had established at a shard
boundary of the voting phase, bound to the record it was established on.

A snapshot lives in the run's index database and is committed with it. It holds the number of
entries and bytes verified, the Merkle root of those entries, the ledger's running counts and
homomorphic sums, and the report's counters. Resuming re-reads the verified prefix: the setup
entries are checked again, the rest is only hashed, and the snapshot is used only if the prefix
still has the same Merkle root and the checkpoints file the same hash; otherwise the run starts
over. The state directory is the verifier's own scratch space: it is kept outside the record
(a record received from someone else could carry a forged one)."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

FORMAT = 1
"""Version of the snapshot; a snapshot of another version is ignored (the run starts over)."""

INDEX = "index.sqlite"
LOCK = "lock"


class StateBusy(Exception):
    """Another verification is using this state directory."""


@contextmanager
def locked(state_dir: Path) -> Iterator[None]:
    """Hold the state directory for this run (an advisory lock, released at exit)."""
    with open(state_dir / LOCK, "a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StateBusy(f"another verification is using the state in {state_dir} "
                            "(wait for it, or pass --state DIR or --no-state)") from None
        yield


def default_state_dir(record: Path) -> Path:
    """$XDG_CACHE_HOME/hamaporsi/verify/<hash of the record's absolute path>."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    key = hashlib.sha256(str(record.resolve()).encode()).hexdigest()[:24]
    return base / "hamaporsi" / "verify" / key


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@dataclass
class Snapshot:
    """A consistent cut of a run after entry `size − 1` (byte `offset` of entries.jsonl)."""

    size: int
    offset: int
    root: str
    entries_bytes: int
    checkpoints_sha256: str
    ledger: dict[str, Any]
    checks: dict[str, list[float]]
    seconds: float
    format: int = FORMAT

    def encode(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True).encode()

    @staticmethod
    def decode(b: bytes) -> Snapshot | None:
        """The snapshot, or None if it is of another format or unreadable."""
        try:
            o = json.loads(b)
            if o.get("format") != FORMAT:
                return None
            return Snapshot(**o)
        except (ValueError, TypeError, AttributeError):
            return None
