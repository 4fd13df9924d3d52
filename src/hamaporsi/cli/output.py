"""What the CLI shows and writes for people: progress bars, the verifier's report, the result
table and chart, the voters' printable codes with QR codes."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import segno
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskProgressColumn, \
    TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from ..protocol.credentials import Credential
from ..protocol.manifest import Manifest
from ..verify.report import TIMED_WITH, Report

T = TypeVar("T")


def progress(items: Sequence[T], label: str, console: Console) -> Iterator[T]:
    """Iterate with a progress bar (count, rate and time left) on the console."""
    cols = (TextColumn(f"{label:<22}"), BarColumn(), MofNCompleteColumn(),
            TimeRemainingColumn())
    with Progress(*cols, console=console, transient=False) as p:
        task = p.add_task(label, total=len(items))
        for x in items:
            yield x
            p.advance(task)


@contextmanager
def progress_bar(console: Console, label: str) -> Iterator[Callable[[int, int], None]]:
    """A bar for work that reports `(done, total)`: count, rate and time left."""
    cols = (TextColumn(f"{label:<22}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*cols, console=console, transient=False) as p:
        task = p.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            p.update(task, completed=done, total=total)

        yield update


def verify_with_progress(con: Console, record: Path, workers: int | None,
                         expect_election: str | None = None, **options: Any) -> Report:
    """Run the verifier with a progress bar over the record's bytes: entries, rate, time left
    (from the bytes still to read). `options` go to `verify_record` (parallel, state, …)."""
    from ..verify.runner import ENTRIES, verify_record
    size = (record / ENTRIES).stat().st_size if (record / ENTRIES).exists() else 0
    cols = (TextColumn("Verifying"), BarColumn(), TaskProgressColumn(),
            TextColumn("{task.fields[entries]:>10,} entries  {task.fields[rate]:>7,.0f}/s"),
            TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*cols, console=con, transient=False) as p:
        task = p.add_task("verify", total=max(1, size), entries=0, rate=0.0)
        first: list[float] = []  # time and entries at the first report (a resumed run)

        def update(entries: int, read: int) -> None:
            now = time.perf_counter()
            if not first:
                first.extend((now, entries))
            rate = (entries - first[1]) / max(1e-9, now - first[0])
            p.update(task, completed=read, entries=entries, rate=rate)

        return verify_record(record, workers=workers, progress=update,
                             expect_election=expect_election, **options)


def render_report(con: Console, rep: Report) -> None:
    """The verifier's table: check, what, items, result, seconds; then the verdict."""
    t = Table(title=f"Verification of {rep.entries} entries ({rep.backend})")
    for col in ("check", "what", "items", "result", "seconds"):
        t.add_column(col, justify="right" if col in ("items", "seconds") else "left")
    for c in rep.checks.values():
        mark = {True: "[green]pass[/]", False: "[red]FAIL[/]", None: "[dim]not reached[/]"}[c.ok]
        secs = f"with {TIMED_WITH[c.id]}" if c.id in TIMED_WITH else f"{c.seconds:.2f}"
        t.add_row(c.id, c.title, str(c.items), mark, secs)
    con.print(t)
    con.print("[dim]seconds: time spent in the step, summed over processes; V5–V8 run as one step "
              "in the workers, V10–V11 as one in the main process[/]")
    if rep.resumed_from is not None:
        con.print(f"[dim]resumed: entries 0..{rep.resumed_from - 1} were verified by an "
                  "interrupted run (its snapshot; the record's prefix was re-hashed and "
                  "matched)[/]")
    if rep.ok:
        con.print(f"[bold green]VALID[/] record of election {rep.election} "
                  f"({rep.seconds:.1f} s)")
    else:
        con.print(f"[bold red]INVALID[/]: {rep.failure}")


def render_result(con: Console, m: Manifest, res: dict[str, Any]) -> None:
    """Counts per option with a bar, blank, and turnout."""
    voted, eligible = res["voted"], res["eligible"]
    total = max(1, sum(res["counts"]))
    t = Table(title=f"{m.question.en}\n{m.question.fa}")
    t.add_column("option")
    t.add_column("votes", justify="right")
    t.add_column("share", justify="right")
    t.add_column("")
    for opt, n in zip(m.options, res["counts"]):
        t.add_row(f"{opt.en} / {opt.fa}", str(n), f"{100 * n / total:.1f}%",
                  "█" * round(30 * n / total))
    con.print(t)
    con.print(f"Turnout: {voted} of {eligible} credentials voted "
              f"({100 * voted / max(1, eligible):.1f}%)")


def save_chart(path: Path, m: Manifest, res: dict[str, Any]) -> Path:
    """A bar chart of the result as PNG (matplotlib, Agg backend: no display needed)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.2), dpi=120)
    labels = [o.en for o in m.options]
    bars = ax.bar(labels, res["counts"], color=["#2e7d32", "#c62828", "#9e9e9e", "#1565c0"]
                  [: len(labels)])
    ax.bar_label(bars)
    ax.set_title(f"{m.question.en}\nturnout {res['voted']} / {res['eligible']}", fontsize=9)
    ax.set_ylabel("votes")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def write_codes(folder: Path, creds: Iterable[Credential], qr_count: int) -> None:
    """codes.txt (one private code per line, as the registrar would print them) and an SVG QR
    code for the first `qr_count` voters. These are secrets: only the voter gets theirs."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "codes.txt", "w", encoding="ascii") as f:
        for n, c in enumerate(creds):
            f.write(c.code + "\n")
            if n < qr_count:
                segno.make(c.code, error="m").save(str(folder / f"voter-{n + 1:06d}.svg"), scale=4)
