"""Re-check an exported record from the record alone (spec §9): apply the setup entries in
order, then hand the voting phase to workers in shards that each read their byte range of the
record (`shard.verify_shard`), and apply the results in record order: the cross-entry rules of
the ledger, the Merkle tree and the signed checkpoints. The same code runs with one process, a
local pool or a Dask cluster, so the report does not depend on where the shards ran.

After the last entry, check V-witness reads cosignatures.jsonl against the checkpoints in this
process (`witness.check_witnesses`): the last checkpoint needs the manifest's threshold of
witness cosignatures (spec §8.8, §9.2).

Memory stays flat: shards in flight are bounded, cross-entry state lives in a SQLite index.
With a state directory the run is resumable: it commits a snapshot of its state with the index
every `snapshot_seconds` (spec §9.4) and an interrupted run continues from the last one."""

from __future__ import annotations

import os
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from ..crypto.elgamal import Ciphertext
from ..crypto.errors import CryptoError
from ..crypto.group import Point
from ..protocol.canonical import MAX_ENTRY_BYTES, parse_canonical
from ..protocol.checkpoint import Checkpoint, verify_checkpoint
from ..protocol.errors import ProtocolError
from ..protocol.ledger import Ledger
from ..protocol.merkle import TreeBuilder, leaf_hash
from .backends import Backend, Parallel, make_backend
from .index import CACHE_MIB, DiskIndex
from .report import Failure, Report
from .shard import ShardResult, ShardSpec
from .state import INDEX, Snapshot, file_sha256, locked
from .witness import WitnessCheckFailed, check_witnesses

ENTRIES = "entries.jsonl"
CHECKPOINTS = "checkpoints.jsonl"
SHARD_BYTES = 2 << 20
"""Bytes of the record per shard (about 1,900 two-option ballots)."""
MIN_SHARD_BYTES = 64 << 10
SNAPSHOT_SECONDS = 30.0

_SETUP_CHECK = {"manifest": "V1", "dkg-commit": "V2", "dkg-reveal": "V2", "dkg-shares": "V2",
                "dkg-complaint": "V2", "joint-key": "V3", "credentials": "V4",
                "credentials-final": "V4", "open": "V4", "close": "V16", "tally": "V12",
                "decryption": "V13", "result": "V14"}

Progress = Callable[[int, int], None]
"""progress(entries, bytes): entries verified so far and the bytes of entries.jsonl they span."""


class VerificationFailed(Exception):
    def __init__(self, failure: Failure) -> None:
        super().__init__(str(failure))
        self.failure = failure


class _Restart(Exception):
    """The snapshot does not describe this record any more: start over without it."""


def _read_lines(f: BinaryIO, name: str, first: int = 0) -> Iterator[bytes]:
    """Lines (with their newline) of an open record file; never reads more than one entry's
    limit into memory. `first` is the index of the first line, for error messages."""
    for n, line in enumerate(iter(lambda: f.readline(MAX_ENTRY_BYTES + 1), b""), first):
        if not line.endswith(b"\n"):
            if len(line) > MAX_ENTRY_BYTES:
                raise VerificationFailed(Failure("V16", n, f"{name}: line {n} is more than the "
                                                 f"limit of {MAX_ENTRY_BYTES} bytes"))
            raise VerificationFailed(Failure("V15", None, f"{name}: last line is truncated "
                                             "(no newline)"))
        yield line


def _decode_sums(b: bytes) -> list[Ciphertext]:
    return [Ciphertext(Point.decode_or_identity(b[i:i + 33]),
                       Point.decode_or_identity(b[i + 33:i + 66])) for i in range(0, len(b), 66)]


def _encode_sums(cts: list[Ciphertext] | None) -> str:
    return b"".join(c.encode() for c in cts or ()).hex()


