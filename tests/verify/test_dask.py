"""Verification on a real Dask cluster (a `LocalCluster` of two worker processes): each worker
reads its shards of the record itself; the report is the one the local run gives, failures
included, and a failure inside a shard names its entry."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import distributed
import pytest

from hamaporsi.verify.backends import BackendError, Parallel
from hamaporsi.verify.runner import verify_record

from support.simrecord import ballot_indices, lines, reseal, tamper_proof, verdict, write_lines


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=":0", silence_logs=logging.ERROR)
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


def on_dask(record: Path, scheduler: str, **kw: object) -> object:
    return verify_record(record, parallel=Parallel(scheduler=scheduler), **kw)  # type: ignore[arg-type]


def test_same_report_as_the_local_run(sim_record: Path, scheduler: str) -> None:
    local = verify_record(sim_record, workers=1)
    assert local.ok
    for shard_bytes in (None, 3000):
        rep = on_dask(sim_record, scheduler, shard_bytes=shard_bytes)
        assert verdict(rep) == verdict(local)  # type: ignore[arg-type]
        assert "Dask" in rep.backend and rep.workers == 2  # type: ignore[attr-defined]


def test_tampered_ballot_in_a_shard_is_named(record: Path, scheduler: str) -> None:
    ballots = ballot_indices(record)
    i = ballots[2 * len(ballots) // 3]
    tamper_proof(record, i)
    rep = on_dask(record, scheduler, shard_bytes=6000)
    assert rep.failure is not None  # type: ignore[attr-defined]
    assert (rep.failure.check, rep.failure.entry) == ("V7", i)  # type: ignore[attr-defined]
    assert verdict(rep) == verdict(verify_record(record, workers=1))  # type: ignore[arg-type]


def test_dropped_line_fails(record: Path, scheduler: str) -> None:
    ls = lines(record)
    del ls[ballot_indices(record)[40]]
    write_lines(record, ls)
    rep = on_dask(record, scheduler, shard_bytes=4000)
    assert rep.failure is not None and rep.failure.check == "V15"  # type: ignore[attr-defined]
    reseal(record)
    rep = on_dask(record, scheduler, shard_bytes=4000)
    close = ballot_indices(record, "close")[0]
    assert (rep.failure.check, rep.failure.entry) == ("V16", close)  # type: ignore[attr-defined]


def test_cli_with_scheduler(sim_record: Path, scheduler: str) -> None:
    p = subprocess.run([sys.executable, "-m", "hamaporsi.cli.main", "verify", str(sim_record),
                        "--scheduler", scheduler, "--no-state"], capture_output=True, text=True,
                       env={**os.environ, "COLUMNS": "120"}, timeout=180)
    assert p.returncode == 0, p.stderr
    assert "VALID" in p.stdout and "Dask at" in p.stdout


def test_cli_with_its_own_local_cluster(record: Path) -> None:
    tamper_proof(record, ballot_indices(record)[7])
    p = subprocess.run([sys.executable, "-m", "hamaporsi.cli.main", "verify", str(record),
                        "--dask", "--workers", "2", "--no-state"], capture_output=True,
                       text=True, env={**os.environ, "COLUMNS": "160"}, timeout=180)
    assert p.returncode == 1, p.stderr
    assert "INVALID" in p.stdout and f"V7 failed at entry {ballot_indices(record)[7]}" in \
        p.stdout.replace("\n", " ")


def test_unreachable_scheduler_is_an_error_not_a_verdict(sim_record: Path) -> None:
    with pytest.raises(BackendError):
        verify_record(sim_record, parallel=Parallel(scheduler="tcp://127.0.0.1:9",
                                                    connect_timeout=1.0))


def test_scheduler_without_workers_is_an_error(sim_record: Path) -> None:
    sched = distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=":0",
                                     silence_logs=logging.ERROR)
    try:
        with pytest.raises(BackendError, match="no workers"):
            verify_record(sim_record, parallel=Parallel(scheduler=sched.scheduler_address,
                                                        connect_timeout=1.0))
    finally:
        sched.close()
