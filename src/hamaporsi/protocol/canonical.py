"""Canonical JSON (RFC 8785) for every record entry, and strict parsing of it (spec §4.1).

An entry is accepted only if re-encoding what was parsed gives back exactly the bytes received:
this refuses duplicate keys, whitespace, escapes other than the minimal ones, key order, floats
written differently, and anything else that two parsers might read two ways.
"""

from __future__ import annotations

import json
import re
from typing import Any

import rfc8785

from .errors import MalformedInput

MAX_ENTRY_BYTES = 1 << 20
"""No single record entry may exceed 1 MiB (spec §4.1)."""

MAX_DEPTH = 16

MAX_SAFE_INT = 2**53 - 1
"""RFC 8785 numbers are IEEE doubles: integers beyond ±(2^53 − 1) are refused."""


_ORDER_SENSITIVE = re.compile(rb"[\xee-\xf4]")
"""UTF-8 lead bytes of U+E000 and above: only there do UTF-16 and code-point order differ."""


def _fast(obj: Any) -> bytes | None:
    """The stdlib encoder's sorted, compact output, when it provably equals RFC 8785: no floats
    and no integer beyond 2^53 (rejected on parse), and no character at or above U+E000, the only
    place where code-point order (stdlib) and UTF-16 order (RFC 8785) differ. Else None."""
    try:
        out = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                         allow_nan=False).encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError, RecursionError):
        return None
    if _ORDER_SENSITIVE.search(out):
        return None
    return out


def canonical_bytes(obj: Any, *, parsed: bool = False) -> bytes:
    """RFC 8785 encoding of a JSON value built from dict, list, str, int (|i| ≤ 2^53), bool, None.

    rfc8785 is the reference; the stdlib encoder is used where it gives the same bytes (§4.1),
    which tests/protocol/test_canonical_fast.py checks on random values. `parsed=True` skips the
    walk for floats and big integers: the value came from `parse_canonical`, which refuses them.
    """
    try:
        special = not parsed and _needs_reference(obj)
    except RecursionError as e:
        raise MalformedInput("value nested too deeply", code="not_canonical") from e
    if special and _has_float(obj):
        raise MalformedInput("record entries hold no floating-point numbers", code="not_canonical")
    if not special:
        fast = _fast(obj)
        if fast is not None:
            return fast
    try:
        return rfc8785.dumps(obj)
    except (rfc8785.CanonicalizationError, TypeError, ValueError, RecursionError) as e:
        raise MalformedInput(f"value cannot be canonically encoded: {e}", code="not_canonical") from e


def _has_float(obj: Any) -> bool:
    if isinstance(obj, dict):
        return any(_has_float(v) for v in obj.values())
    if isinstance(obj, list):
        return any(_has_float(v) for v in obj)
    return isinstance(obj, float)


def _needs_reference(obj: Any) -> bool:
    """True if the value holds what the stdlib would encode differently or at all: floats,
    integers beyond ±(2^53 − 1), non-string keys, other types."""
    if isinstance(obj, dict):
        return any(not isinstance(k, str) or _needs_reference(v) for k, v in obj.items())
    if isinstance(obj, list):
        return any(_needs_reference(v) for v in obj)
    if isinstance(obj, (str, bool)) or obj is None:
        return False
    return not isinstance(obj, int) or abs(obj) > MAX_SAFE_INT


def _depth(obj: Any, d: int = 0) -> int:
    if d > MAX_DEPTH:
        return d
    if isinstance(obj, dict):
        return max((_depth(v, d + 1) for v in obj.values()), default=d + 1)
    if isinstance(obj, list):
        return max((_depth(v, d + 1) for v in obj), default=d + 1)
    return d


def _reject_float(s: str) -> Any:
    raise MalformedInput(f"non-integer number {s[:20]!r}", code="not_canonical")


def _reject_constant(s: str) -> Any:
    raise MalformedInput(f"invalid JSON constant {s!r}", code="malformed_json")


def parse_canonical(data: bytes, *, max_bytes: int = MAX_ENTRY_BYTES) -> Any:
    """Parse `data` as JSON and require it to be exactly its own RFC 8785 encoding (spec §4.1)."""
    if len(data) > max_bytes:
        raise MalformedInput(f"entry is {len(data)} bytes, more than the limit of {max_bytes}",
                             code="too_large")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise MalformedInput(f"not UTF-8: {e}", code="malformed_json") from e
    try:
        obj = json.loads(text, parse_float=_reject_float, parse_constant=_reject_constant,
                         parse_int=_parse_int, object_pairs_hook=_no_duplicates)
    except RecursionError as e:
        raise MalformedInput("JSON nested too deeply", code="malformed_json") from e
    except json.JSONDecodeError as e:
        raise MalformedInput(f"malformed JSON: {e}", code="malformed_json") from e
    if data.count(b"[") + data.count(b"{") > MAX_DEPTH and _depth(obj) > MAX_DEPTH:
        raise MalformedInput(f"JSON nested deeper than {MAX_DEPTH}", code="malformed_json")
    if canonical_bytes(obj, parsed=True) != data:
        raise MalformedInput("not canonical JSON (RFC 8785): duplicate keys, key order, "
                             "whitespace or escaping differ from the canonical form",
                             code="not_canonical")
    return obj


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """json's object hook: refuse a key that appears twice (parsers differ on which wins)."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for k, _ in pairs:
            if k in seen:
                raise MalformedInput(f"duplicate key {k[:40]!r}", code="duplicate_key")
            seen.add(k)
    return obj


def _parse_int(s: str) -> int:
    if len(s.lstrip("-")) > 16 or abs(int(s)) > MAX_SAFE_INT:
        raise MalformedInput(f"integer {s[:20]} is beyond ±(2^53 − 1)", code="not_canonical")
    return int(s)
