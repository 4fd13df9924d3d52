"""Setting up a referendum, one role per command: keys, the manifest and the board, the key
ceremony (each trustee one phase per invocation), the credential list, opening and closing."""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

from ..board.election_board import ElectionBoard
from ..board.sqlite import SQLiteStore
from ..crypto import bip340
from ..crypto.errors import CryptoError
from ..crypto.group import Point, scalar_bytes
from ..protocol import codec
from ..protocol.ceremony import Ceremony, TrusteeSession
from ..protocol.ceremony_entries import TrusteeKeys
from ..protocol.cosignature import MAX_NAME, MAX_WITNESSES, WitnessPolicy
from ..protocol.credentials import Credential, credential_entries
from ..protocol.errors import ProtocolError
from ..protocol.ledger import Ledger
from ..protocol.manifest import Text, TrusteeInfo, build_manifest, parse_manifest
from ..protocol.signing import sign_entry
from ..protocol.tally import decryption_entry
from .output import write_codes
from .roles_common import (CLIError, board_key_path, command, context_of, manifest_of,
                           need_phase, open_board, pub_path, read_json, read_role_public,
                           read_role_secret, replace_secret, say, short, write_new,
                           write_role_key)

# -- keys -------------------------------------------------------------------------------------


@command("trustee keygen")
def trustee_keygen(a: argparse.Namespace) -> int:
    name = codec.text(a.name.strip(), "--name", 200)
    keys = TrusteeKeys.generate()
    pp = pub_path(a.out)
    if pp.exists():
        raise CLIError(f"public info file {pp} already exists; refusing to overwrite it")
    write_new(a.out, {**keys.to_json(), "name": name}, secret=True, what="trustee key file")
    write_new(pp, keys.public_info(name).to_json(), secret=False, what="public info file")
    say(f"trustee {name}: secret key file {a.out} (mode 0600, keep it offline)",
        f"public info {pp} (give it to the organizer); signing key {short(keys.signing_key)}")
    return 0


def read_trustee_keys(path: str) -> tuple[TrusteeKeys, str]:
    o = read_json(path, "trustee key file")
    if not isinstance(o, dict) or "name" not in o:
        raise CLIError(f"{path} is not a trustee key file (written by `trustee keygen`)")
    name = codec.text(o.pop("name"), f"{path}: name", 200)
    return TrusteeKeys.from_json(o, path), name


def _role_keygen(role: str) -> Any:
    @command(f"{role} keygen")
    def run(a: argparse.Namespace) -> int:
        kp, pp, pub = write_role_key(role, a.out)
        say(f"{role} secret key file {kp} (mode 0600); public key {pp}: {short(pub)}")
        return 0
    return run


organizer_keygen = _role_keygen("organizer")
registrar_keygen = _role_keygen("registrar")


# -- manifest and board ----------------------------------------------------------------------

def _option(s: str) -> Text:
    fa, sep, en = s.partition("|")
    if not sep or not fa.strip() or not en.strip():
        raise CLIError(f"--option {s!r}: write it as \"Persian text|English text\"")
    return Text(fa=fa.strip(), en=en.strip())


def add_witness_args(p: argparse.ArgumentParser) -> None:
    """The witness flags of `organizer create` (manifest field "witnesses", spec §5.2)."""
    p.add_argument("--witness", action="append", default=[], metavar="KEYHEX",
                   help="a witness's public key (64 hex digits, x-only BIP340) that cosigns "
                        "checkpoints; repeat per witness (none: no witnesses)")
    p.add_argument("--witness-threshold", type=int, default=None, metavar="K",
                   help="cosignatures a checkpoint needs before receipts and the verifier "
                        "accept it (default: every listed witness)")
    p.add_argument("--witness-name", action="append", default=[], metavar='"FA|EN"',
                   help="the name voters see for a witness, \"Persian name|English name\" "
                        "(e.g. a newspaper or an NGO); repeat once per --witness, in the same "
                        "order; give a name for every witness or for none")


