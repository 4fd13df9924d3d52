"""BIP340 Schnorr signatures over secp256k1 (spec §4.3), a thin wrapper over libsecp256k1
(coincurve).

Keys are 32-byte x-only public keys and 32-byte secret scalars; messages are exactly 32 bytes
(always a domain-separated digest in this project); signatures are 64 bytes. No curve arithmetic
is done here. Secret keys never appear in error messages, reprs or logs.
"""

from __future__ import annotations

import os

import coincurve

from .errors import EncodingError, InvalidProof

SECRET_BYTES = 32
PUBLIC_KEY_BYTES = 32
MESSAGE_BYTES = 32
AUX_BYTES = 32
SIGNATURE_BYTES = 64

CHECK = "BIP340"
"""Check id carried by the InvalidProof raised when a signature does not verify."""


def _require_bytes(name: str, value: object, length: int) -> bytes:
    """`value` as bytes of exactly `length`, or EncodingError naming only the field and length."""
    if not isinstance(value, bytes):
        raise EncodingError(f"{name} must be bytes, got {type(value).__name__}")
    if len(value) != length:
        raise EncodingError(f"{name} must be {length} bytes, got {len(value)}")
    return value


def _private_key(secret: bytes) -> coincurve.PrivateKey:
    """A coincurve key for a 32-byte scalar in [1, n-1]; the error never includes the secret."""
    _require_bytes("secret key", secret, SECRET_BYTES)
    try:
        return coincurve.PrivateKey(secret)
    except ValueError:
        raise EncodingError("secret key is not a scalar in [1, n-1]") from None


def _xonly(public_key: bytes) -> coincurve.PublicKeyXOnly:
    """Parse a 32-byte x-only key (lift_x of BIP340); EncodingError if x is not on the curve."""
    _require_bytes("public key", public_key, PUBLIC_KEY_BYTES)
    try:
        return coincurve.PublicKeyXOnly(public_key)
    except ValueError:
        raise EncodingError("public key is not the x coordinate of a curve point") from None


def generate_secret() -> bytes:
    """A fresh secret key: 32 bytes from the OS CSPRNG, uniform in [1, n-1] (coincurve)."""
    return coincurve.PrivateKey().secret


def public_key(secret: bytes) -> bytes:
    """The 32-byte x-only public key of `secret` (BIP340 PubKey(sk))."""
    return _private_key(secret).public_key_xonly.format()


def validate_public_key(public_key: bytes) -> None:
    """Raise EncodingError unless `public_key` is a valid 32-byte x-only key."""
    _xonly(public_key)


def sign(secret: bytes, msg32: bytes, aux: bytes | None = None) -> bytes:
    """BIP340 Sign(sk, m, a) over a 32-byte message; `aux` defaults to 32 fresh random bytes."""
    key = _private_key(secret)
    _require_bytes("message", msg32, MESSAGE_BYTES)
    aux_rand = os.urandom(AUX_BYTES) if aux is None else _require_bytes("aux_rand", aux, AUX_BYTES)
    try:
        return key.sign_schnorr(msg32, aux_rand)
    except ValueError:  # libsecp256k1 re-verifies its own signature; failing here is a fault
        raise EncodingError("BIP340 signing failed") from None


def verify(public_key: bytes, msg32: bytes, sig: bytes) -> None:
    """BIP340 Verify(pk, m, sig): return if valid; InvalidProof if not; EncodingError on a bad key."""
    key = _xonly(public_key)
    _require_bytes("message", msg32, MESSAGE_BYTES)
    if not isinstance(sig, bytes) or len(sig) != SIGNATURE_BYTES:
        raise InvalidProof(CHECK, f"signature must be {SIGNATURE_BYTES} bytes")
    if not key.verify(sig, msg32):
        raise InvalidProof(CHECK, "signature does not verify")
