"""Helpers of the follow tests: a real election's entries and what a malicious board builds
from them, an election whose manifest lists witnesses, fast client limits, canned answers."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from starlette.requests import Request
from starlette.responses import Response

from hamaporsi.follow.http import Limits
from hamaporsi.protocol import merkle
from hamaporsi.protocol.checkpoint import Checkpoint
from hamaporsi.protocol.cosignature import WitnessPolicy
from hamaporsi.protocol.merkle import leaf_hash
from support.election import Election

from follow.fakeboard import View, signed

FAST = Limits(timeout=10.0, retries=1, backoff=0.0)


@dataclass(frozen=True)
class Record:
    """A real election's log (14 setup entries, then 24 ballots), other valid ballots to swap
    in, and the board secret: enough to build any board a malicious server might show."""

    election: str
    secret: bytes
    entries: tuple[bytes, ...]
    alt: tuple[bytes, ...]

    def cp(self, size: int, t: int = 1_700_000_000, entries: tuple[bytes, ...] | None = None
           ) -> Checkpoint:
        return signed(self.secret, self.election, entries or self.entries, size, t)

    def view(self, *sizes: int, entries: tuple[bytes, ...] | None = None,
             t: int = 1_700_000_000) -> View:
        """A board showing `entries` (default: the record's) with checkpoints at `sizes`."""
        e = entries or self.entries
        return View(list(e), [signed(self.secret, self.election, e, n, t + i)
                              for i, n in enumerate(sizes)])

    def swapped(self, index: int, alt: int = 0) -> tuple[bytes, ...]:
        """The log with entry `index` replaced by another valid ballot."""
        e = list(self.entries)
        e[index] = self.alt[alt]
        return tuple(e)


def witnessed_election(path: Path, keys: list[bytes], threshold: int, **kw: object) -> Election:
    """support.election.Election with a manifest that lists `keys` as its witnesses."""
    return Election(path, witnesses=WitnessPolicy(tuple(keys), threshold),
                    **kw)  # type: ignore[arg-type]


def body(data: bytes, status: int = 200, **headers: str) -> Callable[[Request], Response]:
    """An override answering `data` as JSON, whatever was asked."""
    return lambda _: Response(data, status, media_type="application/json", headers=headers)


def genuine_proof(entries: tuple[bytes, ...], old: int, new: int) -> bytes:
    """The consistency-proof answer an honest board of `entries` gives."""
    proof = merkle.consistency_proof([leaf_hash(e) for e in entries[:new]], old, new)
    return (f'{{"from":{old},"to":{new},"proof":[' + ",".join(f'"{h.hex()}"' for h in proof)
            + "]}").encode()


def wait_checkpoint(url: str, size: int) -> Checkpoint:
    """The live board's newest checkpoint once it covers `size` entries."""
    deadline = time.monotonic() + 60
    while True:
        r = httpx.get(url + "/api/board/checkpoint", timeout=10)
        if r.status_code == 200 and r.json()["size"] >= size:
            return Checkpoint.from_json(r.json())
        assert time.monotonic() < deadline, "no checkpoint covering the ballots"
        time.sleep(0.05)
