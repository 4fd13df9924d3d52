"""Casting (POST /api/ballots, /api/audits): the path of one ballot through the server.

    read-only board: 403  →  the very same bytes already stored: 200 with their receipt
    →  phase and period gate (cheap, from the view)  →  per-credential rate limit (peek)
    →  (503 if too many wait)  →  signature and proofs in a verifier worker (batched)
    →  spend one rate-limit token
    →  group commit on the board thread (ledger rules V10–V12 under the write lock, one
       durable COMMIT per batch)  →  201 with the pending receipt

Each caller is answered only after its own batch's COMMIT returned (WAL, synchronous=FULL), so
an acknowledged ballot survives a power cut. Nothing is stored for a refused ballot. A client
that retries after losing an answer (the server crashed, the database was unreachable, the
network dropped) sends the same bytes again: if they are on the board, it gets the same receipt
with 200 instead of a `duplicate` refusal, so retrying never casts twice and never fails."""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures.process import BrokenProcessPool

from ..protocol.ballot import tracking_code
from ..protocol.errors import ProtocolError
from ..protocol.ledger import BallotFacts
from ..protocol.merkle import leaf_hash
from .batcher import Batcher
from .config import ServerConfig
from .errors import ApiError, from_protocol
from .ratelimit import RateLimiter
from .service import BoardService, dumps
from .verifier import Outcome, Refusal, Verifier

log = logging.getLogger("hamaporsi.server")

BEFORE_VOTING = frozenset({"", "manifest", "ceremony", "credentials", "credentials-final"})
_HEX = frozenset(b"0123456789abcdef")
_PREFIX = {"ballot": b'{"credential":"', "audit": b'{"ballot":{"credential":"'}
"""Where the credential sits in a canonical ballot or audit (keys sorted, spec §4.1)."""


def credential_hint(data: bytes, kind: str) -> bytes | None:
    """The credential a canonical entry names, read without parsing (for the rate limit's
    peek); None if the bytes do not start like one. The verified value is used afterwards."""
    p = _PREFIX[kind]
    n = len(p)
    h = data[n:n + 64]
    if data.startswith(p) and len(h) == 64 and set(h) <= _HEX and data[n + 64:n + 65] == b'"':
        return bytes.fromhex(h.decode())
    return None


