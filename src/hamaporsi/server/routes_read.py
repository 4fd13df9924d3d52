"""The read side: the election, results, a ballot's status and proof, and the board (its
entries, checkpoints and consistency proofs), published as of the latest signed checkpoint. Each answer is pre-serialised on the board thread
after catching up with other writers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from ..protocol.checkpoint import MAX_INT
from .schemas import (HEX32, BallotStatus, CheckpointModel, Checkpoints, Consistency, Election,
                      Entries, Health, Results, errors)
from .service import MAX_CHECKPOINTS, MAX_ENTRIES, BoardService

JSON = "application/json"
Size = Annotated[int, Query(ge=0, le=MAX_INT)]


def router(service: BoardService) -> APIRouter:
    r = APIRouter()

    def ok(body: bytes) -> Response:
        return Response(body, media_type=JSON)

    @r.get("/api/election", tags=["election"], response_model=None,
           summary="The election: manifest, context, board key, booth fingerprints",
           responses={200: {"model": Election}, **errors(503)})
    async def election() -> Response:
        return ok(await service.call(service.election_json))

    @r.get("/api/health", tags=["service"], response_model=None,
           summary="Whether this server reaches its board now: 200, or 503 with Retry-After",
           description="For a load balancer in front of several server processes: each call "
                       "makes one round trip to the board's database.",
           responses={200: {"model": Health}, **errors(503)})
    async def health() -> Response:
        return ok(await service.call(service.health_json))

    @r.get("/api/results", tags=["election"], response_model=None,
           summary="Phase, turnout as of the latest signed checkpoint, and the result once "
                   "published",
           responses={200: {"model": Results}, **errors(503)})
    async def results() -> Response:
        return ok(await service.call(service.results_json))

    @r.get("/api/ballots/{tracking_code}", tags=["casting"], response_model=None,
           summary="A ballot's or audit's place on the board and its inclusion proof",
           description="`pending` until a signed checkpoint covers the entry (checkpoints are "
                       "signed on a cadence, never per ballot); then `included` with the RFC "
                       "9162 path against the latest checkpoint.",
           responses={200: {"model": BallotStatus}, **errors(400, 404, 503)})
    async def ballot_status(
            tracking_code: Annotated[str, Path(pattern=HEX32)]) -> Response:
        return ok(await service.call(service.receipt_json, bytes.fromhex(tracking_code)))

    @r.get("/api/board/checkpoint", tags=["board"], response_model=None,
           summary="The latest signed checkpoint",
           responses={200: {"model": CheckpointModel}, **errors(404, 503)})
    async def checkpoint() -> Response:
        return ok(await service.call(service.checkpoint_json))

    @r.get("/api/board/checkpoints", tags=["board"], response_model=None,
           summary="Signed checkpoints: the newest first, or with `after` every one in order",
           description="Without `after`: the newest `limit`, newest first. With `after=S`: "
                       "the first `limit` of size > S, oldest first (`after=-1` from the "
                       "start), so that a mirror can page through every checkpoint.",
           responses={200: {"model": Checkpoints}, **errors(400, 503)})
    async def checkpoints(
            limit: Annotated[int, Query(ge=1, le=MAX_CHECKPOINTS)] = 20,
            after: Annotated[int | None, Query(ge=-1, le=MAX_INT)] = None) -> Response:
        return ok(await service.call(service.checkpoints_json, limit, after))

    @r.get("/api/board/entries", tags=["board"], response_model=None,
           summary=f"Entries [start, end) as their exact bytes, at most {MAX_ENTRIES}",
           description="Each entry re-encodes with RFC 8785 to exactly its stored bytes. Only "
                       "entries the latest signed checkpoint covers are served: `end` defaults "
                       f"to start + {MAX_ENTRIES} and is clamped to the checkpoint's size "
                       "(an empty list at or beyond it).",
           responses={200: {"model": Entries}, **errors(400, 503)})
    async def entries(start: Size = 0,
                      end: Annotated[int | None, Query(ge=0, le=MAX_INT)] = None
                      ) -> Response:
        return ok(await service.call(service.entries_json, start, end))

    @r.get("/api/board/proofs/consistency", tags=["board"], response_model=None,
           summary="RFC 9162 consistency proof between two sizes up to the latest checkpoint's",
           responses={200: {"model": Consistency}, **errors(400, 503)})
    async def consistency(frm: Annotated[int, Query(alias="from", ge=0, le=MAX_INT)],
                          to: Size) -> Response:
        return ok(await service.call(service.consistency_json, frm, to))

    return r
