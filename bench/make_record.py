"""Build a valid hamaporsi record of N voters fast, for benchmarks.

    .venv/bin/python bench/make_record.py 10000 [--options 2|3] [--revote-rate 0.0]
                                               [--workers 2] [--out DIR] [--force]

Same flow as `hamaporsi demo` (manifest, key ceremony, credentials, open, ballots, close, tally,
decryption by k trustees, result, signed checkpoints) but without the board's per-entry
SQLite appends and ledger re-checks of every ballot:

* setup entries (manifest … open) go through a `protocol.ledger.Ledger`, so the election
  context is exactly what a verifier recomputes;
* ballots are encrypted by a pool of processes (`encrypt_ballot`, chunks of voters), written
  in order to entries.jsonl as they come back;
* the tally is computed from the nonces and choices the workers used
  (Σα = (Σr)·G, Σβ = (Σm)·G + (Σr)·K per stored option): no ciphertext is re-parsed;
* the Merkle root is kept with `board.merkle.TreeBuilder` and checkpoints are signed with
  `board.checkpoint.sign_checkpoint`.

Records are cached under bench/data/ (gitignored); a record is reused when its meta.json says
it was completed with the same parameters. The record is written to a temporary directory and
renamed when complete, so an interrupted run leaves no half record behind.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:  # the modules moved from board/ to protocol/ during development
    from hamaporsi.protocol.checkpoint import sign_checkpoint
    from hamaporsi.protocol.merkle import TreeBuilder, leaf_hash
except ImportError:  # pragma: no cover
    from hamaporsi.board.checkpoint import sign_checkpoint  # type: ignore[no-redef]
    from hamaporsi.board.merkle import TreeBuilder, leaf_hash  # type: ignore[no-redef]
from hamaporsi.crypto import bip340
from hamaporsi.crypto.elgamal import encrypt
from hamaporsi.crypto.group import ORDER
from hamaporsi.protocol.ballot import counted_totals, encrypt_ballot
from hamaporsi.protocol.canonical import canonical_bytes
from hamaporsi.protocol.ceremony import Ceremony, run_ceremony
from hamaporsi.protocol.ceremony_entries import TrusteeKeys
from hamaporsi.protocol.credentials import credential_entries
from hamaporsi.protocol.election import ElectionContext
from hamaporsi.protocol.ledger import Ledger
from hamaporsi.protocol.manifest import Manifest, Text, build_manifest, parse_manifest
from hamaporsi.protocol.signing import sign_entry
from hamaporsi.protocol.tally import (combine, decryption_entry, parse_tally, result_entry,
                                      tally_entry, verify_decryption)

BENCH = Path(__file__).resolve().parent
DATA = BENCH / "data"
FORMAT = 1  # bump when the generator changes what it writes

QUESTION = Text(fa="آیا با برگزاری انتخابات آزاد برای مجلس مؤسسان موافقید؟",
                en="Do you agree to free elections for a constituent assembly?")
YES_NO = [Text(fa="آری", en="Yes"), Text(fa="نه", en="No")]
BLANK = Text(fa="سفید", en="Blank")
WEIGHTS = [0.55, 0.38, 0.07]


# -- the election up to `open` ---------------------------------------------------------------

@dataclass
class Setup:
    organizer: bytes
    registrar: bytes
    board_secret: bytes
    trustee_keys: list[TrusteeKeys]
    manifest: Manifest
    shares: dict[int, int]
    ceremony: Ceremony
    credentials: list[tuple[bytes, bytes]]  # (secret, public), in issuing order
    entries: list[dict[str, Any]]  # manifest … open, in board order
    ctx: ElectionContext


def _gen_credentials(n: int) -> list[tuple[bytes, bytes]]:
    out = []
    for _ in range(n):
        s = bip340.generate_secret()
        out.append((s, bip340.public_key(s)))
    return out


def make_credentials(n: int, pool: Any | None = None) -> list[tuple[bytes, bytes]]:
    if pool is None or n < 2000:
        return _gen_credentials(n)
    step = 5000
    sizes = [min(step, n - i) for i in range(0, n, step)]
    return [c for part in pool.imap(_gen_credentials, sizes) for c in part]


def setup_election(n_credentials: int, options: int = 2, trustees: int = 3, threshold: int = 2,
                   pool: Any | None = None) -> Setup:
    """Manifest, ceremony, credentials and open, checked by a Ledger as a board would."""
    if options not in (2, 3):
        raise ValueError("options must be 2 (yes/no) or 3 (yes/no/blank)")
    organizer, registrar, board_secret = (bip340.generate_secret() for _ in range(3))
    tkeys = [TrusteeKeys.generate() for _ in range(trustees)]
    now = int(time.time())
    unsigned = build_manifest(
        election_id=f"bench-{options}opt", question=QUESTION,
        options=YES_NO + ([BLANK] if options == 3 else []),
        min_selections=1, max_selections=1, opens=now, closes=now + 86400,
        organizer_key=bip340.public_key(organizer), registrar_key=bip340.public_key(registrar),
        board_key=bip340.public_key(board_secret),
        trustees=[k.public_info(f"Trustee {i + 1}") for i, k in enumerate(tkeys)],
        threshold=threshold)
    manifest = parse_manifest(sign_entry(unsigned, organizer))
    entries: list[dict[str, Any]] = [manifest.entry]
    cer_entries, shares = run_ceremony(manifest, tkeys, organizer)
    entries += cer_entries
    creds = make_credentials(n_credentials, pool)
    entries += list(credential_entries(manifest.hash, [p for _, p in creds], registrar))
    led = Ledger()
    for i, e in enumerate(entries):
        led.ingest(e, i)
    ctx = led.opening_context()
    entries.append(ctx.open_entry(organizer))
    led.ingest(entries[-1], len(entries) - 1)
    assert led.phase == "voting" and led.context == ctx
    return Setup(organizer, registrar, board_secret, tkeys, manifest, shares,
                 led.ceremony, creds, entries, ctx)  # type: ignore[arg-type]


# -- ballots, in worker processes ----------------------------------------------------------

_CTX: ElectionContext | None = None


def _init_worker(ctx: ElectionContext) -> None:
    global _CTX
    _CTX = ctx


def _encrypt_chunk(voters: list[tuple[bytes, bytes, list[int]]]
                   ) -> tuple[list[bytes], list[int], list[int], int]:
    """Encrypt each voter's ballots (the last one counts). Returns the canonical lines, and
    per stored option Σr and Σm over the counting ballots, and the number of ballots."""
    ctx = _CTX
    assert ctx is not None
    k = ctx.manifest.stored_options
    rsum, msum = [0] * k, [0] * k
    lines: list[bytes] = []
    for secret, public, casts in voters:
        for n, choice in enumerate(casts):
            b = encrypt_ballot(ctx, secret, public, [choice])
            lines.append(b.bytes)
            if n == len(casts) - 1:
                for i in range(k):
                    rsum[i] = (rsum[i] + b.nonces[i]) % ORDER
                    msum[i] += b.choices[i]
    return lines, rsum, msum, len(lines)


# -- the record -------------------------------------------------------------------------------

def record_dir(n: int, options: int = 2, revote_rate: float = 0.0) -> Path:
    tag = f"rec-o{options}-n{n}" + (f"-rv{revote_rate:g}" if revote_rate else "")
    return DATA / tag


def _meta_ok(path: Path, want: dict[str, Any]) -> dict[str, Any] | None:
    try:
        meta = json.loads((path / "meta.json").read_text())
    except (OSError, ValueError):
        return None
    if not meta.get("complete") or any(meta.get(k) != v for k, v in want.items()):
        return None
    if not (path / "entries.jsonl").exists() or not (path / "checkpoints.jsonl").exists():
        return None
    return meta


def ensure_record(n: int, options: int = 2, revote_rate: float = 0.0, workers: int = 2,
                  out: Path | None = None, force: bool = False, log=print) -> tuple[Path, dict]:
    """The cached record for these parameters, generated if missing. Returns (dir, meta)."""
    out = out or record_dir(n, options, revote_rate)
    want = {"format": FORMAT, "voters": n, "options": options, "revote_rate": revote_rate}
    meta = None if force else _meta_ok(out, want)
    if meta is not None:
        log(f"  record {out} (cached: {meta['entries']} entries, generated in "
            f"{meta['generate_seconds']:.1f} s)")
        return out, meta
    log(f"  generating {out} ({n} voters, {options} options, {workers} processes) …")
    meta = generate(n, out, options=options, revote_rate=revote_rate, workers=workers, log=log)
    return out, meta


def generate(n: int, out: Path, *, options: int = 2, revote_rate: float = 0.0,
             workers: int = 2, trustees: int = 3, threshold: int = 2,
             checkpoint_every: int = 500, chunk: int = 250, seed: int = 1,
             log=print) -> dict[str, Any]:
    t0 = time.perf_counter()
    rnd = random.Random(seed)
    tmp = out.with_name(out.name + ".partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    ctx_mp = mp.get_context("fork")
    with ctx_mp.Pool(workers) as pool:
        s = setup_election(n, options, trustees, threshold, pool=pool)
    t_setup = time.perf_counter() - t0
    ctx, m = s.ctx, s.manifest
    eid = m.hash.hex()
    tree = TreeBuilder()
    cps: list[bytes] = []

    def checkpoint() -> None:
        if cps and json.loads(cps[-1])["size"] == tree.size:
            return
        cp = sign_checkpoint(s.board_secret, eid, tree.size, tree.root(), int(time.time()))
        cps.append(canonical_bytes(cp.to_json()))

    f = open(tmp / "entries.jsonl", "wb")

    def write(line: bytes) -> None:
        f.write(line + b"\n")
        tree.append(leaf_hash(line))

    for e in s.entries:
        write(canonical_bytes(e))
    checkpoint()

    # voters in a random order, each with 1 or 2 casts (re-votes are consecutive)
    order = list(range(n))
    rnd.shuffle(order)
    n_opt = len(m.options)
    w = WEIGHTS[:n_opt]
    plan = []
    for v in order:
        casts = 2 if rnd.random() < revote_rate else 1
        sec, pub = s.credentials[v]
        plan.append((sec, pub, [rnd.choices(range(n_opt), w)[0] for _ in range(casts)]))
    counts_plain = [0] * n_opt
    for _, _, casts in plan:
        counts_plain[casts[-1]] += 1

    k = m.stored_options
    rsum, msum = [0] * k, [0] * k
    ballots = since_cp = 0
    t1 = time.perf_counter()
    chunks = [plan[i:i + chunk] for i in range(0, len(plan), chunk)]
    with ctx_mp.Pool(workers, initializer=_init_worker, initargs=(ctx,)) as pool:
        for done, (lines, rs, ms, nb) in enumerate(pool.imap(_encrypt_chunk, chunks), 1):
            for line in lines:
                write(line)
                since_cp += 1
                if since_cp >= checkpoint_every:
                    checkpoint()
                    since_cp = 0
            for i in range(k):
                rsum[i] = (rsum[i] + rs[i]) % ORDER
                msum[i] += ms[i]
            ballots += nb
            if done % max(1, len(chunks) // 10) == 0:
                el = time.perf_counter() - t1
                log(f"    {ballots} ballots in {el:.1f} s ({ballots / el:.0f}/s)")
    t_ballots = time.perf_counter() - t1
    checkpoint()

    # close, tally, decryption by the first k qualified trustees, result
    write(canonical_bytes(sign_entry({"type": "close", "election": ctx.hash.hex(),
                                      "ballots": ballots}, s.organizer)))
    stored = [encrypt(ctx.joint_key, msum[i], rsum[i])[0] for i in range(k)]
    totals = counted_totals(ctx, stored, n)
    t_entry = tally_entry(ctx, totals, n, s.organizer)
    write(canonical_bytes(t_entry))
    tally = parse_tally(ctx, t_entry)
    present = sorted(s.shares)[:threshold]
    dec = {}
    for j in present:
        e = decryption_entry(ctx, tally, j, s.shares[j], s.trustee_keys[j - 1].signing_secret)
        write(canonical_bytes(e))
        jj, ms_ = verify_decryption(ctx, tally, e, s.ceremony.public_shares)
        dec[jj] = ms_
    counts = combine(ctx, tally, dec)
    if counts != counts_plain:
        raise AssertionError(f"decrypted counts {counts} != choices made {counts_plain}")
    write(canonical_bytes(result_entry(ctx, counts, n, present, s.organizer)))
    checkpoint()
    f.close()
    (tmp / "checkpoints.jsonl").write_bytes(b"".join(c + b"\n" for c in cps))

    meta = {"format": FORMAT, "voters": n, "options": options, "revote_rate": revote_rate,
            "ballots": ballots, "entries": tree.size, "checkpoints": len(cps),
            "counts": counts, "election": ctx.hash.hex(), "workers": workers,
            "bytes": (tmp / "entries.jsonl").stat().st_size,
            "setup_seconds": round(t_setup, 2), "ballot_seconds": round(t_ballots, 2),
            "generate_seconds": round(time.perf_counter() - t0, 2), "complete": True}
    (tmp / "meta.json").write_text(json.dumps(meta, indent=1) + "\n")
    if out.exists():
        shutil.rmtree(out)
    os.replace(tmp, out)
    log(f"  wrote {out}: {meta['entries']} entries, {meta['bytes'] / 1e6:.1f} MB, "
        f"{meta['generate_seconds']:.1f} s (ballots {t_ballots:.1f} s, "
        f"{ballots / t_ballots:.0f}/s with {workers} processes)")
    return meta


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("voters", type=int)
    ap.add_argument("--options", type=int, choices=(2, 3), default=2)
    ap.add_argument("--revote-rate", type=float, default=0.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--force", action="store_true", help="regenerate even if cached")
    a = ap.parse_args(argv)
    path, meta = ensure_record(a.voters, a.options, a.revote_rate, a.workers, a.out, a.force)
    print(json.dumps(meta))
    return 0


if __name__ == "__main__":
    sys.exit(main())
