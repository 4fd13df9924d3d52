"""Exponential ElGamal (spec §5.1): (α, β) = (r·G, m·G + r·K), decryption and homomorphism."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hamaporsi.crypto.elgamal import Ciphertext, encrypt, partial_decrypt
from hamaporsi.crypto.group import ORDER, Point, random_scalar

SECRET = 0x3C5A_1F00_D00D_BEEF_CAFE_0123_4567_89AB_CDEF_0011_2233_4455_6677_8899_AABB_CCDD % ORDER
KEY = Point.mul_g(SECRET)


def decrypt_point(secret: int, ct: Ciphertext) -> Point:
    """m·G = β − s·α."""
    return ct.beta - ct.alpha.mul(secret)


@pytest.mark.parametrize("m", range(51))
def test_decrypt_round_trip(m: int) -> None:
    ct, r = encrypt(KEY, m)
    assert 0 < r < ORDER
    assert decrypt_point(SECRET, ct) == Point.mul_g(m)
    assert ct.beta - partial_decrypt(SECRET, ct) == Point.mul_g(m)
    if m:
        assert decrypt_point(SECRET, ct) != Point.mul_g(m - 1)
        assert decrypt_point(SECRET + 1, ct) != Point.mul_g(m)


def test_explicit_nonce_gives_the_textbook_ciphertext() -> None:
    r = 0xABCDEF
    ct, r2 = encrypt(KEY, 7, r)
    assert r2 == r
    assert ct.alpha == Point.mul_g(r)
    assert ct.beta == Point.mul_g(7) + KEY.mul(r)
    assert ct.beta == Point.mul_g(7 + SECRET * r)
    assert ct.encode() == ct.alpha.encode() + ct.beta.encode() and len(ct.encode()) == 66


def test_zero_plaintext_and_fresh_nonces() -> None:
    (c1, r1), (c2, r2) = encrypt(KEY, 0), encrypt(KEY, 0)
    assert r1 != r2 and c1 != c2
    assert decrypt_point(SECRET, c1).is_identity


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=5), min_size=1, max_size=8))
def test_homomorphic_sum(ms: list[int]) -> None:
    pairs = [encrypt(KEY, m) for m in ms]
    total = Ciphertext.sum([c for c, _ in pairs])
    assert decrypt_point(SECRET, total) == Point.mul_g(sum(ms))
    assert total.alpha == Point.mul_g(sum(r for _, r in pairs))
    added = pairs[0][0]
    for c, _ in pairs[1:]:
        added = added + c
    assert added == total
    kept = Ciphertext.sum([c for c, _ in pairs], keep_parts=True)
    assert kept == total
    assert kept.alpha.parts == tuple(c.alpha for c, _ in pairs)
    assert kept.beta.parts == tuple(c.beta for c, _ in pairs)


def test_empty_sum_is_the_encryption_of_zero_with_nonce_zero() -> None:
    empty = Ciphertext.sum([])
    assert empty.alpha.is_identity and empty.beta.is_identity


def test_ciphertext_is_immutable() -> None:
    ct, _ = encrypt(KEY, 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ct.alpha = Point.G  # type: ignore[misc]


def test_partial_decryption_of_random_key() -> None:
    s = random_scalar()
    ct, r = encrypt(Point.mul_g(s), 3)
    assert partial_decrypt(s, ct) == Point.mul_g(s).mul(r)