def _witness_name(s: str, i: int) -> Text:
    """One --witness-name "FA|EN" (the i-th, 1-based, for the error)."""
    fa, sep, en = (x.strip() for x in s.partition("|"))
    if not sep or not fa or not en:
        raise CLIError(f"--witness-name {s!r} (number {i}): write it as \"Persian name|"
                       "English name\", both non-empty")
    for lang, v in (("Persian", fa), ("English", en)):
        if len(v) > MAX_NAME:
            raise CLIError(f"--witness-name number {i}: the {lang} name has {len(v)} "
                           f"characters; at most {MAX_NAME}")
    return Text(fa=fa, en=en)


def witness_policy(keys: list[str], threshold: int | None,
                   names: list[str] | None = None) -> WitnessPolicy | None:
    """The manifest's witnesses from the command line, or None for an election without them;
    each key checked on its own first, so that the error names the flag and the key. `names`:
    one "FA|EN" per key, in the order of the keys, or none."""
    names = names or []
    if not keys:
        if threshold is not None:
            raise CLIError("--witness-threshold needs at least one --witness KEYHEX")
        if names:
            raise CLIError("--witness-name needs a --witness KEYHEX for each name")
        return None
    if names and len(names) != len(keys):
        raise CLIError(f"give one --witness-name per --witness, in the same order, or none: "
                       f"got {len(names)} names for {len(keys)} witnesses")
    texts = [_witness_name(n, i) for i, n in enumerate(names, 1)]
    if len(keys) > MAX_WITNESSES:
        raise CLIError(f"at most {MAX_WITNESSES} --witness keys; got {len(keys)}")
    hexes: list[str] = []
    for raw in keys:
        k = raw.strip().lower()
        if len(k) != 64 or not set(k) <= set("0123456789abcdef"):
            raise CLIError(f"--witness {raw!r}: a witness key is 64 hex digits (the witness's "
                           "x-only BIP340 public key)")
        try:
            bip340.validate_public_key(bytes.fromhex(k))
        except CryptoError:
            raise CLIError(f"--witness {k[:16]}…: not a BIP340 public key (no curve point has "
                           "this x coordinate)") from None
        if k in hexes:
            raise CLIError(f"--witness {k[:16]}… is given twice")
        hexes.append(k)
    k_min = len(hexes) if threshold is None else threshold
    if not 1 <= k_min <= len(hexes):
        raise CLIError(f"--witness-threshold must be between 1 and the number of witnesses "
                       f"({len(hexes)}); got {threshold}")
    try:
        return WitnessPolicy.from_json({"keys": hexes, "threshold": k_min,
                                        **({"names": [t.to_json() for t in texts]}
                                           if texts else {})})
    except ProtocolError as e:  # the manifest's own rule, should the checks above miss one
        raise CLIError(f"--witness: {e}") from e


