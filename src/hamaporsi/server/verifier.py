"""Signature and proof checks of incoming ballots and audits (spec §5.5, §5.6; V5–V9), the
expensive part of casting, outside the board's write lock: in worker processes (the GIL would
serialise threads), or in one thread for tests and small setups.

A worker gets the election context as bytes (coincurve keys cannot be pickled) and checks each
batch's ballot proofs in one random-weighted batch (§6.5); if the batch fails, each ballot is
checked alone so that exactly the bad ones are refused."""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from ..crypto.errors import CryptoError, InvalidProof
from ..crypto.group import Point
from ..crypto.proofs import Batch
from ..protocol.ballot import tracking_code, verify_audit, verify_ballot
from ..protocol.canonical import parse_canonical
from ..protocol.election import ElectionContext
from ..protocol.errors import MalformedInput, ProtocolError, Rejected
from ..protocol.ledger import BallotFacts, ballot_facts
from ..protocol.manifest import parse_manifest

SIGNED_CHECKS = frozenset({"V7", "V8", "V9"})
"""Refusals that come after the signature verified: the credential's holder made them."""


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why an entry was refused, in a form that crosses process borders."""

    malformed: bool
    code: str
    reason: str
    check: str | None

    @staticmethod
    def of(e: ProtocolError | CryptoError) -> Refusal:
        if isinstance(e, ProtocolError):
            return Refusal(isinstance(e, MalformedInput), e.code, e.reason, e.check)
        code = "bad_proof" if isinstance(e, InvalidProof) else "bad_encoding"
        return Refusal(False, code, getattr(e, "reason", str(e)), getattr(e, "check", None))

    def error(self) -> ProtocolError:
        cls = MalformedInput if self.malformed else Rejected
        return cls(self.reason, code=self.code, check=self.check)

    @property
    def signed(self) -> bool:
        """The entry's signature verified (the refusal is about its proofs)."""
        return self.check in SIGNED_CHECKS


Outcome = BallotFacts | Refusal


@dataclass(frozen=True, slots=True)
class ContextBytes:
    """The election context as plain values: the manifest entry's bytes and the `open` fields."""

    manifest: bytes
    joint_key: bytes
    credential_count: int
    credential_hash: bytes
    election_hash: bytes

    @staticmethod
    def of(manifest_bytes: bytes, ctx: ElectionContext) -> ContextBytes:
        return ContextBytes(manifest_bytes, ctx.joint_key.encode(), ctx.credential_count,
                            ctx.credential_hash, ctx.hash)

    def context(self) -> ElectionContext:
        """Rebuild the context (spec §5.4) and check it hashes to the same election."""
        m = parse_manifest(parse_canonical(self.manifest))
        ctx = ElectionContext.create(m, Point.decode(self.joint_key), self.credential_count,
                                     self.credential_hash)
        if ctx.hash != self.election_hash:
            raise ValueError("rebuilt election context does not match the board's")
        return ctx


def verify_items(ctx: ElectionContext, items: list[tuple[bytes, str]]) -> list[Outcome]:
    """Check each (canonical bytes, expected type) alone (V5–V9); facts or a refusal each."""
    out: list[Outcome | None] = [None] * len(items)
    batch = Batch()
    batched: list[tuple[int, Any]] = []
    for i, (data, kind) in enumerate(items):
        try:
            entry = parse_canonical(data)
            got = entry.get("type") if isinstance(entry, dict) else None
            if got != kind:
                raise MalformedInput(f"expected a {kind} entry, got type {str(got)[:20]!r}",
                                     code="wrong_type")
            if kind == "ballot":
                own = Batch()  # joins the shared batch only once every check of it passed
                b = verify_ballot(ctx, entry, own)
                batch.merge(own)
                batched.append((i, entry))
                out[i] = ballot_facts("ballot", b, tracking_code(data))
            else:
                b, tracking = verify_audit(ctx, entry)
                out[i] = ballot_facts("audit", b, tracking)
        except (ProtocolError, CryptoError) as e:
            out[i] = Refusal.of(e)
    if batched and not batch.is_zero():  # some ballot's proof equations fail: find which
        for i, entry in batched:
            try:
                verify_ballot(ctx, entry)
            except (ProtocolError, CryptoError) as e:
                out[i] = Refusal.of(e)
    assert all(o is not None for o in out)
    return [o for o in out if o is not None]


# -- worker processes --------------------------------------------------------------------------

_CTX: ElectionContext | None = None


def _init(spec: ContextBytes) -> None:
    global _CTX
    _CTX = spec.context()


def _verify_in_worker(items: list[tuple[bytes, str]]) -> list[Outcome]:
    assert _CTX is not None, "worker not initialised"
    return verify_items(_CTX, items)


def _ready() -> bool:
    return _CTX is not None


class Verifier:
    """Runs `verify_items` for the event loop: in `workers` processes, or (0) in one thread."""

    def __init__(self, spec: ContextBytes, workers: int) -> None:
        self.workers = workers
        self._ctx: ElectionContext | None = None
        self._pool: Executor
        if workers > 0:
            self._pool = ProcessPoolExecutor(
                workers, mp_context=multiprocessing.get_context("spawn"), initializer=_init,
                initargs=(spec,))
        else:
            self._ctx = spec.context()
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="hamaporsi-verify")

    @property
    def parallel(self) -> int:
        return max(1, self.workers)

    async def warm_up(self) -> None:
        """Start the worker processes now rather than on the first ballot."""
        if self.workers > 0:
            loop = asyncio.get_running_loop()
            await asyncio.gather(*(loop.run_in_executor(self._pool, _ready)
                                   for _ in range(self.workers)))

    async def __call__(self, items: list[tuple[bytes, str]]) -> list[Outcome]:
        loop = asyncio.get_running_loop()
        if self._ctx is not None:
            return await loop.run_in_executor(self._pool, verify_items, self._ctx, items)
        return await loop.run_in_executor(self._pool, _verify_in_worker, items)

    def close(self, wait: bool = True) -> None:
        """Stop the pool; `wait=False` for a broken one (its processes are already gone)."""
        self._pool.shutdown(wait=wait, cancel_futures=True)
