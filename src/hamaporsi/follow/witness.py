"""A witness (spec §8.8.2–§8.8.6): follows a board with a verified copy, cosigns every new
checkpoint that passed every check, publishes its cosignatures (to the board and its own feed),
compares what it cosigned with other witnesses, and on two incompatible board-signed
checkpoints writes the evidence and never cosigns again.

Files in the witness's directory:

    board.sqlite              the verified copy (copy.py)
    cosignatures.jsonl        every cosignature it made, one canonical line each, by size
    evidence-<n>.json         evidence of a fork (spec §8.8.6); while one exists the witness
                              refuses to run
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..crypto import bip340
from ..crypto.errors import CryptoError, InvalidProof
from ..protocol.checkpoint import Checkpoint
from ..protocol.cosignature import Cosignature, cosign, verify_cosignature
from ..protocol.errors import ProtocolError
from ..protocol.merkle import verify_consistency
from .copy import BATCH_ENTRIES, DB, Progress, Synced, VerifiedCopy
from .errors import CopyCorrupted, FollowError, ForkDetected, NotFound, Refused, RemoteError
from .evidence import INCONSISTENT, Evidence, check_evidence, save_evidence
from .feed import FeedState, StoreProofs
from .remote import BoardClient, Posted, WitnessClient

COSIGNATURES = "cosignatures.jsonl"
EVIDENCE_GLOB = "evidence-*.json"
log = logging.getLogger("hamaporsi.witness")


class Halted(FollowError):
    """The witness holds evidence of a fork: it cosigns nothing any more (spec §8.8.6)."""


@dataclass(frozen=True, slots=True)
class Round:
    """What one round of `Witness.round` did."""

    head: Checkpoint | None = None
    """The board's newest checkpoint, if it could be read."""
    synced: Synced = field(default_factory=Synced)
    cosigned: Cosignature | None = None
    refused: Refused | None = None
    error: FollowError | None = None
    """The board could not be read (or answered against the API)."""
    posted: Posted | None = None
    peer_errors: tuple[str, ...] = ()


def evidence_files(directory: Path) -> list[Path]:
    return sorted(directory.glob(EVIDENCE_GLOB))


