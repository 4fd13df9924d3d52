"""Errors raised by the protocol layer.

    ProtocolError (ValueError)
    ├── MalformedInput     bytes or JSON that break the wire rules (spec §4): not canonical,
    │                      duplicate keys, wrong field, wrong type, oversized
    └── Rejected           well-formed input that the protocol refuses (a wrong proof, an unknown
                           credential, a ballot for another election); carries the check id
"""

from __future__ import annotations


class ProtocolError(ValueError):
    """Base of every error the protocol layer raises; `code` is a stable machine-readable name."""

    code = "protocol_error"

    def __init__(self, reason: str, *, code: str | None = None, check: str | None = None) -> None:
        super().__init__(f"{check}: {reason}" if check else reason)
        self.reason = reason
        if code is not None:
            self.code = code
        self.check = check


class MalformedInput(ProtocolError):
    """Input that does not follow the wire format of spec §4."""

    code = "malformed"


class Rejected(ProtocolError):
    """Well-formed input refused by a protocol rule (spec §9 check id in `check`)."""

    code = "rejected"
