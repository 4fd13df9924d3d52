"""`hamaporsi demo`: a whole referendum (spec §1 phases) on this machine — ceremony, credentials, voting with
re-votes and audits, n−k trustees absent at the tally, result with a chart, full verification."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from ..board.election_board import ElectionBoard
from ..protocol.merkle import verify_inclusion
from ..board.sqlite import SQLiteStore
from ..crypto import bip340
from ..protocol.ballot import encrypt_ballot
from ..protocol.ceremony import TrusteeSession
from ..protocol.ceremony_entries import TrusteeKeys
from ..protocol.credentials import Credential, credential_entries
from ..protocol.manifest import Text, build_manifest, parse_manifest
from ..protocol.signing import sign_entry
from ..protocol.tally import combine, decryption_entry, result_entry, shares_used, tally_entry
from .output import progress, render_report, render_result, save_chart, verify_with_progress, \
    write_codes

QUESTION = Text(fa="آیا با برگزاری انتخابات آزاد برای مجلس مؤسسان موافقید؟",
                en="Do you agree to free elections for a constituent assembly?")
OPTIONS = [Text(fa="آری", en="Yes"), Text(fa="نه", en="No")]
BLANK = Text(fa="سفید", en="Blank")


@dataclass
class DemoConfig:
    voters: int = 200
    trustees: int = 3
    threshold: int = 2
    out: Path = Path("hamaporsi-demo")
    revote_rate: float = 0.1
    audit_rate: float = 0.05
    abstain_rate: float = 0.1
    checkpoint_every: int = 500
    blank: bool = True
    seed: int | None = None
    workers: int | None = None
    stats: dict[str, Any] = field(default_factory=dict)


def run_demo(cfg: DemoConfig, console: Console | None = None) -> int:
    """Run the referendum; return 0 when the full verification passes."""
    con = console or Console()
    rnd = random.Random(cfg.seed)
    out = cfg.out
    out.mkdir(parents=True, exist_ok=True)
    db = out / "board.sqlite"
    if db.exists():
        raise SystemExit(f"{db} exists: choose another --out or remove it")
    t0 = time.perf_counter()

    # -- roles and their keys --------------------------------------------------------------
    organizer, registrar, board_secret = (bip340.generate_secret() for _ in range(3))
    tkeys = [TrusteeKeys.generate() for _ in range(cfg.trustees)]
    options = OPTIONS + ([BLANK] if cfg.blank else [])
    now = int(time.time())
    unsigned = build_manifest(
        election_id="demo-referendum", question=QUESTION, options=options,
        min_selections=1, max_selections=1, opens=now, closes=now + 86400,
        organizer_key=bip340.public_key(organizer), registrar_key=bip340.public_key(registrar),
        board_key=bip340.public_key(board_secret),
        trustees=[k.public_info(f"Trustee {i + 1}") for i, k in enumerate(tkeys)],
        threshold=cfg.threshold)
    manifest = parse_manifest(sign_entry(unsigned, organizer))
    eb = ElectionBoard(SQLiteStore(db), board_secret, manifest.hash.hex())
    eb.submit(manifest.entry)
    con.print(f"[bold]Referendum[/] {manifest.election_id}: {QUESTION.en}\n"
              f"  manifest hash {manifest.hash.hex()}")

    # -- key ceremony: each trustee acts on its own ------------------------------------------
    sessions = [TrusteeSession.start(manifest, k) for k in tkeys]
    cer = eb.ledger.ceremony
    assert cer is not None
    for s in sessions:
        eb.submit(s.commit_entry())
    for s in sessions:
        eb.submit(s.reveal_entry())
    for s in sessions:
        eb.submit(s.shares_entry(manifest))
    for s in sessions:
        for complaint in s.process_shares(cer):
            eb.submit(complaint)
    eb.submit(cer.result_entry(organizer))
    shares = {s.index: s.secret_share(cer) for s in sessions if s.index in cer.qualified}
    con.print(f"Key ceremony: {cfg.trustees} trustees, threshold {cfg.threshold}, joint key "
              f"{cer.joint_key.encode().hex()[:16]}…")

    # -- credentials -----------------------------------------------------------------------------
    creds = [Credential.generate() for _ in progress(range(cfg.voters), "Issuing credentials",
                                                     con)]
    for e in credential_entries(manifest.hash, [c.public for c in creds], registrar):
        eb.submit(e)
    write_codes(out / "voters", creds, qr_count=min(10, cfg.voters))
    con.print(f"Registrar: {cfg.voters} credentials; private codes in {out / 'voters'}")

    # -- open ------------------------------------------------------------------------------------
    ctx = eb.ledger.opening_context()
    eb.submit(ctx.open_entry(organizer))
    eb.checkpoint()

    # -- voting ----------------------------------------------------------------------------------
    weights = [0.55, 0.38, 0.07][: len(options)]
    audits = revotes = 0
    receipts: list[tuple[int, bytes]] = []
    since_cp = 0
    for cred in progress(creds, "Voting", con):
        if rnd.random() < cfg.abstain_rate:
            continue
        n_casts = 2 if rnd.random() < cfg.revote_rate else 1
        revotes += n_casts - 1
        for _ in range(n_casts):
            choice = rnd.choices(range(len(options)), weights)[0]
            b = encrypt_ballot(ctx, cred.secret, cred.public, [choice])
            if rnd.random() < cfg.audit_rate:  # Benaloh challenge: open it, then encrypt anew
                eb.submit(b.audit_entry())
                audits += 1
                b = encrypt_ballot(ctx, cred.secret, cred.public, [choice])
            idx, _ = eb.submit_bytes(b.bytes)
            if len(receipts) < 5:
                receipts.append((idx, b.tracking_code))
            since_cp += 1
            if since_cp >= cfg.checkpoint_every:
                eb.checkpoint()
                since_cp = 0
    eb.checkpoint()
    for idx, tracking in receipts:  # what a voter's device does with its receipt
        r = eb.receipt(idx, tracking)
        verify_inclusion(r.leaf_hash, r.index, r.checkpoint.size, list(r.path), r.checkpoint.root)
    con.print(f"Voting: {eb.ledger.ballots} ballots ({revotes} re-votes), {audits} audited "
              f"ballots; receipts checked against checkpoint {eb.board.size}")

    # -- close, tally, decryption by k trustees (the others absent) -----------------------------
    eb.submit(sign_entry({"type": "close", "election": ctx.hash.hex(),
                          "ballots": eb.ledger.ballots}, organizer))
    totals = eb.ledger.counted_totals()
    eb.submit(tally_entry(ctx, totals, eb.ledger.index.voters(), organizer))
    tally = eb.ledger.tally
    assert tally is not None
    present = sorted(rnd.sample(sorted(shares), cfg.threshold))
    for j in present:
        eb.submit(decryption_entry(ctx, tally, j, shares[j], tkeys[j - 1].signing_secret))
    counts = combine(ctx, tally, eb.ledger.shares)
    res = result_entry(ctx, counts, eb.ledger.index.voters(),
                       shares_used(ctx, eb.ledger.shares), organizer)
    eb.submit(res)
    eb.checkpoint()
    con.print(f"Tally decrypted by trustees {present} ({cfg.trustees - len(present)} absent)")

    record = eb.export(out / "record")
    render_result(con, manifest, res)
    chart = save_chart(out / "result.png", manifest, res)
    con.print(f"Chart: {chart}\nRecord: {record} ({eb.board.size} entries)")

    # -- anyone: verify the whole record from the exported files --------------------------------
    report = verify_with_progress(con, record, cfg.workers)
    render_report(con, report)
    cfg.stats.update(ballots=eb.ledger.ballots, audits=audits, revotes=revotes,
                     entries=eb.board.size, counts=counts, seconds=time.perf_counter() - t0,
                     board_secret=board_secret, organizer_secret=organizer)  # demo keys, for tests
    eb.board.store.close()
    return 0 if report.ok else 1
