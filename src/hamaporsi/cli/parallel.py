"""Options shared by the commands that check many ballots (verify, tally sum): local processes
or a Dask cluster, and where a resumable verification keeps its state."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..verify.backends import Parallel
from ..verify.index import CACHE_MIB
from ..verify.state import default_state_dir


def add_parallel_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workers", type=int, default=None,
                   help="processes (default: all cores); with --dask, the local cluster's")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--dask", action="store_true",
                   help="check the ballots on a local Dask cluster (needs hamaporsi[cluster])")
    g.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                   help="check the ballots on this Dask cluster; every worker must see the "
                        "record at the same path (a shared mount)")


def add_state_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--state", default=None, metavar="DIR",
                   help="where to keep the resumable state (default: a folder for this record "
                        "under ~/.cache/hamaporsi/verify)")
    p.add_argument("--fresh", action="store_true",
                   help="ignore the state an interrupted run left and start over")
    p.add_argument("--no-state", action="store_true",
                   help="keep no state (an interrupted run starts over)")
    p.add_argument("--index-cache", type=int, default=CACHE_MIB, metavar="MIB",
                   help="page cache of the cross-entry index (default: %(default)s MiB; more "
                        "is faster on records of millions of ballots, memory stays flat)")


def parallel_from(a: argparse.Namespace) -> Parallel:
    if a.workers is not None and a.workers < 1:
        raise ValueError("--workers must be at least 1")
    return Parallel(workers=a.workers, dask=a.dask, scheduler=a.scheduler)


def state_from(a: argparse.Namespace, record: Path) -> Path | None:
    """The state directory to use: --state, else the default one if it can be made (a
    read-only home just means a run that cannot be resumed)."""
    if a.no_state:
        return None
    if a.state:
        return Path(a.state)
    d = default_state_dir(record)
    try:
        d.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        print(f"hamaporsi: note: no resumable state ({d}: {e.strerror})", file=sys.stderr)
        return None
    return d
