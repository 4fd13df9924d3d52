"""A verified local copy of a remote board (spec §8.8.2): a BoardStore kept in step with the
board's signed checkpoints, taking a checkpoint only after every check passed.

For each new checkpoint, in order of size:

1. it names the election of the board's manifest (entry 0; the election id is the manifest's
   hash, and must equal `--election` when pinned) and verifies with the manifest's board key;
2. its size is not below the last accepted one's (else: truncated) and its time not earlier
   (else: out of order); an older or equal size must have the root the copy has there (else:
   evidence of a fork);
3. the board's RFC 9162 consistency proof from the last accepted checkpoint verifies (if it does
   not, the copy finds out whether the board forked: evidence, or merely sent a wrong proof);
4. the missing entries, each exactly canonical JSON (spec §4.1), hash with the copy's own
   entries to the checkpoint's root.

Entries are verified in full before the first is stored (held in a Spool), then appended in
chunks with the checkpoints they reach. A journal (pending-checkpoints.json) lists the verified
checkpoints being applied, so a crash in the middle is finished on the next run; without it an
entry beyond the latest stored checkpoint is an error. Any refusal stores nothing.
"""

from __future__ import annotations

import json
import os
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..board.open import open_store
from ..board.store import BoardStore
from ..crypto.errors import CryptoError, InvalidProof
from ..protocol import merkle
from ..protocol.canonical import canonical_bytes, parse_canonical
from ..protocol.checkpoint import Checkpoint, verify_checkpoint
from ..protocol.errors import MalformedInput, ProtocolError
from ..protocol.manifest import Manifest, parse_manifest
from ..protocol.merkle import TreeBuilder, implied_roots, leaf_hash, verify_consistency
from .errors import CopyCorrupted, FollowError, ForkDetected, Refused, RemoteError
from .evidence import EQUIVOCATION, INCONSISTENT, Evidence, check_evidence
from .remote import BoardClient
from .spool import DEFAULT_BUDGET, Spool

DB = "board.sqlite"
PENDING = "pending-checkpoints.json"
BATCH_ENTRIES = 20_000
"""A catch-up over many checkpoints is verified and stored in runs of about this many entries
(each run: one consistency proof, its entries, its checkpoints' roots)."""
COMMIT_ENTRIES = 4096
COMMIT_BYTES = 16 << 20
"""Entries per store transaction while applying a verified run."""
ROOT_CACHE = 4096
"""Roots at sizes without a stored checkpoint kept once computed (the copy never changes below
its size), so that a board listing the same old sizes again costs nothing."""

Progress = Callable[[int, int], None]
"""progress(entries verified so far, size being synced to) during a sync (absolute sizes)."""


@dataclass(frozen=True, slots=True)
class Synced:
    """What one sync stored: the new checkpoints, and how many entries and bytes."""

    checkpoints: tuple[Checkpoint, ...] = ()
    entries: int = 0
    bytes: int = 0

    def __add__(self, other: Synced) -> Synced:
        return Synced(self.checkpoints + other.checkpoints, self.entries + other.entries,
                      self.bytes + other.bytes)


@dataclass(slots=True)
class _Staged:
    """A verified run not yet stored: the entries, the tree after them, their leaf hashes."""

    spool: Spool
    tree: TreeBuilder
    leaves: list[bytes]


class _Joined:
    """Leaf hashes [0, base) from the store and [base, base + len(extra)) from memory."""

    def __init__(self, store: BoardStore, base: int, extra: Sequence[bytes]) -> None:
        self.store, self.base, self.extra = store, base, extra

    def leaf_hashes(self, start: int, end: int) -> list[bytes]:
        out = self.store.leaf_hashes(start, min(end, self.base)) if start < self.base else []
        lo, hi = max(start, self.base) - self.base, end - self.base
        return out + list(self.extra[lo:hi]) if hi > 0 else out


def prefix_proof(store: BoardStore, old: int, new: int) -> tuple[bytes, list[bytes]]:
    """The root of `store`'s log at `old` and the consistency proof from there to `new`."""
    return merkle.range_root(store, 0, old), merkle.consistency_proof(store, old, new)


