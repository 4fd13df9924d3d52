"""Test-wide settings and the shared `el` fixture. Hypothesis without per-example deadlines (the 2-core machines are noisy,
and speed is measured by bench/, never by tests), derandomized under CI so a run is repeatable."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

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
