"""`hamaporsi simulate`: write the record of a simulated referendum of N voters (issue 5), with
a progress bar on stderr; the summary (expected result) goes to DIR/simulation.json and stdout."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn,
                           TimeElapsedColumn, TimeRemainingColumn)

from ..sim.generate import SimConfig, SimulationError, simulate
from ..sim.voters import Rates


def add_subcommand(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("simulate", help="write a complete, valid record of N simulated voters",
                       description="Simulate a referendum with the real protocol code and "
                                   "write its record (entries.jsonl, checkpoints.jsonl) and the "
                                   "expected result (simulation.json) to DIR.")
    p.add_argument("--voters", type=int, required=True, metavar="N",
                   help="credentials issued (eligible voters)")
    p.add_argument("--out", required=True, metavar="DIR", help="output directory")
    p.add_argument("--options", type=int, default=2,
                   help="options, exactly one selected (2: yes/no, 3: yes/no/blank)")
    p.add_argument("--abstain-rate", type=float, default=0.1, metavar="R",
                   help="fraction of voters who do not vote (default: %(default)s)")
    p.add_argument("--revote-rate", type=float, default=0.02, metavar="R",
                   help="fraction of voters who vote again later (default: %(default)s)")
    p.add_argument("--audit-rate", type=float, default=0.01, metavar="R",
                   help="fraction of voters who audit a ballot first (default: %(default)s)")
    p.add_argument("--workers", type=int, default=None,
                   help="encrypting processes (default: all cores)")
    p.add_argument("--seed", type=int, default=1,
                   help="seed of the voters' credentials and choices (default: %(default)s)")
    p.add_argument("--trustees", type=int, default=3)
    p.add_argument("--threshold", type=int, default=2)
    p.add_argument("--checkpoint-every", type=int, default=1000, metavar="ENTRIES",
                   help="entries between signed checkpoints (default: %(default)s)")
    p.add_argument("--force", action="store_true", help="overwrite a record already in DIR")
    p.set_defaults(func=run)


class _Bars:
    """One bar per phase: count, rate per second, elapsed and time left."""

    def __init__(self, progress: Progress) -> None:
        self.p = progress
        self.tasks: dict[str, tuple[TaskID, float]] = {}

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase not in self.tasks:
            label = {"credentials": "Credentials", "ballots": "Voters"}.get(phase, phase)
            self.tasks[phase] = (self.p.add_task(label, total=max(1, total), rate=0.0),
                                 time.perf_counter())
        task, start = self.tasks[phase]
        rate = done / max(1e-9, time.perf_counter() - start)
        self.p.update(task, completed=done, rate=rate)


def run(a: argparse.Namespace) -> int:
    cfg = SimConfig(voters=a.voters, out=Path(a.out), options=a.options,
                    rates=Rates(abstain=a.abstain_rate, audit=a.audit_rate,
                                revote=a.revote_rate),
                    workers=a.workers, seed=a.seed, trustees=a.trustees,
                    threshold=a.threshold, checkpoint_every=a.checkpoint_every, force=a.force)
    err = Console(stderr=True)
    cols = (TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:>8,.0f}/s"), TimeElapsedColumn(),
            TimeRemainingColumn())
    try:
        with Progress(*cols, console=err, transient=False) as p:
            summary: dict[str, Any] = simulate(cfg, _Bars(p))
    except SimulationError as e:
        print(f"hamaporsi simulate: error: {e}", file=sys.stderr)
        return 2
    err.print(f"[bold green]wrote[/] {cfg.out}: {summary['entries']:,} entries "
              f"({summary['ballots']:,} ballots, {summary['audits']:,} audited, "
              f"{summary['revotes']:,} re-votes), {summary['bytes'] / 1e6:,.1f} MB in "
              f"{summary['seconds']['total']:.1f} s; result {summary['counts']}")
    err.print(f"verify with: hamaporsi verify {cfg.out} --expect-election "
              f"{summary['manifest']}")
    print(json.dumps(summary))
    return 0
