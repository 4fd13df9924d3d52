"""The board behind the server: one `ElectionBoard` on one thread (an SQLite connection and the
ledger are single-threaded), with the caches that make reads cheap. The event loop awaits
`call(fn)`; every method below whose name has no leading `a` runs on that thread.

Other processes may append to the same file while the server runs (the organizer, registrar
and trustees use the CLI): every read first catches up with them (`ElectionBoard.sync`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from ..board.election_board import ElectionBoard
from ..board.errors import CheckpointError, StoreCorrupted
from ..board.sqlite import SQLiteStore
from ..protocol.ballot import tracking_code
from ..protocol.canonical import canonical_bytes, parse_canonical
from ..protocol.checkpoint import Checkpoint
from ..protocol.errors import ProtocolError
from ..protocol.ledger import BallotFacts, MemoryIndex
from ..protocol.merkle import consistency_proof, inclusion_proof
from .config import ServerConfig
from .errors import ApiError
from .merkle_cache import SubtreeCache
from .verifier import ContextBytes

log = logging.getLogger("hamaporsi.server")
R = TypeVar("R")

PUBLIC_PHASE = {"manifest": "setup", "ceremony": "setup", "credentials": "setup",
                "credentials-final": "setup", "voting": "voting", "closed": "closed",
                "tallied": "closed", "done": "done"}
"""The ledger's phases (spec §1) as the API names them."""

MAX_ENTRIES = 1000
"""Most entries one GET /api/board/entries returns."""
MAX_CHECKPOINTS = 1000


@dataclass(frozen=True, slots=True)
class View:
    """What the event loop may read without a round trip: replaced whole, never changed."""

    phase: str
    opens: int
    closes: int
    voting_open: bool


def dumps(obj: Any) -> bytes:
    """Response JSON: RFC 8785, so that an embedded entry keeps its exact bytes."""
    return canonical_bytes(obj)