@command("organizer create")
def organizer_create(a: argparse.Namespace) -> int:
    board = Path(a.board)
    kp = board_key_path(board)
    for p, what in ((board, "board"), (kp, "board key file")):
        if p.exists():
            raise CLIError(f"{what} {p} already exists; choose another --board")
    if not board.parent.is_dir():
        raise CLIError(f"folder {board.parent} does not exist")
    organizer = read_role_secret(a.organizer, "organizer")
    registrar = read_role_public(a.registrar_pub, "registrar")
    if not a.trustee:
        raise CLIError("name at least one trustee with --trustee trusteeN.pub.json")
    trustees = [TrusteeInfo.from_json(read_json(t, "trustee public info"), t)
                for t in a.trustee]
    if len(a.option) < 2:
        raise CLIError("give at least two --option \"fa|en\"")
    # Flags of add_witness_args; absent from a parser that does not register them.
    witnesses = witness_policy(getattr(a, "witness", None) or [],
                               getattr(a, "witness_threshold", None),
                               getattr(a, "witness_name", None) or [])
    booth = None
    if a.booth is not None:
        from ..server.bundle import bundle_hash
        if not (Path(a.booth) / "index.html").is_file():
            raise CLIError(f"--booth {a.booth}: no built booth there (index.html)")
        booth = bundle_hash(a.booth)
    now = int(time.time())
    opens = now if a.opens is None else a.opens
    closes = opens + 86400 if a.closes is None else a.closes
    board_secret = bip340.generate_secret()
    unsigned = build_manifest(
        election_id=a.election_id, question=Text(fa=a.question_fa, en=a.question_en),
        options=[_option(o) for o in a.option], min_selections=a.min, max_selections=a.max,
        opens=opens, closes=closes, organizer_key=bip340.public_key(organizer),
        registrar_key=registrar, board_key=bip340.public_key(board_secret), trustees=trustees,
        threshold=a.threshold, booth=booth, witnesses=witnesses)
    manifest = parse_manifest(sign_entry(unsigned, organizer))
    Ledger().ingest(manifest.entry, 0)  # every rule checked before any file is written
    mh = manifest.hash.hex()
    write_new(kp, {"role": "board", "board_secret": board_secret.hex(), "election": mh},
              secret=True, what="board key file")
    try:
        store = SQLiteStore(board)
        try:
            ElectionBoard(store, board_secret, mh).submit(manifest.entry)
        finally:
            store.close()
    except BaseException:
        for p in (board, kp, Path(f"{board}-wal"), Path(f"{board}-shm")):
            if p.exists():
                os.unlink(p)
        raise
    say(f"created board {board} for referendum '{manifest.election_id}': "
        f"{len(trustees)} trustees, threshold {manifest.threshold}; operator key {kp}",
        f"manifest hash {mh}"
        + ("" if booth is None else f"; booth fingerprint {booth.hex()}"),
        *(() if witnesses is None else
          (f"witnesses: {len(witnesses.keys)}; each checkpoint needs {witnesses.threshold} "
           "cosignatures before receipts and the verifier accept it"
           + ("" if not witnesses.names else
              " (" + ", ".join(n.en for n in witnesses.names) + ")"),)))
    return 0


# -- key ceremony: the trustee's phases ----------------------------------------------------

def _read_state(path: str, keys: TrusteeKeys) -> tuple[TrusteeSession, int | None]:
    o = read_json(path, "trustee state file")
    if not isinstance(o, dict) or set(o) != {"session", "secret_share"}:
        raise CLIError(f"{path} is not a trustee state file")
    session = TrusteeSession.from_json(o["session"], keys, path)
    share = None if o["secret_share"] is None else \
        codec.scalar(o["secret_share"], f"{path}: secret_share")
    return session, share


def _write_state(path: str, session: TrusteeSession, share: int | None, *, new: bool) -> None:
    obj = {"session": session.to_json(),
           "secret_share": None if share is None else scalar_bytes(share).hex()}
    if new:
        write_new(path, obj, secret=True, what="trustee state file")
    else:
        replace_secret(path, obj)


class _Trustee:
    """A trustee's keys, its state and the board, for one invocation."""

    def __init__(self, a: argparse.Namespace, eb: ElectionBoard, *, start: bool = False):
        self.keys, self.name = read_trustee_keys(a.key)
        self.eb = eb
        self.manifest = manifest_of(eb)
        self.state_path = a.state
        if start and not Path(a.state).exists():
            self.session = TrusteeSession.start(self.manifest, self.keys)
            self.share: int | None = None
            _write_state(a.state, self.session, None, new=True)  # before anything is posted
        else:
            if not Path(a.state).exists():
                raise CLIError(f"trustee state file {a.state} does not exist (run "
                               "`hamaporsi trustee commit` first)")
            self.session, self.share = _read_state(a.state, self.keys)
        if self.session.manifest_hash != self.manifest.hash:
            raise CLIError(f"state file {a.state} belongs to another election")
        self.index = self.session.index

    @property
    def ceremony(self) -> Ceremony:
        cer = self.eb.ledger.ceremony
        assert cer is not None
        return cer

    def post(self, entry: dict[str, Any]) -> int:
        idx, _ = self.eb.submit(entry)
        return idx

    def save_share(self, share: int) -> None:
        self.share = share
        _write_state(self.state_path, self.session, share, new=False)

    def derive_share(self) -> int:
        if self.share is not None:
            return self.share
        if not self.ceremony.closed:
            raise CLIError("the joint key is not on the board yet (organizer joint-key)")
        share = self.session.secret_share(self.ceremony)
        self.save_share(share)
        return share


