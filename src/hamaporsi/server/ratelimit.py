"""Per-credential token buckets, in memory (issue 3 §4): each credential may cast `burst`
ballots or audits at once, then one more per `interval` seconds.

Credentials are public (the board lists them), so the bucket is spent only by entries whose
signature verified: nobody but a code's holder can use up its allowance. Buckets exist only for
listed credentials and are dropped once full again — when their credential casts again, and by
a sweep of all buckets once as many casts as the buckets it kept (at least SWEEP_EVERY) followed
the previous one (amortised O(1) per cast)
— so memory is bounded by the credentials that cast within about `burst × interval`."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

SWEEP_EVERY = 1024
"""Fewest casts between two sweeps of the full buckets."""


class RateLimiter:
    """Token buckets keyed by credential (32-byte x-only key)."""

    def __init__(self, burst: int, interval: float, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.burst = burst
        self.interval = interval
        self._clock = clock
        self._buckets: dict[bytes, tuple[float, float]] = {}  # key → (tokens, as of time)
        self._until_sweep = SWEEP_EVERY

    def _tokens(self, key: bytes, now: float) -> float:
        tokens, at = self._buckets.get(key, (float(self.burst), now))
        return min(float(self.burst), tokens + (now - at) / self.interval)

    def wait(self, key: bytes) -> int | None:
        """Seconds to wait before `key` may cast (rounded up), or None if it may now."""
        now = self._clock()
        tokens = self._tokens(key, now)
        if tokens >= 1.0:
            if tokens >= self.burst:
                self._buckets.pop(key, None)
            return None
        return max(1, math.ceil((1.0 - tokens) * self.interval))

    def take(self, key: bytes) -> int | None:
        """Spend one cast of `key`; None if done, else the seconds to wait (nothing spent)."""
        retry = self.wait(key)
        if retry is not None:
            return retry
        now = self._clock()
        self._buckets[key] = (self._tokens(key, now) - 1.0, now)
        self._until_sweep -= 1
        if self._until_sweep <= 0:
            self.sweep()
        return None

    def sweep(self) -> int:
        """Forget every bucket that has refilled to the burst (O(buckets)); how many it forgot."""
        now = self._clock()
        full = [k for k, (tokens, at) in self._buckets.items()
                if tokens + (now - at) / self.interval >= self.burst]
        for k in full:
            del self._buckets[k]
        self._until_sweep = max(SWEEP_EVERY, len(self._buckets))
        return len(full)

    def __len__(self) -> int:
        return len(self._buckets)