class Witness:
    """One witness over one directory; single-threaded apart from its feed (FeedState)."""

    def __init__(self, directory: str | os.PathLike[str], secret: bytes, board: BoardClient, *,
                 election: str | None = None, peers: Sequence[WitnessClient] = (),
                 clock: Callable[[], float] = time.time) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        found = evidence_files(self.dir)
        if found:
            raise Halted(f"{found[0]} holds evidence that the board forked; this witness does "
                         "not cosign any more (move the evidence away only once the fork is "
                         "resolved)")
        self.key = bip340.public_key(secret)
        self._secret = secret
        self.board = board
        self.peers = list(peers)
        self.clock = clock
        self.copy = VerifiedCopy.open(self.dir, election=election)
        self.progress: Progress | None = None
        """Called during big catch-ups (VerifiedCopy.sync's progress)."""
        self.feed = FeedState(self.key, StoreProofs(str(self.dir / DB)))
        self.last: tuple[Checkpoint, Cosignature] | None = None
        self.evidence: Evidence | None = None
        self._unposted: Cosignature | None = None
        self._pending: dict[bytes, tuple[str, Checkpoint]] = {}
        self._agreed: set[tuple[str, bytes]] = set()
        self._proved: set[tuple[str, bytes, int]] = set()
        try:
            self._load_cosignatures()
        except BaseException:
            self.copy.close()
            raise
        if self.copy.election_id is not None:
            self.feed.election = self.copy.election_id

    def close(self) -> None:
        self.copy.close()

    # -- own cosignatures ------------------------------------------------------------------

    def _load_cosignatures(self) -> None:
        """Read back cosignatures.jsonl: each must be this witness's, of a checkpoint of the
        copy. A torn last line (a crash while writing it) is dropped."""
        path = self.dir / COSIGNATURES
        if not path.exists():
            return
        data = path.read_bytes()
        if data and not data.endswith(b"\n"):
            keep = data.rfind(b"\n") + 1
            log.warning("%s: dropping a torn last line", path)
            with open(path, "r+b") as f:
                f.truncate(keep)
            data = data[:keep]
        for n, line in enumerate(data.splitlines(), 1):
            try:
                cs = Cosignature.from_bytes(line)
            except ProtocolError as e:
                raise CopyCorrupted(f"{path} line {n}: {e}") from None
            cp = self.copy.checkpoint_at(cs.size)
            if cs.witness != self.key or cp is None:
                raise CopyCorrupted(f"{path} line {n}: not this witness's cosignature of a "
                                    "checkpoint of its copy")
            try:
                verify_cosignature(cs, cp)
            except InvalidProof as e:
                raise CopyCorrupted(f"{path} line {n}: {e}") from None
            if self.last is not None and cs.size <= self.last[0].size:
                raise CopyCorrupted(f"{path} line {n}: sizes do not increase")
            self.last = (cp, cs)
            self.feed.publish(cp, cs)
        if self.last is not None:
            self._unposted = self.last[1]

    def cosign_latest(self) -> Cosignature | None:
        """Cosign the copy's latest checkpoint if it is newer than the last one cosigned:
        it passed every check of spec §8.8.2 and extends everything stored before it."""
        if self.evidence is not None:
            raise Halted("this witness found evidence of a fork; it cosigns nothing")
        cp = self.copy.latest
        if cp is None or (self.last is not None and cp.size <= self.last[0].size):
            return None
        cs = cosign(self._secret, cp, int(self.clock()))
        with open(self.dir / COSIGNATURES, "ab") as f:
            f.write(cs.to_bytes() + b"\n")
            f.flush()
            os.fsync(f.fileno())
        self.last = (cp, cs)
        self.feed.publish(cp, cs)
        self._unposted = cs
        log.info("cosigned checkpoint of size %d (root %s)", cp.size, cp.root.hex()[:16])
        return cs

    def post(self) -> Posted | None:
        """POST the newest cosignature to the board until it answers; a refusal is logged and
        not repeated, a connection failure is tried again next round."""
        cs = self._unposted
        if cs is None:
            return None
        try:
            p = self.board.post_cosignature(cs)
        except RemoteError as e:
            log.warning("could not post the cosignature of size %d: %s", cs.size, e)
            return None
        self._unposted = None
        if p.stored is None:
            log.warning("the board refused the cosignature of size %d: %s", cs.size, p.refusal)
        return p

    # -- following ---------------------------------------------------------------------------

    def record(self, ev: Evidence) -> Path:
        """Write evidence-<n>.json, publish it on the feed and stop cosigning."""
        path = save_evidence(self.dir, ev)
        self.evidence = ev
        self.feed.add_evidence(ev)
        log.critical("%s (evidence in %s)", ev.describe(), path)
        return path

    def process(self, cp: Checkpoint) -> Cosignature | None:
        """Verify the board's checkpoint `cp` with its entries into the copy and cosign it
        (the unit a bench times; `round` also compares with the peers before cosigning).
        Raises Refused, RemoteError, ForkDetected (recorded)."""
        self.verify(cp)
        return self.cosign_latest()

    def verify(self, cp: Checkpoint) -> None:
        """Verify the board's checkpoint `cp` with its entries into the copy (spec §8.8.2)."""
        if self.evidence is not None:
            raise Halted("this witness found evidence of a fork; it cosigns nothing")
        cps = [cp]
        if cp.size - self.copy.size > BATCH_ENTRIES:  # far behind: store as it goes
            after = self.copy.latest.size if self.copy.latest is not None else -1
            cps = self.board.checkpoints_after(after, below=cp.size) + cps
        try:
            try:
                self.copy.sync(self.board, cps, self.progress)
            except Refused as e:
                if len(cps) == 1 or e.size == cp.size:
                    raise
                self.copy.sync(self.board, [cp], self.progress)  # without the listed ones
        except ForkDetected as f:
            self.record(f.evidence)
            raise
        if self.copy.election_id is not None:
            self.feed.election = self.copy.election_id

    def round(self) -> Round:
        """Read the board's newest checkpoint and verify it, compare with the peers, and only
        then cosign and post. ForkDetected (recorded) ends the witness — before it cosigns a
        checkpoint that contradicts one a peer holds; everything else is in the Round."""
        if self.evidence is not None:
            raise Halted("this witness found evidence of a fork; it cosigns nothing")
        head: Checkpoint | None = None
        refused: Refused | None = None
        error: FollowError | None = None
        size = self.copy.size
        try:
            head = self.board.checkpoint()
            self.verify(head)
        except NotFound:
            log.info("the board has no signed checkpoint yet")
        except Refused as e:
            refused = e
            log.warning("REFUSED the board's checkpoint: %s", e)
        except RemoteError as e:
            error = e
            log.warning("could not read the board: %s", e)
        peer_errors = self.gossip()
        cosigned = self.cosign_latest()
        posted = self.post()
        synced = Synced(entries=self.copy.size - size)
        return Round(head, synced, cosigned, refused, error, posted, peer_errors)

    # -- gossip ------------------------------------------------------------------------------

    def gossip(self) -> tuple[str, ...]:
        """Compare each peer's latest cosigned checkpoint with the copy (spec §8.8.4); raises
        ForkDetected (recorded) on evidence; returns the peers' problems as lines."""
        problems: list[str] = []
        for peer in self.peers:
            try:
                self._gossip_one(peer)
            except ForkDetected as f:
                self.record(f.evidence)
                raise
            except (RemoteError, Refused) as e:
                problems.append(f"peer {peer.url}: {e}")
                log.warning("peer %s: %s", peer.url, e)
        for url, cp in list(self._pending.values()):
            if self.copy.latest is not None and cp.size <= self.copy.latest.size:
                try:
                    self._compare(url, cp, None)
                except ForkDetected as f:
                    self.record(f.evidence)
                    raise
        return tuple(problems)

    def _gossip_one(self, peer: WitnessClient) -> None:
        head = peer.head()
        own = self.copy.election_id
        if own is None:
            return
        for ev in peer.evidence():  # a peer's evidence: its checkpoints, against this copy
            for cp in (ev.first, ev.second):
                if cp.election_id == own:
                    try:
                        self.copy.check_signed(cp)
                    except Refused:
                        continue
                    self._compare(peer.url, cp, None)
        if head.checkpoint is None or head.cosignature is None:
            return
        cp, cs = head.checkpoint, head.cosignature
        if head.election != own or cp.election_id != own:
            raise Refused("wrong_election", f"the peer follows election {cp.election_id}, this "
                          f"witness {own}", size=cp.size)
        self.copy.check_signed(cp)
        if cs.witness != head.witness:
            raise Refused("bad_checkpoint", "the peer's latest cosignature is by another key",
                          size=cp.size)
        try:
            verify_cosignature(cs, cp)
        except CryptoError as e:
            raise Refused("bad_checkpoint", f"the peer's cosignature does not verify: {e}",
                          size=cp.size) from None
        self._compare(peer.url, cp, peer)

    def _compare(self, url: str, cp: Checkpoint, peer: WitnessClient | None) -> None:
        """A board-signed checkpoint a peer cosigned, against the copy."""
        latest = self.copy.latest
        if latest is None or (url, cp.message()) in self._agreed:
            return
        if cp.size <= latest.size:
            ev = self.copy.check_against(cp)
            if ev is not None:
                raise ForkDetected(Evidence(ev.kind, f"peer witness {url}: {ev.reason}",
                                            ev.first, ev.second, ev.prefix_root, ev.proof))
            self._agreed.add((url, cp.message()))
            self._pending.pop(cp.message(), None)
            return
        self._pending[cp.message()] = (url, cp)  # compared again, root to root, once the copy reaches its size
        if peer is None or latest.size == 0 or (url, cp.message(), latest.size) in self._proved:
            return
        pp = peer.prefix_proof(latest.size, cp.size)
        try:
            verify_consistency(latest.size, cp.size, pp.prefix_root, cp.root, list(pp.proof))
        except InvalidProof as e:
            log.warning("peer %s: its consistency proof %d→%d fails (%s); comparing once this "
                        "copy reaches size %d", url, latest.size, cp.size, e.reason, cp.size)
            return
        if pp.prefix_root == latest.root:  # consistent so far; still pending for its own size
            self._proved.add((url, cp.message(), latest.size))
            return
        ev = Evidence(INCONSISTENT, f"peer witness {url} cosigned a checkpoint of size "
                      f"{cp.size} whose tree has root {pp.prefix_root.hex()} at size "
                      f"{latest.size}, not the board's signed root there", latest, cp,
                      pp.prefix_root, pp.proof)
        assert self.copy.manifest is not None
        check_evidence(ev, self.copy.manifest.board_key)
        raise ForkDetected(ev)
