"""Fixtures for the server tests: an open election on a board file (or, for the tests that run
on both backends, on SQLite and on a fresh PostgreSQL schema), and the app over it, driven in
process with Starlette's TestClient (no sockets)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hamaporsi.server.app import create_app

from support.election import Election
from support.server import CLIENT, TestClient, config_for


@pytest.fixture
def opened(tmp_path: Path) -> Iterator[Election]:
    """Three options, exactly one (two stored selections and a total proof), four voters;
    voting open; the test's own board connection closed (the server holds its own)."""
    el = Election(tmp_path / "board.sqlite", voters=4)
    el.open()
    el.store.close()
    yield el


@pytest.fixture
def serve() -> Iterator[Callable[..., TestClient]]:
    """serve(el, **config) → a started TestClient over a new app; stopped at teardown."""
    started: list[TestClient] = []

    def start(el: Election, **kw: Any) -> TestClient:
        c = TestClient(create_app(config_for(el, **kw)), client=CLIENT,
                       raise_server_exceptions=False)
        c.__enter__()
        started.append(c)
        return c

    yield start
    for c in started:
        c.__exit__(None, None, None)


@pytest.fixture
def client(opened: Election, serve: Callable[..., TestClient]) -> TestClient:
    return serve(opened)


@pytest.fixture
def make_election() -> Iterator[Callable[..., Election]]:
    """make_election(url, **kw) → an Election (voting open, its own connection closed) on the
    board at `url`, a path or a PostgreSQL URL (`Election.path` is then that URL)."""

    def make(url: str, **kw: Any) -> Election:
        el = Election(url, **kw)  # type: ignore[arg-type]
        el.open()
        el.store.close()
        return el

    yield make


@pytest.fixture(params=["sqlite", "postgres"])
def board_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh board database on each backend: an SQLite file, a PostgreSQL schema."""
    if request.param == "postgres":
        return str(request.getfixturevalue("pg_url"))
    return str(tmp_path / "board.sqlite")


@pytest.fixture
def any_opened(board_url: str, make_election: Callable[..., Election]) -> Election:
    """`opened`, on each backend."""
    return make_election(board_url, voters=4)
