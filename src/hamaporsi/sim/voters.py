"""The simulated voters: credential secrets derived from a seed (so none is stored) and each
voter's behaviour (abstain, audit, re-vote, choices) drawn per block of voters from the seed,
so a record's expected result does not depend on how many processes generate it."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

from ..crypto import bip340
from ..crypto.group import ORDER, scalar_bytes

BLOCK = 500
"""Voters per generation task; fixed, so the plan is the same for any number of processes."""


def _derive(tag: bytes, seed: int, n: int) -> bytes:
    d = hashlib.sha256(b"hamaporsi/sim/" + tag + b"\x00" + seed.to_bytes(16, "big", signed=True)
                       + n.to_bytes(8, "big")).digest()
    return scalar_bytes(int.from_bytes(d, "big") % (ORDER - 1) + 1)


def credential_secret(seed: int, voter: int) -> bytes:
    """Voter `voter`'s credential secret: SHA-256(tag ‖ seed ‖ voter) mapped into [1, n−1].

    For simulation only: anyone who knows the seed knows every secret."""
    return _derive(b"credential", seed, voter)


ROLES = ("organizer", "registrar", "board")


def role_secret(seed: int, role: str) -> bytes:
    """The simulated organizer's, registrar's or board operator's signing secret (from the seed,
    like the credentials: a simulated record can be re-sealed by whoever knows the seed)."""
    return _derive(role.encode(), seed, ROLES.index(role))


def public_keys(seed: int, first: int, count: int) -> bytes:
    """The x-only public keys of voters first … first+count−1, packed 32 bytes each."""
    return b"".join(bip340.public_key(credential_secret(seed, v))
                    for v in range(first, first + count))


@dataclass(frozen=True, slots=True)
class Rates:
    """Fractions of voters who abstain, audit a ballot before casting, and re-vote later."""

    abstain: float = 0.1
    audit: float = 0.01
    revote: float = 0.02

    def check(self) -> None:
        for name in ("abstain", "audit", "revote"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ValueError(f"--{name}-rate must be between 0 and 1, got {v}")


@dataclass(frozen=True, slots=True)
class Cast:
    """One ballot a voter casts: the option chosen and whether an audited ballot precedes it."""

    voter: int
    choice: int
    audit_first: bool
    counts: bool  # the voter's last cast: the one in the tally


def weights(options: int) -> list[float]:
    """Option popularity: 55/38/7 for yes/no/blank; halving shares beyond three options."""
    base = [0.55, 0.38, 0.07][:options]
    while len(base) < options:
        base.append(base[-1] / 2)
    return base


def plan_block(seed: int, block: int, voters: int, options: int, rates: Rates) -> list[Cast]:
    """The casts of block `block` (voters block·BLOCK … up to `voters`), in board order: each
    voter's first cast in voter order, then the re-votes of the block (so a re-vote comes
    after other voters' ballots)."""
    rnd = random.Random(f"hamaporsi-sim:{seed}:{block}")
    w = weights(options)
    first: list[Cast] = []
    later: list[Cast] = []
    for v in range(block * BLOCK, min(voters, (block + 1) * BLOCK)):
        if rnd.random() < rates.abstain:
            continue
        revote = rnd.random() < rates.revote
        c1 = rnd.choices(range(options), w)[0]
        first.append(Cast(v, c1, rnd.random() < rates.audit, not revote))
        if revote:
            later.append(Cast(v, rnd.choices(range(options), w)[0], False, True))
    return first + later


def blocks(voters: int) -> int:
    return (voters + BLOCK - 1) // BLOCK
