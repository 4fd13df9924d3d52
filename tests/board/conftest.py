"""Board tests run on both backends: `backend` is a fresh SQLite file or a fresh PostgreSQL schema
per test, with raw SQL access for the tests that go around the store (triggers, tampering)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

import support.election
from hamaporsi.board.open import open_store, postgres_parts, sqlite_path
from hamaporsi.board.store import BoardStore
from support.election import Election

BACKENDS = ["sqlite", "postgres"]


@dataclass
class Backend:
    """One test's database: its store URL, and raw SQL on it (autocommit, `?` placeholders)."""

    name: str
    url: str
    opened: list[BoardStore] = field(default_factory=list)

    @property
    def is_pg(self) -> bool:
        return self.name == "postgres"

    @property
    def refusal(self) -> type[Exception]:
        """What a trigger's refusal raises through the raw driver."""
        return psycopg.errors.RaiseException if self.is_pg else sqlite3.IntegrityError

    def open(self, url: str | None = None) -> BoardStore:
        """A new store on this database (closed at the end of the test)."""
        s = open_store(url or self.url)
        self.opened.append(s)
        return s

    def execute(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run one statement on a new raw connection, committed; its rows, if any."""
        if self.is_pg:
            conninfo, schema = postgres_parts(self.url)
            with psycopg.connect(conninfo, autocommit=True) as c:
                c.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema or "")))
                cur = c.execute(statement.replace("?", "%s"), params)
                return cur.fetchall() if cur.description else []
        with closing(sqlite3.connect(sqlite_path(self.url))) as c:
            rows = c.execute(statement, params).fetchall()
            c.commit()
            return rows

    def refuse(self, statement: str, params: tuple[Any, ...] = ()) -> None:
        """The statement must be refused by an append-only trigger."""
        with pytest.raises(self.refusal, match="append-only: "):
            self.execute(statement, params)

    def disable_triggers(self, table: str) -> None:
        """What the owner of the database can always do: switch the append-only rules off."""
        if self.is_pg:
            self.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        else:
            for op in ("update", "delete"):
                self.execute(f"DROP TRIGGER {table}_no_{op}")


def _make_backend(name: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    url = request.getfixturevalue("pg_url") if name == "postgres" else str(tmp_path / "board.sqlite")
    b = Backend(name, url)
    yield b
    for s in b.opened:
        s.close()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """A fresh, empty board database on each backend."""
    yield from _make_backend(request.param, request, tmp_path)


@pytest.fixture
def store_url(backend: Backend) -> str:
    return backend.url


@pytest.fixture
def make_store(backend: Backend) -> Callable[[], BoardStore]:
    """Open another store on the test's database (closed at teardown)."""
    return backend.open


@pytest.fixture
def store(backend: Backend) -> BoardStore:
    return backend.open()


@pytest.fixture
def new_election(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Election]:
    """Make a support Election (voting not open) on the test's database: Election opens its
    board through open_store, so its `path` is the store URL."""
    if hasattr(support.election, "SQLiteStore"):
        monkeypatch.setattr(support.election, "SQLiteStore", open_store)

    def make(**kw: Any) -> Election:
        e = Election(backend.url, **kw)  # type: ignore[arg-type]
        backend.opened.append(e.store)
        return e

    return make


@pytest.fixture
def el(new_election: Callable[..., Election]) -> Election:
    """The shared `el` election of tests/conftest.py, with voting open, on each backend."""
    e = new_election()
    e.open()
    return e
