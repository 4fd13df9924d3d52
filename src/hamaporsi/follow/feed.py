"""A witness's own feed over HTTP (spec §8.8.5): what it cosigned, for other witnesses to
compare with their view of the board (gossip) and for anyone to read.

    GET /witness                       {"witness", "election", "latest": {"checkpoint",
                                        "cosignature"} | null}   (election null before the
                                        first checkpoint)
    GET /witness/cosignatures?size=N   {"size", "checkpoint", "cosignature"} (404 if not cosigned)
    GET /witness/consistency?from=M&to=N
                                       {"from", "to", "prefix_root", "proof"}: the root of the
                                        witness's copy at M and the RFC 9162 proof from M to N,
                                        N a size it cosigned (so a peer can compare at once)
    GET /witness/evidence              {"evidence": [evidence json…]} (spec §8.8.6)

All answers are canonical JSON. The feed reads the copy's store through a connection of its
own, on one thread of its own.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..board.open import open_store
from ..board.store import BoardStore
from ..protocol.canonical import canonical_bytes
from ..protocol.checkpoint import MAX_INT, Checkpoint
from ..protocol.cosignature import Cosignature
from .copy import prefix_proof
from .evidence import Evidence

ProofFn = Callable[[int, int], tuple[bytes, list[bytes]]]


PROOFS_KEPT = 256
"""Answers the feed remembers: peers ask for the same (from, to) every round, and each answer
costs a pass over the copy's leaf hashes (the copy only grows, so an answer never changes)."""


class StoreProofs:
    """prefix_proof on a store opened (lazily) by the thread that calls it: give it to the
    feed, whose one worker thread then owns that connection."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._store: BoardStore | None = None
        self._kept: OrderedDict[tuple[int, int], tuple[bytes, list[bytes]]] = OrderedDict()

    def __call__(self, old: int, new: int) -> tuple[bytes, list[bytes]]:
        got = self._kept.get((old, new))
        if got is not None:
            self._kept.move_to_end((old, new))
            return got
        if self._store is None:
            self._store = open_store(self.url)
        got = prefix_proof(self._store, old, new)
        self._kept[(old, new)] = got
        while len(self._kept) > PROOFS_KEPT:
            self._kept.popitem(last=False)
        return got

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


class FeedState:
    """What the feed publishes; written by the witness loop, read by the feed's thread (each
    update replaces whole values, so readers never see half of one)."""

    def __init__(self, witness: bytes, proofs: ProofFn | None = None) -> None:
        self.witness = witness
        self.election: str | None = None
        self.latest: tuple[Checkpoint, Cosignature] | None = None
        self.by_size: dict[int, tuple[Checkpoint, Cosignature]] = {}
        self.evidence: tuple[Evidence, ...] = ()
        self.proofs = proofs

    def publish(self, cp: Checkpoint, cs: Cosignature) -> None:
        self.election = cp.election_id
        self.by_size[cp.size] = (cp, cs)
        if self.latest is None or cp.size >= self.latest[0].size:
            self.latest = (cp, cs)

    def add_evidence(self, ev: Evidence) -> None:
        self.evidence = (*self.evidence, ev)


def _json(obj: Any, status: int = 200) -> Response:
    return Response(canonical_bytes(obj), status_code=status, media_type="application/json",
                    headers={"cache-control": "no-store"})


def _error(status: int, code: str, detail: str) -> Response:
    return _json({"error": code, "detail": detail}, status)


def _size(request: Request, name: str) -> int | None:
    v = request.query_params.get(name, "")
    if not v.isdigit() or len(v) > 16 or int(v) > MAX_INT:
        return None
    return int(v)


def feed_app(state: FeedState, pool: ThreadPoolExecutor) -> Starlette:
    """The feed's ASGI app over `state`; proofs are computed on `pool` (one thread)."""

    async def head(_: Request) -> Response:
        latest = state.latest
        return _json({"witness": state.witness.hex(), "election": state.election,
                      "latest": None if latest is None else
                      {"checkpoint": latest[0].to_json(), "cosignature": latest[1].to_json()}})

    async def cosignatures(request: Request) -> Response:
        size = _size(request, "size")
        if size is None:
            return _error(400, "bad_request", "size: an integer in [0, 2^53-1]")
        got = state.by_size.get(size)
        if got is None:
            return _error(404, "not_found", f"no cosigned checkpoint of size {size}")
        return _json({"size": size, "checkpoint": got[0].to_json(),
                      "cosignature": got[1].to_json()})

    async def consistency(request: Request) -> Response:
        old, new = _size(request, "from"), _size(request, "to")
        if old is None or new is None or old > new:
            return _error(400, "bad_request", "need integers 0 ≤ from ≤ to")
        if new not in state.by_size or state.proofs is None:
            return _error(404, "not_found", f"no cosigned checkpoint of size {new}")
        root, proof = await asyncio.get_running_loop().run_in_executor(
            pool, state.proofs, old, new)
        return _json({"from": old, "to": new, "prefix_root": root.hex(),
                      "proof": [h.hex() for h in proof]})

    async def evidence(_: Request) -> Response:
        return _json({"evidence": [ev.to_json() for ev in state.evidence]})

    return Starlette(routes=[
        Route("/witness", head), Route("/witness/cosignatures", cosignatures),
        Route("/witness/consistency", consistency), Route("/witness/evidence", evidence)])


class FeedServer:
    """The feed under uvicorn in a background thread; `url` once started."""

    def __init__(self, state: FeedState, host: str, port: int) -> None:
        self._state = state
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="witness-feed")
        config = uvicorn.Config(feed_app(state, self._pool), host=host, port=port,
                                access_log=False,
                                log_level="warning", lifespan="off", server_header=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="witness-feed-http",
                                        daemon=True)
        self.url = ""

    def start(self, timeout: float = 30.0) -> str:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise OSError("the witness feed did not start (address in use?)")
            time.sleep(0.01)
        host, port = self._server.servers[0].sockets[0].getsockname()[:2]
        self.url = f"http://{host}:{port}"
        return self.url

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)
        close = getattr(self._state.proofs, "close", None)
        if close is not None:  # the store belongs to the pool's thread: close it there
            self._pool.submit(close).result()
        self._pool.shutdown(wait=True)

    def __enter__(self) -> FeedServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