class _Run:
    """One verification: the ledger, the tree, the checkpoints still to match, the report."""

    def __init__(self, record: Path, index: DiskIndex, progress: Progress | None,
                 expect_election: str | None) -> None:
        self.record = record
        self.expect_election = expect_election
        self.progress = progress or (lambda entries, read: None)
        self.index = index
        self.ledger = Ledger(index=index)
        self.tree = TreeBuilder()
        self.report = Report()
        self.checkpoints = self._load_checkpoints()
        self.all_checkpoints = tuple(self.checkpoints)  # for V-witness, after V15
        self.last_cp_size = 0
        self.offset = 0  # bytes of entries.jsonl applied so far
        self.pending: Failure | None = None  # a failure waiting for the next checkpoint

    def _load_checkpoints(self) -> deque[Checkpoint]:
        cps: list[Checkpoint] = []
        path = self.record / CHECKPOINTS
        if not path.exists():
            raise VerificationFailed(Failure("V15", None, f"{CHECKPOINTS} is missing"))
        with open(path, "rb") as f:
            for n, line in enumerate(_read_lines(f, CHECKPOINTS)):
                try:
                    cps.append(Checkpoint.from_json(parse_canonical(line[:-1])))
                except ProtocolError as e:
                    raise VerificationFailed(Failure("V15", None, f"checkpoint {n}: {e}")) from e
        if not cps:
            raise VerificationFailed(Failure("V15", None, "no signed checkpoint"))
        sizes = [c.size for c in cps]
        if sizes != sorted(set(sizes)):
            raise VerificationFailed(Failure("V15", None, "checkpoints are not in increasing "
                                             "size order"))
        return deque(cps)

    # -- entry handling ---------------------------------------------------------------------

    def leaf(self, h: bytes) -> None:
        """Append entry tree.size's leaf hash; check every checkpoint of the new size (V15)."""
        self.tree.append(h)
        if self.checkpoints and self.checkpoints[0].size == self.tree.size:
            t0 = time.perf_counter()
            while self.checkpoints and self.checkpoints[0].size == self.tree.size:
                self._check_checkpoint(self.checkpoints.popleft())
            self.report.count("V15", 0, time.perf_counter() - t0)

    def _check_checkpoint(self, cp: Checkpoint) -> None:
        m = self.ledger.manifest
        if m is None:
            raise VerificationFailed(Failure("V15", cp.size - 1, "checkpoint before manifest"))
        try:
            if cp.election_id != m.hash.hex():
                raise VerificationFailed(Failure("V15", cp.size - 1,
                                                 "checkpoint names another election"))
            verify_checkpoint(cp, m.board_key, check="V15")
        except CryptoError as e:
            raise VerificationFailed(Failure("V15", cp.size - 1, f"checkpoint of size "
                                             f"{cp.size}: {e}")) from e
        if cp.root != self.tree.root():
            raise VerificationFailed(Failure("V15", cp.size - 1, f"checkpoint of size {cp.size}"
                                             " does not match the Merkle root of the entries"))
        self.last_cp_size = cp.size
        self.report.count("V15")

    def sequential(self, idx: int, entry: Any) -> None:
        kind = entry.get("type") if isinstance(entry, dict) else None
        check = _SETUP_CHECK.get(kind, "V16") if isinstance(kind, str) else "V16"
        t0 = time.perf_counter()
        try:
            self.ledger.ingest(entry, idx)
        except (ProtocolError, CryptoError) as e:
            raise VerificationFailed(Failure(getattr(e, "check", None) or check, idx,
                                             str(e))) from e
        self.report.count(check, 1, time.perf_counter() - t0)
        m = self.ledger.manifest
        if kind == "manifest" and m is not None:
            self.report.election = m.hash.hex()
            if self.expect_election is not None and self.report.election != self.expect_election:
                raise VerificationFailed(Failure("V1", idx, f"the record is for election "
                                                 f"{self.report.election}, not the expected "
                                                 f"{self.expect_election}"))

    def apply_shard(self, res: ShardResult) -> None:
        """Apply a shard's results in order: its entries, their leaves and the checkpoints.

        A failure of an entry is held until the next signed checkpoint has been checked: if
        the entries are not the ones the board signed, that (V15) is reported first."""
        if res.begin != self.offset:
            raise VerificationFailed(Failure("V15", self.tree.size, f"{ENTRIES} changed while "
                                             "it was being verified"))
        base = self.tree.size
        if self.pending is None and self.ledger.phase == "voting":
            self.ledger.add_to_sum(_decode_sums(res.chunk.sums))
        items = res.chunk.items
        leaves = res.leaves
        if self.pending is None:
            self.index.prepare(it[2] for it in items if it[0] == "facts")
        tally = [0, 0, 0.0]  # ballots, audits, seconds in the ledger's rules (V10–V11)
        for off in range(res.lines):
            if self.pending is None:
                try:
                    self._apply_item(items[off], base + off, tally)
                except VerificationFailed as e:
                    self.pending = e.failure
            self.leaf(leaves[32 * off:32 * off + 32])
            if self.pending is not None and self.last_cp_size > (self.pending.entry or 0):
                self._count(res, tally)
                raise VerificationFailed(self.pending)
        self.index.flush()
        self._count(res, tally)
        if self.pending is not None and res.read_error is not None:
            raise VerificationFailed(self.pending)
        if res.read_error is not None:
            off, check, why, named = res.read_error
            raise VerificationFailed(Failure(check, base + off if named else None, why))
        self.offset = res.end

    def _apply_item(self, item: tuple[Any, ...], idx: int, tally: list[Any]) -> None:
        led = self.ledger
        if item[0] == "error":
            raise VerificationFailed(Failure(item[2], idx, item[3]))
        if item[0] == "entry":
            self.sequential(idx, item[2])
            return
        facts = item[2]
        t0 = time.perf_counter()
        try:
            led.apply_ballot(facts, idx, add_sum=False)
        except (ProtocolError, CryptoError) as e:
            raise VerificationFailed(Failure(getattr(e, "check", None) or "V11", idx,
                                             str(e))) from e
        led.entries = idx + 1
        tally[2] += time.perf_counter() - t0
        tally[0 if facts.kind == "ballot" else 1] += 1

    def _count(self, res: ShardResult, tally: list[Any]) -> None:
        """Add a shard's ballots and audits to the report (V5–V8 and V9 run together in a
        worker: its time is shared out per entry; V10 and V11 are one step: time on V10)."""
        ballots, audits, secs = tally
        rep, m = self.report, self.ledger.manifest
        per = res.chunk.seconds / max(1, len(res.chunk.items))
        rep.count("V5", ballots, per * ballots)
        rep.count("V6", ballots)
        rep.count("V7", ballots)
        if m is not None and m.total_allowed is not None:
            rep.count("V8", ballots)
        rep.count("V9", audits, per * audits)
        rep.count("V10", ballots + audits, secs)
        rep.count("V11", ballots + audits)
        tally[:] = [0, 0, 0.0]

    # -- snapshots ------------------------------------------------------------------------------

    def snapshot(self, entries_bytes: int, cps_sha: str, seconds: float) -> Snapshot:
        led = self.ledger
        return Snapshot(
            size=self.tree.size, offset=self.offset, root=self.tree.root().hex(),
            entries_bytes=entries_bytes, checkpoints_sha256=cps_sha,
            ledger={"ballots": led.ballots, "audits": led.audits, "superseded": led.superseded,
                    "all_sum": _encode_sums(led.all_sum),
                    "superseded_sum": _encode_sums(led.superseded_sum)},
            checks={c.id: [c.items, c.seconds] for c in self.report.checks.values()},
            seconds=seconds)

    def restore(self, snap: Snapshot) -> None:
        """Take the counts and sums of a snapshot whose prefix this run has re-read."""
        led, s = self.ledger, snap.ledger
        if self.index.credentials() != led.cred_hasher.count:
            raise _Restart("the kept index does not hold the credential list")
        led.ballots, led.audits, led.superseded = s["ballots"], s["audits"], s["superseded"]
        led.all_sum = _decode_sums(bytes.fromhex(s["all_sum"]))
        led.superseded_sum = _decode_sums(bytes.fromhex(s["superseded_sum"]))
        for cid, (items, secs) in snap.checks.items():
            self.report.checks[cid].items = int(items)
            self.report.checks[cid].seconds = float(secs)
        self.report.resumed_from = snap.size