REFUSALS_KEPT = 64
"""Refused checkpoints remembered (by signed message), so a board cannot make a follower
download the same bad checkpoint's entries again every round."""


class VerifiedCopy:
    """One board's verified copy in a BoardStore; not thread-safe (neither is the store)."""

    def __init__(self, store: BoardStore, *, election: str | None = None,
                 journal: Path | None = None, spool_dir: Path | None = None,
                 spool_budget: int = DEFAULT_BUDGET) -> None:
        self.store = store
        self.pinned = election
        self.journal = journal
        self.spool_dir = spool_dir
        self.spool_budget = spool_budget
        self._refused: OrderedDict[bytes, Refused] = OrderedDict()
        self._load()

    @classmethod
    def open(cls, directory: str | os.PathLike[str], *,
             election: str | None = None) -> VerifiedCopy:
        """The copy in `directory` (board.sqlite and its journal), created if absent."""
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        store = open_store(d / DB)
        try:
            return cls(store, election=election, journal=d / PENDING, spool_dir=d)
        except BaseException:
            store.close()
            raise

    def close(self) -> None:
        self.store.close()

    # -- state -----------------------------------------------------------------------------

    def _load(self) -> None:
        """Read the copy back from its store, re-checking every stored checkpoint."""
        self.manifest: Manifest | None = None
        self.latest: Checkpoint | None = None
        self._roots: dict[int, bytes] = {}
        self._seen: dict[int, bytes] = {}
        self._tree = TreeBuilder()
        size = self.store.size()
        if size:
            self.manifest = self._manifest_of(self.store.entry(0))
        for cp in self.store.checkpoints():
            if self.manifest is None or cp.size > size:
                raise CopyCorrupted(f"stored checkpoint of size {cp.size} is beyond the "
                                    f"{size} stored entries or before the manifest")
            self._extend_tree(cp.size)
            try:
                self.check_signed(cp)
            except Refused as e:
                raise CopyCorrupted(f"stored checkpoint: {e}") from None
            if cp.root != self._tree.root():
                raise CopyCorrupted(f"stored checkpoint of size {cp.size} does not match the "
                                    "stored entries")
            if self.latest is not None and cp.timestamp < self.latest.timestamp:
                raise CopyCorrupted(f"stored checkpoint of size {cp.size} is earlier than the "
                                    "one before it")
            self._roots[cp.size] = cp.root
            self.latest = cp
        self._extend_tree(size)
        self.pending = self._read_journal()
        covered = self.latest.size if self.latest is not None else 0
        if size > covered and not self.pending:
            raise CopyCorrupted(f"the copy holds entries {covered}..{size - 1} beyond its latest "
                                f"checkpoint and no {PENDING} saying which checkpoint they "
                                "were verified against")

    def _manifest_of(self, data: bytes) -> Manifest:
        try:
            m = parse_manifest(parse_canonical(data))
        except (ProtocolError, CryptoError) as e:
            raise CopyCorrupted(f"entry 0 of the copy is not a valid manifest: {e}") from None
        if self.pinned is not None and m.hash.hex() != self.pinned:
            raise CopyCorrupted(f"the copy is of election {m.hash.hex()}, not the pinned "
                                f"{self.pinned}")
        return m

    def _extend_tree(self, size: int) -> None:
        for lo in range(self._tree.size, size, merkle.CHUNK):
            self._tree.extend(self.store.leaf_hashes(lo, min(lo + merkle.CHUNK, size)))

    @property
    def election_id(self) -> str | None:
        return None if self.manifest is None else self.manifest.hash.hex()

    @property
    def size(self) -> int:
        """Entries stored (the latest checkpoint's size, except while a journal is pending)."""
        return self._tree.size

    def root_at(self, size: int) -> bytes:
        """MTH of the copy's first `size` entries."""
        return self.roots_at([size])[size]

    def roots_at(self, sizes: Iterable[int]) -> dict[int, bytes]:
        """MTH of the copy's first `s` entries for each `s` of `sizes` (at most the copy's
        size): those not known already in one streaming pass over the stored leaf hashes,
        however many there are."""
        out: dict[int, bytes] = {}
        missing: list[int] = []
        for s in set(sizes):
            known = self._roots.get(s) or self._seen.get(s)
            if known is None and s == self._tree.size:
                known = self._tree.root()
            if known is None:
                missing.append(s)
            else:
                out[s] = known
        tree = TreeBuilder()
        for s in sorted(missing):
            if s > self._tree.size:
                raise merkle.RangeError(f"the copy has no root at size {s}: it holds "
                                        f"{self._tree.size} entries")
            for lo in range(tree.size, s, merkle.CHUNK):
                tree.extend(self.store.leaf_hashes(lo, min(lo + merkle.CHUNK, s)))
            if tree.size != s:
                raise CopyCorrupted(f"the store returned {tree.size} leaf hashes, not {s}")
            out[s] = tree.root()
        if len(self._seen) + len(missing) > ROOT_CACHE:
            self._seen.clear()
        self._seen.update((s, out[s]) for s in missing[:ROOT_CACHE])
        return out

    def sizes(self) -> list[int]:
        """Sizes of the stored checkpoints, increasing."""
        return list(self._roots)

    def checkpoint_at(self, size: int) -> Checkpoint | None:
        """The stored checkpoint of exactly `size`, if any."""
        if size not in self._roots:
            return None
        cp = next(self.store.checkpoints(size - 1), None)
        return cp if cp is not None and cp.size == size else None

    # -- checks ----------------------------------------------------------------------------

    def check_signed(self, cp: Checkpoint, manifest: Manifest | None = None) -> None:
        """Election and board signature (spec §8.5.5), against the manifest's key."""
        m = manifest or self.manifest
        assert m is not None
        if cp.election_id != m.hash.hex():
            raise Refused("wrong_election", f"it names election {cp.election_id}, the board's "
                          f"manifest is election {m.hash.hex()}", size=cp.size)
        if cp.board_key != m.board_key:
            raise Refused("forged_signature", f"it is signed by key {cp.board_key.hex()}, not "
                          f"the manifest's board key {m.board_key.hex()}", size=cp.size)
        try:
            verify_checkpoint(cp, m.board_key)
        except CryptoError as e:
            raise Refused("forged_signature", f"the board's signature does not verify ({e})",
                          size=cp.size) from None

    def _evidence(self, ev: Evidence, manifest: Manifest | None = None) -> ForkDetected:
        """`ev` as an error, after checking it as anyone would (a failure here is a bug)."""
        m = manifest or self.manifest
        assert m is not None
        check_evidence(ev, m.board_key)
        return ForkDetected(ev)

    def check_against(self, cp: Checkpoint) -> Evidence | None:
        """Compare a board-signed checkpoint (signature and election already checked) of at
        most the copy's latest size with the copy: None if the copy has its root at its size,
        else the evidence that the two cannot both be true."""
        latest = self.latest
        assert latest is not None and cp.size <= latest.size
        own = self.root_at(cp.size)
        if own == cp.root:
            return None
        if cp.size == latest.size:
            ev = Evidence(EQUIVOCATION, f"two checkpoints of size {cp.size} with different "
                          "roots", latest, cp)
        else:
            ev = Evidence(INCONSISTENT, f"the copy verified against the checkpoint of size "
                          f"{latest.size} has root {own.hex()} at size {cp.size}, not the "
                          "signed one", cp, latest, own,
                          tuple(merkle.consistency_proof(self.store, cp.size, latest.size)))
        return self._evidence(ev).evidence

    def _investigate(self, remote: BoardClient, old: Checkpoint, new: Checkpoint,
                     proof: list[bytes], err: InvalidProof, manifest: Manifest) -> FollowError:
        """The consistency proof old → new failed: evidence of a fork if the board's own data
        shows its size-new tree does not extend the old root; else a refusal (a wrong proof)."""
        m, n = old.size, new.size
        why = f"the board's consistency proof from size {m} fails ({err.reason})"
        implied = implied_roots(m, n, proof)
        if implied is not None and implied[1] == new.root and implied[0] != old.root:
            return self._evidence(Evidence(
                INCONSISTENT, f"{why}: by the board's own proof its size-{n} tree has another "
                "root at that size", old, new, implied[0], tuple(proof)), manifest)
        try:
            leaves = [leaf_hash(e) for page in remote.entry_pages(0, n) for e in page]
        except RemoteError as e:
            return Refused("inconsistent_proof", f"{why}; its entries could not be read to tell "
                           f"a wrong proof from a fork: {e}", size=n)
        if merkle.root(leaves) != new.root:
            return Refused("inconsistent_proof", f"{why}, and the board's entries 0..{n - 1} do "
                           "not hash to the checkpoint's root either", size=n)
        x = merkle.root(leaves[:m])
        if x == old.root:
            return Refused("inconsistent_proof", f"{why}, though its entries are consistent "
                           "with both checkpoints (a wrong proof, not a fork)", size=n)
        return self._evidence(Evidence(
            INCONSISTENT, f"{why}: the board's entries for size {n} have root {x.hex()} at size "
            f"{m}", old, new, x, tuple(merkle.consistency_proof(leaves, m, n))), manifest)

    # -- syncing ---------------------------------------------------------------------------

    def _boot(self, remote: BoardClient, head: Checkpoint) -> tuple[Manifest, bytes] | None:
        """The manifest (and its bytes) this copy follows: stored, or entry 0 of the board."""
        if self.manifest is not None:
            return self.manifest, self.store.entry(0)
        if head.size == 0:
            return None
        data = remote.entries(0, 1)[0]
        try:
            m = parse_manifest(parse_canonical(data))
        except MalformedInput as e:
            raise Refused("not_canonical", f"entry 0: {e}", size=head.size) from None
        except (ProtocolError, CryptoError) as e:
            raise Refused("bad_manifest", f"entry 0 is not a valid manifest: {e}",
                          size=head.size) from None
        if self.pinned is not None and m.hash.hex() != self.pinned:
            raise Refused("wrong_election", f"the board's manifest is election {m.hash.hex()}, "
                          f"not the pinned {self.pinned}", size=head.size)
        return m, data

    def sync(self, remote: BoardClient, cps: Sequence[Checkpoint],
             progress: Progress | None = None) -> Synced:
        """Verify and store the board's checkpoints `cps` (any order; the largest is the
        board's newest) with their entries. Raises Refused (nothing of the refused run stored),
        ForkDetected, RemoteError; returns what was stored."""
        done = self._resume(remote, progress) if self.pending else Synced()
        if not cps:
            return done
        cps = sorted(cps, key=lambda c: c.size)
        head = cps[-1]
        boot = self._boot(remote, head)
        if boot is None:
            return done
        manifest, mbytes = boot
        for cp in cps:
            self.check_signed(cp, manifest)
        for a, b in zip(cps, cps[1:]):
            if a.size == b.size and a.root != b.root:
                raise self._evidence(Evidence(EQUIVOCATION, "the board lists two checkpoints "
                                              f"of size {a.size} with different roots", a, b),
                                     manifest)
        latest = self.latest
        if latest is not None:
            self.roots_at(cp.size for cp in cps if cp.size <= latest.size)  # one pass at most
            for cp in cps:
                if cp.size <= latest.size:
                    ev = self.check_against(cp)
                    if ev is not None:
                        raise ForkDetected(ev)
            if head.size < latest.size:
                raise Refused("truncated", f"the board's newest checkpoint is smaller than the "
                              f"{latest.size} entries already accepted (a rollback)",
                              size=head.size)
        new = [cp for i, cp in enumerate(cps) if (latest is None or cp.size > latest.size)
               and (i + 1 == len(cps) or cps[i + 1].size != cp.size)]
        prev = latest
        for cp in new:
            if prev is not None and cp.timestamp < prev.timestamp:
                raise Refused("out_of_order", f"its time {cp.timestamp} is earlier than "
                              f"{prev.timestamp}, the time of the checkpoint of size {prev.size}",
                              size=cp.size)
            prev = cp
        for cp in new:  # refused before: the same answer, without fetching anything again
            known = self._refused.get(cp.message())
            if known is not None:
                raise Refused(known.code, f"{known.reason} (refused before; not fetched again)",
                              size=known.size)
        target = new[-1].size if new else self.size
        try:
            for batch in self._batches(new):
                done += self._advance(remote, batch, manifest, mbytes, progress, target)
        except Refused as e:
            self._remember(new, e)
            raise
        return done

    def _remember(self, cps: Sequence[Checkpoint], e: Refused) -> None:
        """Keep the refusal of the checkpoint of size `e.size` among `cps` (the newest
        REFUSALS_KEPT refusals)."""
        for cp in cps:
            if cp.size == e.size:
                self._refused[cp.message()] = e
                self._refused.move_to_end(cp.message())
        while len(self._refused) > REFUSALS_KEPT:
            self._refused.popitem(last=False)

    def _batches(self, new: list[Checkpoint]) -> Iterator[list[Checkpoint]]:
        batch: list[Checkpoint] = []
        start = self.size
        for cp in new:
            batch.append(cp)
            if cp.size - start >= BATCH_ENTRIES:
                yield batch
                batch, start = [], cp.size
        if batch:
            yield batch

    def _advance(self, remote: BoardClient, batch: list[Checkpoint], manifest: Manifest,
                 mbytes: bytes, progress: Progress | None, target: int) -> Synced:
        """One run: consistency proof to its last checkpoint, its entries, store it."""
        head, latest = batch[-1], self.latest
        if latest is not None and 0 < latest.size < head.size:
            proof = remote.consistency(latest.size, head.size)
            try:
                verify_consistency(latest.size, head.size, latest.root, head.root, proof)
            except InvalidProof as e:
                raise self._investigate(remote, latest, head, proof, e, manifest) from None
        staged = self._stage(remote, batch, manifest, mbytes, progress, target)
        try:
            return self._commit(staged, batch, manifest)
        finally:
            staged.spool.close()

    def _stage(self, remote: BoardClient, batch: list[Checkpoint], manifest: Manifest,
               mbytes: bytes, progress: Progress | None, target: int) -> _Staged:
        """Fetch entries [size, head.size), check each is canonical and the roots at every
        checkpoint of the batch; nothing is stored here."""
        head = batch[-1]
        base = self.size
        tree = self._tree.copy()
        at = {cp.size: cp for cp in batch}
        wrong: list[tuple[Checkpoint, bytes]] = []
        leaves: list[bytes] = []  # for evidence about an intermediate checkpoint only
        keep = len(batch) > 1
        start = at.get(base)  # a checkpoint at the copy's own size: only size 0 on a fresh copy
        if start is not None and start is not head and tree.root() != start.root:
            wrong.append((start, tree.root()))
        spool = Spool(self.spool_dir, self.spool_budget)
        try:
            for page in remote.entry_pages(base, head.size):
                for data in page:
                    i = tree.size
                    try:
                        parse_canonical(data)
                    except MalformedInput as e:
                        raise Refused("not_canonical", f"entry {i}: {e.reason}",
                                      size=head.size) from None
                    if i == 0 and data != mbytes:
                        raise Refused("bad_manifest", "entry 0 is not the manifest the copy "
                                      "was started from", size=head.size)
                    h = leaf_hash(data)
                    tree.append(h)
                    if keep:
                        leaves.append(h)
                    spool.add(data)
                    cp = at.get(tree.size)
                    if cp is not None and cp is not head and tree.root() != cp.root:
                        wrong.append((cp, tree.root()))
                if progress is not None:
                    progress(tree.size, target)
            if tree.size != head.size:  # no entries at all, e.g. a checkpoint at our size
                raise Refused("root_mismatch", f"expected {head.size} entries, have {tree.size}",
                              size=head.size)
            if tree.root() != head.root:
                raise Refused("root_mismatch", f"the board's entries {base}..{head.size - 1} do "
                              "not hash, with the copy's, to the checkpoint's root",
                              size=head.size)
            if wrong:
                cp, x = wrong[0]
                proof = merkle.consistency_proof(_Joined(self.store, base, leaves), cp.size,
                                                 head.size)
                raise self._evidence(Evidence(
                    INCONSISTENT, f"the board's entries hash to its checkpoint of size "
                    f"{head.size}, whose tree has root {x.hex()} at size {cp.size}, not the "
                    "signed one", cp, head, x, tuple(proof)), manifest)
        except BaseException:
            spool.close()
            raise
        return _Staged(spool, tree, leaves)

    def _commit(self, staged: _Staged, batch: list[Checkpoint], manifest: Manifest) -> Synced:
        """Store a verified run: journal, entries in chunks with the checkpoints they reach,
        then drop the journal."""
        self._write_journal(batch)
        added: list[Checkpoint] = []
        todo = list(batch)
        try:
            expect = self.store.size()
            for chunk in staged.spool.chunks(COMMIT_ENTRIES, COMMIT_BYTES):
                idx = self.store.append_many(chunk)
                if idx[0] != expect:
                    raise CopyCorrupted(f"another writer appended to the copy (expected index "
                                        f"{expect}, got {idx[0]})")
                expect += len(chunk)
                while todo and todo[0].size <= expect:
                    self.store.add_checkpoint(todo[0])
                    added.append(todo.pop(0))
            for cp in todo:
                self.store.add_checkpoint(cp)
                added.append(cp)
        except BaseException:
            self._load()
            raise
        self._clear_journal()
        self.manifest = self.manifest or manifest
        self._tree = staged.tree
        for cp in added:
            self._roots[cp.size] = cp.root
        self.latest = batch[-1]
        return Synced(tuple(added), staged.spool.count, staged.spool.bytes)

    def _resume(self, remote: BoardClient, progress: Progress | None) -> Synced:
        """Finish applying the checkpoints of the journal (verified before a crash)."""
        latest_size = self.latest.size if self.latest is not None else 0
        pending = [cp for cp in self.pending if cp.size > latest_size]
        if self.size == latest_size or self.manifest is None:  # nothing of it was stored
            self._clear_journal()
            return Synced()
        added: list[Checkpoint] = []
        for cp in pending:
            if cp.size > self.size:
                break
            if self.root_at(cp.size) != cp.root:
                raise CopyCorrupted(f"entries stored for the journal's checkpoint of size "
                                    f"{cp.size} do not hash to its root")
            self.store.add_checkpoint(cp)
            self._roots[cp.size] = cp.root
            self.latest = cp
            added.append(cp)
        rest = [cp for cp in pending if cp.size > self.size]
        done = Synced(tuple(added))
        if rest:
            staged = self._stage(remote, rest, self.manifest, self.store.entry(0), progress,
                                 rest[-1].size)
            try:
                done += self._commit(staged, rest, self.manifest)
            finally:
                staged.spool.close()
        else:
            self._clear_journal()
        return done

    # -- journal ---------------------------------------------------------------------------

    def _read_journal(self) -> list[Checkpoint]:
        if self.journal is None or not self.journal.exists():
            return []
        try:
            raw = json.loads(self.journal.read_bytes())
            cps = [Checkpoint.from_json(c) for c in raw["checkpoints"]]
        except (ValueError, KeyError, TypeError) as e:
            raise CopyCorrupted(f"{self.journal} is unreadable: {e}") from None
        if self.manifest is not None:
            for cp in cps:
                try:
                    self.check_signed(cp)
                except Refused as e:
                    raise CopyCorrupted(f"{self.journal}: {e}") from None
        return sorted(cps, key=lambda c: c.size)

    def _write_journal(self, batch: list[Checkpoint]) -> None:
        self.pending = list(batch)
        if self.journal is None:
            return
        tmp = self.journal.with_name(self.journal.name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(canonical_bytes({"checkpoints": [cp.to_json() for cp in batch]}))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.journal)
        _fsync_dir(self.journal.parent)

    def _clear_journal(self) -> None:
        self.pending = []
        if self.journal is not None and self.journal.exists():
            self.journal.unlink()
            _fsync_dir(self.journal.parent)


def _fsync_dir(d: Path) -> None:
    fd = os.open(d, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
