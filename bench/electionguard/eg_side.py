"""ElectionGuard 1.4.0's side of the same-run comparison (bench/electionguard/compare.py).

Runs inside bench/electionguard/.venv (Python 3.9/3.10: electionguard 1.4.0 does not import on
3.11) and is driven over a line protocol, so that its rounds interleave with ours in one run:

    stdout  one JSON object per line: {"event": "ready", ...} after setup, then one
            {"event": "round", ...} per "round" command
    stdin   "round" (encrypt and verify N ballots) or "quit"
    stderr  progress and ElectionGuard's own warnings

The election is the same kind as ours: one referendum contest, two options (yes/no), vote for
exactly one (EG adds one placeholder selection), key ceremony of 3 guardians with a quorum of 2
through EG's own Guardian/KeyCeremonyMediator API. Per ballot it times:

* encryption: `electionguard.encrypt.encrypt_ballot` (selection and contest proofs, ballot code;
  `should_verify_proofs=False`, its default);
* verification: `CiphertextBallot.is_valid_encryption` (the 3 disjunctive Chaum-Pedersen proofs
  and the contest's constant Chaum-Pedersen proof, plus the hash and accumulation checks), on
  the ballot object as returned by the encryptor;
* parse: `electionguard.serialize.from_raw(CiphertextBallot, json)`, the ballot read back from
  its JSON, timed apart so it can be added to the verification.

EG logs every encryption step at INFO, formatting 4096-bit numbers and calling inspect.stack()
each time; info/debug logging is switched off here (warnings still go to stderr), which makes
EG faster than as shipped: the comparison is the fair one for EG.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import platform
import sys
import time
from datetime import datetime, timedelta
from importlib.metadata import version
from typing import Any, Callable, Dict, List, Tuple

from electionguard.ballot import (CiphertextBallot, PlaintextBallot, PlaintextBallotContest,
                                  PlaintextBallotSelection)
from electionguard.constants import get_large_prime, get_small_prime
from electionguard.election import CiphertextElectionContext, make_ciphertext_election_context
from electionguard.encrypt import EncryptionDevice, encrypt_ballot, generate_device_uuid
from electionguard.group import ElementModQ
from electionguard.guardian import Guardian
from electionguard.key_ceremony import CeremonyDetails
from electionguard.key_ceremony_mediator import KeyCeremonyMediator
from electionguard.logs import LOG
from electionguard.manifest import (BallotStyle, Candidate, ElectionType, GeopoliticalUnit,
                                    InternalManifest, Manifest, Party,
                                    ReferendumContestDescription, ReportingUnitType,
                                    SelectionDescription, SpecVersion, VoteVariationType)
from electionguard.serialize import from_raw, to_raw

GUARDIANS, QUORUM = 3, 2  # as bench/make_record.setup_election
CONTEST, STYLE, UNIT = "referendum", "ballot-style", "country"
OPTIONS = ("yes", "no")


def _quiet_logging() -> None:
    """EG's stream handler writes to stdout (our protocol channel) at INFO: send only warnings,
    to stderr, and skip building info/debug messages at all."""
    for h in list(LOG.handlers()):
        LOG.remove_handler(h)
    h = logging.StreamHandler(sys.stderr)
    h.setLevel(logging.WARNING)
    LOG.add_handler(h)
    LOG.info = lambda *_a, **_k: None  # type: ignore[method-assign]
    LOG.debug = lambda *_a, **_k: None  # type: ignore[method-assign]


def _manifest() -> Manifest:
    """One referendum contest, yes/no, exactly one selection (EG's 1-of-m)."""
    sels = [SelectionDescription(opt, i, f"cand-{opt}") for i, opt in enumerate(OPTIONS)]
    contest = ReferendumContestDescription(CONTEST, 0, UNIT, VoteVariationType.one_of_m,
                                           1, 1, "Referendum", sels)
    now = datetime.now()
    m = Manifest("hamaporsi-bench", SpecVersion.EG0_95, ElectionType.special, now,
                 now + timedelta(days=1),
                 [GeopoliticalUnit(UNIT, "Country", ReportingUnitType.country)],
                 [Party("party")], [Candidate(f"cand-{opt}") for opt in OPTIONS], [contest],
                 [BallotStyle(STYLE, [UNIT])])
    if not m.is_valid():
        raise SystemExit("eg_side: ElectionGuard rejects the benchmark manifest")
    return m


def _ceremony() -> Any:
    """Guardians, rounds 1-3 of EG's key ceremony, and the joint key (EG's own API)."""
    gs = [Guardian.from_nonce(str(i + 1), i + 1, GUARDIANS, QUORUM) for i in range(GUARDIANS)]
    med = KeyCeremonyMediator("mediator", CeremonyDetails(GUARDIANS, QUORUM))
    for g in gs:
        med.announce(g.share_key())
    for g in gs:
        for key in med.share_announced(g.id) or []:
            g.save_guardian_key(key)
    for g in gs:
        g.generate_election_partial_key_backups()
        med.receive_backups(g.share_election_partial_key_backups())
    for g in gs:
        for backup in med.share_backups(g.id) or []:
            g.save_election_partial_key_backup(backup)
    for g in gs:
        med.receive_backup_verifications(
            [g.verify_election_partial_key_backup(o.id) for o in gs if o.id != g.id])
    joint = med.publish_joint_key()
    if joint is None:
        raise SystemExit("eg_side: key ceremony did not verify")
    return joint


class Election:
    """The election context, the encryption device's seed chain, and the ballot counter."""

    def __init__(self) -> None:
        t0 = time.perf_counter()
        self.manifest = _manifest()
        self.internal = InternalManifest(self.manifest)
        joint = _ceremony()
        self.context: CiphertextElectionContext = make_ciphertext_election_context(
            GUARDIANS, QUORUM, joint.joint_public_key, joint.commitment_hash,
            self.manifest.crypto_hash())
        device = EncryptionDevice(generate_device_uuid(), 1, 2, "bench")
        self.seed: ElementModQ = device.get_hash()
        self.count = 0
        self.setup_s = time.perf_counter() - t0

    def plaintext(self, choice: int) -> PlaintextBallot:
        self.count += 1
        sel = PlaintextBallotSelection(OPTIONS[choice], 1)
        return PlaintextBallot(f"ballot-{self.count}", STYLE,
                               [PlaintextBallotContest(CONTEST, [sel])])

    def encrypt(self, pb: PlaintextBallot) -> CiphertextBallot:
        cb = encrypt_ballot(pb, self.internal, self.context, self.seed)
        if cb is None:
            raise SystemExit("eg_side: encrypt_ballot returned None")
        self.seed = cb.code  # the device's chain, as EncryptionMediator does
        return cb

    def valid(self, cb: CiphertextBallot) -> bool:
        return cb.is_valid_encryption(self.internal.manifest_hash,
                                      self.context.elgamal_public_key,
                                      self.context.crypto_extended_base_hash)


def _timed(fn: Callable[[], Any]) -> Tuple[Any, float, float]:
    """(result, wall seconds, this thread's CPU seconds)."""
    c0, t0 = time.thread_time(), time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0, time.thread_time() - c0


def _tamper_checks(el: Election, a: CiphertextBallot, b: CiphertextBallot) -> Dict[str, bool]:
    """The timed check can fail: a selection proof or the contest proof taken from another
    ballot must be rejected (the hashes EG checks do not cover the proofs)."""
    warn = LOG.warn
    LOG.warn = lambda *_a, **_k: None  # type: ignore[method-assign]  # EG dumps both proofs
    out = {}
    try:
        t = copy.deepcopy(a)
        t.contests[0].ballot_selections[0].proof = b.contests[0].ballot_selections[0].proof
        out["swapped_selection_proof_rejected"] = not el.valid(t)
        t = copy.deepcopy(a)
        t.contests[0].proof = b.contests[0].proof
        out["swapped_contest_proof_rejected"] = not el.valid(t)
    finally:
        LOG.warn = warn  # type: ignore[method-assign]
    return out


def _components(el: Election, ballots: List[CiphertextBallot]) -> Dict[str, float]:
    """Mean ms per selection proof check and per contest check, over a few ballots."""
    key, ext = el.context.elgamal_public_key, el.context.crypto_extended_base_hash
    sel_s, con_s, nsel = 0.0, 0.0, 0
    for cb in ballots:
        c = cb.contests[0]
        for s in c.ballot_selections:
            ok, w, _ = _timed(lambda: s.is_valid_encryption(s.description_hash, key, ext))
            assert ok
            sel_s += w
            nsel += 1
        ok, w, _ = _timed(lambda: c.is_valid_encryption(c.description_hash, key, ext))
        assert ok
        con_s += w
    return {"selection_check_ms": sel_s / nsel * 1e3, "contest_check_ms": con_s / len(ballots) * 1e3,
            "selections_per_ballot": nsel / len(ballots), "ballots": len(ballots)}


def run_round(el: Election, n: int, first: bool) -> Dict[str, Any]:
    """Encrypt n ballots, verify each, parse each from its JSON; per-ballot seconds."""
    enc_w, enc_c, ver_w, ver_c, parse_w, parse_c, sizes = [], [], [], [], [], [], []
    ballots = []
    for i in range(n):
        pb = el.plaintext(i % 2)
        cb, w, c = _timed(lambda: el.encrypt(pb))
        enc_w.append(w)
        enc_c.append(c)
        ballots.append(cb)
    for cb in ballots:
        ok, w, c = _timed(lambda: el.valid(cb))
        if not ok:
            raise SystemExit("eg_side: a freshly encrypted ballot does not verify")
        ver_w.append(w)
        ver_c.append(c)
    for cb in ballots:
        raw = to_raw(cb)
        sizes.append(len(raw.encode()))
        back, w, c = _timed(lambda: from_raw(CiphertextBallot, raw))
        if back != cb:
            raise SystemExit("eg_side: a ballot does not survive its JSON round trip")
        parse_w.append(w)
        parse_c.append(c)
    out: Dict[str, Any] = {"event": "round", "n": n, "encrypt_s": enc_w, "encrypt_cpu_s": enc_c,
                           "verify_s": ver_w, "verify_cpu_s": ver_c, "parse_s": parse_w,
                           "parse_cpu_s": parse_c, "json_bytes": sizes}
    if first:
        out["tamper"] = _tamper_checks(el, ballots[0], ballots[1])
        out["components"] = _components(el, ballots[: min(10, n)])
    return out


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    if n < 2:
        raise SystemExit("eg_side: N must be at least 2")
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything else printed to stdout goes to stderr
    sys.stdout = sys.stderr
    _quiet_logging()
    if get_large_prime().bit_length() != 4096:
        raise SystemExit("eg_side: not EG's standard 4096-bit group (is PRIME_OPTION set?)")
    print("  [EG] setting up (3 guardians, quorum 2, 4096-bit group) …", file=sys.stderr)
    el = Election()
    warm = el.encrypt(el.plaintext(0))  # first-call effects, not timed
    assert el.valid(warm)
    import gmpy2
    proto.write(json.dumps({
        "event": "ready", "setup_s": el.setup_s, "python": platform.python_version(),
        "electionguard": version("electionguard"), "gmpy2": version("gmpy2"),
        "gmp": gmpy2.mp_version(), "guardians": GUARDIANS, "quorum": QUORUM,
        "selections_per_ballot": len(warm.contests[0].ballot_selections),
        "p_bits": get_large_prime().bit_length(), "q_bits": get_small_prime().bit_length()})
                + "\n")
    rounds = 0
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == "quit":
            break
        if cmd != "round":
            raise SystemExit(f"eg_side: unknown command {cmd!r}")
        rounds += 1
        print(f"  [EG] round {rounds}: encrypting and verifying {n} ballots …", file=sys.stderr)
        proto.write(json.dumps(run_round(el, n, rounds == 1)) + "\n")


if __name__ == "__main__":
    main()