def verify_record(record: str | os.PathLike[str], *, workers: int | None = None,
                  progress: Progress | None = None, chunk: int | None = None,
                  expect_election: str | None = None, parallel: Parallel | None = None,
                  state: str | os.PathLike[str] | None = None, resume: bool = True,
                  snapshot_seconds: float = SNAPSHOT_SECONDS,
                  shard_bytes: int | None = None, index_cache_mib: int = CACHE_MIB) -> Report:
    """Verify the record in directory `record`; the report says what passed or what failed.

    `progress(entries, bytes)` is called as the record is verified. With `expect_election`
    (a manifest hash in hex, obtained from a trusted source), a record of any other election
    fails at its first entry (V1). `parallel` chooses local processes or Dask (default:
    `workers` local processes, all cores when None). With a `state` directory the run keeps a
    snapshot there and, with `resume`, continues from one left by an interrupted run; the state
    is removed when the run completes. `shard_bytes` (or `chunk`, entries of about 1 KiB)
    sizes the shards; the verdict does not depend on it, nor on `index_cache_mib`, the page
    cache of the cross-entry index (memory stays flat whatever it is)."""
    rep, _ = run_record(record, workers=workers, progress=progress, chunk=chunk,
                        expect_election=expect_election, parallel=parallel, state=state,
                        resume=resume, snapshot_seconds=snapshot_seconds,
                        shard_bytes=shard_bytes, index_cache_mib=index_cache_mib)
    return rep


