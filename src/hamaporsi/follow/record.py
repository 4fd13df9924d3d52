"""A mirror's record files (spec §9): entries.jsonl, checkpoints.jsonl and cosignatures.jsonl
beside its copy, so that `hamaporsi verify DIR` checks it. They are written from the copy's
store up to its latest *witnessed* checkpoint (one with the manifest's threshold of valid
cosignatures, spec §8.8.3; the latest checkpoint when no witness is required): the record a
verifier accepts. Entries and checkpoints are appended; record-state.json (written last,
atomically) says how far each file is complete, so a crash mid-write is cut back and redone.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from ..board.store import BoardStore
from ..protocol.canonical import canonical_bytes
from ..protocol.checkpoint import Checkpoint

ENTRIES = "entries.jsonl"
CHECKPOINTS = "checkpoints.jsonl"
COSIGNATURES = "cosignatures.jsonl"
STATE = "record-state.json"


@dataclass(frozen=True, slots=True)
class RecordState:
    """How much of each file is complete: entries [0, size) in `entries_bytes`, checkpoints
    of size ≤ `checkpoint_size` in `checkpoints_bytes`, `cosignatures` lines."""

    size: int = 0
    entries_bytes: int = 0
    checkpoint_size: int = -1
    checkpoints_bytes: int = 0
    cosignatures: int = 0


class RecordWriter:
    """The record files in one directory, brought up to a checkpoint of the copy's store."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.state = self._read_state()

    def _read_state(self) -> RecordState:
        p = self.dir / STATE
        try:
            return RecordState(**json.loads(p.read_text()))
        except (OSError, ValueError, TypeError):
            return RecordState()  # absent or unreadable: write every file from the start

    def _append(self, name: str, keep: int, lines: Iterable[bytes]) -> int:
        """Cut `name` back to its first `keep` bytes, append `lines`; return its new size."""
        path = self.dir / name
        with open(path, "r+b" if path.exists() else "w+b") as f:
            f.truncate(keep)
            f.seek(keep)
            for line in lines:
                f.write(line + b"\n")
            f.flush()
            os.fsync(f.fileno())
            return f.tell()

    def write(self, store: BoardStore, upto: Checkpoint) -> RecordState:
        """Bring the three files up to checkpoint `upto` (stored in `store`)."""
        s = self.state
        for name, n in ((ENTRIES, s.entries_bytes), (CHECKPOINTS, s.checkpoints_bytes)):
            p = self.dir / name
            if (p.stat().st_size if p.exists() else 0) < n:  # a file lost or cut: start over
                s = RecordState()
        if upto.size < s.size:
            return s
        entries_bytes = self._append(ENTRIES, s.entries_bytes,
                                     (data for _, data in store.entries(s.size, upto.size)))
        cps = []
        for cp in store.checkpoints(s.checkpoint_size):
            if cp.size > upto.size:
                break
            cps.append(canonical_bytes(cp.to_json()))
        cps_bytes = self._append(CHECKPOINTS, s.checkpoints_bytes, cps)
        cosigs = [data for size, data in store.all_cosignatures() if size <= upto.size]
        if len(cosigs) != s.cosignatures or not (self.dir / COSIGNATURES).exists():
            tmp = self.dir / (COSIGNATURES + ".tmp")
            with open(tmp, "wb") as f:
                f.write(b"".join(c + b"\n" for c in cosigs))
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.dir / COSIGNATURES)
        self.state = RecordState(upto.size, entries_bytes, upto.size, cps_bytes, len(cosigs))
        tmp = self.dir / (STATE + ".tmp")
        tmp.write_text(json.dumps(asdict(self.state)) + "\n")
        os.replace(tmp, self.dir / STATE)
        return self.state
