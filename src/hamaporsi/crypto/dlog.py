"""Baby-step giant-step discrete logarithm for tallies (spec §7.4): find t ∈ [0, bound] with
T = t·G in O(√bound) point additions, or fail explicitly."""

from __future__ import annotations

import math

from .errors import CryptoError
from .group import Point


class DiscreteLogNotFound(CryptoError):
    """The point is not t·G for any t in [0, bound]."""


def discrete_log(target: Point, bound: int) -> int:
    """The t in [0, bound] with target = t·G; raises DiscreteLogNotFound otherwise."""
    if bound < 0:
        raise ValueError("bound must be non-negative")
    if target.is_identity:
        return 0
    m = math.isqrt(bound) + 1
    baby: dict[bytes, int] = {}
    p = Point.IDENTITY
    for j in range(m):  # j·G for j in [0, m)
        baby.setdefault(p.encode(), j)
        p = p + Point.G
    step = -Point.mul_g(m)
    gamma = target
    for i in range(m + 1):  # target − i·m·G
        hit = baby.get(gamma.encode())
        if hit is not None:
            t = i * m + hit
            if t <= bound:
                return t
            break
        gamma = gamma + step
    raise DiscreteLogNotFound(f"tally is not in [0, {bound}]")
