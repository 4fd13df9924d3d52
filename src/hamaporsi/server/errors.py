"""Errors at the HTTP edge: every refusal is an `ApiError` with a status, a stable snake_case
code, an English detail and the voter-facing message in Persian and English.

    ApiError (Exception)     status + code + detail (+ headers, e.g. Retry-After)
        from_protocol(e)     MalformedInput → 400 (too_large 413), Rejected → 422,
                             replays and phase refusals → 409

Only this module decides statuses; the protocol's `code` passes through unchanged.
"""

from __future__ import annotations

import json

from ..protocol.errors import MalformedInput, ProtocolError
from .messages import message

STATUS: dict[str, int] = {
    "too_large": 413,
    "unsupported_media_type": 415,
    "duplicate": 409,
    "not_open": 409,
    "voting_closed": 409,
    "wrong_phase": 409,
    "rate_limited": 429,
    "read_only": 403,
    "unknown_witness": 403,
    "not_found": 404,
    "no_checkpoint": 404,
    "method_not_allowed": 405,
    "unavailable": 503,
    "internal_error": 500,
}
"""Codes whose status is not the default of their family (400 malformed, 422 refused)."""

DETAIL_LIMIT = 300


class ApiError(Exception):
    """A refusal to send as `{"error": code, "detail": …, "message": {"en", "fa"}}`."""

    def __init__(self, status: int, code: str, detail: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers or {}

    @staticmethod
    def of(code: str, detail: str, headers: dict[str, str] | None = None) -> ApiError:
        """An error whose status follows from its code (400 when the code has none of its own)."""
        return ApiError(STATUS.get(code, 400), code, detail, headers)

    def body(self) -> bytes:
        return error_body(self.code, self.detail)


def error_body(code: str, detail: str) -> bytes:
    """The JSON bytes of an error response."""
    detail = " ".join(detail.split())[:DETAIL_LIMIT] or code
    return json.dumps({"error": code, "detail": detail, "message": message(code)},
                      ensure_ascii=False, separators=(",", ":")).encode()


def from_protocol(e: ProtocolError) -> ApiError:
    """The HTTP form of a protocol refusal (spec §4.1 codes; §9 check ids kept in the detail)."""
    default = 400 if isinstance(e, MalformedInput) else 422
    return ApiError(STATUS.get(e.code, default), e.code, str(e))
