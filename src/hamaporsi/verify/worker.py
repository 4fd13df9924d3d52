"""Checks of the voting phase that need nothing but the election context: run in worker
processes over chunks of consecutive entries (spec §9.1). Only bytes and small tuples cross
process borders (coincurve keys cannot be pickled)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from ..crypto.elgamal import Ciphertext
from ..crypto.errors import CryptoError
from ..crypto.group import Point
from ..crypto.proofs import Batch
from ..protocol.ballot import tracking_code, verify_audit, verify_ballot
from ..protocol.canonical import parse_canonical
from ..protocol.election import ElectionContext
from ..protocol.errors import ProtocolError
from ..protocol.ledger import BallotFacts, ballot_facts

_CTX: ElectionContext | None = None


def init(ctx: ElectionContext) -> None:
    """Process-pool initializer: the context every ballot is checked against."""
    global _CTX
    _CTX = ctx


@dataclass
class ChunkResult:
    """In order: ("facts", idx, BallotFacts) | ("entry", idx, dict) | ("error", idx, check, why).
    `sums` are the encoded sums of the stored ciphertexts of the chunk's ballots."""

    items: list[tuple[Any, ...]] = field(default_factory=list)
    sums: bytes = b""
    ballots: int = 0
    audits: int = 0
    seconds: float = 0.0


def _check_id(e: Exception, default: str) -> str:
    return getattr(e, "check", None) or default


def verify_chunk(start: int, lines: list[bytes]) -> ChunkResult:
    """`check_lines` with the context set by `init` (the process-pool form)."""
    assert _CTX is not None, "worker not initialised"
    return check_lines(_CTX, start, lines)


def check_lines(ctx: ElectionContext, start: int, lines: list[bytes]) -> ChunkResult:
    """Parse and check each entry (numbered from `start`); ballots' proof equations are checked
    in one batch, and if the batch fails each ballot is checked alone to name the bad one."""
    t0 = time.perf_counter()
    out = ChunkResult()
    batch = Batch()
    in_batch: list[tuple[int, dict[str, Any]]] = []
    alphas: list[list[Point]] = [[] for _ in range(ctx.manifest.stored_options)]
    betas: list[list[Point]] = [[] for _ in range(ctx.manifest.stored_options)]
    voting = True  # the first other entry (close) ends voting: later ballots are not summed
    for off, line in enumerate(lines):
        idx = start + off
        try:
            entry = parse_canonical(line)
            kind = entry.get("type") if isinstance(entry, dict) else None
            if kind == "ballot":
                own = Batch()  # joins the shard's batch only once every check of it passed
                b = verify_ballot(ctx, entry, own)
                batch.merge(own)
                in_batch.append((idx, entry))
                for i, ct in enumerate(b.ciphertexts if voting else ()):
                    alphas[i].append(ct.alpha)
                    betas[i].append(ct.beta)
                out.items.append(("facts", idx, ballot_facts("ballot", b, tracking_code(line))))
                out.ballots += 1
            elif kind == "audit":
                b, tr = verify_audit(ctx, entry)
                out.items.append(("facts", idx, ballot_facts("audit", b, tr)))
                out.audits += 1
            else:
                out.items.append(("entry", idx, entry))
                voting = False
        except (ProtocolError, CryptoError) as e:
            out.items.append(("error", idx, _check_id(e, "V5"), str(e)))
            break
    if in_batch and not batch.is_zero():
        _name_bad_ballot(ctx, in_batch, out)
    out.sums = b"".join(Ciphertext(Point.sum(a), Point.sum(b)).encode()
                        for a, b in zip(alphas, betas))
    out.seconds = time.perf_counter() - t0
    return out


def _name_bad_ballot(ctx: ElectionContext, in_batch: list[tuple[int, dict[str, Any]]],
                     out: ChunkResult) -> None:
    """The first batched ballot that fails alone ends the chunk's items there (an error item
    after it, e.g. of a later entry refused on the spot, is dropped: the earliest error wins)."""
    def fail_at(idx: int, check: str, why: str) -> None:
        pos = next(i for i, it in enumerate(out.items) if it[1] == idx)
        del out.items[pos:]
        out.items.append(("error", idx, check, why))

    for idx, entry in in_batch:
        try:
            verify_ballot(ctx, entry)
        except (ProtocolError, CryptoError) as e:
            fail_at(idx, _check_id(e, "V7"), str(e))
            return
    fail_at(in_batch[0][0], "V7", "batched proof equations fail")  # 2^-128, or a bug


def facts_of(item: tuple[Any, ...]) -> BallotFacts:
    return item[2]
