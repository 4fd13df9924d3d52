"""Signed record entries (spec §4.3): an entry is a JSON object with a "type"; a signed entry
also has "sig", a BIP340 signature over H("entry-sig", canonical bytes of the entry without
"sig") by the key that the entry's type designates (organizer, registrar, trustee, credential)."""

from __future__ import annotations

from typing import Any

from ..crypto import bip340
from ..crypto.errors import CryptoError
from ..crypto.hashing import hash_parts
from .canonical import canonical_bytes
from .codec import hex_bytes
from .errors import Rejected


def signing_message(entry: dict[str, Any], *, parsed: bool = False) -> bytes:
    """The 32-byte message that an entry's "sig" signs (`parsed`: see canonical_bytes)."""
    body = {k: v for k, v in entry.items() if k != "sig"}
    return hash_parts("entry-sig", canonical_bytes(body, parsed=parsed))


def sign_entry(entry: dict[str, Any], secret: bytes, aux: bytes | None = None) -> dict[str, Any]:
    """The entry with "sig" added (any old "sig" is replaced); `aux`: BIP340 auxiliary
    randomness, fresh if None (fixed only for test vectors)."""
    body = {k: v for k, v in entry.items() if k != "sig"}
    return {**body, "sig": bip340.sign(secret, signing_message(body), aux).hex()}


def verify_entry(entry: dict[str, Any], public_key: bytes, *, check: str, what: str) -> None:
    """Raise Rejected unless entry["sig"] is a valid signature by public_key; `entry` must come
    from `parse_canonical` (or be built by this code)."""
    sig = hex_bytes(entry.get("sig"), 64, f"{what}.sig")
    try:
        bip340.verify(public_key, signing_message(entry, parsed=True), sig)
    except CryptoError as e:
        raise Rejected(f"{what}: signature does not verify", code="bad_signature",
                       check=check) from e