def run_record(record: str | os.PathLike[str], *, workers: int | None = None,
               progress: Progress | None = None, chunk: int | None = None,
               expect_election: str | None = None, parallel: Parallel | None = None,
               state: str | os.PathLike[str] | None = None, resume: bool = True,
               snapshot_seconds: float = SNAPSHOT_SECONDS, shard_bytes: int | None = None,
               until: str = "done", index_cache_mib: int = CACHE_MIB
               ) -> tuple[Report, Ledger | None]:
    """`verify_record`, also returning the ledger at the end (None if the run could not start).
    `until="closed"` accepts a record that ends once voting is closed (to sum its tally)."""
    record = Path(record)
    par = parallel or Parallel(workers=workers)
    if shard_bytes is None and chunk is not None:
        shard_bytes = max(1, chunk) << 10
    t_start = time.perf_counter()
    scratch: tempfile.TemporaryDirectory[str] | None = None
    if state is None:
        scratch = tempfile.TemporaryDirectory(prefix="hamaporsi-verify-")
        state_dir, durable = Path(scratch.name), False
    else:
        state_dir, durable = Path(state), True
        state_dir.mkdir(parents=True, exist_ok=True)
    try:
        with locked(state_dir):
            if durable and not resume:
                _remove_state(state_dir)
            rep, led = _attempt(record, par, state_dir, durable, progress, expect_election,
                                snapshot_seconds, shard_bytes, until, index_cache_mib,
                                use_snapshot=durable)
            if scratch is None:  # the run completed: its state is no longer needed
                _remove_state(state_dir)
    finally:
        if scratch is not None:
            scratch.cleanup()
    rep.seconds = time.perf_counter() - t_start
    rep.finish()
    return rep, led


