"""Test-wide settings, the shared `el` fixture and the PostgreSQL fixtures. Hypothesis without per-example deadlines (the 2-core machines are noisy,
and speed is measured by bench/, never by tests), derandomized under CI so a run is repeatable."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from hypothesis import HealthCheck, settings
from psycopg import sql

from hamaporsi.board.open import describe

from support.election import Election

settings.register_profile("default", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "default")


@pytest.fixture
def el(tmp_path: Path) -> Iterator[Election]:
    """An election on a board over SQLite with voting open: exactly one of three options (two
    stored selections and a total proof), three trustees, threshold two, four voters."""
    e = Election(tmp_path / "board.sqlite")
    e.open()
    yield e
    e.store.close()


PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"
"""The test database (trust auth); HAMAPORSI_TEST_PG overrides it. PostgreSQL is tested for
real: if it does not answer, every test that needs it fails (never skips)."""


@pytest.fixture(scope="session")
def pg_base_url() -> str:
    """The test database's URL, checked to answer once per session."""
    url = os.environ.get("HAMAPORSI_TEST_PG", PG_DEFAULT)
    try:
        psycopg.connect(url, connect_timeout=5).close()
    except psycopg.Error as e:
        pytest.fail(f"PostgreSQL is required at {describe(url)} (set HAMAPORSI_TEST_PG, or run "
                    f".ci/run to install and start one): {str(e).strip().splitlines()[0]}",
                    pytrace=False)
    return url


@pytest.fixture
def pg_url(pg_base_url: str) -> Iterator[str]:
    """A board URL in a fresh schema of the test database (`…?schema=t_<random>`); the schema
    is dropped afterwards."""
    schema = f"t_{secrets.token_hex(8)}"
    sep = "&" if urlsplit(pg_base_url).query else "?"
    yield f"{pg_base_url}{sep}schema={schema}"
    with psycopg.connect(pg_base_url, autocommit=True) as c:
        c.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
