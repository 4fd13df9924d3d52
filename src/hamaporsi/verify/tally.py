"""The encrypted tally of a closed record (spec §7.2, V12), computed by the verifier's parallel
path: shards of ballots are checked and summed by workers (a local pool or Dask), the re-vote
rule is applied in record order, and the totals are Σ all ballots − Σ superseded ballots, per
option. The organizer's `tally sum` posts exactly these totals."""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..crypto.elgamal import Ciphertext
from .backends import Parallel
from .report import Report
from .runner import Progress, run_record


class TallyError(Exception):
    """The record cannot be tallied: it does not verify, or voting is not closed."""

    def __init__(self, report: Report) -> None:
        super().__init__(f"the record does not verify up to its close: {report.failure}")
        self.report = report


@dataclass(frozen=True)
class TallySums:
    """What the tally entry states — one ciphertext per option and the ballots counted — and
    the counts behind it."""

    totals: list[Ciphertext]
    counted: int
    ballots: int
    superseded: int
    audits: int
    report: Report


def aggregate_tally(record: str | os.PathLike[str], *, parallel: Parallel | None = None,
                    progress: Progress | None = None,
                    shard_bytes: int | None = None) -> TallySums:
    """Verify the record up to (at least) its `close` and return the tally of its counting
    ballots; raises TallyError if the record does not verify that far."""
    rep, led = run_record(record, parallel=parallel, progress=progress,
                          shard_bytes=shard_bytes, until="closed")
    if not rep.ok or led is None:
        raise TallyError(rep)
    return TallySums(led.counted_totals(), led.index.voters(), led.ballots, led.superseded,
                     led.audits, rep)
