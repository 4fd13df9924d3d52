"""Encrypted key shares with a publicly checkable opening (spec §7.1.3)."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hamaporsi.crypto.errors import InvalidProof
from hamaporsi.crypto.group import ORDER, Point, decode_scalar, random_scalar, scalar_bytes
from hamaporsi.crypto.hashing import encode_parts
from hamaporsi.crypto.proofs import prove_equal_logs, verify_equal_logs
from hamaporsi.crypto.share_encryption import encrypt_share, open_share, shared_point

CTX = b"hamaporsi-test/dkg"
D = random_scalar()
P = Point.mul_g(D)


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=0, max_value=ORDER - 1))
def test_round_trip(share: int) -> None:
    eph, ct = encrypt_share(CTX, P, share)
    assert len(ct) == 32
    opened = open_share(CTX, P, eph, shared_point(D, eph), ct)
    assert opened == scalar_bytes(share)
    assert decode_scalar(opened) == share


def test_pad_is_the_documented_hash() -> None:
    share = 12345
    eph, ct = encrypt_share(CTX, P, share)
    s = eph.mul(D)
    pad = hashlib.sha256(encode_parts("share-pad", (CTX, eph.encode(), P.encode(),
                                                    s.encode()))).digest()
    assert bytes(x ^ y for x, y in zip(ct, pad, strict=True)) == scalar_bytes(share)


def test_wrong_secret_or_inputs_give_another_share() -> None:
    share = random_scalar()
    eph, ct = encrypt_share(CTX, P, share)
    right = scalar_bytes(share)
    assert open_share(CTX, P, eph, shared_point(D + 1, eph), ct) != right
    assert open_share(CTX, P, eph, shared_point(random_scalar(), eph), ct) != right
    s = shared_point(D, eph)
    assert open_share(CTX + b"x", P, eph, s, ct) != right
    assert open_share(CTX, P + Point.G, eph, s, ct) != right
    assert open_share(CTX, P, eph + Point.G, s, ct) != right


def test_encryptions_are_randomised() -> None:
    (e1, c1), (e2, c2) = encrypt_share(CTX, P, 7), encrypt_share(CTX, P, 7)
    assert e1 != e2 and c1 != c2


def test_ciphertext_of_wrong_length_is_refused() -> None:
    eph, ct = encrypt_share(CTX, P, 7)
    with pytest.raises(ValueError):
        open_share(CTX, P, eph, shared_point(D, eph), ct[:31])


def test_complaint_opening_is_publicly_checkable() -> None:
    """The recipient reveals S = d·E with a proof that log_G P = log_E S; anyone can open."""
    share = random_scalar()
    eph, ct = encrypt_share(CTX, P, share)
    s = shared_point(D, eph)
    proof = prove_equal_logs(CTX, D, eph, P, s)
    verify_equal_logs(CTX, eph, P, s, proof, check="VT", what="complaint")
    assert decode_scalar(open_share(CTX, P, eph, s, ct)) == share
    fake = s + Point.G  # a recipient who lies about S cannot prove it
    with pytest.raises(InvalidProof):
        verify_equal_logs(CTX, eph, P, fake, proof, check="VT", what="complaint")
    with pytest.raises(InvalidProof):
        verify_equal_logs(CTX, eph, P, fake, prove_equal_logs(CTX, D, eph, P, fake),
                          check="VT", what="complaint")
