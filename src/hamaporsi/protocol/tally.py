"""Tally, threshold decryption and result (spec §7.2–§7.4): the homomorphic sum of the counting
ballots per option, decryption shares with Chaum–Pedersen proofs from any k trustees, Lagrange
combination and the discrete log of each count."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..crypto.dlog import DiscreteLogNotFound, discrete_log
from ..crypto.elgamal import Ciphertext, partial_decrypt
from ..crypto.errors import InvalidProof
from ..crypto.group import Point
from ..crypto.hashing import u32
from ..crypto.proofs import EqualityProof, prove_equal_logs, verify_equal_logs
from ..crypto.vss import lagrange_at_zero
from . import codec
from .election import ElectionContext
from .errors import Rejected
from .signing import sign_entry


def ct_to_json(ct: Ciphertext) -> dict[str, str]:
    return {"alpha": ct.alpha.encode().hex(), "beta": ct.beta.encode().hex()}


def ct_from_json(v: Any, field: str) -> Ciphertext:
    o = codec.obj(v, field, {"alpha", "beta"})
    return Ciphertext(codec.point(o["alpha"], f"{field}.alpha", identity_ok=True),
                      codec.point(o["beta"], f"{field}.beta", identity_ok=True))


def tally_entry(ctx: ElectionContext, totals: list[Ciphertext], counted: int,
                organizer_secret: bytes) -> dict[str, Any]:
    """The organizer's `tally`: one summed ciphertext per option and the ballots counted."""
    return sign_entry({"type": "tally", "election": ctx.hash.hex(), "counted": counted,
                       "ciphertexts": [ct_to_json(c) for c in totals]}, organizer_secret)


@dataclass(frozen=True, slots=True)
class Tally:
    counted: int
    ciphertexts: tuple[Ciphertext, ...]


def parse_tally(ctx: ElectionContext, entry: Any) -> Tally:
    o = codec.obj(entry, "tally", {"type", "election", "counted", "ciphertexts", "sig"})
    if codec.hex_bytes(o["election"], 32, "tally.election") != ctx.hash:
        raise Rejected("tally is for another election", code="wrong_election", check="V12")
    n = len(ctx.manifest.options)
    cts = codec.array(o["ciphertexts"], "tally.ciphertexts", n, n)
    return Tally(codec.integer(o["counted"], "tally.counted"),
                 tuple(ct_from_json(c, f"tally.ciphertexts[{i}]") for i, c in enumerate(cts)))


def _share_context(ctx: ElectionContext, trustee: int, option: int) -> bytes:
    """election hash ‖ u32(trustee) ‖ u32(option) ‖ "decrypt" (spec §7.3)."""
    return ctx.hash + u32(trustee) + u32(option) + b"decrypt"


def decryption_entry(ctx: ElectionContext, tally: Tally, trustee: int, share_secret: int,
                     signing_secret: bytes) -> dict[str, Any]:
    """A trustee's shares Mⱼ = sⱼ·α for every option, each with its proof (spec §7.3)."""
    shares: list[dict[str, Any]] = []
    pub = Point.mul_g(share_secret)
    for i, ct in enumerate(tally.ciphertexts):
        m = partial_decrypt(share_secret, ct)
        if ct.alpha.is_identity:
            shares.append({"m": m.encode().hex(), "proof": None})
            continue
        p = prove_equal_logs(_share_context(ctx, trustee, i), share_secret, ct.alpha, pub, m)
        shares.append({"m": m.encode().hex(), "proof": codec.dleq_to_json(p)})
    return sign_entry({"type": "decryption", "election": ctx.hash.hex(), "trustee": trustee,
                       "shares": shares}, signing_secret)


def verify_decryption(ctx: ElectionContext, tally: Tally, entry: Any,
                      public_shares: dict[int, Point]) -> tuple[int, list[Point]]:
    """V13: each share is sⱼ·α for the trustee's public share Pⱼ (Chaum–Pedersen)."""
    o = codec.obj(entry, "decryption", {"type", "election", "trustee", "shares", "sig"})
    j = codec.integer(o["trustee"], "decryption.trustee", 1, len(ctx.manifest.trustees))
    if codec.hex_bytes(o["election"], 32, "decryption.election") != ctx.hash:
        raise Rejected("decryption share is for another election", code="wrong_election",
                       check="V13")
    if j not in public_shares:
        raise Rejected(f"trustee {j} is not qualified", code="not_qualified", check="V13")
    n = len(tally.ciphertexts)
    items = codec.array(o["shares"], "decryption.shares", n, n)
    out = []
    for i, (ct, it) in enumerate(zip(tally.ciphertexts, items)):
        f = f"decryption.shares[{i}]"
        so = codec.obj(it, f, {"m", "proof"})
        m = codec.point(so["m"], f + ".m", identity_ok=True)
        if ct.alpha.is_identity:
            if not m.is_identity or so["proof"] is not None:
                raise Rejected(f"{f}: α is the identity, so the share must be too",
                               code="bad_share", check="V13")
        else:
            p: EqualityProof = codec.dleq_from_json(so["proof"], f + ".proof")
            try:
                verify_equal_logs(_share_context(ctx, j, i), ct.alpha, public_shares[j], m, p,
                                  check="V13", what=f"trustee {j} option {i}")
            except InvalidProof as e:
                raise Rejected(e.reason, code="bad_share", check="V13") from e
        out.append(m)
    return j, out


def shares_used(ctx: ElectionContext, shares: dict[int, list[Point]]) -> list[int]:
    """The trustees whose shares decrypt: the first k by index among the verified (§7.4)."""
    k = ctx.manifest.threshold
    if len(shares) < k:
        raise Rejected(f"{len(shares)} valid decryption shares, {k} needed",
                       code="too_few_shares", check="V14")
    return sorted(shares)[:k]


def combine(ctx: ElectionContext, tally: Tally, shares: dict[int, list[Point]]) -> list[int]:
    """Counts from k verified shares: T = β − Σ λⱼ·Mⱼ, count = dlog_G T ≤ counted (§7.4)."""
    used = shares_used(ctx, shares)
    lam = {j: lagrange_at_zero(j, used) for j in used}
    counts = []
    for i, ct in enumerate(tally.ciphertexts):
        t = ct.beta - Point.sum(shares[j][i].mul(lam[j]) for j in used)
        try:
            counts.append(discrete_log(t, tally.counted))
        except DiscreteLogNotFound as e:
            raise Rejected(f"option {i}: decrypted tally is not in [0, {tally.counted}]",
                           code="bad_tally", check="V14") from e
    return counts


def result_entry(ctx: ElectionContext, counts: list[int], voted: int, trustees: list[int],
                 organizer_secret: bytes) -> dict[str, Any]:
    """The published `result`: counts per option, blank ballots (when at most one selection
    is allowed) and turnout (credentials that voted out of credentials issued)."""
    blank = voted - sum(counts) if ctx.manifest.max_selections == 1 else None
    return sign_entry({"type": "result", "election": ctx.hash.hex(), "counts": counts,
                       "blank": blank, "voted": voted, "eligible": ctx.credential_count,
                       "trustees": trustees}, organizer_secret)
