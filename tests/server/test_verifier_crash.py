"""A verifier worker process that dies (killed by the OOM killer, a segfault in a native
library) must not break casting for good: the casts it takes down get 503 `unavailable` with
Retry-After, never 500, and the pool is rebuilt for the next cast."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable

from support.election import Election
from support.server import TestClient, cast, error_of, stored


def test_killed_worker_gives_503_then_casting_recovers(
        opened: Election, serve: Callable[..., TestClient]) -> None:
    c = serve(opened, verify_workers=1)
    assert cast(c, opened.ballot(0, [0]).bytes).status_code == 201
    pool = c.app.state.caster.verifier._pool  # type: ignore[attr-defined]
    procs = list(pool._processes.values())
    assert procs
    for p in procs:
        os.kill(p.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while any(p.is_alive() for p in procs):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    before = stored(opened)
    r = cast(c, opened.ballot(1, [1]).bytes)
    if r.status_code != 201:  # rebuilding transparently would be fine too; a 500 never
        error_of(r, 503, "unavailable")
        assert int(r.headers["retry-after"]) >= 1
        assert stored(opened) == before
    for voter in (2, 3):
        r = cast(c, opened.ballot(voter, [2]).bytes)
        assert r.status_code == 201, r.text
