"""The key ceremony (spec §7.1): a Feldman-VSS distributed key generation with commit-then-reveal
of the coefficient commitments, encrypted shares, publicly adjudicated complaints and an
organizer-signed joint key. `Ceremony` replays the record; `TrusteeSession` is one trustee."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..crypto import vss
from ..crypto.errors import InvalidProof
from ..crypto.group import Point
from ..crypto.proofs import verify_equal_logs, verify_knowledge
from .ceremony_entries import (CEREMONY_TYPES, CHECK_DKG, CHECK_JOINT, COMMIT, COMPLAINT,
                               JOINT_KEY, REVEAL, SHARES, CeremonyFailed, Commit, Complaint,
                               EncryptedShare, JointKey, Reveal, Shares, TrusteeKeys,
                               complaint_context, decrypt_share, parse_commit, parse_complaint,
                               parse_joint_key, parse_reveal, parse_shares, pok_context,
                               reveal_digest, share_context, share_matches)
from .ceremony_trustee import TrusteeSession
from .errors import MalformedInput, Rejected
from .manifest import Manifest
from .signing import sign_entry

__all__ = ["CEREMONY_TYPES", "Ceremony", "CeremonyFailed", "Cheat", "JointKey", "TrusteeKeys",
           "TrusteeSession", "complaint_context", "parse_joint_key", "pok_context",
           "reveal_digest", "run_ceremony", "share_context"]


def _reject(reason: str, code: str, check: str = CHECK_DKG) -> Rejected:
    return Rejected(reason, code=code, check=check)


class Ceremony:
    """The ceremony replayed from the record in order; a refused entry changes nothing (§7.1.5)."""

    def __init__(self, manifest: Manifest) -> None:
        self.manifest = manifest
        self._commits: dict[int, Commit] = {}
        self._reveals: dict[int, Reveal] = {}
        self._shares: dict[int, Shares] = {}
        self._complaints: dict[tuple[int, int], Complaint] = {}
        self._verdicts: dict[tuple[int, int], tuple[int, str]] = {}
        self._result: JointKey | None = None

    @staticmethod
    def replay(manifest: Manifest, entries: list[dict[str, Any]]) -> Ceremony:
        """A ceremony with every entry ingested in order; the first bad one raises (§7.1.5)."""
        c = Ceremony(manifest)
        for e in entries:
            c.ingest(e)
        return c

    # -- ingestion (§7.1.5) ---------------------------------------------------------------

    def ingest(self, entry: dict[str, Any]) -> None:
        """Check one entry against the record so far and apply it, or raise (§7.1.5)."""
        kind = entry.get("type") if isinstance(entry, dict) else None
        if not isinstance(kind, str) or kind not in CEREMONY_TYPES:
            raise MalformedInput(f"not a key-ceremony entry (type {kind!r})", code="bad_field")
        if kind == COMMIT:
            self._ingest_commit(parse_commit(entry, self.manifest))
        elif kind == REVEAL:
            self._ingest_reveal(parse_reveal(entry, self.manifest))
        elif kind == SHARES:
            self._ingest_shares(parse_shares(entry, self.manifest))
        elif kind == COMPLAINT:
            self._ingest_complaint(parse_complaint(entry, self.manifest))
        else:
            got = parse_joint_key(entry, self.manifest)
            if self._result is not None:
                raise _reject(f"{JOINT_KEY}: the ceremony already has a joint key", "duplicate",
                              CHECK_JOINT)
            self._result = self._compare(got)

    def _open_phase(self, what: str) -> None:
        if self._result is not None:
            raise _reject(f"{what}: the ceremony is closed (joint key published)",
                          "ceremony_closed")

    def _ingest_commit(self, c: Commit) -> None:
        self._open_phase(COMMIT)
        if c.trustee in self._commits:
            raise _reject(f"{COMMIT}: trustee {c.trustee} already committed", "duplicate")
        if self._reveals:  # unreachable while reveals need every commit; kept as the rule
            raise _reject(f"{COMMIT}: the reveal phase has begun", "out_of_phase")
        self._commits[c.trustee] = c

    def _ingest_reveal(self, r: Reveal) -> None:
        self._open_phase(REVEAL)
        i, k, mh = r.trustee, self.manifest.threshold, self.manifest.hash
        if i in self._reveals:
            raise _reject(f"{REVEAL}: trustee {i} already revealed", "duplicate")
        missing = [t for t in range(1, len(self.manifest.trustees) + 1) if t not in self._commits]
        if missing:
            raise _reject(f"{REVEAL}: reveals open only once every trustee has committed; "
                          f"missing commits from {missing}", "commits_incomplete")
        if r.digest != self._commits[i].digest:
            raise _reject(f"{REVEAL}: trustee {i}'s reveal does not match its commit",
                          "digest_mismatch")
        if len(r.coefficients) != k or len(r.proofs) != k:
            raise _reject(f"{REVEAL}: expected {k} coefficients and {k} proofs, got "
                          f"{len(r.coefficients)} and {len(r.proofs)}", "wrong_count")
        for j, (a, p) in enumerate(zip(r.coefficients, r.proofs, strict=True)):
            try:
                verify_knowledge(pok_context(mh, i, j), a, p, check=CHECK_DKG,
                                 what=f"{REVEAL}.proofs[{j}]")
            except InvalidProof as e:
                raise _reject(f"{REVEAL}: trustee {i}, coefficient {j}: {e.reason}",
                              "bad_proof") from None
        self._reveals[i] = r

    def _ingest_shares(self, s: Shares) -> None:
        self._open_phase(SHARES)
        i, n = s.trustee, len(self.manifest.trustees)
        if i in self._shares:
            raise _reject(f"{SHARES}: trustee {i} already sent shares", "duplicate")
        if i not in self._reveals:
            raise _reject(f"{SHARES}: trustee {i} has no reveal on the record", "no_reveal")
        want = [j for j in range(1, n + 1) if j != i]
        got = [x.recipient for x in s.shares]
        if got != want:
            raise _reject(f"{SHARES}: recipients must be {want} in this order, got {got}",
                          "bad_recipients")
        self._shares[i] = s

    def _ingest_complaint(self, c: Complaint) -> None:
        self._open_phase(COMPLAINT)
        j, i = c.accuser, c.dealer
        if j == i:
            raise _reject(f"{COMPLAINT}: trustee {j} complains against itself", "self_complaint")
        if (j, i) in self._complaints:
            raise _reject(f"{COMPLAINT}: trustee {j} already complained against {i}",
                          "duplicate")
        if i not in self._shares:
            raise _reject(f"{COMPLAINT}: trustee {i} has sent no shares", "no_shares")
        self._complaints[(j, i)] = c
        self._verdicts[(j, i)] = self._adjudicate(c)

    def _adjudicate(self, c: Complaint) -> tuple[int, str]:
        """(disqualified party, reason): exactly one of accuser and dealer (§7.1.3)."""
        j, i, m = c.accuser, c.dealer, self.manifest
        es = self._shares[i].share_for(j)
        try:
            verify_equal_logs(complaint_context(m.hash, j, i), es.eph,
                              m.trustees[j - 1].encryption_key, c.shared, c.proof,
                              check=CHECK_DKG, what=COMPLAINT)
        except InvalidProof:
            return j, f"void complaint against trustee {i}: the proof does not verify"
        share = decrypt_share(m, i, j, es.eph, es.ct, c.shared)
        if share is None:
            return i, f"complaint by trustee {j} upheld: its share is not a scalar below n"
        if not share_matches(self._reveals[i].coefficients, j, share):
            return i, f"complaint by trustee {j} upheld: its share does not match the commitments"
        return j, f"false complaint against trustee {i}: the share is valid"

    # -- queries (§7.1.4) -----------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True once a joint-key entry is on the record."""
        return self._result is not None

    @property
    def disqualified(self) -> dict[int, str]:
        """{trustee: reason} from the record so far: verdicts, then silent dealers (§7.1.4)."""
        out: dict[int, str] = {}
        for party, reason in self._verdicts.values():
            out.setdefault(party, reason)
        for t in range(1, len(self.manifest.trustees) + 1):
            if t not in out and t not in self._reveals:
                out[t] = "silent dealer: no valid dkg-reveal"
            elif t not in out and t not in self._shares:
                out[t] = "silent dealer: no dkg-shares"
        return dict(sorted(out.items()))

    @property
    def qualified(self) -> tuple[int, ...]:
        """Q: the trustees not disqualified, increasing (§7.1.4)."""
        bad = self.disqualified
        return tuple(t for t in range(1, len(self.manifest.trustees) + 1) if t not in bad)

    def coefficients(self, dealer: int) -> tuple[Point, ...] | None:
        """Dealer i's revealed commitments A_i, or None."""
        r = self._reveals.get(dealer)
        return None if r is None else r.coefficients

    def encrypted_share(self, dealer: int, recipient: int) -> EncryptedShare | None:
        """The share dealer i sent to trustee j, or None if i has sent no shares."""
        s = self._shares.get(dealer)
        return None if s is None else s.share_for(recipient)

    def has_complaint(self, accuser: int, dealer: int) -> bool:
        return (accuser, dealer) in self._complaints

    def result(self) -> JointKey:
        """Q, K = Σ_{i∈Q} A_i0 and P_j = Σ_{i∈Q} A_i(j); CeremonyFailed if |Q| < k (§7.1.4)."""
        if self._result is not None:
            return self._result
        q, k = self.qualified, self.manifest.threshold
        if len(q) < k:
            raise CeremonyFailed(f"only {len(q)} trustees qualified ({list(q)}), the threshold "
                                 f"is {k}; disqualified: {self.disqualified}", check=CHECK_JOINT)
        comms = [list(self._reveals[i].coefficients) for i in q]
        key = Point.sum(c[0] for c in comms)
        shares = tuple(Point.sum(vss.commitment_at(c, j) for c in comms) for j in q)
        if key.is_identity or any(p.is_identity for p in shares):
            raise CeremonyFailed("the joint key or a public share is the identity",
                                 check=CHECK_JOINT)
        return JointKey(q, key, shares)

    @property
    def joint_key(self) -> Point:
        return self.result().joint_key

    @property
    def public_shares(self) -> dict[int, Point]:
        return self.result().public_share_map

    def result_entry(self, organizer_secret: bytes) -> dict[str, Any]:
        """The joint-key entry, signed by the organizer (§7.1.4)."""
        return sign_entry(self.result().to_entry(self.manifest.hash), organizer_secret)

    def check_joint_key(self, entry: dict[str, Any]) -> JointKey:
        """V3: authenticate a joint-key entry; it must equal the recomputed result (§7.1.4)."""
        return self._compare(parse_joint_key(entry, self.manifest))

    def _compare(self, got: JointKey) -> JointKey:
        want = self.result()
        for name in ("qualified", "joint_key", "public_shares"):
            if getattr(got, name) != getattr(want, name):
                raise _reject(f"{JOINT_KEY}.{name} differs from the value recomputed from the "
                              "record", "joint_key_mismatch", CHECK_JOINT)
        return got


