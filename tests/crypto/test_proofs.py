"""Zero-knowledge proofs (spec §6): completeness, a mutation suite over every proof field and every
statement input, forgeries, malleability, and batch verification (spec §6.5)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hamaporsi.crypto.elgamal import Ciphertext, encrypt
from hamaporsi.crypto.errors import InvalidProof
from hamaporsi.crypto.group import ORDER, Point, random_scalar
from hamaporsi.crypto.hashing import hash_to_scalar, u32
from hamaporsi.crypto.proofs import (
    Batch,
    Branch,
    EqualityProof,
    InSetProof,
    SchnorrProof,
    prove_equal_logs,
    prove_in_set,
    prove_knowledge,
    verify_equal_logs,
    verify_in_set,
    verify_knowledge,
)

CTX = b"hamaporsi-test/proofs"
CHECK = "VT"
Run = Callable[[Batch | None], None]

SECRET = random_scalar()
K = Point.mul_g(SECRET)
ALLOWED_SETS = [(0, 1), (1,), (0, 1, 2, 3)]
IN_SET_CASES = [(allowed, m) for allowed in ALLOWED_SETS for m in allowed]


# -- helpers ---------------------------------------------------------------------------------

def pok_run(ctx: bytes, x_pub: Point, proof: SchnorrProof) -> Run:
    return lambda b: verify_knowledge(ctx, x_pub, proof, check=CHECK, what="pok", batch=b)


def dleq_run(ctx: bytes, h: Point, x_pub: Point, y: Point, proof: EqualityProof) -> Run:
    return lambda b: verify_equal_logs(ctx, h, x_pub, y, proof, check=CHECK, what="dleq",
                                       batch=b)


def in_set_run(ctx: bytes, k: Point, ct: Ciphertext, proof: InSetProof,
               allowed: tuple[int, ...]) -> Run:
    return lambda b: verify_in_set(ctx, k, ct, proof, allowed, check=CHECK, what="in-set",
                                   batch=b)


def valid_background(n: int = 3) -> list[Run]:
    """A few valid proofs of each kind, to share a batch with the proof under test."""
    runs: list[Run] = []
    for i in range(n):
        x = random_scalar()
        runs.append(pok_run(CTX, Point.mul_g(x), prove_knowledge(CTX, x, Point.mul_g(x))))
        h = Point.mul_g(random_scalar())
        runs.append(dleq_run(CTX, h, Point.mul_g(x), h.mul(x),
                             prove_equal_logs(CTX, x, h, Point.mul_g(x), h.mul(x))))
        ct, r = encrypt(K, i % 2)
        runs.append(in_set_run(CTX, K, ct, prove_in_set(CTX, K, ct, i % 2, r, (0, 1)), (0, 1)))
    return runs


BACKGROUND = valid_background()


def assert_accepted(run: Run) -> None:
    run(None)
    b = Batch()
    for r in BACKGROUND:
        r(b)
    run(b)
    b.check(CHECK, "batch")


def assert_rejected(run: Run) -> None:
    """Rejected on its own, and inside a batch that otherwise holds only valid proofs."""
    with pytest.raises(InvalidProof) as e:
        run(None)
    assert e.value.check == CHECK
    b = Batch()
    for r in BACKGROUND:
        r(b)
    with pytest.raises(InvalidProof):
        run(b)
        b.check(CHECK, "batch")


def point_variants(p: Point) -> list[Point]:
    """Other valid values for a point field: p + G, −p, an unrelated point, the identity."""
    out = [p + Point.G, -p, Point.mul_g(random_scalar()), Point.IDENTITY]
    return [q for q in out if q != p]


def scalar_variants(c: int) -> list[int]:
    """Other values for a scalar field: +1, −1, an unrelated scalar, 0, and c + n (≥ n)."""
    out = [(c + 1) % ORDER, (c - 1) % ORDER, random_scalar(), 0, c + ORDER]
    return [d for d in out if d != c]


def replace_branch(proof: InSetProof, i: int, **changes: object) -> InSetProof:
    branches = list(proof.branches)
    branches[i] = dataclasses.replace(branches[i], **changes)
    return InSetProof(tuple(branches))


def in_set_as_if(context: bytes, k: Point, ct: Ciphertext, claimed: int, r: int,
                 allowed: tuple[int, ...]) -> InSetProof:
    """A cheating prover: prove_in_set's algorithm with the real branch at `claimed`, whatever
    ct actually encrypts (prove_in_set itself refuses m ∉ allowed)."""
    commits: list[tuple[Point, Point]] = []
    sims: dict[int, tuple[int, int]] = {}
    u = random_scalar()
    for j in allowed:
        if j == claimed:
            commits.append((Point.mul_g(u), k.mul(u)))
        else:
            cj, vj = random_scalar(), random_scalar()
            sims[j] = (cj, vj)
            commits.append((Point.mul_g(vj) - ct.alpha.mul(cj),
                            k.mul(vj) - (ct.beta - Point.mul_g(j)).mul(cj)))
    enc = [p.encode() for ab in commits for p in ab]
    c = hash_to_scalar("in-set", context, k.encode(), ct.alpha.encode(), ct.beta.encode(),
                       u32(len(allowed)) + b"".join(u32(j) for j in allowed), *enc)
    c_real = (c - sum(cj for cj, _ in sims.values())) % ORDER
    branches = []
    for j, (a, b) in zip(allowed, commits, strict=True):
        if j == claimed:
            branches.append(Branch(a, b, c_real, (u + c_real * r) % ORDER))
        else:
            branches.append(Branch(a, b, *sims[j]))
    return InSetProof(tuple(branches))


# -- Batch -----------------------------------------------------------------------------------

def test_batch_basics() -> None:
    b = Batch()
    assert b.is_zero() and len(b) == 0
    b.check(CHECK, "empty")
    p = Point.mul_g(5)
    b.add(3, p)
    b.add(7, Point.IDENTITY)
    assert len(b) == 1 and not b.is_zero()
    with pytest.raises(InvalidProof):
        b.check(CHECK, "x")
    b.add(-3, Point.decode(p.encode()))  # the same point from another object merges
    assert len(b) == 1 and b.is_zero()
    b.add(2, Point.G)
    b.add(-1, Point.mul_g(1))
    b.add_g(-1)
    assert b.is_zero()
    b.add(ORDER, Point.mul_g(9))  # coefficients act mod n
    assert b.is_zero()


def test_batch_folds_kept_parts() -> None:
    p, q = Point.mul_g(3), Point.mul_g(4)
    b = Batch()
    b.add(2, Point.sum([p, q], keep_parts=True))
    assert len(b) == 2
    b.add_g(-14)
    assert b.is_zero()


def test_weights_are_fresh_odd_128_bit() -> None:
    ws = {Batch.weight() for _ in range(100)}
    assert len(ws) == 100
    assert all(w % 2 == 1 and 0 < w < 2**128 for w in ws)


# -- completeness ----------------------------------------------------------------------------

@settings(max_examples=15, deadline=None)
@given(st.integers(min_value=1, max_value=ORDER - 1), st.binary(max_size=40))
def test_pok_completeness(x: int, ctx: bytes) -> None:
    x_pub = Point.mul_g(x)
    proof = prove_knowledge(ctx, x, x_pub)
    assert_accepted(pok_run(ctx, x_pub, proof))


@settings(max_examples=15, deadline=None)
@given(st.integers(min_value=1, max_value=ORDER - 1), st.integers(min_value=1, max_value=ORDER - 1),
       st.binary(max_size=40))
def test_dleq_completeness(x: int, h_log: int, ctx: bytes) -> None:
    h = Point.mul_g(h_log)
    proof = prove_equal_logs(ctx, x, h, Point.mul_g(x), h.mul(x))
    assert_accepted(dleq_run(ctx, h, Point.mul_g(x), h.mul(x), proof))


@pytest.mark.parametrize("allowed, m", IN_SET_CASES)
def test_in_set_completeness(allowed: tuple[int, ...], m: int) -> None:
    ct, r = encrypt(K, m)
    proof = prove_in_set(CTX, K, ct, m, r, allowed)
    assert len(proof.branches) == len(allowed)
    assert sum(b.challenge for b in proof.branches) % ORDER == hash_to_scalar(
        "in-set", CTX, K.encode(), ct.alpha.encode(), ct.beta.encode(),
        u32(len(allowed)) + b"".join(u32(j) for j in allowed),
        *[p.encode() for b in proof.branches for p in (b.a, b.b)])
    assert_accepted(in_set_run(CTX, K, ct, proof, allowed))


def test_proofs_are_randomised() -> None:
    x = random_scalar()
    assert prove_knowledge(CTX, x, Point.mul_g(x)) != prove_knowledge(CTX, x, Point.mul_g(x))
    ct, r = encrypt(K, 1)
    assert prove_in_set(CTX, K, ct, 1, r, (0, 1)) != prove_in_set(CTX, K, ct, 1, r, (0, 1))


def test_in_set_proof_over_a_sum_kept_in_parts() -> None:
    """The selection-total proof is made over Σ ciphertexts; the batch folds the parts."""
    pairs = [encrypt(K, m) for m in (1, 0, 0)]
    r = sum(r for _, r in pairs) % ORDER
    for keep in (False, True):
        total = Ciphertext.sum([c for c, _ in pairs], keep_parts=keep)
        proof = prove_in_set(CTX, K, total, 1, r, (0, 1))
        assert_accepted(in_set_run(CTX, K, total, proof, (0, 1)))
        bad = replace_branch(proof, 0, response=(proof.branches[0].response + 1) % ORDER)
        assert_rejected(in_set_run(CTX, K, total, bad, (0, 1)))


# -- Schnorr proof of knowledge: mutations ---------------------------------------------------

X_SECRET = random_scalar()
X_PUB = Point.mul_g(X_SECRET)
POK = prove_knowledge(CTX, X_SECRET, X_PUB)


@pytest.mark.parametrize("field", ["challenge", "response"])
def test_pok_scalar_mutations(field: str) -> None:
    for value in scalar_variants(getattr(POK, field)):
        assert_rejected(pok_run(CTX, X_PUB, dataclasses.replace(POK, **{field: value})))


def test_pok_commitment_mutations() -> None:
    for h in point_variants(POK.commitment):
        assert_rejected(pok_run(CTX, X_PUB, dataclasses.replace(POK, commitment=h)))


def test_pok_statement_mutations() -> None:
    for ctx in (CTX + b"\x00", CTX[:-1], b""):
        assert_rejected(pok_run(ctx, X_PUB, POK))
    for x_pub in point_variants(X_PUB):
        assert_rejected(pok_run(CTX, x_pub, POK))


def test_pok_wrong_witness_fails() -> None:
    assert_rejected(pok_run(CTX, X_PUB, prove_knowledge(CTX, X_SECRET + 1, X_PUB)))


def test_pok_identity_points_refused() -> None:
    with pytest.raises(InvalidProof, match="identity"):
        pok_run(CTX, Point.IDENTITY, prove_knowledge(CTX, 0, Point.IDENTITY))(None)
    # A commitment at the identity with a challenge that matches it is still refused.
    c = hash_to_scalar("pok", CTX, X_PUB.encode(), Point.IDENTITY.encode())
    forged = SchnorrProof(Point.IDENTITY, c, c * X_SECRET % ORDER)
    with pytest.raises(InvalidProof, match="identity"):
        pok_run(CTX, X_PUB, forged)(None)


def test_pok_challenge_and_response_must_be_below_n() -> None:
    for changes in ({"challenge": POK.challenge + ORDER}, {"response": POK.response + ORDER},
                    {"challenge": -1}, {"response": -ORDER + POK.response}):
        with pytest.raises(InvalidProof, match="out of range"):
            pok_run(CTX, X_PUB, dataclasses.replace(POK, **changes))(None)


def test_pok_forgery_with_a_chosen_response_fails() -> None:
    """Choosing v and c first and solving h = v·G − c·X gives a challenge that does not match."""
    c, v = random_scalar(), random_scalar()
    h = Point.mul_g(v) - X_PUB.mul(c)
    assert_rejected(pok_run(CTX, X_PUB, SchnorrProof(h, c, v)))


# -- Chaum–Pedersen: mutations ---------------------------------------------------------------

H = Point.mul_g(random_scalar())
Y = H.mul(X_SECRET)
DLEQ = prove_equal_logs(CTX, X_SECRET, H, X_PUB, Y)


def test_dleq_valid() -> None:
    assert_accepted(dleq_run(CTX, H, X_PUB, Y, DLEQ))


@pytest.mark.parametrize("field", ["a", "b"])
def test_dleq_commitment_mutations(field: str) -> None:
    for p in point_variants(getattr(DLEQ, field)):
        assert_rejected(dleq_run(CTX, H, X_PUB, Y, dataclasses.replace(DLEQ, **{field: p})))


@pytest.mark.parametrize("field", ["challenge", "response"])
def test_dleq_scalar_mutations(field: str) -> None:
    for value in scalar_variants(getattr(DLEQ, field)):
        assert_rejected(dleq_run(CTX, H, X_PUB, Y, dataclasses.replace(DLEQ, **{field: value})))


def test_dleq_statement_mutations() -> None:
    for ctx in (CTX + b"\x00", b""):
        assert_rejected(dleq_run(ctx, H, X_PUB, Y, DLEQ))
    for h in point_variants(H):
        assert_rejected(dleq_run(CTX, h, X_PUB, Y, DLEQ))
    for x_pub in point_variants(X_PUB):
        assert_rejected(dleq_run(CTX, H, x_pub, Y, DLEQ))
    for y in point_variants(Y):
        assert_rejected(dleq_run(CTX, H, X_PUB, y, DLEQ))
    assert_rejected(dleq_run(CTX, Y, X_PUB, H, DLEQ))  # H and Y swapped


def test_dleq_unequal_logs_fail() -> None:
    y_bad = H.mul(X_SECRET + 1)
    proof = prove_equal_logs(CTX, X_SECRET, H, X_PUB, y_bad)
    assert_rejected(dleq_run(CTX, H, X_PUB, y_bad, proof))


def test_dleq_errors_that_cancel_between_its_two_equations_are_caught() -> None:
    """Weighted alike, the G- and H-equations of a false statement could balance each other."""
    h_log, x, y_log = random_scalar(), random_scalar(), random_scalar()
    h, x_pub, y = Point.mul_g(h_log), Point.mul_g(x), Point.mul_g(y_log)
    assert y != h.mul(x)
    u1, u2 = random_scalar(), random_scalar()
    a, b = Point.mul_g(u1), h.mul(u2)
    c = hash_to_scalar("dleq", CTX, x_pub.encode(), h.encode(), y.encode(), a.encode(),
                       b.encode())
    v = (u1 + c * x + u2 * h_log + c * y_log) * pow(1 + h_log, -1, ORDER) % ORDER
    unweighted = Point.mul_g(v) - a - x_pub.mul(c) + h.mul(v) - b - y.mul(c)
    assert unweighted.is_identity  # the errors cancel exactly
    assert_rejected(dleq_run(CTX, h, x_pub, y, EqualityProof(a, b, c, v)))


# -- disjunctive proof: mutations ------------------------------------------------------------

def in_set_fixture(allowed: tuple[int, ...], m: int) -> tuple[Ciphertext, int, InSetProof]:
    ct, r = encrypt(K, m)
    return ct, r, prove_in_set(CTX, K, ct, m, r, allowed)


@pytest.mark.parametrize("allowed, m", IN_SET_CASES)
def test_in_set_branch_field_mutations(allowed: tuple[int, ...], m: int) -> None:
    ct, _, proof = in_set_fixture(allowed, m)
    for i, br in enumerate(proof.branches):
        for field in ("a", "b"):
            for p in point_variants(getattr(br, field)):
                assert_rejected(in_set_run(CTX, K, ct, replace_branch(proof, i, **{field: p}),
                                           allowed))
        for field in ("challenge", "response"):
            for value in scalar_variants(getattr(br, field)):
                bad = replace_branch(proof, i, **{field: value})
                assert_rejected(in_set_run(CTX, K, ct, bad, allowed))


def mutated_sets(allowed: tuple[int, ...]) -> list[tuple[int, ...]]:
    out = [allowed[:-1] + (allowed[-1] + 1,), allowed + (max(allowed) + 1,), allowed[:-1],
           tuple(reversed(allowed)), tuple(j + 1 for j in allowed)]
    return [s for s in out if s != allowed]


@pytest.mark.parametrize("allowed, m", IN_SET_CASES)
def test_in_set_statement_mutations(allowed: tuple[int, ...], m: int) -> None:
    ct, _, proof = in_set_fixture(allowed, m)
    for ctx in (CTX + b"\x00", b""):
        assert_rejected(in_set_run(ctx, K, ct, proof, allowed))
    for k in point_variants(K):
        assert_rejected(in_set_run(CTX, k, ct, proof, allowed))
    for alpha in point_variants(ct.alpha):
        assert_rejected(in_set_run(CTX, K, Ciphertext(alpha, ct.beta), proof, allowed))
    for beta in point_variants(ct.beta):
        assert_rejected(in_set_run(CTX, K, Ciphertext(ct.alpha, beta), proof, allowed))
    assert_rejected(in_set_run(CTX, K, Ciphertext(ct.beta, ct.alpha), proof, allowed))
    for other in mutated_sets(allowed):
        assert_rejected(in_set_run(CTX, K, ct, proof, other))


@pytest.mark.parametrize("allowed, m", IN_SET_CASES)
def test_in_set_rerandomised_ciphertext_fails(allowed: tuple[int, ...], m: int) -> None:
    ct, r, proof = in_set_fixture(allowed, m)
    r2 = random_scalar()
    ct2 = Ciphertext(ct.alpha + Point.mul_g(r2), ct.beta + K.mul(r2))
    assert ct2.beta - ct2.alpha.mul(SECRET) == Point.mul_g(m)  # still encrypts m
    assert_rejected(in_set_run(CTX, K, ct2, proof, allowed))
    assert_accepted(in_set_run(CTX, K, ct2, prove_in_set(CTX, K, ct2, m, r + r2, allowed),
                               allowed))


def test_in_set_other_ciphertext_fails() -> None:
    ct1, _, proof = in_set_fixture((0, 1), 1)
    ct2, _ = encrypt(K, 1)
    assert_rejected(in_set_run(CTX, K, ct2, proof, (0, 1)))


@pytest.mark.parametrize("allowed, m", [((0, 1), 2), ((0, 1), 5), ((1,), 0), ((0, 1, 2, 3), 4)])
def test_in_set_plaintext_outside_the_set(allowed: tuple[int, ...], m: int) -> None:
    ct, r = encrypt(K, m)
    with pytest.raises(ValueError, match="not in the allowed set"):
        prove_in_set(CTX, K, ct, m, r, allowed)
    for claimed in allowed:
        forged = in_set_as_if(CTX, K, ct, claimed, r, allowed)
        assert_rejected(in_set_run(CTX, K, ct, forged, allowed))


def test_cheating_prover_helper_is_faithful() -> None:
    ct, r = encrypt(K, 1)
    assert_accepted(in_set_run(CTX, K, ct, in_set_as_if(CTX, K, ct, 1, r, (0, 1)), (0, 1)))


def test_in_set_forgery_by_simulating_every_branch_fails() -> None:
    ct, _ = encrypt(K, 2)
    allowed = (0, 1)
    sims = [(random_scalar(), random_scalar()) for _ in allowed]
    branches = [Branch(Point.mul_g(v) - ct.alpha.mul(c),
                       K.mul(v) - (ct.beta - Point.mul_g(j)).mul(c), c, v)
                for j, (c, v) in zip(allowed, sims, strict=True)]
    assert_rejected(in_set_run(CTX, K, ct, InSetProof(tuple(branches)), allowed))


def test_in_set_errors_that_cancel_within_a_branch_are_caught() -> None:
    """Someone who knows log K could balance a branch's two equations against each other if
    they shared a weight: a proof that an encryption of 2 is in {0, 1}."""
    ct, r = encrypt(K, 2)
    c0, v0, u1, u2 = (random_scalar() for _ in range(4))
    a0 = Point.mul_g(v0) - ct.alpha.mul(c0)
    b0 = K.mul(v0) - ct.beta.mul(c0)
    a1, b1 = Point.mul_g(u1), K.mul(u2)
    c = hash_to_scalar("in-set", CTX, K.encode(), ct.alpha.encode(), ct.beta.encode(),
                       u32(2) + u32(0) + u32(1), a0.encode(), b0.encode(), a1.encode(),
                       b1.encode())
    c1 = (c - c0) % ORDER
    s = SECRET
    v1 = (u1 + c1 * r + c1 + s * u2 + s * c1 * r) * pow(1 + s, -1, ORDER) % ORDER
    e1 = Point.mul_g(v1) - a1 - ct.alpha.mul(c1)
    e2 = K.mul(v1) - b1 - (ct.beta - Point.G).mul(c1)
    assert not e1.is_identity and (e1 + e2).is_identity
    proof = InSetProof((Branch(a0, b0, c0, v0), Branch(a1, b1, c1, v1)))
    assert_rejected(in_set_run(CTX, K, ct, proof, (0, 1)))


@pytest.mark.parametrize("allowed, m", [((0, 1), 0), ((0, 1), 1), ((0, 1, 2, 3), 2)])
def test_in_set_branch_order_and_count(allowed: tuple[int, ...], m: int) -> None:
    ct, _, proof = in_set_fixture(allowed, m)
    brs = proof.branches
    variants = [brs[::-1], brs[1:], brs[:-1], brs + brs[:1], (), brs[1:] + brs[:1]]
    for v in variants:
        assert_rejected(in_set_run(CTX, K, ct, InSetProof(v), allowed))


def test_in_set_wrong_branch_count_names_it() -> None:
    ct, _, proof = in_set_fixture((0, 1), 0)
    with pytest.raises(InvalidProof, match="1 branches for 2 allowed values"):
        in_set_run(CTX, K, ct, InSetProof(proof.branches[:1]), (0, 1))(None)


@pytest.mark.parametrize("allowed, m", [((0, 1), 0), ((0, 1), 1), ((0, 1, 2, 3), 3)])
def test_in_set_challenges_are_not_malleable(allowed: tuple[int, ...], m: int) -> None:
    ct, _, proof = in_set_fixture(allowed, m)
    # Adding n to one challenge keeps Σ cⱼ mod n: the range check must catch it.
    bad = replace_branch(proof, 0, challenge=proof.branches[0].challenge + ORDER)
    with pytest.raises(InvalidProof, match="out of range"):
        in_set_run(CTX, K, ct, bad, allowed)(None)
    # Moving challenge mass between branches keeps the sum: the equations must catch it.
    d = random_scalar()
    shifted = replace_branch(replace_branch(proof, 0, challenge=(proof.branches[0].challenge + d)
                                            % ORDER),
                             1, challenge=(proof.branches[1].challenge - d) % ORDER)
    assert_rejected(in_set_run(CTX, K, ct, shifted, allowed))


def test_in_set_swapping_challenges_between_branches_fails() -> None:
    ct, _, proof = in_set_fixture((0, 1), 1)
    b0, b1 = proof.branches
    swapped = InSetProof((dataclasses.replace(b0, challenge=b1.challenge),
                          dataclasses.replace(b1, challenge=b0.challenge)))
    assert_rejected(in_set_run(CTX, K, ct, swapped, (0, 1)))


# -- batches ---------------------------------------------------------------------------------

def many_valid(count: int) -> list[Run]:
    runs: list[Run] = []
    for i in range(count):
        kind = i % 4
        if kind == 0:
            x = random_scalar()
            runs.append(pok_run(CTX, Point.mul_g(x), prove_knowledge(CTX, x, Point.mul_g(x))))
        elif kind == 1:
            ct, _ = encrypt(K, i % 3)
            y = ct.alpha.mul(SECRET)
            proof = prove_equal_logs(CTX, SECRET, ct.alpha, K, y)
            runs.append(dleq_run(CTX, ct.alpha, K, y, proof))
        else:
            allowed = (0, 1) if kind == 2 else (0, 1, 2, 3)
            m = i % len(allowed)
            ct, r = encrypt(K, m)
            runs.append(in_set_run(CTX, K, ct, prove_in_set(CTX, K, ct, m, r, allowed), allowed))
    return runs


VALID_200 = many_valid(200)


def invalid_runs() -> list[Run]:
    """One proof of each kind whose challenge matches but whose equations fail."""
    x = random_scalar()
    pok = prove_knowledge(CTX, x, Point.mul_g(x))
    h = Point.mul_g(random_scalar())
    dleq = prove_equal_logs(CTX, x, h, Point.mul_g(x), h.mul(x))
    ct, r = encrypt(K, 1)
    ins = prove_in_set(CTX, K, ct, 1, r, (0, 1))
    return [
        pok_run(CTX, Point.mul_g(x), dataclasses.replace(pok, response=(pok.response + 1) % ORDER)),
        dleq_run(CTX, h, Point.mul_g(x), h.mul(x),
                 dataclasses.replace(dleq, response=(dleq.response + 1) % ORDER)),
        in_set_run(CTX, K, ct, replace_branch(ins, 1, response=(ins.branches[1].response + 1)
                                              % ORDER), (0, 1)),
    ]


def test_batch_of_200_valid_proofs_passes() -> None:
    b = Batch()
    for run in VALID_200:
        run(b)
    b.check(CHECK, "batch")
    assert len(b) < 6 * 200  # K and G are shared, not repeated per proof


@pytest.mark.parametrize("position", [0, 100, 200])
@pytest.mark.parametrize("kind", [0, 1, 2], ids=["pok", "dleq", "in-set"])
def test_batch_of_200_valid_and_1_invalid_fails(kind: int, position: int) -> None:
    runs = VALID_200[:position] + [invalid_runs()[kind]] + VALID_200[position:]
    b = Batch()
    for run in runs:
        run(b)  # the challenges all match: only the batch equation can catch it
    with pytest.raises(InvalidProof) as e:
        b.check(CHECK, "batch")
    assert e.value.check == CHECK


def test_errors_that_cancel_without_weights_are_caught() -> None:
    """Responses off by +1 and −1 under the same key cancel in an unweighted sum."""
    p1, p2 = prove_knowledge(CTX, X_SECRET, X_PUB), prove_knowledge(CTX, X_SECRET, X_PUB)
    b = Batch()
    pok_run(CTX, X_PUB, dataclasses.replace(p1, response=(p1.response + 1) % ORDER))(b)
    pok_run(CTX, X_PUB, dataclasses.replace(p2, response=(p2.response - 1) % ORDER))(b)
    with pytest.raises(InvalidProof):
        b.check(CHECK, "batch")
