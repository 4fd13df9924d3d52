"""Errors raised by the crypto layer.

    CryptoError
    ├── EncodingError      bytes that are not a canonical encoding of a scalar or point
    └── InvalidProof       a proof or signature that does not verify; carries the check id
"""

from __future__ import annotations


class CryptoError(ValueError):
    """Base of every error the crypto layer raises."""


class EncodingError(CryptoError):
    """Bytes that do not decode to a valid, canonical value (spec §2)."""


class InvalidProof(CryptoError):
    """A proof or signature failed; `check` names the verifier check (spec §9), e.g. "V7"."""

    def __init__(self, check: str, reason: str) -> None:
        super().__init__(f"{check}: {reason}")
        self.check = check
        self.reason = reason
