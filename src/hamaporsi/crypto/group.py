"""The group: secp256k1 through libsecp256k1 (coincurve), with an explicit identity (spec §2).

Scalars are Python ints in [0, n). Points are immutable `Point` values; coincurve cannot
represent the point at infinity, so `Point.IDENTITY` stands for it and every operation handles
it. Only 33-byte compressed SEC1 encodings are accepted on input (spec §2.2); the identity, where
it may appear at all, is encoded as 33 zero bytes.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from coincurve import PublicKey

from .errors import EncodingError

ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
"""n, the prime order of secp256k1's group."""

FIELD = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F
"""p, the field prime."""

POINT_BYTES = 33
SCALAR_BYTES = 32
IDENTITY_BYTES = bytes(POINT_BYTES)

GROUP_ID = b"secp256k1"


def scalar_bytes(k: int) -> bytes:
    """A scalar in [0, n) as 32 big-endian bytes (spec §2.1)."""
    return k.to_bytes(SCALAR_BYTES, "big")


def decode_scalar(b: bytes) -> int:
    """32 big-endian bytes to a scalar; refuses values ≥ n (no malleable s+n) (spec §2.1)."""
    if len(b) != SCALAR_BYTES:
        raise EncodingError(f"scalar must be {SCALAR_BYTES} bytes, got {len(b)}")
    k = int.from_bytes(b, "big")
    if k >= ORDER:
        raise EncodingError("scalar is not below the group order n")
    return k


def random_scalar() -> int:
    """A uniformly random non-zero scalar from the OS CSPRNG (`secrets`)."""
    return secrets.randbelow(ORDER - 1) + 1


class Point:
    """A point of secp256k1 or the identity; immutable. Build with `decode`, `mul_g` or arithmetic."""

    __slots__ = ("_pk", "_enc", "_parts")

    def __init__(self, pk: PublicKey | None, enc: bytes | None = None,
                 parts: tuple[Point, ...] | None = None) -> None:
        self._pk = pk
        self._enc = enc
        self._parts = parts

    IDENTITY: Point
    G: Point

    # -- decoding and encoding (spec §2.2) ------------------------------------------------

    @staticmethod
    def decode(b: bytes) -> Point:
        """A compressed point on the curve; the identity is refused (spec §2.2)."""
        if len(b) != POINT_BYTES:
            raise EncodingError(f"point must be {POINT_BYTES} bytes, got {len(b)}")
        if b[0] not in (2, 3):
            if b == IDENTITY_BYTES:
                raise EncodingError("the identity point is not allowed here")
            raise EncodingError(f"point prefix must be 02 or 03, got {b[0]:02x}")
        try:
            pk = PublicKey(b)
        except ValueError as e:
            raise EncodingError("point is not on secp256k1 or x ≥ p") from e
        return Point(pk, b)

    @staticmethod
    def decode_or_identity(b: bytes) -> Point:
        """As `decode`, but 33 zero bytes decode to the identity (spec §2.2)."""
        if b == IDENTITY_BYTES:
            return Point.IDENTITY
        return Point.decode(b)

    def encode(self) -> bytes:
        """33-byte compressed encoding; the identity is 33 zero bytes."""
        if self._enc is None:
            self._enc = IDENTITY_BYTES if self._pk is None else self._pk.format(compressed=True)
        return self._enc

    @property
    def is_identity(self) -> bool:
        return self._pk is None

    @property
    def parts(self) -> tuple[Point, ...] | None:
        """For a sum built by `Point.sum(..., keep_parts=True)`: the addends (lets a batch
        verifier fold a coefficient on the sum into the addends' coefficients)."""
        return self._parts

    # -- arithmetic -------------------------------------------------------------------------

    @staticmethod
    def mul_g(k: int) -> Point:
        """k·G."""
        k %= ORDER
        if k == 0:
            return Point.IDENTITY
        return Point(PublicKey.from_secret(k.to_bytes(32, "big")))

    def mul(self, k: int) -> Point:
        """k·P."""
        k %= ORDER
        if k == 0 or self._pk is None:
            return Point.IDENTITY
        return Point(self._pk.multiply(k.to_bytes(32, "big")))

    @staticmethod
    def sum(points: Iterable[Point], keep_parts: bool = False) -> Point:
        """The sum of points, the identity included (libsecp256k1 `ec_pubkey_combine`)."""
        pts = tuple(points)
        keys = [p._pk for p in pts if p._pk is not None]
        if not keys:
            return Point.IDENTITY
        if len(keys) == 1:
            return Point(keys[0], None, pts if keep_parts else None)
        try:
            pk = PublicKey.combine_keys(keys)
        except ValueError:  # the sum is the point at infinity
            return Point(None, None, pts if keep_parts else None)
        return Point(pk, None, pts if keep_parts else None)

    def __add__(self, other: Point) -> Point:
        return Point.sum((self, other))

    def __neg__(self) -> Point:
        if self._pk is None:
            return self
        enc = self.encode()
        return Point(PublicKey(bytes([enc[0] ^ 1]) + enc[1:]))  # flip the y-parity prefix

    def __sub__(self, other: Point) -> Point:
        return self + (-other)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Point) and self.encode() == other.encode()

    def __hash__(self) -> int:
        return hash(self.encode())

    def __repr__(self) -> str:
        return "Point(identity)" if self._pk is None else f"Point({self.encode().hex()})"

    def __reduce__(self) -> tuple[object, tuple[bytes]]:
        # coincurve keys cannot be pickled; only bytes cross process borders.
        return (Point.decode_or_identity, (self.encode(),))


Point.IDENTITY = Point(None, IDENTITY_BYTES)
Point.G = Point.decode(bytes.fromhex(
    "0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"))

GROUP_DESCRIPTION = GROUP_ID + Point.G.encode()
"""Hashed into every election's base hash: curve name and generator (spec §3.4)."""
