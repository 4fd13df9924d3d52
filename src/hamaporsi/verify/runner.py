"""Re-check an exported record from the record alone (spec §9): stream the entries once,
rebuild the Merkle tree, apply the ledger rules in order, and hand the voting phase to worker
processes in chunks. Memory stays flat: bounded chunks in flight, cross-entry state on disk."""

from __future__ import annotations

import os
from functools import partial
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

from ..protocol.checkpoint import Checkpoint, verify_checkpoint
from ..protocol.merkle import TreeBuilder, leaf_hash
from ..crypto.elgamal import Ciphertext
from ..crypto.errors import CryptoError
from ..crypto.group import Point
from ..protocol.canonical import MAX_ENTRY_BYTES, parse_canonical
from ..protocol.errors import ProtocolError
from ..protocol.ledger import Ledger
from . import worker
from .index import DiskIndex
from .report import Failure, Report

ENTRIES = "entries.jsonl"
CHECKPOINTS = "checkpoints.jsonl"
CHUNK = 1000

_SETUP_CHECK = {"manifest": "V1", "dkg-commit": "V2", "dkg-reveal": "V2", "dkg-shares": "V2",
                "dkg-complaint": "V2", "joint-key": "V3", "credentials": "V4",
                "credentials-final": "V4", "open": "V4", "close": "V16", "tally": "V12",
                "decryption": "V13", "result": "V14"}


class VerificationFailed(Exception):
    def __init__(self, failure: Failure) -> None:
        super().__init__(str(failure))
        self.failure = failure


def _lines(path: Path) -> Iterator[bytes]:
    """The lines of a record file; never reads more than one entry's limit into memory."""
    with open(path, "rb") as f:
        for n, line in enumerate(iter(lambda: f.readline(MAX_ENTRY_BYTES + 1), b"")):
            if not line.endswith(b"\n"):
                if len(line) > MAX_ENTRY_BYTES:
                    raise VerificationFailed(Failure("V16", n, f"{path.name}: line {n} is "
                                                     "more than the limit of "
                                                     f"{MAX_ENTRY_BYTES} bytes"))
                raise VerificationFailed(Failure("V15", None, f"{path.name}: last line is "
                                                 "truncated (no newline)"))
            yield line[:-1]


def _decode_sums(b: bytes) -> list[Ciphertext]:
    return [Ciphertext(Point.decode_or_identity(b[i:i + 33]),
                       Point.decode_or_identity(b[i + 33:i + 66])) for i in range(0, len(b), 66)]


class _Run:
    """One verification: the ledger, the tree, the checkpoints still to match, the report."""

    def __init__(self, record: Path, workers: int, progress: Callable[[int, int], None] | None,
                 scratch: str, expect_election: str | None = None) -> None:
        self.expect_election = expect_election
        self.record = record
        self.workers = workers
        self.progress = progress or (lambda entries, read: None)
        self.index = DiskIndex(os.path.join(scratch, "index.sqlite"))
        self.ledger = Ledger(index=self.index)
        self.tree = TreeBuilder()
        self.report = Report(workers=workers)
        self.checkpoints = self._load_checkpoints()
        self.last_cp_size = 0

    def _load_checkpoints(self) -> deque[Checkpoint]:
        cps: list[Checkpoint] = []
        path = self.record / CHECKPOINTS
        if not path.exists():
            raise VerificationFailed(Failure("V15", None, f"{CHECKPOINTS} is missing"))
        for n, line in enumerate(_lines(path)):
            try:
                cps.append(Checkpoint.from_json(parse_canonical(line)))
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

    def leaf(self, line: bytes) -> None:
        self.tree.append(leaf_hash(line))
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

    def chunk_result(self, res: worker.ChunkResult) -> None:
        led = self.ledger
        if led.phase == "voting":
            led.add_to_sum(_decode_sums(res.sums))
        rep = self.report
        per = res.seconds / max(1, len(res.items))
        for item in res.items:
            if item[0] == "error":
                raise VerificationFailed(Failure(item[2], item[1], item[3]))
            if item[0] == "entry":
                self.sequential(item[1], item[2])
                continue
            facts = item[2]
            t0 = time.perf_counter()
            try:
                led.apply_ballot(facts, item[1], add_sum=False)
            except (ProtocolError, CryptoError) as e:
                raise VerificationFailed(Failure(getattr(e, "check", None) or "V11", item[1],
                                                 str(e))) from e
            dt = time.perf_counter() - t0
            if facts.kind == "ballot":  # V5–V8 run together in a worker: time goes to V5
                rep.count("V5", 1, per)
                rep.count("V6")
                rep.count("V7")
                if led.manifest is not None and led.manifest.total_allowed is not None:
                    rep.count("V8")
            else:
                rep.count("V9", 1, per)
            rep.count("V10", 1, dt)  # V10 and V11 are one step: time goes to V10
            rep.count("V11")


