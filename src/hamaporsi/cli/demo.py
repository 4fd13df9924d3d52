"""`hamaporsi demo`: a whole referendum (spec §1 phases) on this machine — ceremony, credentials, voting with
re-votes and audits, n−k trustees absent at the tally, result with a chart, full verification.

`hamaporsi demo --serve` stops after opening: it serves the booth so that people vote in a
browser, writes every role's key file so that the CLI steps work against the running server,
and on Ctrl-C finishes the referendum (close, tally, k trustees decrypt, result, verify)."""

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
from ..crypto.group import scalar_bytes
from ..protocol.ballot import encrypt_ballot
from ..protocol.ceremony import TrusteeSession
from ..protocol.ceremony_entries import TrusteeKeys
from ..protocol.credentials import Credential, credential_entries
from ..protocol.election import ElectionContext
from ..protocol.manifest import Manifest, Text, build_manifest, parse_manifest
from ..protocol.signing import sign_entry
from ..protocol.tally import combine, decryption_entry, result_entry, shares_used, tally_entry
from .output import progress, render_report, render_result, save_chart, verify_with_progress, \
    write_codes
from .roles_common import board_key_path, write_new

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
    booth: bytes | None = None
    """The booth bundle's hash to state in the manifest (spec §5.2), if any."""
    witnesses: int = 0
    """Witnesses named in the manifest, all required (`--serve` runs them, spec §8.8)."""
    stats: dict[str, Any] = field(default_factory=dict)


@dataclass
class Referendum:
    """The demo's referendum once voting is open, with every role's secrets (a demo has them
    all in one process; `--serve` also writes them to key files)."""

    eb: ElectionBoard
    db: Path
    manifest: Manifest
    ctx: ElectionContext
    creds: list[Credential]
    tkeys: list[TrusteeKeys]
    sessions: list[TrusteeSession]
    shares: dict[int, int]
    organizer: bytes
    registrar: bytes
    board_secret: bytes
    t0: float
    witness_secrets: list[bytes] = field(default_factory=list)


def set_up(cfg: DemoConfig, con: Console) -> Referendum:
    """Roles and keys, manifest, key ceremony, credentials (codes in out/voters), open."""
    out = cfg.out
    out.mkdir(parents=True, exist_ok=True)
    db = out / "board.sqlite"
    if db.exists():
        raise SystemExit(f"{db} exists: choose another --out or remove it")
    t0 = time.perf_counter()

    # -- roles and their keys --------------------------------------------------------------
    organizer, registrar, board_secret = (bip340.generate_secret() for _ in range(3))
    witness_secrets = [bip340.generate_secret() for _ in range(cfg.witnesses)]
    witnesses = None
    if witness_secrets:
        from .demo_witnesses import policy_of
        witnesses = policy_of(witness_secrets)
    tkeys = [TrusteeKeys.generate() for _ in range(cfg.trustees)]
    options = OPTIONS + ([BLANK] if cfg.blank else [])
    now = int(time.time())
    unsigned = build_manifest(
        election_id="demo-referendum", question=QUESTION, options=options,
        min_selections=1, max_selections=1, opens=now, closes=now + 86400,
        organizer_key=bip340.public_key(organizer), registrar_key=bip340.public_key(registrar),
        board_key=bip340.public_key(board_secret),
        trustees=[k.public_info(f"Trustee {i + 1}") for i, k in enumerate(tkeys)],
        threshold=cfg.threshold, booth=cfg.booth, witnesses=witnesses)
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
    return Referendum(eb, db, manifest, ctx, creds, tkeys, sessions, shares, organizer,
                      registrar, board_secret, t0, witness_secrets)


def simulate_voting(r: Referendum, cfg: DemoConfig, rnd: random.Random,
                    con: Console) -> tuple[int, int]:
    """Simulated voters: some abstain, some re-vote, some audit first; returns (audits,
    re-votes). Checks a few receipts as a voter's device would."""
    eb, ctx = r.eb, r.ctx
    weights = [0.55, 0.38, 0.07][: len(r.manifest.options)]
    audits = revotes = 0
    receipts: list[tuple[int, bytes]] = []
    since_cp = 0
    for cred in progress(r.creds, "Voting", con):
        if rnd.random() < cfg.abstain_rate:
            continue
        n_casts = 2 if rnd.random() < cfg.revote_rate else 1
        revotes += n_casts - 1
        for _ in range(n_casts):
            choice = rnd.choices(range(len(r.manifest.options)), weights)[0]
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
        rc = eb.receipt(idx, tracking)
        verify_inclusion(rc.leaf_hash, rc.index, rc.checkpoint.size, list(rc.path),
                         rc.checkpoint.root)
    con.print(f"Voting: {eb.ledger.ballots} ballots ({revotes} re-votes), {audits} audited "
              f"ballots; receipts checked against checkpoint {eb.board.size}")
    return audits, revotes


