"""Zero-knowledge proofs in commitment form (spec §6): Schnorr proof of knowledge,
Chaum–Pedersen equality of discrete logs, and the disjunctive proof that a ciphertext encrypts
one of a set of allowed values (a 0/1 selection, or an allowed selection total).

Every proof carries its commitments, its challenges and its responses. Verification recomputes
each challenge from the statement and the commitments and compares it (strong Fiat–Shamir), then
adds the proof's equations, each with a fresh 128-bit weight, to a `Batch`: one multi-scalar
check covers many proofs (spec §6.5).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from .elgamal import Ciphertext
from .errors import InvalidProof
from .group import ORDER, Point, random_scalar
from .hashing import hash_to_scalar, u32


class Batch:
    """Σ coefficient·point accumulated over many proof equations; `check` asserts it is O.

    Each equation E = 0 enters multiplied by a fresh random 128-bit weight drawn by the verifier
    after the proofs are fixed, so a false equation makes the sum non-zero except with
    probability 2^-128 (spec §6.5). Points repeated across equations (G, K, a ballot's α) are
    multiplied once.
    """

    __slots__ = ("_g", "_terms")

    def __init__(self) -> None:
        self._g = 0
        self._terms: dict[bytes, list] = {}

    @staticmethod
    def weight() -> int:
        return secrets.randbits(128) | 1

    def add(self, coef: int, p: Point) -> None:
        """Add coef·p; a sum that kept its parts adds coef·part for each part instead."""
        if p.parts is not None:
            for q in p.parts:
                self.add(coef, q)
            return
        if p is Point.G:
            self._g += coef
            return
        if p.is_identity:
            return
        key = p.encode()
        t = self._terms.get(key)
        if t is None:
            self._terms[key] = [p, coef]
        else:
            t[1] += coef

    def add_g(self, coef: int) -> None:
        self._g += coef

    def merge(self, other: Batch) -> None:
        """Add every equation of `other` (e.g. one ballot's, once all its checks passed)."""
        self._g += other._g
        for key, (p, coef) in other._terms.items():
            t = self._terms.get(key)
            if t is None:
                self._terms[key] = [p, coef]
            else:
                t[1] += coef

    def __len__(self) -> int:
        return len(self._terms)

    def is_zero(self) -> bool:
        """True when Σ coefficient·point is the identity."""
        pts = [p.mul(c) for p, c in self._terms.values()]
        pts.append(Point.mul_g(self._g))
        return Point.sum(pts).is_identity

    def check(self, check: str, what: str) -> None:
        if not self.is_zero():
            raise InvalidProof(check, f"{what}: proof equations do not hold")


def _run(batch: Batch | None) -> tuple[Batch, bool]:
    if batch is None:
        return Batch(), True
    return batch, False


def _scalar_ok(check: str, what: str, *ks: int) -> None:
    for k in ks:
        if not 0 <= k < ORDER:
            raise InvalidProof(check, f"{what}: scalar out of range [0, n)")


# -- Schnorr proof of knowledge of x with X = x·G (spec §6.1) --------------------------------

@dataclass(frozen=True, slots=True)
class SchnorrProof:
    """h = u·G; c = Hq("pok", ctx, X, h); v = u + c·x. Check: v·G = h + c·X."""

    commitment: Point
    challenge: int
    response: int


def _pok_challenge(context: bytes, x_pub: Point, h: Point) -> int:
    return hash_to_scalar("pok", context, x_pub.encode(), h.encode())


def prove_knowledge(context: bytes, x: int, x_pub: Point,
                    rand: Callable[[], int] = random_scalar) -> SchnorrProof:
    u = rand()
    h = Point.mul_g(u)
    c = _pok_challenge(context, x_pub, h)
    return SchnorrProof(h, c, (u + c * x) % ORDER)


def verify_knowledge(context: bytes, x_pub: Point, proof: SchnorrProof, *, check: str,
                     what: str, batch: Batch | None = None) -> None:
    _scalar_ok(check, what, proof.challenge, proof.response)
    if x_pub.is_identity or proof.commitment.is_identity:
        raise InvalidProof(check, f"{what}: identity point in proof of knowledge")
    if _pok_challenge(context, x_pub, proof.commitment) != proof.challenge:
        raise InvalidProof(check, f"{what}: challenge does not match the statement")
    b, now = _run(batch)
    z = Batch.weight()
    b.add_g(z * proof.response)
    b.add(-z, proof.commitment)
    b.add(-z * proof.challenge, x_pub)
    if now:
        b.check(check, what)


# -- Chaum–Pedersen: log_G X = log_H Y (spec §6.2) ------------------------------------------

@dataclass(frozen=True, slots=True)
class EqualityProof:
    """a = u·G, b = u·H; c = Hq("dleq", ctx, X, H, Y, a, b); v = u + c·x.
    Check: v·G = a + c·X and v·H = b + c·Y."""

    a: Point
    b: Point
    challenge: int
    response: int


def _dleq_challenge(context: bytes, x_pub: Point, h: Point, y: Point, a: Point, b: Point) -> int:
    return hash_to_scalar("dleq", context, x_pub.encode(), h.encode(), y.encode(), a.encode(),
                          b.encode())


def prove_equal_logs(context: bytes, x: int, h: Point, x_pub: Point, y: Point,
                     rand: Callable[[], int] = random_scalar) -> EqualityProof:
    u = rand()
    a, b = Point.mul_g(u), h.mul(u)
    c = _dleq_challenge(context, x_pub, h, y, a, b)
    return EqualityProof(a, b, c, (u + c * x) % ORDER)


def verify_equal_logs(context: bytes, h: Point, x_pub: Point, y: Point, proof: EqualityProof, *,
                      check: str, what: str, batch: Batch | None = None) -> None:
    _scalar_ok(check, what, proof.challenge, proof.response)
    if _dleq_challenge(context, x_pub, h, y, proof.a, proof.b) != proof.challenge:
        raise InvalidProof(check, f"{what}: challenge does not match the statement")
    bt, now = _run(batch)
    z1, z2 = Batch.weight(), Batch.weight()
    c, v = proof.challenge, proof.response
    bt.add_g(z1 * v)
    bt.add(-z1, proof.a)
    bt.add(-z1 * c, x_pub)
    bt.add(z2 * v, h)
    bt.add(-z2, proof.b)
    bt.add(-z2 * c, y)
    if now:
        bt.check(check, what)


# -- Disjunctive Chaum–Pedersen: (α, β) encrypts some m ∈ allowed (spec §6.3) ---------------

@dataclass(frozen=True, slots=True)
class Branch:
    """One value j of the disjunction: a = u·G, b = u·K (or simulated), challenge c, response v."""

    a: Point
    b: Point
    challenge: int
    response: int


@dataclass(frozen=True, slots=True)
class InSetProof:
    """Branches in the order of the allowed values; Σ cⱼ = Hq("in-set", ctx, K, α, β, S, aⱼ, bⱼ…).
    Check for each j: vⱼ·G = aⱼ + cⱼ·α and vⱼ·K = bⱼ + cⱼ·(β − j·G)."""

    branches: tuple[Branch, ...]


def _allowed_bytes(allowed: tuple[int, ...]) -> bytes:
    return u32(len(allowed)) + b"".join(u32(j) for j in allowed)


def _in_set_challenge(context: bytes, k: Point, ct: Ciphertext, allowed: tuple[int, ...],
                      commitments: list[bytes]) -> int:
    return hash_to_scalar("in-set", context, k.encode(), ct.alpha.encode(), ct.beta.encode(),
                          _allowed_bytes(allowed), *commitments)


def prove_in_set(context: bytes, k: Point, ct: Ciphertext, m: int, r: int,
                 allowed: tuple[int, ...], rand: Callable[[], int] = random_scalar
                 ) -> InSetProof:
    """Prove that ct = (r·G, m·G + r·K) with m ∈ allowed, revealing nothing else about m.
    Draws from `rand`: u, then cⱼ, vⱼ for each other j in the order of `allowed` (§6.3)."""
    if m not in allowed:
        raise ValueError("plaintext is not in the allowed set")
    sims: dict[int, tuple[int, int]] = {}
    commits: list[tuple[Point, Point]] = []
    u = rand()
    for j in allowed:
        if j == m:
            commits.append((Point.mul_g(u), k.mul(u)))
        else:
            cj = rand()
            vj = rand()
            sims[j] = (cj, vj)
            a = Point.mul_g(vj) - ct.alpha.mul(cj)
            b = k.mul(vj) - (ct.beta - Point.mul_g(j)).mul(cj)
            commits.append((a, b))
    enc = [p.encode() for ab in commits for p in ab]
    c = _in_set_challenge(context, k, ct, allowed, enc)
    c_real = (c - sum(cj for cj, _ in sims.values())) % ORDER
    branches = []
    for j, (a, b) in zip(allowed, commits):
        if j == m:
            branches.append(Branch(a, b, c_real, (u + c_real * r) % ORDER))
        else:
            cj, vj = sims[j]
            branches.append(Branch(a, b, cj, vj))
    return InSetProof(tuple(branches))


def verify_in_set(context: bytes, k: Point, ct: Ciphertext, proof: InSetProof,
                  allowed: tuple[int, ...], *, check: str, what: str,
                  batch: Batch | None = None) -> None:
    if len(proof.branches) != len(allowed):
        raise InvalidProof(check, f"{what}: {len(proof.branches)} branches for "
                                  f"{len(allowed)} allowed values")
    enc: list[bytes] = []
    csum = 0
    for br in proof.branches:
        _scalar_ok(check, what, br.challenge, br.response)
        enc.append(br.a.encode())
        enc.append(br.b.encode())
        csum += br.challenge
    if _in_set_challenge(context, k, ct, allowed, enc) != csum % ORDER:
        raise InvalidProof(check, f"{what}: challenges do not add up to the hash of the statement")
    bt, now = _run(batch)
    alpha_coef = beta_coef = 0
    g = 0
    for j, br in zip(allowed, proof.branches):
        z1, z2 = Batch.weight(), Batch.weight()
        c, v = br.challenge, br.response
        g += z1 * v + z2 * c * j
        bt.add(-z1, br.a)
        alpha_coef -= z1 * c
        bt.add(z2 * v, k)
        bt.add(-z2, br.b)
        beta_coef -= z2 * c
    bt.add_g(g)
    bt.add(alpha_coef, ct.alpha)
    bt.add(beta_coef, ct.beta)
    if now:
        bt.check(check, what)
