"""`hamaporsi simulate`: a complete, valid record of N simulated voters, made with the real
protocol code and streamed to disk (issue 5).

Flow (spec §1): manifest, key ceremony (`run_ceremony`), the sorted credential list, `open`
(the context a `Ledger` recomputes from the entries, §5.4), ballots with audits and re-votes
(`encrypt_ballot` in worker processes, block by block, written in block order), `close`, the
tally, decryption shares of the first k qualified trustees, the result, and a checkpoint signed
by the board key every `checkpoint_every` entries (§8.5). Memory is flat in N: blocks in flight
are bounded, the credential list is merged from sorted runs on disk, the Merkle tree keeps
O(log n) hashes, and credential secrets are derived from the seed, never stored (so are the
organizer's, registrar's and board's keys: a simulated record proves nothing to anyone who knows
its seed; the trustees' keys are fresh).

The tally is computed from the nonces and choices the workers used — per stored option
(Σr·G, Σm·G + Σr·K) — which is the homomorphic sum of the counting ballots without parsing
them again; the decrypted counts must equal the choices made, or generation fails.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from ..crypto import bip340
from ..crypto.elgamal import encrypt
from ..crypto.group import ORDER
from ..protocol.ballot import counted_totals
from ..protocol.canonical import canonical_bytes
from ..protocol.ceremony import run_ceremony
from ..protocol.ceremony_entries import TrusteeKeys
from ..protocol.checkpoint import sign_checkpoint
from ..protocol.ledger import Ledger
from ..protocol.manifest import Text, build_manifest, parse_manifest
from ..protocol.merkle import TreeBuilder, leaf_hash
from ..protocol.signing import sign_entry
from ..protocol.tally import (combine, decryption_entry, parse_tally, result_entry, tally_entry,
                              verify_decryption)
from . import ballots
from .credentials import credential_entries, scratch_dir, sorted_keys
from .voters import BLOCK, ROLES, Rates, blocks, public_keys, role_secret

FORMAT = 1
"""Version of simulation.json; bump when the generator changes what it writes."""

ENTRIES = "entries.jsonl"
CHECKPOINTS = "checkpoints.jsonl"
SUMMARY = "simulation.json"

QUESTION = Text(fa="آیا با برگزاری انتخابات آزاد برای مجلس مؤسسان موافقید؟",
                en="Do you agree to free elections for a constituent assembly?")
OPTION_TEXTS = [Text(fa="آری", en="Yes"), Text(fa="نه", en="No"), Text(fa="سفید", en="Blank")]

Progress = Callable[[str, int, int], None]
"""progress(phase, done, total): phase is "credentials" or "ballots" (voters done)."""

T = TypeVar("T")


class SimulationError(Exception):
    """The simulation cannot run with these settings (bad parameters, output in the way)."""


@dataclass(frozen=True)
class SimConfig:
    voters: int
    out: Path
    options: int = 2
    rates: Rates = field(default_factory=Rates)
    workers: int | None = None
    seed: int = 1
    trustees: int = 3
    threshold: int = 2
    checkpoint_every: int = 1000
    force: bool = False

    def check(self) -> None:
        if self.voters < 1:
            raise SimulationError("--voters must be at least 1")
        if not 2 <= self.options <= 8:
            raise SimulationError("--options must be between 2 and 8")
        if not 1 <= self.threshold <= self.trustees:
            raise SimulationError("--threshold must be between 1 and the number of trustees")
        if self.workers is not None and self.workers < 1:
            raise SimulationError("--workers must be at least 1")
        if self.checkpoint_every < 1:
            raise SimulationError("--checkpoint-every must be at least 1")
        try:
            self.rates.check()
        except ValueError as e:
            raise SimulationError(str(e)) from e


class _NullIndex:
    """The generator's ledger only checks the setup entries: no voting-phase state to keep
    (a `MemoryIndex` would hold every credential)."""

    def add_credentials(self, keys: list[bytes]) -> None:
        pass

    def has_credential(self, key: bytes) -> bool:
        return True

    def claim_all(self, values: list[bytes], index: int) -> tuple[bytes, int] | None:
        return None

    def set_last(self, credential: bytes, index: int, cts: bytes) -> tuple[int, bytes] | None:
        return None

    def voters(self) -> int:
        return 0


class _Writer:
    """entries.jsonl and checkpoints.jsonl as they grow, with the Merkle tree (RFC 9162) and a
    board-signed checkpoint every `every` entries (spec §8.5)."""

    def __init__(self, out: Path, board_secret: bytes, election_id: str, every: int) -> None:
        self.entries: BinaryIO = open(out / (ENTRIES + ".partial"), "wb")
        self.cps: BinaryIO = open(out / (CHECKPOINTS + ".partial"), "wb")
        self.tree = TreeBuilder()
        self.board_secret, self.election_id, self.every = board_secret, election_id, every
        self.checkpoints = 0
        self.bytes = 0
        self._last_cp = 0

    def write(self, line: bytes) -> None:
        self.entries.write(line + b"\n")
        self.bytes += len(line) + 1
        self.tree.append(leaf_hash(line))
        if self.tree.size - self._last_cp >= self.every:
            self.checkpoint()

    def checkpoint(self) -> None:
        if self.tree.size == self._last_cp:
            return
        cp = sign_checkpoint(self.board_secret, self.election_id, self.tree.size,
                             self.tree.root(), int(time.time()))
        self.cps.write(canonical_bytes(cp.to_json()) + b"\n")
        self.checkpoints += 1
        self._last_cp = self.tree.size

    def finish(self, out: Path) -> None:
        self.checkpoint()
        self.entries.close()
        self.cps.close()
        os.replace(out / (ENTRIES + ".partial"), out / ENTRIES)
        os.replace(out / (CHECKPOINTS + ".partial"), out / CHECKPOINTS)

    def abort(self) -> None:
        self.entries.close()
        self.cps.close()


def _ordered(pool: ProcessPoolExecutor | None, fn: Callable[..., T], args: Iterable[tuple[Any, ...]],
             window: int) -> Iterator[T]:
    """fn(*a) for each a, in order; at most `window` tasks in flight (memory stays bounded)."""
    if pool is None:
        for a in args:
            yield fn(*a)
        return
    pending: deque[Future[T]] = deque()
    for a in args:
        pending.append(pool.submit(fn, *a))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def _pool(workers: int, **kw: Any) -> ProcessPoolExecutor | None:
    if workers == 1:
        return None
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"), **kw)


def simulate(cfg: SimConfig, progress: Progress | None = None) -> dict[str, Any]:
    """Write the record of `cfg.voters` simulated voters to `cfg.out`; return the summary
    (also written to simulation.json): the expected counts, ballots, audits, re-votes."""
    cfg.check()
    out = cfg.out
    if (out / ENTRIES).exists() and not cfg.force:
        raise SimulationError(f"{out / ENTRIES} exists: choose another --out or pass --force")
    out.mkdir(parents=True, exist_ok=True)
    (out / SUMMARY).unlink(missing_ok=True)
    report = progress or (lambda phase, done, total: None)
    workers = cfg.workers or os.cpu_count() or 1
    t0 = time.perf_counter()

    # -- roles, manifest, ceremony -------------------------------------------------------------
    organizer, registrar, board_secret = (role_secret(cfg.seed, r) for r in ROLES)
    tkeys = [TrusteeKeys.generate() for _ in range(cfg.trustees)]
    now = int(time.time())
    texts = OPTION_TEXTS[:cfg.options] + [Text(fa=f"گزینه {i + 1}", en=f"Option {i + 1}")
                                           for i in range(3, cfg.options)]
    m = parse_manifest(sign_entry(build_manifest(
        election_id=f"simulated-{cfg.options}opt", question=QUESTION, options=texts,
        min_selections=1, max_selections=1, opens=now - 60, closes=now + 86400,
        organizer_key=bip340.public_key(organizer), registrar_key=bip340.public_key(registrar),
        board_key=bip340.public_key(board_secret),
        trustees=[k.public_info(f"Trustee {i + 1}") for i, k in enumerate(tkeys)],
        threshold=cfg.threshold), organizer))
    led = Ledger(index=_NullIndex())
    w = _Writer(out, board_secret, m.hash.hex(), cfg.checkpoint_every)
    try:
        def post(entry: dict[str, Any]) -> None:
            led.ingest(entry, w.tree.size)  # the setup goes through the real ledger rules
            w.write(canonical_bytes(entry))

        post(m.entry)
        cer_entries, shares = run_ceremony(m, tkeys, organizer)
        for e in cer_entries:
            post(e)
        t_cer = time.perf_counter()

        # -- credentials: keys in parallel, sorted with bounded memory ---------------------------
        def generated(blocks: Iterator[bytes]) -> Iterator[bytes]:
            done = 0
            for b in blocks:
                done += len(b) // 32
                report("credentials", done, cfg.voters)
                yield b

        report("credentials", 0, cfg.voters)
        step = 5 * BLOCK
        with scratch_dir(str(out)) as scratch:
            pool = _pool(workers)
            try:
                packed = _ordered(pool, public_keys,
                                  ((cfg.seed, i, min(step, cfg.voters - i))
                                   for i in range(0, cfg.voters, step)), 2 * workers + 2)
                for e in credential_entries(m.hash, sorted_keys(generated(packed), scratch),
                                            registrar):
                    post(e)
            finally:
                if pool is not None:
                    pool.shutdown()
        ctx = led.opening_context()
        post(ctx.open_entry(organizer))
        w.checkpoint()
        t_cred = time.perf_counter()

        # -- ballots -----------------------------------------------------------------------------
        job = ballots.BlockJob(cfg.seed, cfg.voters, cfg.options, cfg.rates)
        k = m.stored_options
        rsum, msum, counts = [0] * k, [0] * k, [0] * cfg.options
        tot = ballots.BlockOut()
        report("ballots", 0, cfg.voters)
        pool = _pool(workers, initializer=ballots.init, initargs=(ctx, job))
        if pool is None:
            ballots.init(ctx, job)
        try:
            for b, res in enumerate(_ordered(pool, ballots.encrypt_block,
                                             ((b,) for b in range(blocks(cfg.voters))),
                                             2 * workers + 2)):
                for line in res.lines:
                    w.write(line)
                for i in range(k):
                    rsum[i] = (rsum[i] + res.rsum[i]) % ORDER
                    msum[i] += res.msum[i]
                counts = [a + c for a, c in zip(counts, res.counts)]
                tot.ballots += res.ballots
                tot.audits += res.audits
                tot.revotes += res.revotes
                tot.voted += res.voted
                report("ballots", min(cfg.voters, (b + 1) * BLOCK), cfg.voters)
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
        w.checkpoint()
        t_ballots = time.perf_counter()

        # -- close, tally, decryption by the first k qualified trustees, result ------------------
        post_after_voting(w, ctx, organizer, tot.ballots)
        voted = tot.voted
        stored = [encrypt(ctx.joint_key, msum[i], rsum[i])[0] for i in range(k)]
        t_entry = tally_entry(ctx, counted_totals(ctx, stored, voted), voted, organizer)
        w.write(canonical_bytes(t_entry))
        tally = parse_tally(ctx, t_entry)
        present = sorted(shares)[:cfg.threshold]
        dec = {}
        for j in present:
            e = decryption_entry(ctx, tally, j, shares[j], tkeys[j - 1].signing_secret)
            w.write(canonical_bytes(e))
            jj, ms = verify_decryption(ctx, tally, e, led.ceremony.public_shares
                                       if led.ceremony else {})
            dec[jj] = ms
        result = combine(ctx, tally, dec)
        if result != counts:
            raise AssertionError(f"decrypted counts {result} != the choices made {counts}")
        res_entry = result_entry(ctx, result, voted, present, organizer)
        w.write(canonical_bytes(res_entry))
        w.finish(out)
    except BaseException:
        w.abort()
        raise
    t_end = time.perf_counter()
    summary = {
        "format": FORMAT, "voters": cfg.voters, "options": cfg.options, "seed": cfg.seed,
        "rates": asdict(cfg.rates), "trustees": cfg.trustees, "threshold": cfg.threshold,
        "election": ctx.hash.hex(), "manifest": m.hash.hex(),
        "entries": w.tree.size, "root": w.tree.root().hex(), "checkpoints": w.checkpoints,
        "bytes": w.bytes, "ballots": tot.ballots, "audits": tot.audits, "revotes": tot.revotes,
        "voted": voted, "abstained": cfg.voters - voted, "eligible": cfg.voters,
        "counts": result, "blank": res_entry["blank"], "trustees_used": present,
        "workers": workers,
        "seconds": {"ceremony": round(t_cer - t0, 3), "credentials": round(t_cred - t_cer, 3),
                    "ballots": round(t_ballots - t_cred, 3), "total": round(t_end - t0, 3)},
    }
    (out / SUMMARY).write_text(json.dumps(summary, indent=1) + "\n")
    return summary


def post_after_voting(w: _Writer, ctx: Any, organizer: bytes, ballot_count: int) -> None:
    """The organizer's `close`, stating the number of ballots cast (spec §1, V16)."""
    w.write(canonical_bytes(sign_entry({"type": "close", "election": ctx.hash.hex(),
                                        "ballots": ballot_count}, organizer)))