def _ceremony_phase(kind: str) -> Any:
    @command(f"trustee {kind}")
    def run(a: argparse.Namespace) -> int:
        with open_board(a.board) as eb:
            need_phase(eb, "ceremony", doing=f"post a dkg-{kind} entry")
            t = _Trustee(a, eb, start=kind == "commit")
            entry = {"commit": t.session.commit_entry, "reveal": t.session.reveal_entry,
                     "shares": lambda: t.session.shares_entry(t.manifest)}[kind]()
            idx = t.post(entry)
            what = {"commit": "commitment digest", "reveal": "coefficient commitments and "
                    "proofs", "shares": f"encrypted shares for the other "
                    f"{len(t.manifest.trustees) - 1} trustees"}[kind]
            say(f"trustee {t.index} ({t.name}): posted dkg-{kind} ({what}) as entry {idx}")
        return 0
    return run


trustee_commit = _ceremony_phase("commit")
trustee_reveal = _ceremony_phase("reveal")
trustee_shares = _ceremony_phase("shares")


@command("trustee complaints")
def trustee_complaints(a: argparse.Namespace) -> int:
    with open_board(a.board) as eb:
        need_phase(eb, "ceremony", doing="check received shares")
        t = _Trustee(a, eb)
        cer, n = t.ceremony, len(t.manifest.trustees)
        others = [i for i in range(1, n + 1) if i != t.index]
        waiting = [i for i in others if cer.encrypted_share(i, t.index) is None]
        sent = [i for i in others if cer.encrypted_share(i, t.index) is not None]
        complaints = t.session.process_shares(cer)
        for e in complaints:
            t.post(e)
        against = [e["against"] for e in complaints]
        ok = [i for i in sent if i not in against and not cer.has_complaint(t.index, i)]
        say(f"trustee {t.index} ({t.name}): shares from trustees {ok or 'none'} verified; "
            + (f"posted complaints against {against}" if against else "no complaints"))
        if waiting:
            say(f"no shares yet from trustees {waiting}: run `trustee complaints` again "
                "once they have posted theirs")
    return 0


@command("trustee share-key")
def trustee_share_key(a: argparse.Namespace) -> int:
    with open_board(a.board) as eb:
        t = _Trustee(a, eb)
        had = t.share is not None
        share = t.derive_share()
        say(f"trustee {t.index} ({t.name}): secret key share "
            f"{'already' if had else 'derived and'} stored in {a.state}; it matches public "
            f"share {short(Point.mul_g(share).encode())}")
    return 0


@command("trustee decrypt")
def trustee_decrypt(a: argparse.Namespace) -> int:
    with open_board(a.board) as eb:
        need_phase(eb, "tallied", doing="post decryption shares")
        t = _Trustee(a, eb)
        if t.index in eb.ledger.shares:
            raise CLIError(f"trustee {t.index} has already posted its decryption shares")
        share = t.derive_share()
        tally = eb.ledger.tally
        assert tally is not None
        idx = t.post(decryption_entry(context_of(eb), tally, t.index, share,
                                      t.keys.signing_secret))
        k = t.manifest.threshold
        have = len(eb.ledger.shares)
        say(f"trustee {t.index} ({t.name}): posted decryption shares for "
            f"{len(tally.ciphertexts)} options as entry {idx}",
            f"{have} of the {k} needed shares are on the board"
            + ("; the result can be computed (tally result)" if have >= k else ""))
    return 0


