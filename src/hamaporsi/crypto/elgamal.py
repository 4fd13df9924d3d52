"""Exponential ElGamal over secp256k1 (spec §5.1): (α, β) = (r·G, m·G + r·K)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .group import Point, random_scalar


@dataclass(frozen=True, slots=True)
class Ciphertext:
    """An exponential ElGamal ciphertext; `alpha` = r·G, `beta` = m·G + r·K."""

    alpha: Point
    beta: Point

    def encode(self) -> bytes:
        return self.alpha.encode() + self.beta.encode()

    def __add__(self, other: Ciphertext) -> Ciphertext:
        return Ciphertext(self.alpha + other.alpha, self.beta + other.beta)

    @staticmethod
    def sum(cts: list[Ciphertext], keep_parts: bool = False) -> Ciphertext:
        """Homomorphic sum: encrypts the sum of the plaintexts under the sum of the nonces."""
        return Ciphertext(Point.sum((c.alpha for c in cts), keep_parts),
                          Point.sum((c.beta for c in cts), keep_parts))


def encrypt(public_key: Point, m: int, r: int | None = None,
            rand: Callable[[], int] = random_scalar) -> tuple[Ciphertext, int]:
    """Encrypt the small integer m under K with nonce r (drawn from `rand` if not given)."""
    if r is None:
        r = rand()
    return Ciphertext(Point.mul_g(r), Point.mul_g(m) + public_key.mul(r)), r


def partial_decrypt(secret: int, ct: Ciphertext) -> Point:
    """A trustee's share s·α of the decryption of ct (spec §7.2)."""
    return ct.alpha.mul(secret)
