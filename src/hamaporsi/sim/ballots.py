"""Ballots of one block of simulated voters, encrypted with the real voter code
(`protocol.ballot.encrypt_ballot`, spec §5.5) in a worker process. Only bytes and integers
cross the process border."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..crypto import bip340
from ..crypto.group import ORDER
from ..protocol.ballot import encrypt_ballot
from ..protocol.canonical import canonical_bytes
from ..protocol.election import ElectionContext
from .voters import Rates, credential_secret, plan_block


@dataclass(frozen=True, slots=True)
class BlockJob:
    """What a worker needs besides the context: the seed and the behaviour of the voters."""

    seed: int
    voters: int
    options: int
    rates: Rates


@dataclass
class BlockOut:
    """A block's entries in board order, and per stored option Σr and Σm over the counting
    ballots (the tally is (Σr·G, Σm·G + Σr·K), spec §7.2), with counts for the summary."""

    lines: list[bytes] = field(default_factory=list)
    rsum: list[int] = field(default_factory=list)
    msum: list[int] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    ballots: int = 0
    audits: int = 0
    revotes: int = 0
    voted: int = 0


_STATE: tuple[ElectionContext, BlockJob] | None = None


def init(ctx: ElectionContext, job: BlockJob) -> None:
    """Process-pool initializer."""
    global _STATE
    _STATE = (ctx, job)


def encrypt_block(block: int) -> BlockOut:
    """Encrypt every cast of block `block` (audits open a ballot, then the voter encrypts
    anew, as a voting device does, spec §5.6)."""
    assert _STATE is not None, "worker not initialised"
    ctx, job = _STATE
    k = ctx.manifest.stored_options
    out = BlockOut(rsum=[0] * k, msum=[0] * k, counts=[0] * job.options)
    keys: dict[int, tuple[bytes, bytes]] = {}
    for cast in plan_block(job.seed, block, job.voters, job.options, job.rates):
        cred = keys.get(cast.voter)
        if cred is None:
            s = credential_secret(job.seed, cast.voter)
            cred = keys[cast.voter] = (s, bip340.public_key(s))
        else:
            out.revotes += 1
        if cast.audit_first:
            opened = encrypt_ballot(ctx, cred[0], cred[1], [cast.choice])
            out.lines.append(canonical_bytes(opened.audit_entry()))
            out.audits += 1
        b = encrypt_ballot(ctx, cred[0], cred[1], [cast.choice])
        out.lines.append(b.bytes)
        out.ballots += 1
        if cast.counts:
            out.voted += 1
            out.counts[cast.choice] += 1
            for i in range(k):
                out.rsum[i] = (out.rsum[i] + b.nonces[i]) % ORDER
                out.msum[i] += b.choices[i]
    return out
