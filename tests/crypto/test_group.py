"""Points and scalars of secp256k1 (spec §2): canonical encodings, the identity, arithmetic."""

from __future__ import annotations

import pickle

import pytest
from coincurve import PublicKey
from hypothesis import given, settings
from hypothesis import strategies as st

from hamaporsi.crypto.errors import EncodingError
from hamaporsi.crypto.group import (
    FIELD,
    GROUP_DESCRIPTION,
    IDENTITY_BYTES,
    ORDER,
    Point,
    decode_scalar,
    random_scalar,
    scalar_bytes,
)

G_HEX = "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
TWO_G_HEX = "02c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5"
THREE_G_HEX = "02f9308a019258c31049344f85f89d5229b531c845836f99b08601f113bce036f9"
MINUS_G_HEX = "0379be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
G_X = bytes.fromhex(G_HEX)[1:]

nonzero = st.integers(min_value=1, max_value=ORDER - 1)
FAST = settings(max_examples=40, deadline=None)


def is_x_coordinate(x: int) -> bool:
    """Euler's criterion: x < p is the x of a curve point iff x³ + 7 is a square mod p."""
    rhs = (pow(x, 3, FIELD) + 7) % FIELD
    return rhs == 0 or pow(rhs, (FIELD - 1) // 2, FIELD) == 1


SMALL_VALID_X = next(x for x in range(1, 100) if is_x_coordinate(x))
SMALL_INVALID_X = next(x for x in range(1, 100) if not is_x_coordinate(x))


def enc(prefix: int, x: int) -> bytes:
    return bytes([prefix]) + x.to_bytes(32, "big")


# -- known answers ---------------------------------------------------------------------------

def test_generator_and_small_multiples() -> None:
    assert Point.G.encode().hex() == G_HEX
    assert Point.mul_g(1) == Point.G
    assert Point.mul_g(2).encode().hex() == TWO_G_HEX
    assert Point.mul_g(3).encode().hex() == THREE_G_HEX
    assert Point.mul_g(ORDER - 1).encode().hex() == MINUS_G_HEX
    assert GROUP_DESCRIPTION == b"secp256k1" + bytes.fromhex(G_HEX)


# -- decoding --------------------------------------------------------------------------------

@FAST
@given(nonzero)
def test_decode_encode_round_trip(k: int) -> None:
    p = Point.mul_g(k)
    b = p.encode()
    assert len(b) == 33 and b[0] in (2, 3)
    q = Point.decode(b)
    assert q.encode() == b
    assert q == p
    assert Point.decode_or_identity(b) == p


@FAST
@given(st.integers(min_value=0, max_value=FIELD - 1), st.sampled_from([2, 3]))
def test_decode_accepts_exactly_the_x_coordinates_of_the_curve(x: int, prefix: int) -> None:
    b = enc(prefix, x)
    if is_x_coordinate(x):
        p = Point.decode(b)
        assert p.encode() == b
        y = int.from_bytes(PublicKey(b).format(compressed=False)[33:], "big")
        assert (y * y - pow(x, 3, FIELD) - 7) % FIELD == 0
        assert y % 2 == prefix - 2
    else:
        with pytest.raises(EncodingError):
            Point.decode(b)


def test_decode_rejects_off_curve_x() -> None:
    assert not is_x_coordinate(SMALL_INVALID_X)
    for prefix in (2, 3):
        with pytest.raises(EncodingError, match="not on secp256k1"):
            Point.decode(enc(prefix, SMALL_INVALID_X))


@pytest.mark.parametrize("x", [FIELD, FIELD + SMALL_VALID_X, 2**256 - 1],
                         ids=["p", "p+valid_x", "ff..ff"])
@pytest.mark.parametrize("prefix", [2, 3])
def test_decode_rejects_x_not_below_p(x: int, prefix: int) -> None:
    # p + x would alias the valid point with x-coordinate x if it were reduced mod p.
    Point.decode(enc(prefix, SMALL_VALID_X))
    with pytest.raises(EncodingError):
        Point.decode(enc(prefix, x))
    with pytest.raises(EncodingError):
        Point.decode_or_identity(enc(prefix, x))


@pytest.mark.parametrize("prefix", [0x00, 0x01, 0x04, 0x05, 0x06, 0x07, 0xFF])
def test_decode_rejects_other_prefixes(prefix: int) -> None:
    with pytest.raises(EncodingError, match="prefix"):
        Point.decode(bytes([prefix]) + G_X)
    with pytest.raises(EncodingError, match="prefix"):
        Point.decode_or_identity(bytes([prefix]) + G_X)


UNCOMPRESSED_G = PublicKey(bytes.fromhex(G_HEX)).format(compressed=False)


@pytest.mark.parametrize("b", [b"", G_X, bytes.fromhex(G_HEX) + b"\x00", UNCOMPRESSED_G,
                               bytes(32), bytes(34), bytes(65)],
                         ids=["0", "32", "34", "65-uncompressed", "32-zero", "34-zero", "65-zero"])
def test_decode_rejects_wrong_lengths(b: bytes) -> None:
    with pytest.raises(EncodingError, match="33 bytes"):
        Point.decode(b)
    with pytest.raises(EncodingError, match="33 bytes"):
        Point.decode_or_identity(b)


def test_identity_decoding() -> None:
    with pytest.raises(EncodingError, match="identity"):
        Point.decode(IDENTITY_BYTES)
    assert Point.decode_or_identity(IDENTITY_BYTES) is Point.IDENTITY
    assert Point.IDENTITY.encode() == bytes(33)
    assert Point.IDENTITY.is_identity
    assert not Point.G.is_identity
    with pytest.raises(EncodingError):
        Point.decode_or_identity(b"\x00" * 32 + b"\x01")


# -- identity arithmetic ---------------------------------------------------------------------

@FAST
@given(nonzero, nonzero)
def test_identity_arithmetic(k: int, j: int) -> None:
    p, o = Point.mul_g(k), Point.IDENTITY
    assert (p + (-p)).is_identity
    assert (p - p).is_identity
    assert o + p == p and p + o == p
    assert (o + o).is_identity and (o - o).is_identity and (-o).is_identity
    assert p.mul(0).is_identity
    assert p.mul(ORDER).is_identity
    assert o.mul(j).is_identity
    assert Point.mul_g(0).is_identity and Point.mul_g(ORDER).is_identity
    assert Point.sum([]).is_identity
    assert Point.sum([o, o]).is_identity
    q = Point.mul_g(j)
    assert Point.sum([p, -p, q]) == q  # an intermediate sum at infinity is fine
    assert Point.sum([p, q, -p, -q]).is_identity
    assert (o + p).encode() == p.encode()


def test_identity_sum_keeping_parts() -> None:
    p = Point.mul_g(5)
    s = Point.sum([p, -p], keep_parts=True)
    assert s.is_identity and s.encode() == IDENTITY_BYTES
    assert s.parts == (p, -p)
    assert s == Point.IDENTITY
    single = Point.sum([Point.IDENTITY, p], keep_parts=True)
    assert single == p and single.parts == (Point.IDENTITY, p)
    assert Point.sum([p, p]).parts is None


# -- group law -------------------------------------------------------------------------------

@FAST
@given(nonzero, nonzero)
def test_group_law(a: int, b: int) -> None:
    pa, pb = Point.mul_g(a), Point.mul_g(b)
    assert pa + pb == Point.mul_g(a + b)
    assert pa - pb == Point.mul_g(a - b)
    assert pa.mul(b) == Point.mul_g(a * b)
    assert pa + pb == pb + pa
    assert Point.sum([pa, pb, pa]) == Point.mul_g(2 * a + b)


@FAST
@given(nonzero)
def test_negation_flips_prefix_and_equals_n_minus_1(k: int) -> None:
    p = Point.mul_g(k)
    n = -p
    assert n == p.mul(ORDER - 1) == Point.mul_g(ORDER - k)
    assert n.encode()[1:] == p.encode()[1:]
    assert n.encode()[0] == p.encode()[0] ^ 1
    assert -n == p


@FAST
@given(nonzero, st.integers(min_value=-(2**300), max_value=2**300))
def test_scalar_multiplication_reduces_mod_n(k: int, m: int) -> None:
    p = Point.mul_g(k)
    assert p.mul(m) == p.mul(m % ORDER)
    assert Point.mul_g(m) == Point.mul_g(m % ORDER)
    assert p.mul(-1) == -p


# -- value semantics -------------------------------------------------------------------------

def test_pickle_round_trip() -> None:
    for p in (Point.G, Point.mul_g(123456789), Point.IDENTITY, Point.mul_g(7) + Point.mul_g(9)):
        q = pickle.loads(pickle.dumps(p))
        assert q == p and hash(q) == hash(p)
        assert q.encode() == p.encode()
        assert q + Point.G == p + Point.G  # the unpickled point is usable
    assert pickle.loads(pickle.dumps(Point.IDENTITY)) is Point.IDENTITY


def test_equality_and_hash() -> None:
    a, b = Point.mul_g(11), Point.decode(Point.mul_g(11).encode())
    assert a == b and hash(a) == hash(b)
    assert len({a, b, Point.G, Point.mul_g(1)}) == 2
    assert a != a.encode()
    assert Point.G != Point.IDENTITY
    assert repr(Point.IDENTITY) == "Point(identity)"
    assert repr(Point.G) == f"Point({G_HEX})"


# -- scalars ---------------------------------------------------------------------------------

@pytest.mark.parametrize("k", [ORDER, ORDER + 1, 2**256 - 1], ids=["n", "n+1", "2^256-1"])
def test_decode_scalar_refuses_values_not_below_n(k: int) -> None:
    with pytest.raises(EncodingError, match="order"):
        decode_scalar(k.to_bytes(32, "big"))


@pytest.mark.parametrize("length", [0, 1, 31, 33, 64])
def test_decode_scalar_refuses_wrong_lengths(length: int) -> None:
    with pytest.raises(EncodingError, match="32 bytes"):
        decode_scalar(bytes(length))


@pytest.mark.parametrize("k", [0, 1, ORDER - 1])
def test_decode_scalar_accepts_range_ends(k: int) -> None:
    b = k.to_bytes(32, "big")
    assert decode_scalar(b) == k
    assert scalar_bytes(k) == b


@FAST
@given(st.integers(min_value=0, max_value=ORDER - 1))
def test_scalar_round_trip(k: int) -> None:
    b = scalar_bytes(k)
    assert len(b) == 32
    assert decode_scalar(b) == k


def test_random_scalar_is_non_zero_and_below_n() -> None:
    values = {random_scalar() for _ in range(200)}
    assert len(values) == 200
    assert all(0 < v < ORDER for v in values)
