"""Feldman verifiable secret sharing and Lagrange interpolation at 0 (spec §7.1).

A dealer with polynomial f(x) = a₀ + a₁x + … + a_{k−1}x^{k−1} publishes commitments Aⱼ = aⱼ·G
and sends trustee i the share f(i); anyone holding f(i) checks f(i)·G = Σⱼ i^j·Aⱼ.
"""

from __future__ import annotations

from .errors import InvalidProof
from .group import ORDER, Point, random_scalar


def random_polynomial(threshold: int, secret: int | None = None) -> list[int]:
    """k coefficients; the top one is non-zero so the degree is exactly k − 1."""
    if threshold < 1:
        raise ValueError("threshold must be at least 1")
    coeffs = [random_scalar() if secret is None else secret % ORDER]
    coeffs += [random_scalar() for _ in range(threshold - 1)]
    return coeffs


def evaluate(coeffs: list[int], x: int) -> int:
    """f(x) mod n by Horner's rule."""
    acc = 0
    for a in reversed(coeffs):
        acc = (acc * x + a) % ORDER
    return acc


def commitments(coeffs: list[int]) -> list[Point]:
    return [Point.mul_g(a) for a in coeffs]


def commitment_at(comms: list[Point], x: int) -> Point:
    """Σⱼ x^j·Aⱼ = f(x)·G: the public image of the share of trustee x."""
    terms = []
    xj = 1
    for a in comms:
        terms.append(a.mul(xj))
        xj = xj * x % ORDER
    return Point.sum(terms)


def verify_share(comms: list[Point], x: int, share: int, *, check: str, what: str) -> None:
    """Raise unless share·G equals the commitment of f at x."""
    if not 0 <= share < ORDER or Point.mul_g(share) != commitment_at(comms, x):
        raise InvalidProof(check, f"{what}: share does not match the dealer's commitments")


def lagrange_at_zero(index: int, indices: list[int]) -> int:
    """λ_i = Π_{j≠i} j / (j − i) mod n over distinct non-zero indices."""
    if index not in indices or len(set(indices)) != len(indices) or 0 in indices:
        raise ValueError("indices must be distinct, non-zero, and include the index")
    num, den = 1, 1
    for j in indices:
        if j != index:
            num = num * j % ORDER
            den = den * (j - index) % ORDER
    return num * pow(den, -1, ORDER) % ORDER
