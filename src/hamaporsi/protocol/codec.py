"""Strict decoding of wire fields (spec §4.2): lowercase hex of exact length, points, scalars,
bounded integers, exact key sets. Every failure names the field."""

from __future__ import annotations

import re
from collections.abc import Mapping, Set as AbstractSet
from typing import Any

from ..crypto.errors import EncodingError
from ..crypto.group import Point, decode_scalar, scalar_bytes
from ..crypto.proofs import Branch, EqualityProof, InSetProof, SchnorrProof
from .canonical import canonical_bytes
from .errors import MalformedInput

_HEX = re.compile(r"[0-9a-f]*")


def hex_bytes(v: Any, length: int, field: str) -> bytes:
    """Lowercase hex of exactly `length` bytes."""
    if not isinstance(v, str) or len(v) != 2 * length or not _HEX.fullmatch(v):
        raise MalformedInput(f"{field}: expected {2 * length} lowercase hex characters",
                             code="bad_encoding")
    return bytes.fromhex(v)


def point(v: Any, field: str, *, identity_ok: bool = False) -> Point:
    """A compressed secp256k1 point in hex; on the curve; the identity only where allowed."""
    b = hex_bytes(v, 33, field)
    try:
        return Point.decode_or_identity(b) if identity_ok else Point.decode(b)
    except EncodingError as e:
        raise MalformedInput(f"{field}: {e}", code="bad_point") from e


def scalar(v: Any, field: str) -> int:
    """A scalar below the group order n, as 64 hex characters."""
    b = hex_bytes(v, 32, field)
    try:
        return decode_scalar(b)
    except EncodingError as e:
        raise MalformedInput(f"{field}: {e}", code="bad_scalar") from e


def integer(v: Any, field: str, lo: int = 0, hi: int = 2**53 - 1) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
        raise MalformedInput(f"{field}: expected an integer in [{lo}, {hi}]", code="bad_field")
    return v


def text(v: Any, field: str, max_len: int = 2000) -> str:
    if not isinstance(v, str) or not 0 < len(v) <= max_len:
        raise MalformedInput(f"{field}: expected a non-empty string of at most {max_len} "
                             "characters", code="bad_field")
    return v


def array(v: Any, field: str, lo: int = 0, hi: int = 10_000) -> list[Any]:
    if not isinstance(v, list) or not lo <= len(v) <= hi:
        raise MalformedInput(f"{field}: expected a list of {lo} to {hi} items", code="bad_field")
    return v


def obj(v: Any, field: str, keys: AbstractSet[str],
        optional: AbstractSet[str] = frozenset()) -> Mapping[str, Any]:
    """A JSON object with exactly `keys` (plus any of `optional`)."""
    if not isinstance(v, dict):
        raise MalformedInput(f"{field}: expected an object", code="bad_field")
    have = set(v)
    if not keys <= have or not have <= keys | optional:
        missing, extra = sorted(keys - have), sorted(have - keys - optional)
        shown = [k[:40] for k in extra[:5]] + (["…"] if len(extra) > 5 else [])
        raise MalformedInput(f"{field}: missing {missing} / unexpected {shown}", code="bad_field")
    return v


def same(a: Any, b: Any) -> bool:
    """JSON equality that tells types apart: `true` is not `1` (Python's True == 1 is)."""
    return type(a) is type(b) and (a == b if not isinstance(a, (list, dict)) else
                                   canonical_bytes(a) == canonical_bytes(b))


# -- proofs on the wire (spec §6.4) ---------------------------------------------------------

def pok_to_json(p: SchnorrProof) -> dict[str, str]:
    return {"h": p.commitment.encode().hex(), "c": scalar_bytes(p.challenge).hex(),
            "v": scalar_bytes(p.response).hex()}


def pok_from_json(v: Any, field: str) -> SchnorrProof:
    o = obj(v, field, {"h", "c", "v"})
    return SchnorrProof(point(o["h"], f"{field}.h"), scalar(o["c"], f"{field}.c"),
                        scalar(o["v"], f"{field}.v"))


def dleq_to_json(p: EqualityProof) -> dict[str, str]:
    return {"a": p.a.encode().hex(), "b": p.b.encode().hex(),
            "c": scalar_bytes(p.challenge).hex(), "v": scalar_bytes(p.response).hex()}


def dleq_from_json(v: Any, field: str) -> EqualityProof:
    o = obj(v, field, {"a", "b", "c", "v"})
    return EqualityProof(point(o["a"], f"{field}.a"), point(o["b"], f"{field}.b"),
                         scalar(o["c"], f"{field}.c"), scalar(o["v"], f"{field}.v"))


def in_set_to_json(p: InSetProof) -> list[dict[str, str]]:
    return [{"a": b.a.encode().hex(), "b": b.b.encode().hex(),
             "c": scalar_bytes(b.challenge).hex(), "v": scalar_bytes(b.response).hex()}
            for b in p.branches]


def in_set_from_json(v: Any, field: str, branches: int) -> InSetProof:
    items = array(v, field, branches, branches)
    out = []
    for i, item in enumerate(items):
        d = dleq_from_json(item, f"{field}[{i}]")
        out.append(Branch(d.a, d.b, d.challenge, d.response))
    return InSetProof(tuple(out))
