"""Encrypting a 32-byte key share to a recipient's public key, with a publicly checkable opening
for complaints (spec §7.1.3).

E = e·G, S = e·P (P = d·G, the recipient's encryption key), pad = H("share-pad", E, P, S, ctx),
ciphertext = share ⊕ pad. To complain, the recipient publishes S with a Chaum–Pedersen proof
that log_G P = log_E S; anyone can then recompute the pad, decrypt and check the share.
"""

from __future__ import annotations

from .group import Point, random_scalar, scalar_bytes
from .hashing import hash_parts


def _pad(context: bytes, eph: Point, recipient: Point, shared: Point) -> bytes:
    return hash_parts("share-pad", context, eph.encode(), recipient.encode(), shared.encode())


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def encrypt_share(context: bytes, recipient: Point, share: int) -> tuple[Point, bytes]:
    """(E, share ⊕ pad) for the recipient's encryption key."""
    e = random_scalar()
    eph = Point.mul_g(e)
    return eph, _xor(scalar_bytes(share), _pad(context, eph, recipient, recipient.mul(e)))


def shared_point(secret: int, eph: Point) -> Point:
    """S = d·E, computed by the recipient (and published with a proof when it complains)."""
    return eph.mul(secret)


def open_share(context: bytes, recipient: Point, eph: Point, shared: Point, ct: bytes) -> bytes:
    """The 32 share bytes given the shared point S (not range-checked: the caller decodes)."""
    return _xor(ct, _pad(context, eph, recipient, shared))
