"""Build a valid hamaporsi record of N voters fast, for benchmarks.

    .venv/bin/python bench/make_record.py 10000 [--options 2|3] [--revote-rate 0.0]
                                               [--workers 2] [--out DIR] [--force]

The record is made by `hamaporsi.sim` (the same code as `hamaporsi simulate`): manifest, key
ceremony, credentials, open, ballots encrypted by a pool of processes and streamed to
entries.jsonl, close, tally (from the nonces and choices the workers used), decryption by k
trustees, result, signed checkpoints. Here every voter votes once (a fraction `--revote-rate`
twice) and nobody audits, so ballots = voters.

Records are cached under bench/data/ (gitignored); a record is reused when its meta.json says
it was completed with the same parameters.

`setup_election` (below) is a small in-memory election up to `open` with its credential
secrets, for the per-ballot micro-benchmarks of bench/run.py.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hamaporsi.crypto import bip340
from hamaporsi.protocol.ceremony import Ceremony, run_ceremony
from hamaporsi.protocol.ceremony_entries import TrusteeKeys
from hamaporsi.protocol.credentials import credential_entries
from hamaporsi.protocol.election import ElectionContext
from hamaporsi.protocol.ledger import Ledger
from hamaporsi.protocol.manifest import Manifest, Text, build_manifest, parse_manifest
from hamaporsi.protocol.signing import sign_entry
from hamaporsi.sim.generate import SimConfig, simulate
from hamaporsi.sim.voters import Rates

BENCH = Path(__file__).resolve().parent
DATA = BENCH / "data"
FORMAT = 2  # bump when the generator changes what it writes (2: hamaporsi.sim)

QUESTION = Text(fa="آیا با برگزاری انتخابات آزاد برای مجلس مؤسسان موافقید؟",
                en="Do you agree to free elections for a constituent assembly?")
YES_NO = [Text(fa="آری", en="Yes"), Text(fa="نه", en="No")]
BLANK = Text(fa="سفید", en="Blank")


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


# -- the record: hamaporsi.sim ----------------------------------------------------------------

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
             checkpoint_every: int = 500, seed: int = 1, log=print) -> dict[str, Any]:
    """Every voter votes once (a fraction `revote_rate` twice), no audits: `hamaporsi.sim`."""
    (out / "meta.json").unlink(missing_ok=True)
    s = simulate(SimConfig(voters=n, out=out, options=options, workers=workers, seed=seed,
                           trustees=trustees, threshold=threshold, force=True,
                           checkpoint_every=checkpoint_every,
                           rates=Rates(abstain=0.0, audit=0.0, revote=revote_rate)))
    secs = s["seconds"]
    meta = {"format": FORMAT, "voters": n, "options": options, "revote_rate": revote_rate,
            "ballots": s["ballots"], "entries": s["entries"], "checkpoints": s["checkpoints"],
            "counts": s["counts"], "election": s["election"], "workers": workers,
            "bytes": s["bytes"], "setup_seconds": round(secs["ceremony"] + secs["credentials"], 2),
            "ballot_seconds": secs["ballots"], "generate_seconds": secs["total"],
            "complete": True}
    (out / "meta.json").write_text(json.dumps(meta, indent=1) + "\n")
    log(f"  wrote {out}: {meta['entries']} entries, {meta['bytes'] / 1e6:.1f} MB, "
        f"{secs['total']:.1f} s (ballots {secs['ballots']:.1f} s, "
        f"{s['ballots'] / max(1e-9, secs['ballots']):.0f}/s with {workers} processes)")
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