def verify_record(record: str | os.PathLike[str], *, workers: int | None = None,
                  progress: Callable[[int, int], None] | None = None, chunk: int = CHUNK,
                  expect_election: str | None = None) -> Report:
    """Verify the record in directory `record`; the report says what passed or what failed.
    `progress(entries, bytes)` is called as entries.jsonl is read. With `expect_election`
    (a manifest hash in hex, obtained from a trusted source), a record of any other election
    fails at its first entry (V1)."""
    record = Path(record)
    workers = workers or os.cpu_count() or 1
    t_start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="hamaporsi-verify-") as scratch:
        try:
            run = _Run(record, workers, progress, scratch, expect_election)
        except VerificationFailed as e:
            rep = Report(workers=workers, failure=e.failure)
            rep.finish()
            return rep
        try:
            _stream(run, record, workers, chunk)
        except VerificationFailed as e:
            run.report.failure = e.failure
        finally:
            run.index.close()
        rep = run.report
        if rep.failure is None:
            _final_checks(run)
        rep.entries = run.tree.size
        rep.seconds = time.perf_counter() - t_start
        rep.result = run.ledger.result
        rep.finish()
        return rep


def _final_checks(run: _Run) -> None:
    """After the last entry: every checkpoint matched, the last one covers the whole record,
    and the record reached its result."""
    rep, led = run.report, run.ledger
    if run.checkpoints:
        rep.failure = Failure("V15", None, f"checkpoint of size {run.checkpoints[0].size} is "
                              f"beyond the {run.tree.size} entries of the record")
    elif run.last_cp_size != run.tree.size:
        rep.failure = Failure("V15", None, f"entries {run.last_cp_size}..{run.tree.size - 1} "
                              "are not covered by a signed checkpoint")
    elif led.phase != "done":
        rep.failure = Failure("V16", None, f"record ends in phase '{led.phase}' before a result")


def _stream(run: _Run, record: Path, workers: int, chunk: int) -> None:
    """Read entries once: setup entries in order here, the rest in chunks to the workers."""
    path = record / ENTRIES
    if not path.exists():
        raise VerificationFailed(Failure("V15", None, f"{ENTRIES} is missing"))
    pending: deque[Future[worker.ChunkResult] | worker.ChunkResult] = deque()
    buf: list[bytes] = []
    buf_start = 0
    pool: ProcessPoolExecutor | None = None

    def drain(limit: int) -> None:
        while len(pending) > limit:
            f = pending.popleft()
            run.chunk_result(f.result() if isinstance(f, Future) else f)

    def submit() -> None:
        nonlocal buf, pool
        if not buf:
            return
        ctx = run.ledger.context
        assert ctx is not None, "chunks start after the open entry"
        if workers > 1:
            if pool is None:
                pool = ProcessPoolExecutor(workers, initializer=partial(worker.init, ctx))
            pending.append(pool.submit(worker.verify_chunk, buf_start, buf))
        else:
            worker.init(ctx)
            pending.append(worker.verify_chunk(buf_start, buf))
        buf = []
        drain(2 * workers)

    read = 0
    try:
        for idx, line in enumerate(_lines(path)):
            read += len(line) + 1
            if run.ledger.phase == "voting" or pending or buf:
                if not buf:
                    buf_start = idx
                buf.append(line)
                if len(buf) >= chunk:
                    submit()
            else:
                try:
                    entry = parse_canonical(line)
                except ProtocolError as e:
                    raise VerificationFailed(Failure("V16", idx, str(e))) from e
                run.sequential(idx, entry)
            run.leaf(line)
            if idx % chunk == 0:
                run.progress(idx, read)
        submit()
        drain(0)
        run.progress(run.tree.size, read)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
