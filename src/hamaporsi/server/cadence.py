"""When the board signs its next checkpoint (spec §5.7; docs/security.md W3): once at least
`min_entries` entries wait uncovered, or once the oldest of them has waited `max_delay` seconds.
A checkpoint next to a single new entry would publish when that voter voted; this rule makes
each checkpoint cover a batch, except on a quiet board where the delay bounds the wait."""

from __future__ import annotations

import time
from collections.abc import Callable


class Cadence:
    """Tracks how long the oldest uncovered entry has waited, on an injectable clock."""

    def __init__(self, min_entries: int, max_delay: float, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if min_entries < 1 or max_delay <= 0:
            raise ValueError("checkpoint cadence: min entries ≥ 1 and max delay > 0")
        self.min_entries = min_entries
        self.max_delay = max_delay
        self.clock = clock
        self._since: float | None = None

    def seen(self, uncovered: int) -> None:
        """Note how many entries no signed checkpoint covers (after each commit or catch-up)."""
        if uncovered <= 0:
            self._since = None
        elif self._since is None:
            self._since = self.clock()

    def due(self, uncovered: int) -> bool:
        """Should a checkpoint be signed now, with `uncovered` entries waiting?"""
        self.seen(uncovered)
        if self._since is None:
            return False
        return uncovered >= self.min_entries or self.clock() - self._since >= self.max_delay
