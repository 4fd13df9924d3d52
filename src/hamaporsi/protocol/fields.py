"""What the board's signed statements (checkpoints §8.4, cosignatures §8.8) share: strict field
checks, each failure MalformedInput("<kind>: <reason>") with the statement's own error code, and
the signing rule message = hash_parts(tag, RFC 8785 body), wire form = body plus "sig"."""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any, ClassVar

from ..crypto.hashing import hash_parts
from .canonical import canonical_bytes
from .errors import MalformedInput

MAX_INT = (1 << 53) - 1
"""Largest size or time accepted: the largest integer JSON carries exactly (RFC 8785 §3.2.2.3)."""

_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True, slots=True)
class StatementFields:
    """The checks of one kind of signed statement: `kind` prefixes every message, `code` is the
    error code clients see (e.g. "checkpoint", "bad_checkpoint")."""

    kind: str
    code: str

    def malformed(self, reason: str) -> MalformedInput:
        return MalformedInput(f"{self.kind}: {reason}", code=self.code)

    def require_int(self, name: str, value: object) -> int:
        """An int (not a bool) in [0, MAX_INT]."""
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_INT:
            raise self.malformed(f"{name} must be an integer in [0, 2^53-1]")
        return value

    def require_bytes(self, name: str, value: object, length: int) -> bytes:
        """Bytes of exactly `length`."""
        if not isinstance(value, bytes) or len(value) != length:
            raise self.malformed(f"{name} must be {length} bytes")
        return value

    def require_hex(self, name: str, value: object, length: int) -> str:
        """A string of exactly 2*length lowercase hex digits."""
        if not isinstance(value, str) or len(value) != 2 * length or not set(value) <= _HEX:
            raise self.malformed(f"{name} must be {2 * length} lowercase hex digits")
        return value

    def hex_bytes(self, name: str, value: object, length: int) -> bytes:
        """The `length` bytes written as 2*length lowercase hex digits."""
        return bytes.fromhex(self.require_hex(name, value, length))

    def require_object(self, obj: object, keys: AbstractSet[str],
                       most_extra: int | None = None) -> dict[str, Any]:
        """A JSON object with exactly `keys`; the message lists the missing keys and the extra
        ones (the first `most_extra` of them, if given)."""
        if not isinstance(obj, dict):
            raise self.malformed("must be a JSON object")
        have = set(obj)
        if have != keys:
            extra = sorted(have - keys)[:most_extra]
            raise self.malformed(f"keys must be exactly {sorted(keys)}; "
                                 f"missing {sorted(keys - have)}, extra {extra}")
        return obj


class SignedStatement:
    """Mixin of a signed statement (a frozen dataclass with `body()`, `signature` and the
    class's `hash_tag`): its signed bytes, its BIP340 message and its wire form."""

    __slots__ = ()
    hash_tag: ClassVar[str]
    signature: bytes

    def body(self) -> dict[str, Any]:
        """The signed fields as a JSON object."""
        raise NotImplementedError

    def body_bytes(self) -> bytes:
        """RFC 8785 encoding of `body()`: the exact bytes whose hash is signed."""
        return canonical_bytes(self.body())

    def message(self) -> bytes:
        """The 32-byte BIP340 message: hash_parts(hash_tag, body_bytes())."""
        return hash_parts(self.hash_tag, self.body_bytes())

    def to_json(self) -> dict[str, Any]:
        """The body plus "sig" (64 bytes, lowercase hex): the wire form."""
        return {**self.body(), "sig": self.signature.hex()}
