"""A mirror (spec §8.8.7): a verified copy of a board with every checkpoint the board lists and
the witnesses' valid cosignatures, plus the record files, so that the record survives the loss
of the main server, can be verified (`hamaporsi verify DIR`) and served read-only
(`hamaporsi serve --read-only --db DIR/board.sqlite`)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ..protocol.checkpoint import Checkpoint
from .copy import DB, Progress, Synced, VerifiedCopy
from .errors import ForkDetected, NotFound
from .record import RecordState, RecordWriter
from .remote import BoardClient

LIST = 1000
"""Checkpoints asked for per page (the board's API lists at most 1000 per request)."""
REFRESH = 8
"""Besides new checkpoints, the newest this many are asked for late cosignatures each round."""


@dataclass(frozen=True, slots=True)
class MirrorRun:
    """What one round stored, and the mirror's totals after it."""

    synced: Synced = field(default_factory=Synced)
    cosignatures_added: int = 0
    cosignatures_ignored: int = 0
    size: int = 0
    checkpoints: int = 0
    record: RecordState | None = None
    """How far the record files go (None: no witnessed checkpoint yet)."""
    db_bytes: int = 0


class Mirror:
    """A board's mirror in one directory; one thread."""

    def __init__(self, directory: str | os.PathLike[str], board: BoardClient, *,
                 election: str | None = None) -> None:
        self.dir = Path(directory)
        self.board = board
        self.copy = VerifiedCopy.open(self.dir, election=election)
        self.record = RecordWriter(self.dir)

    def close(self) -> None:
        self.copy.close()

    def sync(self, progress: Progress | None = None) -> MirrorRun:
        """One round: the board's listed checkpoints with their entries, the cosignatures, the
        record files. Raises Refused / ForkDetected / RemoteError (nothing of a refused
        checkpoint is stored)."""
        try:
            cps = self.listed()
        except NotFound:
            cps = []
        synced = self.copy.sync(self.board, cps, progress)
        added, ignored = self._cosignatures(synced.checkpoints)
        upto = self.witnessed()
        rec = self.record.write(self.copy.store, upto) if upto is not None else None
        db = self.dir / DB
        return MirrorRun(synced, added, ignored, self.copy.size, len(self.copy.sizes()), rec,
                         sum(p.stat().st_size for p in self.dir.glob(DB + "*")) if db.exists()
                         else 0)

    def listed(self) -> list[Checkpoint]:
        """The board's newest LIST checkpoints (those the copy holds too are compared with it:
        a same-size checkpoint with another root is a fork), preceded, when they do not reach
        back to the copy's latest, by every checkpoint in between, paged oldest first."""
        newest = self.board.checkpoints(LIST)
        latest = self.copy.latest
        after = latest.size if latest is not None else -1
        if len(newest) < LIST or newest[0].size <= after + 1:
            return newest
        return self.board.checkpoints_after(after, LIST, below=newest[0].size) + newest

    def _cosignatures(self, new: tuple[Checkpoint, ...]) -> tuple[int, int]:
        """Fetch, verify (listed witness, valid signature, this exact checkpoint) and store the
        cosignatures of the new checkpoints and of the newest few (late cosigners)."""
        m = self.copy.manifest
        if m is None or not m.witnesses.keys:
            return 0, 0
        store = self.copy.store
        listed = len(m.witnesses.keys)
        sizes = {cp.size for cp in new}
        sizes |= {s for s in self.copy.sizes()[-REFRESH:] if len(store.cosignatures(s)) < listed}
        added = ignored = 0
        for size in sorted(sizes):
            cp = self.copy.checkpoint_at(size)
            if cp is None:
                continue
            try:
                got = self.board.cosignatures(size)
            except NotFound:
                continue
            if got.checkpoint.message() != cp.message():
                if got.checkpoint.root != cp.root:  # the board shows another root for it
                    self.copy.check_signed(got.checkpoint)
                    ev = self.copy.check_against(got.checkpoint)
                    if ev is not None:
                        raise ForkDetected(ev)
                ignored += len(got.cosignatures) + got.malformed
                continue
            valid = m.witnesses.valid_cosigners(cp, got.cosignatures)
            ignored += len(got.cosignatures) - len(valid) + got.malformed
            for cs in valid:
                added += store.add_cosignature(size, cs.witness, cs.to_bytes())
        return added, ignored

    def witnessed(self) -> Checkpoint | None:
        """The newest stored checkpoint with the manifest's threshold of valid cosignatures
        (spec §8.8.3); with no threshold, the newest."""
        m = self.copy.manifest
        if m is None:
            return None
        if m.witnesses.threshold == 0:
            return self.copy.latest
        for size in reversed(self.copy.sizes()):
            if len(self.copy.store.cosignatures(size)) >= m.witnesses.threshold:
                return self.copy.checkpoint_at(size)
        return None