class Caster:
    """The cast pipeline; one per app."""

    def __init__(self, service: BoardService, config: ServerConfig) -> None:
        self.service = service
        self.config = config
        self.limiter = RateLimiter(config.rate_burst, config.rate_interval)
        self.verifier: Verifier | None = None
        self._verify: Batcher[tuple[bytes, str], Outcome] | None = None
        self._commit: Batcher[tuple[bytes, BallotFacts], int | ProtocolError] = Batcher(
            self._commit_batch, parallel=1, max_batch=config.max_batch)
        self._starting = asyncio.Lock()

    async def start_verifier(self) -> bool:
        """Start the verifier once the board has an election context (voting opened); never
        on a read-only board."""
        if self._verify is not None:
            return True
        if self.config.read_only:
            return False
        async with self._starting:
            if self._verify is not None:
                return True
            spec = await self.service.call(self.service.context_bytes)
            if spec is None:
                return False
            v = Verifier(spec, self.config.verify_workers)
            await v.warm_up()
            self.verifier = v
            self._verify = Batcher(v, parallel=v.parallel, max_batch=self.config.max_batch)
            log.info("verifier ready: %s", f"{v.workers} worker processes" if v.workers else
                     "in a thread")
            return True

    def _discard(self, broken: Verifier | None) -> None:
        """Drop a verifier whose pool broke (a worker died); the next cast starts a new one."""
        if broken is not None and self.verifier is broken:
            self.verifier, self._verify = None, None
            log.error("a verifier worker process died; the pool will be rebuilt")
            broken.close(wait=False)

    def close(self) -> None:
        """Stop the verifier (a later start makes a new one)."""
        v, self.verifier, self._verify = self.verifier, None, None
        self._starting = asyncio.Lock()  # a restarted app may run on another event loop
        if v is not None:
            v.close()

    async def _commit_batch(self, items: list[tuple[bytes, BallotFacts]]
                            ) -> list[int | ProtocolError]:
        return await self.service.call(self.service.submit, items)

    def _gate(self) -> None:
        """Refuse early, before any proof is checked, when the board would refuse anyway."""
        v = self.service.view
        if v.phase in BEFORE_VOTING:
            raise ApiError.of("not_open", "voting has not opened yet")
        if v.phase != "voting":
            raise ApiError.of("voting_closed", "voting is closed")
        now = self.config.clock()
        if now < v.opens:
            raise ApiError.of("not_open", "the voting period has not started yet")
        if now > v.closes:
            raise ApiError.of("voting_closed", "the voting period is over")

    def _refused(self, e: ProtocolError) -> ApiError:
        if e.code == "wrong_phase":  # the ledger's word for it; the voter's is one of these
            phase = self.service.view.phase
            e = ProtocolError(e.reason, code="not_open" if phase in BEFORE_VOTING
                              else "voting_closed", check=e.check)
        return from_protocol(e)

    def _rate_limited(self, retry: int) -> ApiError:
        return ApiError.of("rate_limited", f"too many casts with this credential; retry in "
                           f"{retry} s", {"Retry-After": str(retry)})

    def _receipt(self, index: int, data: bytes, tracking: bytes) -> bytes:
        """The pending receipt of a stored entry: the same for a cast and for its retry."""
        return dumps({"index": index, "leaf_hash": leaf_hash(data).hex(), "status": "pending",
                      "tracking_code": tracking.hex()})

    async def cast(self, data: bytes, kind: str) -> tuple[int, bytes]:
        """Check and store one ballot or audit: (201, receipt), or (200, the same receipt) if
        exactly these bytes are already on the board; or raise ApiError."""
        if self.config.read_only:
            raise read_only()
        if kind == "ballot":  # a retry: its tracking code is the hash of the bytes (§5.5)
            tracking = tracking_code(data)
            if self.service.may_hold(tracking):
                idx = await self.service.call(self.service.stored_copy, data, tracking)
                if idx is not None:
                    return 200, self._receipt(idx, data, tracking)
        self._gate()
        hint = credential_hint(data, kind)
        if hint is not None and (retry := self.limiter.wait(hint)) is not None:
            raise self._rate_limited(retry)
        if not await self.start_verifier():
            raise ApiError.of("not_open", "voting has not opened yet")
        assert self._verify is not None
        if self._verify.pending >= self.config.max_queue:
            raise ApiError.of("unavailable", "the server is overloaded; try again shortly",
                              {"Retry-After": "2"})
        verifier = self.verifier
        try:
            outcome = await self._verify.submit((data, kind))
        except BrokenProcessPool:
            self._discard(verifier)
            raise ApiError.of("unavailable", "a verifier process stopped; try again shortly",
                              {"Retry-After": "1"}) from None
        if isinstance(outcome, Refusal):
            if outcome.signed and hint is not None and self.service.has_credential(hint):
                self.limiter.take(hint)  # the holder's own failed attempt
            raise self._refused(outcome.error())
        facts = outcome
        if self.service.has_credential(facts.credential):
            retry = self.limiter.take(facts.credential)
            if retry is not None:
                raise self._rate_limited(retry)
        result = await self._commit.submit((data, facts))
        if isinstance(result, ProtocolError):
            if result.code == "duplicate":  # the same bytes, stored meanwhile by another process?
                idx = await self.service.call(self.service.stored_copy, data, facts.tracking)
                if idx is not None:
                    return 200, self._receipt(idx, data, facts.tracking)
            raise self._refused(result)
        return 201, self._receipt(result, data, facts.tracking)


def read_only() -> ApiError:
    """The refusal of every POST on a read-only server (a mirror's copy)."""
    return ApiError.of("read_only", "this server serves a read-only copy of the board (a "
                                    "mirror): cast at the election's casting server")