@dataclass(frozen=True, slots=True)
class Cheat:
    """Deviations for demos and tests: pairs are (dealer, recipient) or (accuser, dealer)."""

    bad_shares: tuple[tuple[int, int], ...] = ()
    false_complaints: tuple[tuple[int, int], ...] = ()
    forged_complaints: tuple[tuple[int, int], ...] = ()
    silent: tuple[int, ...] = ()


def run_ceremony(manifest: Manifest, keys: list[TrusteeKeys], organizer_secret: bytes,
                 cheat: Cheat | None = None) -> tuple[list[dict[str, Any]], dict[int, int]]:
    """The whole ceremony in process: (entries in board order, {j: s_j} for j in Q) (§7.1)."""
    cheat = cheat or Cheat()
    sessions = [TrusteeSession.start(manifest, k) for k in keys]
    cer = Ceremony(manifest)
    entries: list[dict[str, Any]] = []

    def post(e: dict[str, Any]) -> None:
        cer.ingest(e)
        entries.append(e)

    for s in sessions:
        post(s.commit_entry())
    for s in sessions:
        post(s.reveal_entry())
    for s in sessions:
        if s.index not in cheat.silent:
            bad = frozenset(j for i, j in cheat.bad_shares if i == s.index)
            post(s.shares_entry(manifest, corrupt_for=bad))
    for s in sessions:
        for e in s.process_shares(cer):
            post(e)
    for j, i in cheat.false_complaints + cheat.forged_complaints:
        e = sessions[j - 1].complaint_entry(cer, i)
        if (j, i) in cheat.forged_complaints:
            e["shared"] = Point.mul_g(7).encode().hex()
            e = sign_entry(e, keys[j - 1].signing_secret)
        post(e)
    post(cer.result_entry(organizer_secret))
    return entries, {s.index: s.secret_share(cer) for s in sessions
                     if s.index in cer.qualified}
