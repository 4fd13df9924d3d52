"""Witness cosignatures (spec §8.8): a witness posts its cosignature of a checkpoint it checked;
anyone reads the cosignatures of a checkpoint. The board stores only cosignatures that verify,
of a checkpoint it signed, by a witness the manifest lists."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from ..protocol.checkpoint import MAX_INT
from .routes_cast import post_body
from .schemas import COSIGNATURE_SCHEMA, Cosignatures, Stored, errors, request_body
from .service import BoardService, dumps

JSON = "application/json"
COSIGNATURE_CAP = 4096
"""A cosignature is about 450 bytes."""


def router(service: BoardService) -> APIRouter:
    r = APIRouter(tags=["board"])

    @r.post("/api/board/cosignatures", status_code=201, response_model=None,
            summary="Store a witness's cosignature of a checkpoint",
            description="The body is the cosignature's exact RFC 8785 bytes (spec §8.8). 201 "
                        "`{\"stored\": true}` if new, 200 `{\"stored\": false}` if that witness "
                        "already cosigned that size (the first is kept). 400 `bad_cosignature`"
                        ": malformed, not verifying, or not of the board's checkpoint of that "
                        "size; 403 `unknown_witness`: not a witness of the manifest (or "
                        "`read_only` on a mirror); 404: no checkpoint of that size.",
            responses={201: {"model": Stored, "description": "Stored"},
                       200: {"model": Stored, "description": "Already stored"},
                       **errors(400, 403, 404, 413, 415, 503)},
            openapi_extra=request_body(COSIGNATURE_SCHEMA))
    async def post_cosignature(request: Request) -> Response:
        data = await post_body(request, COSIGNATURE_CAP, "cosignature",
                               read_only_server=service.config.read_only)
        new = await service.call(service.add_cosignature, data)
        return Response(dumps({"stored": new}), status_code=201 if new else 200,
                        media_type=JSON)

    @r.get("/api/board/cosignatures", response_model=None,
           summary="A checkpoint and the witness cosignatures the board holds of it",
           responses={200: {"model": Cosignatures}, **errors(400, 404, 503)})
    async def get_cosignatures(size: Annotated[int, Query(ge=0, le=MAX_INT)]) -> Response:
        return Response(await service.call(service.cosignatures_json, size), media_type=JSON)

    return r
