"""Fixtures for the follow tests: a real election's entries (built once), fake boards that
sign what they show with the real board key, and clients with fast retries."""

from __future__ import annotations

from collections.abc import Callable, Iterator
import pytest

from hamaporsi.follow.remote import BoardClient
from support.election import Election

from follow.fakeboard import FakeBoard, View, serve_app
from follow.helpers import FAST, Record


@pytest.fixture(scope="session")
def record(tmp_path_factory: pytest.TempPathFactory) -> Record:
    """14 setup entries (manifest, ceremony, credentials, open), then 24 ballots."""
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
