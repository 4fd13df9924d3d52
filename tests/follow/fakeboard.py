"""A malicious board for the follow tests: a small Starlette app serving chosen entries and
checkpoints signed with the real board key (so only the follower's checks can catch it), with
per-path overrides for broken answers, run under uvicorn on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hamaporsi.protocol import merkle
from hamaporsi.protocol.canonical import canonical_bytes
from hamaporsi.protocol.checkpoint import Checkpoint, sign_checkpoint
from hamaporsi.protocol.merkle import leaf_hash

from support.server import uvicorn_thread

Override = Callable[[Request], Response]


def root_of(entries: Sequence[bytes], size: int) -> bytes:
    return merkle.root(leaf_hash(e) for e in entries[:size])


def signed(secret: bytes, election: str, entries: Sequence[bytes], size: int,
           t: int = 1_700_000_000) -> Checkpoint:
    """The board's checkpoint of the first `size` of `entries` at time `t`."""
    return sign_checkpoint(secret, election, size, root_of(entries, size), t)


@dataclass
class View:
    """What the board shows: its log and its checkpoints (increasing size; the last is the
    newest), plus overrides: path → function answering the request instead."""

    entries: list[bytes]
    checkpoints: list[Checkpoint]
    overrides: dict[str, Override] = field(default_factory=dict)
    posted: list[bytes] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    @property
    def head(self) -> Checkpoint:
        return self.checkpoints[-1]


def _json(obj: Any, status: int = 200) -> Response:
    return Response(canonical_bytes(obj), status, media_type="application/json")


def _error(status: int, code: str) -> Response:
    return _json({"error": code, "detail": code}, status)


class FakeBoard:
    """Serves `view` (replaceable at any time) with the read API's paths and shapes."""

    def __init__(self, view: View) -> None:
        self.view = view
        self.app = Starlette(routes=[
            Route("/api/board/checkpoint", self._wrap("checkpoint", self.checkpoint)),
            Route("/api/board/checkpoints", self._wrap("checkpoints", self.checkpoints)),
            Route("/api/board/entries", self._wrap("entries", self.entries)),
            Route("/api/board/proofs/consistency",
                  self._wrap("consistency", self.consistency)),
            Route("/api/board/cosignatures", self._wrap("cosignatures", self.cosignatures),
                  methods=["GET", "POST"]),
        ])

    def _wrap(self, name: str, fn: Override) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            v = self.view
            v.requests.append(f"{request.method} {name} {request.url.query}")
            if request.method == "POST":
                v.posted.append(await request.body())
                return _json({"stored": True}, 201)
            over = v.overrides.get(name)
            return over(request) if over is not None else fn(request)
        return endpoint

    def checkpoint(self, _: Request) -> Response:
        return _json(self.view.head.to_json())

    def checkpoints(self, request: Request) -> Response:
        limit = int(request.query_params.get("limit", "20"))
        after = request.query_params.get("after")
        cps = (self.view.checkpoints[::-1] if after is None else
               [c for c in self.view.checkpoints if c.size > int(after)])
        return _json({"checkpoints": [c.to_json() for c in cps[:limit]]})

    def entries(self, request: Request) -> Response:
        start = int(request.query_params.get("start", "0"))
        end = int(request.query_params.get("end", str(start + 1000)))
        hi = min(end, self.view.head.size)
        rows = self.view.entries[start:hi] if start < hi else []
        return Response(b'{"entries":[' + b",".join(rows) + b'],"start":' + str(start).encode()
                        + b"}", media_type="application/json")

    def consistency(self, request: Request) -> Response:
        old, new = int(request.query_params["from"]), int(request.query_params["to"])
        leaves = [leaf_hash(e) for e in self.view.entries[:new]]
        proof = merkle.consistency_proof(leaves, old, new)
        return _json({"from": old, "to": new, "proof": [h.hex() for h in proof]})

    def cosignatures(self, request: Request) -> Response:
        size = int(request.query_params["size"])
        for cp in self.view.checkpoints:
            if cp.size == size:
                return _json({"size": size, "checkpoint": cp.to_json(), "cosignatures": []})
        return _error(404, "not_found")


@contextmanager
def serve_app(app: Any) -> Iterator[str]:
    """Run an ASGI app under uvicorn on 127.0.0.1 (a free port) in a thread; yield its URL."""
    with uvicorn_thread(uvicorn.Config(app, host="127.0.0.1", port=0, access_log=False,
                                       log_level="warning", lifespan="off")) as url:
        yield url
