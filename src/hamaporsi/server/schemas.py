"""The API's shapes for the OpenAPI document (/openapi.json). Responses on hot paths are sent as
pre-serialised bytes; these models describe them for clients and for schemathesis, and the
request schemas mirror the ballot and audit entries of spec §5.5–§5.6 exactly (every field,
lowercase hex of exact length, no extra keys). The server still checks the bytes themselves."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..protocol.manifest import MAX_OPTIONS

HEX32 = r"^[0-9a-f]{64}$"
HEX33 = r"^[0-9a-f]{66}$"
HEX64 = r"^[0-9a-f]{128}$"


def _hex(pattern: str) -> dict[str, Any]:
    return {"type": "string", "pattern": pattern}


_BRANCH = {"type": "object", "additionalProperties": False, "required": ["a", "b", "c", "v"],
           "properties": {"a": _hex(HEX33), "b": _hex(HEX33), "c": _hex(HEX32),
                          "v": _hex(HEX32)}}
_SELECTION = {"type": "object", "additionalProperties": False,
              "required": ["alpha", "beta", "proof"],
              "properties": {"alpha": _hex(HEX33), "beta": _hex(HEX33),
                             "proof": {"type": "array", "items": _BRANCH, "minItems": 2,
                                       "maxItems": 2}}}
BALLOT_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "required": ["type", "election", "credential", "selections", "total_proof", "sig"],
    "properties": {
        "type": {"type": "string", "enum": ["ballot"]},
        "election": _hex(HEX32),
        "credential": _hex(HEX32),
        "selections": {"type": "array", "items": _SELECTION, "minItems": 1,
                       "maxItems": MAX_OPTIONS},
        "total_proof": {"anyOf": [{"type": "null"},
                                  {"type": "array", "items": _BRANCH, "minItems": 2,
                                   "maxItems": MAX_OPTIONS + 1}]},
        "sig": _hex(HEX64),
    },
    "description": "A ballot entry (spec §5.5) as its exact RFC 8785 bytes.",
}
AUDIT_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "required": ["type", "ballot", "choices", "nonces"],
    "properties": {
        "type": {"type": "string", "enum": ["audit"]},
        "ballot": BALLOT_SCHEMA,
        "choices": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 1},
                    "minItems": 1, "maxItems": MAX_OPTIONS},
        "nonces": {"type": "array", "items": _hex(HEX32), "minItems": 1,
                   "maxItems": MAX_OPTIONS},
    },
    "description": "An audit entry (spec §5.6), the Benaloh challenge, as its exact RFC 8785 "
                   "bytes.",
}


def request_body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True,
                            "content": {"application/json": {"schema": schema}}}}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Message(_Strict):
    en: str
    fa: str


class ErrorBody(_Strict):
    """Every refusal: a stable code, an English detail, the voter's message in fa and en."""

    error: str = Field(pattern=r"^[a-z_]+$")
    detail: str
    message: Message


class CastReceipt(_Strict):
    """201: stored; the inclusion proof comes with the next signed checkpoint (spec §5.7)."""

    status: Literal["pending"]
    tracking_code: str = Field(pattern=HEX32)
    index: int = Field(ge=0)
    leaf_hash: str = Field(pattern=HEX32)


class CheckpointModel(_Strict):
    """A signed checkpoint (spec §8.5)."""

    board_key: str = Field(pattern=HEX32)
    election: str = Field(pattern=HEX32)
    root: str = Field(pattern=HEX32)
    size: int = Field(ge=0)
    time: int = Field(ge=0)
    type: Literal["checkpoint"]
    sig: str = Field(pattern=HEX64)


class CosignatureModel(_Strict):
    """A witness's cosignature of a checkpoint (spec §8.8)."""

    checkpoint: str = Field(pattern=HEX32)
    election: str = Field(pattern=HEX32)
    size: int = Field(ge=0)
    time: int = Field(ge=0)
    type: Literal["cosignature"]
    witness: str = Field(pattern=HEX32)
    sig: str = Field(pattern=HEX64)


COSIGNATURE_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "required": ["checkpoint", "election", "size", "time", "type", "witness", "sig"],
    "properties": {
        "checkpoint": _hex(HEX32), "election": _hex(HEX32),
        "size": {"type": "integer", "minimum": 0, "maximum": 2**53 - 1},
        "time": {"type": "integer", "minimum": 0, "maximum": 2**53 - 1},
        "type": {"type": "string", "enum": ["cosignature"]},
        "witness": _hex(HEX32), "sig": _hex(HEX64),
    },
    "description": "A witness cosignature (spec §8.8) as its exact RFC 8785 bytes.",
}


class Stored(_Strict):
    stored: bool


class Cosignatures(_Strict):
    size: int = Field(ge=0)
    checkpoint: CheckpointModel
    cosignatures: list[CosignatureModel]


class BallotStatus(_Strict):
    """Where a ballot or audit is on the board, with its inclusion proof once covered."""

    tracking_code: str = Field(pattern=HEX32)
    kind: Literal["ballot", "audit"]
    index: int = Field(ge=0)
    leaf_hash: str = Field(pattern=HEX32)
    superseded: bool
    status: Literal["pending", "included"]
    checkpoint: CheckpointModel | None
    path: list[str]
    cosignatures: list[CosignatureModel]


class Booth(_Strict):
    hash: str | None = Field(pattern=HEX32)
    published: str | None = Field(pattern=HEX32)


class ContextModel(_Strict):
    election: str = Field(pattern=HEX32)
    joint_key: str = Field(pattern=HEX33)
    credential_count: int = Field(ge=0)
    credential_hash: str = Field(pattern=HEX32)


Phase = Literal["setup", "voting", "closed", "done"]


class Health(_Strict):
    """This server can reach its board now (for a load balancer's health check)."""

    status: Literal["ok"]
    phase: Phase
    read_only: bool


class Election(_Strict):
    """What a booth needs to encrypt and check ballots, and the booth's fingerprints."""

    election_id: str = Field(pattern=HEX32)
    phase: Phase
    manifest: dict[str, Any]
    board_key: str = Field(pattern=HEX32)
    trustees: list[dict[str, Any]]
    context: ContextModel | None
    booth: Booth


class Turnout(_Strict):
    eligible: int | None
    voters: int
    ballots: int
    audits: int


class ResultModel(_Strict):
    counts: list[int]
    blank: int | None
    voted: int
    eligible: int
    trustees: list[int]


class Results(_Strict):
    phase: Phase
    turnout: Turnout
    result: ResultModel | None


class Checkpoints(_Strict):
    checkpoints: list[CheckpointModel]


class Entries(_Strict):
    start: int = Field(ge=0)
    entries: list[dict[str, Any]]


class Consistency(_Strict):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: int = Field(alias="from", ge=0)
    to: int = Field(ge=0)
    proof: list[str]


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for error statuses."""
    what = {400: "Bad request", 403: "Refused here (read-only copy, unlisted witness)",
            404: "Not found", 409: "Conflict with the board's state",
            413: "Request body too large", 415: "Not application/json",
            422: "Refused by the protocol", 429: "Rate limited (see Retry-After)",
            503: "Not ready, busy, or the database is unreachable (see Retry-After)"}
    out: dict[int | str, dict[str, Any]] = {}
    for s in statuses:
        entry: dict[str, Any] = {"model": ErrorBody, "description": what[s]}
        if s in (429, 503):
            entry["headers"] = {"Retry-After": {"schema": {"type": "integer"},
                                                "description": "seconds to wait"}}
        out[s] = entry
    return out