def _remove_state(state_dir: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        (state_dir / (INDEX + suffix)).unlink(missing_ok=True)


def _attempt(record: Path, par: Parallel, state_dir: Path, durable: bool,
             progress: Progress | None, expect_election: str | None, snapshot_seconds: float,
             shard_bytes: int | None, until: str, cache_mib: int, use_snapshot: bool
             ) -> tuple[Report, Ledger | None]:
    index = DiskIndex(str(state_dir / INDEX), durable=durable, cache_mib=cache_mib)
    try:
        try:
            run = _Run(record, index, progress, expect_election)
        except VerificationFailed as e:
            return Report(workers=par.local_workers(), failure=e.failure), None
        raw = index.load_state() if use_snapshot else None
        snap = None if raw is None else Snapshot.decode(raw)
        try:
            if raw is not None and snap is None:
                raise _Restart("the snapshot is of another version")
            _stream(run, par, snap, durable, snapshot_seconds, shard_bytes)
        except _Restart:
            index.close()
            _remove_state(state_dir)
            return _attempt(record, par, state_dir, durable, progress, expect_election,
                            snapshot_seconds, shard_bytes, until, cache_mib, use_snapshot=False)
        except VerificationFailed as e:
            run.report.failure = e.failure
        rep = run.report
        if rep.failure is None:
            _final_checks(run, until)
        rep.entries = run.tree.size
        rep.result = run.ledger.result
        return rep, run.ledger
    finally:
        index.close()


def _final_checks(run: _Run, until: str) -> None:
    """After the last entry: every checkpoint matched, the last one covers the whole record,
    and the record reached its result (or, to sum a tally, at least the close)."""
    rep, led = run.report, run.ledger
    if run.checkpoints:
        rep.failure = Failure("V15", None, f"checkpoint of size {run.checkpoints[0].size} is "
                              f"beyond the {run.tree.size} entries of the record")
    elif run.last_cp_size != run.tree.size:
        rep.failure = Failure("V15", None, f"entries {run.last_cp_size}..{run.tree.size - 1} "
                              "are not covered by a signed checkpoint")
    elif until == "done" and led.phase != "done":
        rep.failure = Failure("V16", None, f"record ends in phase '{led.phase}' before a result")
    elif until == "closed" and led.phase in ("manifest", "ceremony", "credentials",
                                             "credentials-final", "voting"):
        rep.failure = Failure("V16", None, f"record ends in phase '{led.phase}': voting is "
                              "not closed")
    else:
        _witness_check(run, require_threshold=until == "done")


def _witness_check(run: _Run, *, require_threshold: bool) -> None:
    """V-witness (spec §9.2) on the record's cosignatures.jsonl, in this process. Summing the
    tally of the organizer's own board (`until="closed"`) does not require the threshold: its
    newest checkpoint has just been signed, before any witness could cosign it."""
    m = run.ledger.manifest
    assert m is not None  # the record verified up to its close
    t0 = time.perf_counter()
    try:
        summary = check_witnesses(run.record, m.witnesses, run.all_checkpoints,
                                  require_threshold=require_threshold)
    except WitnessCheckFailed as e:
        run.report.failure = e.failure
        return
    run.report.count("V-witness", summary.lines, time.perf_counter() - t0)
    run.report.checks["V-witness"].detail = summary.describe()


def _prefix(run: _Run, path: Path, snap: Snapshot | None) -> None:
    """Read the record from the start in this process: the setup entries up to `open`, or with
    a snapshot every entry it covers (entries after `open` are then only hashed)."""
    stop = snap.size if snap is not None else None
    with open(path, "rb") as f:
        for idx, line in enumerate(_read_lines(f, ENTRIES)):
            data = line[:-1]
            if snap is not None and run.ledger.phase == "voting":
                run.ledger.entries = idx + 1
            else:
                try:
                    entry = parse_canonical(data)
                except ProtocolError as e:
                    raise VerificationFailed(Failure("V16", idx, str(e))) from e
                run.sequential(idx, entry)
            run.leaf(leaf_hash(data))
            run.offset += len(line)
            if idx % 1000 == 0:
                run.progress(idx + 1, run.offset)
            if stop is None and run.ledger.phase == "voting" or idx + 1 == stop:
                break
    run.progress(run.tree.size, run.offset)


def _stream(run: _Run, par: Parallel, snap: Snapshot | None, durable: bool,
            snapshot_seconds: float, shard_bytes: int | None) -> None:
    path = run.record / ENTRIES
    if not path.exists():
        raise VerificationFailed(Failure("V15", None, f"{ENTRIES} is missing"))
    size = path.stat().st_size
    cps_sha = file_sha256(run.record / CHECKPOINTS) if durable else ""
    if snap is not None and (snap.entries_bytes != size or snap.checkpoints_sha256 != cps_sha):
        raise _Restart("the record is not the one the snapshot was taken of")
    t0 = time.perf_counter()
    _prefix(run, path, snap)
    if snap is not None:
        if (run.tree.size, run.offset, run.tree.root().hex()) != (snap.size, snap.offset,
                                                                  snap.root):
            raise _Restart("the verified part of the record has changed")
        run.restore(snap)
    elapsed0 = snap.seconds if snap is not None else 0.0
    if run.offset >= size or run.ledger.phase != "voting":
        return
    ctx = run.ledger.context
    assert ctx is not None
    backend = make_backend(par)
    run.report.workers = backend.slots
    run.report.backend = backend.label
    try:
        backend.start(ctx)
        _shards(run, backend, path, size, shard_bytes, durable, snapshot_seconds,
                lambda: run.snapshot(size, cps_sha, elapsed0 + time.perf_counter() - t0))
    finally:
        backend.close()
    if run.pending is not None:
        raise VerificationFailed(run.pending)


def _shards(run: _Run, backend: Backend, path: Path, size: int, shard_bytes: int | None,
            durable: bool, snapshot_seconds: float, snapshot: Callable[[], Snapshot]) -> None:
    """Submit shards of the rest of the record, at most 2 per worker ahead of the one applied
    next, and apply them in record order as they complete."""
    step = shard_bytes or min(SHARD_BYTES, max(MIN_SHARD_BYTES,
                                                (size - run.offset) // (4 * backend.slots)))
    window = 2 * backend.slots
    where = str(path.resolve())
    pos, submitted, applied = run.offset, 0, 0
    ready: dict[int, ShardResult] = {}
    last_snap = time.perf_counter()
    while True:
        while pos < size and submitted - applied < window:
            backend.submit(ShardSpec(submitted, where, pos, min(pos + step, size),
                                     aligned=submitted == 0))
            pos += step
            submitted += 1
        if applied == submitted:
            return
        res = backend.next_result()
        ready[res.number] = res
        while applied in ready:
            run.apply_shard(ready.pop(applied))
            applied += 1
            run.progress(run.tree.size, run.offset)
            now = time.perf_counter()
            if durable and run.pending is None and run.ledger.phase == "voting" and \
                    now - last_snap >= snapshot_seconds:
                run.index.save_state(snapshot().encode())
                last_snap = now