# -- organizer and registrar ---------------------------------------------------------------

@command("organizer joint-key")
def organizer_joint_key(a: argparse.Namespace) -> int:
    with open_board(a.board) as eb:
        need_phase(eb, "ceremony", doing="post the joint key")
        organizer = organizer_secret(a, eb)
        cer = eb.ledger.ceremony
        assert cer is not None
        silent = {i: r for i, r in cer.disqualified.items() if r.startswith("silent")}
        if silent and not a.allow_missing:
            who = "; ".join(f"trustee {i}: {r}" for i, r in silent.items())
            raise CLIError(f"{who}. Wait for them, or pass --allow-missing to exclude them")
        idx, _ = eb.submit(cer.result_entry(organizer))
        bad = cer.disqualified
        say(f"posted the joint key {short(cer.joint_key.encode())} as entry {idx}: "
            f"qualified trustees {list(cer.qualified)}"
            + (f", disqualified {bad}" if bad else ""))
    return 0


@command("registrar issue")
def registrar_issue(a: argparse.Namespace) -> int:
    if a.voters < 1:
        raise CLIError("--voters must be at least 1")
    out = Path(a.out)
    if (out / "codes.txt").exists():
        raise CLIError(f"{out / 'codes.txt'} already exists; refusing to overwrite codes")
    with open_board(a.board) as eb:
        m = manifest_of(eb)
        need_phase(eb, "credentials", doing="publish the credential list")
        registrar = read_role_secret(a.registrar, "registrar")
        if bip340.public_key(registrar) != m.registrar_key:
            raise CLIError(f"{a.registrar} is not the registrar key this manifest names")
        creds = [Credential.generate() for _ in range(a.voters)]
        out.mkdir(mode=0o700, parents=True, exist_ok=True)
        qr = a.voters if a.qr is None else max(0, min(a.qr, a.voters))
        write_codes(out, creds, qr_count=qr)  # before posting: issued codes are never lost
        os.chmod(out / "codes.txt", 0o600)
        for e in credential_entries(m.hash, [c.public for c in creds], registrar):
            eb.submit(e)
        say(f"published {a.voters} voter credentials on the board; private codes in "
            f"{out / 'codes.txt'} and {qr} QR codes in {out} (give each voter only theirs)")
    return 0


def organizer_secret(a: argparse.Namespace, eb: ElectionBoard) -> bytes:
    """The organizer's secret, checked against the key the manifest names."""
    organizer = read_role_secret(a.organizer, "organizer")
    if bip340.public_key(organizer) != manifest_of(eb).organizer_key:
        raise CLIError(f"{a.organizer} is not the organizer key this manifest names")
    return organizer


@command("organizer open")
def organizer_open(a: argparse.Namespace) -> int:
    with open_board(a.board) as eb:
        need_phase(eb, "credentials-final", doing="open voting")
        ctx = eb.ledger.opening_context()
        idx, _ = eb.submit(ctx.open_entry(organizer_secret(a, eb)))
        cp = eb.checkpoint()
        say(f"voting is open (entry {idx}) for {ctx.credential_count} credentials; "
            f"election hash {ctx.hash.hex()}",
            f"signed checkpoint at size {cp.size}")
    return 0


@command("organizer close")
def organizer_close(a: argparse.Namespace) -> int:
    with open_board(a.board) as eb:
        need_phase(eb, "voting", doing="close voting")
        ctx = context_of(eb)
        n = eb.ledger.ballots
        idx, _ = eb.submit(sign_entry({"type": "close", "election": ctx.hash.hex(),
                                       "ballots": n}, organizer_secret(a, eb)))
        cp = eb.checkpoint()
        say(f"voting is closed (entry {idx}) after {n} ballots from "
            f"{eb.ledger.index.voters()} credentials; signed checkpoint at size {cp.size}")
    return 0
