"""Fixtures for the follow tests: a real election's entries (built once), fake boards that sign
what they show with the real board key, clients with fast retries, and an election whose
manifest lists witnesses."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import support.election as support_election
from hamaporsi.follow.http import Limits
from hamaporsi.follow.remote import BoardClient
from hamaporsi.protocol.checkpoint import Checkpoint
from hamaporsi.protocol.cosignature import WitnessPolicy
from support.election import Election

from follow.fakeboard import FakeBoard, View, serve_app, signed

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


@pytest.fixture(scope="session")
def record(tmp_path_factory: pytest.TempPathFactory) -> Record:
    el = Election(tmp_path_factory.mktemp("record") / "board.sqlite")
    try:
        el.open()
        for i in range(24):
            el.cast(i % 4, [i % 3])
        entries = tuple(d for _, d in el.store.entries())
        alt = tuple(el.ballot(i % 4, [(i + 1) % 3]).bytes for i in range(4))
        return Record(el.manifest.hash.hex(), el.board_secret, entries, alt)
    finally:
        el.store.close()


@pytest.fixture
def fake() -> Iterator[Callable[[View], tuple[FakeBoard, str]]]:
    """fake(view) → (board, url): a fake board served on 127.0.0.1 until the test ends."""
    stack: list[object] = []

    def start(view: View) -> tuple[FakeBoard, str]:
        board = FakeBoard(view)
        cm = serve_app(board.app)
        url = cm.__enter__()
        stack.append(cm)
        return board, url

    yield start
    for cm in reversed(stack):
        cm.__exit__(None, None, None)  # type: ignore[attr-defined]


@pytest.fixture
def client() -> Iterator[Callable[[str], BoardClient]]:
    made: list[BoardClient] = []

    def make(url: str) -> BoardClient:
        c = BoardClient(url, FAST)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


def witnessed_election(path: Path, keys: list[bytes], threshold: int, **kw: object) -> Election:
    """support.election.Election with a manifest that lists `keys` as its witnesses."""
    original = support_election.build_manifest
    support_election.build_manifest = functools.partial(  # type: ignore[assignment]
        original, witnesses=WitnessPolicy(tuple(keys), threshold))
    try:
        return Election(path, **kw)  # type: ignore[arg-type]
    finally:
        support_election.build_manifest = original  # type: ignore[assignment]