def finish(r: Referendum, cfg: DemoConfig, rnd: random.Random, con: Console) -> list[int]:
    """Whatever is left of close, tally, decryption by k trustees (the others absent) and the
    result, from the board's current phase (the CLI may have done some of it)."""
    eb, ctx = r.eb, r.ctx
    led = eb.ledger
    if led.phase == "voting":
        eb.submit(sign_entry({"type": "close", "election": ctx.hash.hex(),
                              "ballots": led.ballots}, r.organizer))
    if led.phase == "closed":
        eb.submit(tally_entry(ctx, led.counted_totals(), led.index.voters(), r.organizer))
    if led.phase == "tallied":
        tally = led.tally
        assert tally is not None
        missing = r.manifest.threshold - len(led.shares)
        if missing > 0:
            absent = [j for j in sorted(r.shares) if j not in led.shares]
            for j in sorted(rnd.sample(absent, missing)):
                eb.submit(decryption_entry(ctx, tally, j, r.shares[j],
                                           r.tkeys[j - 1].signing_secret))
        counts = combine(ctx, tally, led.shares)
        eb.submit(result_entry(ctx, counts, led.index.voters(), shares_used(ctx, led.shares),
                               r.organizer))
        con.print(f"Tally decrypted by trustees {sorted(led.shares)} "
                  f"({cfg.trustees - len(led.shares)} absent)")
    eb.checkpoint()
    assert led.result is not None
    return list(led.result["counts"])


def export_and_verify(r: Referendum, cfg: DemoConfig, con: Console) -> bool:
    """Result table and chart, the exported record, and its full verification."""
    eb = r.eb
    assert eb.ledger.result is not None
    record = eb.export(cfg.out / "record")
    render_result(con, r.manifest, eb.ledger.result)
    chart = save_chart(cfg.out / "result.png", r.manifest, eb.ledger.result)
    con.print(f"Chart: {chart}\nRecord: {record} ({eb.board.size} entries)")
    report = verify_with_progress(con, record, cfg.workers)
    render_report(con, report)
    return report.ok


def run_demo(cfg: DemoConfig, console: Console | None = None) -> int:
    """Run the referendum; return 0 when the full verification passes."""
    con = console or Console()
    rnd = random.Random(cfg.seed)
    r = set_up(cfg, con)
    audits, revotes = simulate_voting(r, cfg, rnd, con)
    counts = finish(r, cfg, rnd, con)
    if r.witness_secrets:
        from ..server.config import ServerConfig
        from .demo_witnesses import DemoWitnesses
        con.print(f"Witnesses: {len(r.witness_secrets)} follow the board over HTTP (a local "
                  "server) and check it from its first entry")
        cosign_last(r, con, DemoWitnesses(cfg.out, r.witness_secrets),
                    lambda db, secret, election: ServerConfig(
                        db=db, board_secret=secret, election_id=election, port=0,
                        verify_workers=0))
    ok = export_and_verify(r, cfg, con)
    eb = r.eb
    cfg.stats.update(ballots=eb.ledger.ballots, audits=audits, revotes=revotes,
                     entries=eb.board.size, counts=counts, seconds=time.perf_counter() - r.t0,
                     board_secret=r.board_secret, organizer_secret=r.organizer)  # for tests
    eb.board.store.close()
    return 0 if ok else 1


def cosign_last(r: Referendum, con: Console, wit: Any, config: Any) -> None:
    """The demo's witnesses (`DemoWitnesses`) verify the board through a short-lived server
    `config(db, board_secret, election_id)` and cosign its last checkpoint, so that the
    record passes V-witness (spec §8.8)."""
    r.eb.board.store.close()
    got = wit.cosign_final(config(r.db, r.board_secret, r.manifest.hash.hex()))
    con.print(f"Witnesses: {got} of {len(r.witness_secrets)} cosigned the last checkpoint")
    r.eb = ElectionBoard(SQLiteStore(r.db), r.board_secret, r.manifest.hash.hex())


