"""Feldman VSS and Lagrange interpolation at 0 (spec §7.1)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hamaporsi.crypto.elgamal import encrypt, partial_decrypt
from hamaporsi.crypto.errors import InvalidProof
from hamaporsi.crypto.group import ORDER, Point, random_scalar
from hamaporsi.crypto.vss import (
    commitment_at,
    commitments,
    evaluate,
    lagrange_at_zero,
    random_polynomial,
    verify_share,
)

CHECK = "VT"


def interpolate(points: dict[int, int]) -> int:
    idx = list(points)
    return sum(lagrange_at_zero(i, idx) * y for i, y in points.items()) % ORDER


def test_evaluate_by_hand() -> None:
    assert evaluate([1, 2, 3], 0) == 1
    assert evaluate([1, 2, 3], 2) == 1 + 2 * 2 + 3 * 4
    assert evaluate([5], 99) == 5
    assert evaluate([], 3) == 0
    assert evaluate([ORDER - 1, 1], 1) == 0  # reduced mod n


@pytest.mark.parametrize("k", [1, 2, 3, 7])
def test_random_polynomial_shape(k: int) -> None:
    for _ in range(20):
        coeffs = random_polynomial(k, secret=0 if k > 1 else 5)
        assert len(coeffs) == k
        assert coeffs[-1] != 0  # degree exactly k − 1
        assert all(0 <= a < ORDER for a in coeffs)
    assert random_polynomial(k, secret=ORDER + 7)[0] == 7
    assert random_polynomial(k)[0] != 0


def test_random_polynomial_refuses_threshold_below_one() -> None:
    for k in (0, -1):
        with pytest.raises(ValueError):
            random_polynomial(k)


def test_shares_verify_and_wrong_shares_fail() -> None:
    coeffs = random_polynomial(3)
    comms = commitments(coeffs)
    assert comms == [Point.mul_g(a) for a in coeffs]
    for i in range(1, 6):
        s = evaluate(coeffs, i)
        assert commitment_at(comms, i) == Point.mul_g(s)
        verify_share(comms, i, s, check=CHECK, what="share")
        for bad_share, at in ((s + 1) % ORDER, i), (s, i + 1), (s + ORDER, i), (-1, i), (0, i):
            with pytest.raises(InvalidProof) as e:
                verify_share(comms, at, bad_share, check=CHECK, what="share")
            assert e.value.check == CHECK
    other = commitments(random_polynomial(3))
    with pytest.raises(InvalidProof):
        verify_share(other, 1, evaluate(coeffs, 1), check=CHECK, what="share")
    # A commitment list of the wrong degree does not accept the shares either.
    with pytest.raises(InvalidProof):
        verify_share(comms[:2], 4, evaluate(coeffs, 4), check=CHECK, what="share")


def test_commitment_at_zero_is_the_public_secret() -> None:
    coeffs = random_polynomial(4)
    assert commitment_at(commitments(coeffs), 0) == Point.mul_g(coeffs[0])


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_threshold_interpolation(data: st.DataObject) -> None:
    n = data.draw(st.integers(min_value=1, max_value=7), label="n")
    k = data.draw(st.integers(min_value=1, max_value=n), label="k")
    coeffs = random_polynomial(k)
    shares = {i: evaluate(coeffs, i) for i in range(1, n + 1)}
    chosen = data.draw(st.permutations(range(1, n + 1)), label="order")
    subset = {i: shares[i] for i in chosen[:k]}
    assert interpolate(subset) == coeffs[0]
    # The same in the exponent: Σ λᵢ·(f(i)·G) = A₀.
    idx = list(subset)
    assert Point.sum(Point.mul_g(shares[i]).mul(lagrange_at_zero(i, idx)) for i in idx) \
        == Point.mul_g(coeffs[0])
    if k > 1:
        fewer = {i: shares[i] for i in chosen[:k - 1]}
        assert interpolate(fewer) != coeffs[0]


def test_lagrange_refuses_bad_index_sets() -> None:
    with pytest.raises(ValueError):
        lagrange_at_zero(1, [1, 2, 2])
    with pytest.raises(ValueError):
        lagrange_at_zero(1, [0, 1, 2])
    with pytest.raises(ValueError):
        lagrange_at_zero(0, [0, 1])
    with pytest.raises(ValueError):
        lagrange_at_zero(3, [1, 2])
    with pytest.raises(ValueError):
        lagrange_at_zero(1, [])


def test_lagrange_known_values() -> None:
    assert lagrange_at_zero(5, [5]) == 1
    # λ₁ = 2/(2−1) = 2, λ₂ = 1/(1−2) = −1 for indices {1, 2}.
    assert lagrange_at_zero(1, [1, 2]) == 2
    assert lagrange_at_zero(2, [1, 2]) == ORDER - 1
    idx = [1, 3, 4, 7]
    assert sum(lagrange_at_zero(i, idx) for i in idx) % ORDER == 1


def test_threshold_decryption() -> None:
    """Partial decryptions sᵢ·α of any k trustees combine to s·α (spec §7.2)."""
    coeffs = random_polynomial(3)
    key = Point.mul_g(coeffs[0])
    ct, _ = encrypt(key, 42)
    shares = {i: evaluate(coeffs, i) for i in range(1, 6)}
    for idx in ([1, 2, 3], [2, 4, 5], [5, 1, 3]):
        combined = Point.sum(partial_decrypt(shares[i], ct).mul(lagrange_at_zero(i, idx))
                             for i in idx)
        assert ct.beta - combined == Point.mul_g(42)
    wrong = Point.sum(partial_decrypt(shares[i], ct).mul(lagrange_at_zero(i, [1, 2]))
                      for i in (1, 2))
    assert ct.beta - wrong != Point.mul_g(42)


def test_secret_sharing_of_a_random_secret_is_consistent() -> None:
    s = random_scalar()
    coeffs = random_polynomial(2, secret=s)
    assert interpolate({1: evaluate(coeffs, 1), 9: evaluate(coeffs, 9)}) == s
