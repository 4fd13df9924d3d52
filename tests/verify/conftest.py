"""Fixtures for the verifier's tests: a simulated record made once, and a private copy of it
(helpers to change and re-seal records are in support/simrecord.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hamaporsi.sim.generate import SimConfig, simulate
from hamaporsi.sim.voters import Rates

from support.simrecord import SEED, VOTERS


@pytest.fixture(scope="session")
def sim_record(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A simulated two-option record: 300 voters, audits and re-votes, a checkpoint every 40
    entries (made once per session; copy it before changing it)."""
    out = tmp_path_factory.mktemp("sim") / "record"
    simulate(SimConfig(voters=VOTERS, out=out, workers=1, seed=SEED, checkpoint_every=40,
                       rates=Rates(abstain=0.1, audit=0.05, revote=0.1)))
    return out


@pytest.fixture
def record(sim_record: Path, tmp_path: Path) -> Path:
    """A private copy of the simulated record."""
    dst = tmp_path / "record"
    shutil.copytree(sim_record, dst)
    return dst
