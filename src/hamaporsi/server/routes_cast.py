"""POST /api/ballots and /api/audits: the body is the entry's exact canonical bytes, read with
a size cap before anything else (issue 3 §4). 201 when stored now, 200 when exactly these
bytes were already stored (a retry), 403 on a read-only server."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from .cast import Caster, read_only
from .errors import ApiError
from .schemas import AUDIT_SCHEMA, BALLOT_SCHEMA, CastReceipt, errors, request_body

JSON = "application/json"
CAST_ERRORS = errors(400, 403, 409, 413, 415, 422, 429, 503)
RETRY = "Already stored: exactly these bytes were cast before (a retry); the same receipt"


def content_type_ok(request: Request) -> bool:
    """application/json, optionally with charset=utf-8 (the bytes are UTF-8 either way)."""
    value = request.headers.get("content-type", "")
    mime, _, params = value.partition(";")
    if mime.strip().lower() != JSON:
        return False
    params = params.strip().lower().replace(" ", "")
    return params in ("", "charset=utf-8")


async def read_capped(request: Request, cap: int) -> bytes:
    """The body, refusing with 413 as soon as it is known to exceed `cap` bytes: from
    Content-Length before reading anything, else while streaming."""
    length = request.headers.get("content-length")
    if length is not None:
        if not length.isdigit():
            raise ApiError.of("bad_request", "Content-Length is not a number")
        if int(length) > cap:
            raise ApiError.of("too_large", f"the body is {int(length)} bytes; the limit is {cap}")
    buf = bytearray()
    async for chunk in request.stream():
        buf += chunk
        if len(buf) > cap:
            raise ApiError.of("too_large", f"the body exceeds the limit of {cap} bytes")
    return bytes(buf)


async def post_body(request: Request, cap: int, what: str, *, read_only_server: bool) -> bytes:
    """The body of a POST that writes to the board: 403 `read_only` on a read-only server,
    415 unless it is JSON (`what` names it in the message), 413 beyond `cap` bytes."""
    if read_only_server:
        raise read_only()
    if not content_type_ok(request):
        raise ApiError.of("unsupported_media_type",
                          f"send the {what} as Content-Type: application/json")
    return await read_capped(request, cap)


def router(caster: Caster, body_cap: int) -> APIRouter:
    r = APIRouter(tags=["casting"])

    async def handle(request: Request, kind: str) -> Response:
        data = await post_body(request, body_cap, "entry",
                               read_only_server=caster.config.read_only)
        status, body = await caster.cast(data, kind)
        return Response(body, status_code=status, media_type=JSON)

    @r.post("/api/ballots", status_code=201, response_model=None,
            summary="Cast a ballot",
            description="The body is the ballot entry's exact RFC 8785 bytes (spec §5.5). "
                        "Non-canonical bytes, duplicate keys, bad proofs, unknown credentials, "
                        "replays and casts outside the voting period are refused and nothing "
                        "is stored. 201 returns a pending receipt: GET /api/ballots/{tracking"
                        "_code} gives its inclusion proof once a signed checkpoint covers it. "
                        "Sending exactly the same bytes again (a retry after a lost answer) "
                        "returns 200 with the same receipt and stores nothing; a read-only "
                        "server (a mirror) answers 403 `read_only`.",
            responses={201: {"model": CastReceipt, "description": "Stored"},
                       200: {"model": CastReceipt, "description": RETRY}, **CAST_ERRORS},
            openapi_extra=request_body(BALLOT_SCHEMA))
    async def post_ballot(request: Request) -> Response:
        return await handle(request, "ballot")

    @r.post("/api/audits", status_code=201, response_model=None,
            summary="Audit (open) a ballot instead of casting it",
            description="The body is the audit entry's exact RFC 8785 bytes (spec §5.6): the "
                        "ballot with its choices and nonces. The audited ballot can never be "
                        "cast; the device encrypts anew. Retries: as for ballots.",
            responses={201: {"model": CastReceipt, "description": "Stored"},
                       200: {"model": CastReceipt, "description": RETRY}, **CAST_ERRORS},
            openapi_extra=request_body(AUDIT_SCHEMA))
    async def post_audit(request: Request) -> Response:
        return await handle(request, "audit")

    return r