class BoardService:
    """The election board, its subtree cache and its checkpoint list, on one thread."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self._thread: ThreadPoolExecutor | None = None
        self._eb: ElectionBoard | None = None
        self._cache = SubtreeCache()
        self._cps: list[Checkpoint] = []
        self._election: tuple[str, bytes] | None = None
        self.view = View("", 0, 0, False)
        self.booth_hash: bytes | None = None

    # -- event loop side ---------------------------------------------------------------------

    async def call(self, fn: Callable[..., R], *args: Any) -> R:
        """Run `fn(*args)` on the board thread."""
        if self._thread is None:
            raise ApiError.of("unavailable", "the server is not running")
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn, *args)

    async def astart(self) -> None:
        """Start the board thread and open the board on it (again after `astop`)."""
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="hamaporsi-board")
        await self.call(self.open)

    async def astop(self) -> None:
        try:
            await self.call(self.close)
        finally:
            thread, self._thread = self._thread, None
            if thread is not None:
                thread.shutdown(wait=True)

    def has_credential(self, key: bytes) -> bool:
        """Is `key` on the published list? (The set no longer changes once voting is open.)"""
        eb = self._eb
        return eb is not None and eb.ledger.index.has_credential(key)

    # -- board thread: lifetime and catching up ------------------------------------------------

    @property
    def eb(self) -> ElectionBoard:
        if self._eb is None:
            raise ApiError.of("unavailable", "the board is not open")
        return self._eb

    def open(self) -> None:
        """Open the store, replay and check the log, fill the caches."""
        c = self.config
        store = SQLiteStore(c.db)
        try:
            eb = ElectionBoard(store, c.board_secret, c.election_id, clock=c.clock)
            m = eb.ledger.manifest
            if m is None:
                raise StoreCorrupted(f"board {c.db} holds no manifest")
            if m.hash.hex() != c.election_id or m.board_key != eb.board.board_key:
                raise StoreCorrupted(f"board {c.db} is not election {c.election_id[:16]}… "
                                     "with this board key")
        except BaseException:
            store.close()
            raise
        self._eb = eb
        self._cps = list(store.checkpoints())
        self.sync()
        log.info("board %s open: %d entries, phase %s", c.db, self._cache.size,
                 eb.ledger.phase)

    def close(self) -> None:
        if self._eb is not None:
            self._eb.board.store.close()
            self._eb = None

    def sync(self) -> int:
        """Catch up with other writers: ledger, tree, subtree cache, checkpoints, view."""
        eb = self.eb
        size = eb.sync()
        self._follow(size)
        after = self._cps[-1].size if self._cps else -1
        self._cps.extend(eb.board.store.checkpoints(after))
        return size

    def _follow(self, size: int) -> None:
        """Extend the subtree cache to `size` and refresh the view."""
        store = self.eb.board.store
        while self._cache.size < size:
            hi = min(size, self._cache.size + 16384)
            self._cache.extend(store.leaf_hashes(self._cache.size, hi))
        led = self.eb.ledger
        if led.phase != self.view.phase:
            m = led.manifest
            assert m is not None
            old = self.view.phase
            self.view = View(led.phase, m.opens, m.closes, led.context is not None)
            if old:
                log.info("board phase is now %s", led.phase)

    def context_bytes(self) -> ContextBytes | None:
        """The election context for verifier workers, once voting has opened."""
        ctx = self.eb.ledger.context
        return None if ctx is None else ContextBytes.of(self.eb.board.store.entry(0), ctx)

    # -- board thread: writing -----------------------------------------------------------------

    def submit(self, items: list[tuple[bytes, BallotFacts]]) -> list[int | ProtocolError]:
        """Group commit of verified ballots and audits (`ElectionBoard.submit_verified`)."""
        out = self.eb.submit_verified(items)
        self._follow(self.eb.board.size)
        return out

    def checkpoint_if_grown(self) -> Checkpoint | None:
        """Sign a checkpoint if the log grew since the latest one (spec §5.7, §8.5.7)."""
        size = self.sync()
        if self._cps and self._cps[-1].size >= size:
            return None
        try:
            cp = self.eb.checkpoint()
        except CheckpointError as e:  # the clock went back: wait for it
            log.warning("no checkpoint: %s", e)
            return None
        if not self._cps or cp.size > self._cps[-1].size:
            self._cps.append(cp)
        return cp

    # -- board thread: reading (pre-serialised JSON) ----------------------------------------------

    def election_json(self) -> bytes:
        """GET /api/election, cached per phase."""
        self.sync()
        led = self.eb.ledger
        if self._election is not None and self._election[0] == led.phase:
            return self._election[1]
        m = led.manifest
        assert m is not None
        body = dumps({
            "election_id": m.hash.hex(), "phase": PUBLIC_PHASE[led.phase], "manifest": m.entry,
            "board_key": self.eb.board.board_key.hex(), "trustees": m.entry["trustees"],
            "context": None if led.context is None else led.context.to_json(),
            "booth": {"hash": None if self.booth_hash is None else self.booth_hash.hex(),
                      "published": None if m.booth is None else m.booth.hex()}})
        self._election = (led.phase, body)
        return body

    def results_json(self) -> bytes:
        """GET /api/results: phase, live turnout, and the result once published."""
        self.sync()
        led = self.eb.ledger
        res = led.result
        return dumps({
            "phase": PUBLIC_PHASE[led.phase],
            "turnout": {"eligible": None if led.context is None else led.context.credential_count,
                        "voters": led.index.voters(), "ballots": led.ballots,
                        "audits": led.audits},
            "result": None if res is None else {k: res[k] for k in ("counts", "blank", "voted",
                                                                     "eligible", "trustees")}})

    def receipt_json(self, tracking: bytes) -> bytes:
        """GET /api/ballots/{tc}: where the entry is, and its inclusion proof once a signed
        checkpoint covers it (spec §5.7)."""
        self.sync()
        led = self.eb.ledger
        index = led.index
        assert isinstance(index, MemoryIndex)
        idx = index.holder(tracking)
        if idx is None:
            raise ApiError.of("not_found", "no ballot or audit with this tracking code")
        data = self.eb.board.store.entry(idx)
        entry = parse_canonical(data)
        kind = entry["type"]
        ballot = entry if kind == "ballot" else entry["ballot"]
        inner = data if kind == "ballot" else canonical_bytes(ballot, parsed=True)
        if tracking_code(inner) != tracking:  # the value is a ciphertext or proof commitment
            raise ApiError.of("not_found", "no ballot or audit with this tracking code")
        cred = bytes.fromhex(ballot["credential"])
        cp = self._cps[-1] if self._cps else None
        included = cp is not None and cp.size > idx
        return dumps({
            "tracking_code": tracking.hex(), "kind": kind, "index": idx,
            "leaf_hash": self._cache.range_root(idx, idx + 1).hex(),
            "superseded": kind == "ballot" and index.last(cred) != idx,
            "status": "included" if included else "pending",
            "checkpoint": cp.to_json() if included and cp is not None else None,
            "path": [h.hex() for h in inclusion_proof(self._cache, idx, cp.size)]
            if included and cp is not None else []})

    def checkpoint_json(self) -> bytes:
        self.sync()
        if not self._cps:
            raise ApiError.of("no_checkpoint", "the board has signed no checkpoint yet")
        return dumps(self._cps[-1].to_json())

    def checkpoints_json(self, limit: int) -> bytes:
        self.sync()
        newest = self._cps[::-1][:limit]
        return dumps({"checkpoints": [cp.to_json() for cp in newest]})

    def entries_json(self, start: int, end: int | None) -> bytes:
        """Entries [start, end) as their exact stored bytes, at most MAX_ENTRIES."""
        size = self.sync()
        if end is None:
            end = min(size, start + MAX_ENTRIES)
        if not 0 <= start <= end <= size:
            raise ApiError.of("bad_request", f"range [{start}, {end}) is outside the log of "
                                             f"size {size}")
        if end - start > MAX_ENTRIES:
            raise ApiError.of("bad_request", f"at most {MAX_ENTRIES} entries per request")
        rows = [data for _, data in self.eb.board.store.entries(start, end)]
        return b'{"entries":[' + b",".join(rows) + b'],"start":' + str(start).encode() + b"}"

    def consistency_json(self, old: int, new: int) -> bytes:
        size = self.sync()
        if not 0 <= old <= new <= size:
            raise ApiError.of("bad_request", f"need 0 ≤ from ≤ to ≤ {size} (the log's size)")
        proof = consistency_proof(self._cache, old, new)
        return dumps({"from": old, "to": new, "proof": [h.hex() for h in proof]})
