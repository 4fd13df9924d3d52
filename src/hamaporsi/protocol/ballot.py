"""Encrypted ballots (spec §5.5): one ciphertext per stored option with a 0/1 proof, a proof
that the selections add up to an allowed total, all bound to the election and to the casting
credential, signed by the credential. Also the Benaloh audit (spec §5.6)."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..crypto.elgamal import Ciphertext, encrypt
from ..crypto.group import ORDER, Point, random_scalar, scalar_bytes
from ..crypto.hashing import hash_parts
from ..crypto.proofs import Batch, InSetProof, prove_in_set, verify_in_set
from . import codec
from .canonical import canonical_bytes
from .election import TOTAL_INDEX, ElectionContext
from .errors import MalformedInput, Rejected
from .signing import sign_entry, verify_entry

BIT = (0, 1)
BALLOT_KEYS = {"type", "election", "credential", "selections", "total_proof", "sig"}


def tracking_code(entry_bytes: bytes) -> bytes:
    """H("tracking", canonical ballot bytes): names a ballot on receipts and the board (§5.5)."""
    return hash_parts("tracking", entry_bytes)


def choice_vector(ctx: ElectionContext, selected: list[int]) -> list[int]:
    """0/1 per option from the indices a voter selected; refuses a disallowed count (§5.5)."""
    m = ctx.manifest
    if len(set(selected)) != len(selected) or any(not 0 <= i < len(m.options) for i in selected):
        raise ValueError("selected options must be distinct option indices")
    if not m.min_selections <= len(selected) <= m.max_selections:
        raise ValueError(f"select between {m.min_selections} and {m.max_selections} options")
    return [1 if i in selected else 0 for i in range(len(m.options))]


@dataclass(frozen=True, slots=True)
class EncryptedBallot:
    """A ballot as the voter's device made it: the signed entry and the nonces (kept secret
    unless the voter audits the ballot)."""

    entry: dict[str, Any]
    choices: tuple[int, ...]
    nonces: tuple[int, ...]

    @property
    def bytes(self) -> builtins.bytes:
        """The exact canonical bytes to submit."""
        return canonical_bytes(self.entry)

    @property
    def tracking_code(self) -> builtins.bytes:
        return tracking_code(self.bytes)

    def audit_entry(self) -> dict[str, Any]:
        """Open the ballot instead of casting it (Benaloh challenge, spec §5.6)."""
        return {"type": "audit", "ballot": self.entry, "choices": list(self.choices),
                "nonces": [scalar_bytes(r).hex() for r in self.nonces]}


def encrypt_ballot(ctx: ElectionContext, credential_secret: bytes, credential_public: bytes,
                   selected: list[int], *, rand: Callable[[], int] = random_scalar,
                   aux: bytes | None = None) -> EncryptedBallot:
    """Encrypt the voter's choice and prove it well-formed (spec §5.5). Randomness comes from
    `rand` in this order: per stored selection its nonce r then its proof's draws, then the
    total proof's draws; `aux` is the signature's (both fixed only for test vectors)."""
    m = ctx.manifest
    stored = choice_vector(ctx, selected)[: m.stored_options]
    sels, cts, rs = [], [], []
    for i, bit in enumerate(stored):
        ct, r = encrypt(ctx.joint_key, bit, rand=rand)
        proof = prove_in_set(ctx.proof_context(credential_public, i), ctx.joint_key, ct, bit, r,
                             BIT, rand)
        cts.append(ct)
        rs.append(r)
        sels.append({"alpha": ct.alpha.encode().hex(), "beta": ct.beta.encode().hex(),
                     "proof": codec.in_set_to_json(proof)})
    total_proof = None
    allowed = m.total_allowed
    if allowed is not None:
        tot = Ciphertext.sum(cts)
        tp = prove_in_set(ctx.proof_context(credential_public, TOTAL_INDEX), ctx.joint_key, tot,
                          sum(stored), sum(rs) % ORDER, allowed, rand)
        total_proof = codec.in_set_to_json(tp)
    entry = {"type": "ballot", "election": ctx.hash.hex(), "credential": credential_public.hex(),
             "selections": sels, "total_proof": total_proof}
    return EncryptedBallot(sign_entry(entry, credential_secret, aux), tuple(stored), tuple(rs))


@dataclass(frozen=True, slots=True)
class Ballot:
    """A parsed ballot whose signature and proofs have been checked."""

    credential: bytes
    ciphertexts: tuple[Ciphertext, ...]
    commitments: tuple[bytes, ...] = ()
    """The `a` of every proof branch: u·G for a real branch, so a repeat means a reused proof
    nonce, which reveals the vote (checked unique with the αs, V11)."""


def parse_ballot(ctx: ElectionContext, entry: Any) -> tuple[Ballot, list[InSetProof],
                                                             InSetProof | None]:
    """Structure checks (V5): exact fields, this election, right number of ciphertexts."""
    m = ctx.manifest
    o = codec.obj(entry, "ballot", BALLOT_KEYS)
    if o["type"] != "ballot":
        raise MalformedInput("ballot.type must be 'ballot'", code="bad_field")
    if codec.hex_bytes(o["election"], 32, "ballot.election") != ctx.hash:
        raise Rejected("ballot is for another election", code="wrong_election", check="V5")
    cred = codec.hex_bytes(o["credential"], 32, "ballot.credential")
    sels = o["selections"]
    if not isinstance(sels, list) or len(sels) != m.stored_options:
        raise Rejected(f"ballot must carry {m.stored_options} encrypted selections",
                       code="bad_structure", check="V5")
    cts, proofs = [], []
    for i, s in enumerate(sels):
        f = f"ballot.selections[{i}]"
        so = codec.obj(s, f, {"alpha", "beta", "proof"})
        cts.append(Ciphertext(codec.point(so["alpha"], f + ".alpha"),
                              codec.point(so["beta"], f + ".beta")))
        proofs.append(codec.in_set_from_json(so["proof"], f + ".proof", 2))
    allowed = m.total_allowed
    if allowed is None:
        if o["total_proof"] is not None:
            raise Rejected("ballot.total_proof must be null for this election",
                           code="bad_structure", check="V5")
        total = None
    else:
        total = codec.in_set_from_json(o["total_proof"], "ballot.total_proof", len(allowed))
    branches = [br for p in (*proofs, *([total] if total is not None else [])) for br in p.branches]
    return Ballot(cred, tuple(cts), tuple(br.a.encode() for br in branches)), proofs, total


@dataclass(frozen=True, slots=True)
class BallotValues:
    """A stored ballot's values as encoded bytes, read without decoding a point or checking a
    proof: what the cross-entry rules (V10–V12) need of a ballot already verified once."""

    credential: bytes
    alphas: tuple[bytes, ...]
    betas: tuple[bytes, ...]
    commitments: tuple[bytes, ...]
    """As `Ballot.commitments`: the `a` of every branch, selections first, then the total."""


def _branch_as(proof: Any, field: str) -> list[bytes]:
    items = codec.array(proof, field, 1, 64)
    return [codec.hex_bytes(codec.obj(b, f"{field}[{i}]", {"a", "b", "c", "v"})["a"], 33,
                            f"{field}[{i}].a") for i, b in enumerate(items)]


def ballot_values(entry: Any) -> BallotValues:
    """Read a ballot's credential, ciphertexts and proof commitments (spec §5.5) *without*
    checking them: only for a ballot that a board already verified and stored (§8.6.4).
    Malformed bytes still raise MalformedInput; a bad point or proof is not noticed."""
    o = codec.obj(entry, "ballot", BALLOT_KEYS)
    cred = codec.hex_bytes(o["credential"], 32, "ballot.credential")
    sels = codec.array(o["selections"], "ballot.selections", 1, 64)
    alphas, betas, commitments = [], [], []
    for i, s in enumerate(sels):
        f = f"ballot.selections[{i}]"
        so = codec.obj(s, f, {"alpha", "beta", "proof"})
        alphas.append(codec.hex_bytes(so["alpha"], 33, f + ".alpha"))
        betas.append(codec.hex_bytes(so["beta"], 33, f + ".beta"))
        commitments += _branch_as(so["proof"], f + ".proof")
    if o["total_proof"] is not None:
        commitments += _branch_as(o["total_proof"], "ballot.total_proof")
    return BallotValues(cred, tuple(alphas), tuple(betas), tuple(commitments))


def verify_ballot(ctx: ElectionContext, entry: Any, batch: Batch | None = None) -> Ballot:
    """Check a ballot alone: structure (V5), signature (V6), 0/1 proofs (V7) and the total
    proof (V8). Eligibility, uniqueness and re-voting need the record (spec §9).

    With a `batch`, the proof equations are only added to it: the caller must `check` it.
    """
    ballot, proofs, total = parse_ballot(ctx, entry)
    cred = ballot.credential
    verify_entry(entry, cred, check="V6", what="ballot")
    own = batch is None
    bt = batch if batch is not None else Batch()
    for i, (ct, p) in enumerate(zip(ballot.ciphertexts, proofs)):
        verify_in_set(ctx.proof_context(cred, i), ctx.joint_key, ct, p, BIT, check="V7",
                      what=f"selection {i}", batch=bt)
    if own:  # checked apart from the total's equations, so that a bad total is named V8
        bt.check("V7", "ballot proofs")
    allowed = ctx.manifest.total_allowed
    if total is not None and allowed is not None:
        tot = Ciphertext.sum(list(ballot.ciphertexts), keep_parts=True)
        verify_in_set(ctx.proof_context(cred, TOTAL_INDEX), ctx.joint_key, tot, total, allowed,
                      check="V8", what="selection total", batch=None if own else bt)
    return ballot


def counted_totals(ctx: ElectionContext, stored: list[Ciphertext], ballots: int
                   ) -> list[Ciphertext]:
    """Per-option totals from the sums of the stored ciphertexts of `ballots` ballots; in an
    exactly-one election the last option's total is derived: (−Σα, ballots·G − Σβ) over all
    stored options (spec §5.5, §7.2)."""
    out = list(stored)
    if ctx.manifest.implied_last:
        s = Ciphertext.sum(out)
        out.append(Ciphertext(-s.alpha, Point.mul_g(ballots) - s.beta))
    return out


def verify_audit(ctx: ElectionContext, entry: Any) -> tuple[Ballot, bytes]:
    """An opened ballot (A1): the ballot is valid and each (α, β) is the encryption of the
    stated choice under the stated nonce. Returns the ballot and its tracking code."""
    o = codec.obj(entry, "audit", {"type", "ballot", "choices", "nonces"})
    ballot = verify_ballot(ctx, o["ballot"])
    n = len(ballot.ciphertexts)
    choices = codec.array(o["choices"], "audit.choices", n, n)
    nonces = codec.array(o["nonces"], "audit.nonces", n, n)
    for i, (ct, mv, rv) in enumerate(zip(ballot.ciphertexts, choices, nonces)):
        mi = codec.integer(mv, f"audit.choices[{i}]", 0, 1)
        r = codec.scalar(rv, f"audit.nonces[{i}]")
        if Point.mul_g(r) != ct.alpha or Point.mul_g(mi) + ctx.joint_key.mul(r) != ct.beta:
            raise Rejected(f"audit: selection {i} does not open to the stated choice",
                           code="bad_audit", check="V9")
    return ballot, tracking_code(canonical_bytes(o["ballot"]))