# -- demo --serve ------------------------------------------------------------------------------

def write_role_files(r: Referendum, out: Path) -> dict[str, Path]:
    """Every role's key file (mode 0600), as the role commands read them: the board operator's
    beside the board, the others in out/keys. Trustee state files hold their key shares."""
    keys = out / "keys"
    keys.mkdir(mode=0o700, exist_ok=True)
    mh = r.manifest.hash.hex()
    paths = {"board": write_new(board_key_path(r.db), {"role": "board", "election": mh,
                                                       "board_secret": r.board_secret.hex()},
                                secret=True, what="board key file")}
    witnesses = [(f"witness{i}", "witness", s) for i, s in enumerate(r.witness_secrets, 1)]
    for name, role, secret in (("organizer", "organizer", r.organizer),
                               ("registrar", "registrar", r.registrar), *witnesses):
        paths[name] = write_new(keys / f"{name}.json", {"role": role,
                                                        "secret_key": secret.hex()},
                                secret=True, what=f"{role} key file")
    for s in r.sessions:
        name = r.manifest.trustees[s.index - 1].name
        paths[f"trustee{s.index}"] = write_new(
            keys / f"trustee{s.index}.json", {**r.tkeys[s.index - 1].to_json(), "name": name},
            secret=True, what="trustee key file")
        share = r.shares.get(s.index)
        paths[f"trustee{s.index}-state"] = write_new(
            keys / f"trustee{s.index}.state.json",
            {"session": s.to_json(),
             "secret_share": None if share is None else scalar_bytes(share).hex()},
            secret=True, what="trustee state file")
    return paths


def serve_demo(cfg: DemoConfig, serve: Any, url: str, final: Any,
               console: Console | None = None) -> int:
    """Set up and open the referendum, serve it with `serve(db, board_secret, election_id)`
    until Ctrl-C while the demo's witnesses follow it at `url`, then finish it, let the
    witnesses cosign the last checkpoint through a server `final(db, board_secret,
    election_id)` (a ServerConfig), and verify the record; 0 when the verification passes."""
    con = console or Console()
    rnd = random.Random(cfg.seed)
    r = set_up(cfg, con)
    paths = write_role_files(r, cfg.out)
    r.eb.board.store.close()
    b, k = r.db, cfg.out / "keys"
    con.print(
        f"\n[bold]Voting is open.[/] Voter codes (one per voter, secret): "
        f"{cfg.out / 'voters' / 'codes.txt'} (QR codes for the first {min(10, cfg.voters)} "
        f"beside it)\n[bold]Vote in a browser:[/] {url}\n"
        f"Board API: {url}api/election   Key files: {k} (secret)\n"
        f"From another terminal, while this serves:\n"
        f"  hamaporsi organizer close --board {b} --organizer {paths['organizer']}\n"
        f"  hamaporsi tally sum --board {b} --organizer {paths['organizer']}\n"
        f"  hamaporsi trustee decrypt --board {b} --key {k / 'trustee1.json'} "
        f"--state {k / 'trustee1.state.json'}   (and one more trustee)\n"
        f"  hamaporsi tally result --board {b} --organizer {paths['organizer']}\n"
        f"Ctrl-C stops serving; the demo then finishes what is left and verifies the record.\n",
        soft_wrap=True)  # commands stay whole lines, to copy and paste
    from .demo_witnesses import DemoWitnesses
    wit = DemoWitnesses(cfg.out, r.witness_secrets)
    if r.witness_secrets:
        n = len(r.witness_secrets)
        con.print(f"[bold]Witnesses:[/] {n}, each cosigning every checkpoint after checking it "
                  f"(all {n} required: a receipt waits for them); their copies in "
                  f"{cfg.out / 'witnesses'}\n")
        wit.follow(url)
    try:
        serve(r.db, r.board_secret, r.manifest.hash.hex())
    finally:
        wit.stop()
    con.print("\nServer stopped; finishing the referendum.")
    r.eb = ElectionBoard(SQLiteStore(r.db), r.board_secret, r.manifest.hash.hex())
    try:
        finish(r, cfg, rnd, con)
        if r.witness_secrets:
            cosign_last(r, con, wit, final)
        ok = export_and_verify(r, cfg, con)
    finally:
        r.eb.board.store.close()
    return 0 if ok else 1
