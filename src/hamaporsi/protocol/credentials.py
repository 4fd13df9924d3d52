"""Voting credentials (spec §5.3): one BIP340 key per voter, a printable private code for the
voter, and the public list the registrar publishes, sorted, before voting opens."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ..crypto import bip340
from ..crypto.hashing import encode_parts, hash_parts, u32
from . import codec
from .errors import MalformedInput, Rejected
from .signing import sign_entry

CHUNK = 10_000
"""Public credentials per `credentials` entry (keeps each entry well under 1 MiB)."""

CODE_PREFIX = "HMP1"


def code_from_secret(secret: bytes) -> str:
    """The voter's printable code: base32 of secret ‖ 2 check bytes, in groups of 4 (§5.3)."""
    check = hash_parts("code-check", secret)[:2]
    b32 = base64.b32encode(secret + check).decode("ascii").rstrip("=")
    return "-".join([CODE_PREFIX] + [b32[i:i + 4] for i in range(0, len(b32), 4)])


def secret_from_code(code: str) -> bytes:
    """Parse a printed code (case, spaces and dashes ignored); refuses a wrong checksum."""
    if not code.isascii():
        raise MalformedInput("credential code has characters outside A–Z and 2–7",
                             code="bad_code")
    s = "".join(ch for ch in code.upper() if ch not in " -\t\r\n")
    if not s.startswith(CODE_PREFIX):
        raise MalformedInput(f"credential code must start with {CODE_PREFIX}", code="bad_code")
    s = s[len(CODE_PREFIX):]
    try:
        raw = base64.b32decode(s + "=" * (-len(s) % 8))
    except ValueError as e:
        raise MalformedInput("credential code has characters outside A–Z and 2–7",
                             code="bad_code") from e
    canonical = base64.b32encode(raw).decode("ascii").rstrip("=") == s  # no stray pad bits
    if not canonical or len(raw) != 34 or hash_parts("code-check", raw[:32])[:2] != raw[32:]:
        raise MalformedInput("credential code is mistyped (checksum does not match)",
                             code="bad_code")
    return raw[:32]


@dataclass(frozen=True, slots=True)
class Credential:
    """A voter's credential: the secret (only the voter holds it) and its public x-only key."""

    secret: bytes
    public: bytes

    @staticmethod
    def generate() -> Credential:
        s = bip340.generate_secret()
        return Credential(s, bip340.public_key(s))

    @staticmethod
    def from_code(code: str) -> Credential:
        s = secret_from_code(code)
        return Credential(s, bip340.public_key(s))

    @property
    def code(self) -> str:
        return code_from_secret(self.secret)


class CredentialListHasher:
    """H over the sorted public credentials, streamed: SHA-256(encode_parts("credential-list",
    keys…)) computed incrementally (spec §5.3)."""

    def __init__(self) -> None:
        self._h = hashlib.sha256(encode_parts("credential-list", ()))
        self.count = 0
        self.last = b""

    def add(self, key: bytes) -> None:
        if key <= self.last:
            raise Rejected("credential list is not strictly increasing (duplicate or unsorted)",
                           code="bad_credentials", check="V4")
        self._h.update(u32(len(key)))
        self._h.update(key)
        self.count += 1
        self.last = key

    def extend(self, keys: list[bytes]) -> None:
        """Add a chunk of keys, all or none: refused if the chunk is not strictly increasing
        from the last key seen."""
        prev = self.last
        for k in keys:
            if k <= prev:
                raise Rejected("credential list is not strictly increasing (duplicate or "
                               "unsorted)", code="bad_credentials", check="V4")
            prev = k
        for k in keys:
            self.add(k)

    def digest(self) -> bytes:
        return self._h.digest()


def credential_entries(manifest_hash: bytes, keys: Iterable[bytes],
                       registrar_secret: bytes) -> Iterator[dict[str, Any]]:
    """Signed `credentials` chunks then the `credentials-final` entry, keys sorted (§5.3)."""
    ordered = sorted(keys)
    hasher = CredentialListHasher()
    chunks = 0
    for start in range(0, len(ordered), CHUNK):
        part = ordered[start:start + CHUNK]
        for k in part:
            hasher.add(k)
        yield sign_entry({"type": "credentials", "manifest": manifest_hash.hex(),
                          "chunk": chunks, "keys": [k.hex() for k in part]}, registrar_secret)
        chunks += 1
    yield sign_entry({"type": "credentials-final", "manifest": manifest_hash.hex(),
                      "chunks": chunks, "count": hasher.count,
                      "hash": hasher.digest().hex()}, registrar_secret)


def parse_chunk_keys(entry: dict[str, Any]) -> list[bytes]:
    o = codec.obj(entry, "credentials", {"type", "manifest", "chunk", "keys", "sig"})
    return [codec.hex_bytes(k, 32, f"credentials.keys[{i}]")
            for i, k in enumerate(codec.array(o["keys"], "credentials.keys", 1, CHUNK))]
