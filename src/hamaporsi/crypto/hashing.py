"""Domain-separated, injective hashing (spec §3).

Every hash input is a tag followed by parts, each prefixed with its 4-byte big-endian length,
so that distinct tuples never encode to the same bytes ("ab","c" vs "a","bc").
"""

from __future__ import annotations

import hashlib
import struct

from .group import ORDER

PREFIX = "hamaporsi/v1/"

_u32 = struct.Struct(">I").pack


def encode_parts(tag: str, parts: tuple[bytes, ...]) -> bytes:
    """The injective byte string for (tag, parts): spec §3.1."""
    t = (PREFIX + tag).encode("ascii")
    out = [_u32(len(t)), t]
    for p in parts:
        out.append(_u32(len(p)))
        out.append(p)
    return b"".join(out)


def hash_parts(tag: str, *parts: bytes) -> bytes:
    """H(tag, parts) = SHA-256(encode_parts(tag, parts)): a 32-byte digest (spec §3.2)."""
    return hashlib.sha256(encode_parts(tag, parts)).digest()


def hash_to_scalar(tag: str, *parts: bytes) -> int:
    """Hq(tag, parts) = int(SHA-512(encode_parts)) mod n: 512 bits reduced, bias < 2^-256 (§3.3)."""
    return int.from_bytes(hashlib.sha512(encode_parts(tag, parts)).digest(), "big") % ORDER


def u32(i: int) -> bytes:
    """A non-negative integer below 2^32 as 4 big-endian bytes (spec §2.3)."""
    return _u32(i)
