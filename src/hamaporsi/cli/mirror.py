"""`hamaporsi mirror URL DIR`: a verified local copy of a board (spec §8.8.7), with its
checkpoints, the witnesses' valid cosignatures and the record files; `--follow` keeps polling.
Serve it with `hamaporsi serve --read-only --db DIR/board.sqlite`, check it with
`hamaporsi verify DIR`. Exit: 0 synced, 1 the board could not be read or a checkpoint was
refused (nothing of it stored), 2 usage or local error, 3 evidence of a fork (written to
DIR/evidence-<n>.json)."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn,
                           TimeElapsedColumn, TimeRemainingColumn)

from ..follow.errors import FollowError, ForkDetected, Refused, RemoteError
from ..follow.evidence import save_evidence
from ..follow.http import Limits
from ..follow.mirror import Mirror, MirrorRun
from ..follow.remote import BoardClient
from .roles_common import CLIError, command, say

EXIT_FAILED = 1
EXIT_FORK = 3
BAR_FROM = 5000
"""A progress bar appears for catch-ups of at least this many entries."""


class CatchUpBar:
    """progress(done, target) for VerifiedCopy.sync: a rich bar (entries, entries/s) on stderr
    once a catch-up is big enough to be worth one."""

    def __init__(self, label: str = "Entries") -> None:
        self.label = label
        self._p: Progress | None = None
        self._task: TaskID | None = None
        self._start = (0, 0.0)

    def __call__(self, done: int, target: int) -> None:
        if self._p is None:
            if target - done < BAR_FROM:
                return
            cols = (TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[rate]:>8,.0f}/s"), TimeElapsedColumn(),
                    TimeRemainingColumn())
            self._p = Progress(*cols, console=Console(stderr=True), transient=False)
            self._p.start()
            self._task = self._p.add_task(self.label, total=target, completed=done, rate=0.0)
            self._start = (done, time.perf_counter())
        assert self._task is not None
        rate = (done - self._start[0]) / max(1e-9, time.perf_counter() - self._start[1])
        self._p.update(self._task, total=target, completed=done, rate=rate)

    def close(self) -> None:
        if self._p is not None:
            self._p.stop()
            self._p = None

    def __enter__(self) -> CatchUpBar:
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def add_subcommand(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("mirror", help="keep a verified local copy of a board",
                       description="Copy a board over HTTP into DIR, checking every checkpoint "
                                   "(board signature, consistency, entries against the root) "
                                   "and the witnesses' cosignatures; write DIR/board.sqlite and "
                                   "the record files (entries.jsonl, checkpoints.jsonl, "
                                   "cosignatures.jsonl) up to the latest witnessed checkpoint.")
    p.add_argument("url", help="the board's base URL, e.g. http://127.0.0.1:8000")
    p.add_argument("dir", help="the mirror's directory (created if absent)")
    p.add_argument("--follow", action="store_true", help="keep polling until Ctrl-C")
    p.add_argument("--interval", type=float, default=10.0, metavar="SECONDS",
                   help="seconds between polls with --follow (default: %(default)s)")
    add_election_arg(p)
    add_http_args(p)
    p.set_defaults(func=mirror_command)


def add_election_arg(p: argparse.ArgumentParser) -> None:
    """--election of a command following a board (mirror, witness run): see check_election."""
    p.add_argument("--election", default=None, metavar="ID",
                   help="the election id (manifest hash) the board must have")


def add_http_args(p: argparse.ArgumentParser) -> None:
    """--timeout and --retries of a command polling a board (mirror, witness run)."""
    p.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS",
                   help="per-request timeout (default: %(default)s)")
    p.add_argument("--retries", type=int, default=4, metavar="N",
                   help="tries again after a connection error or a 503 (default: %(default)s)")


def check_poll_args(a: argparse.Namespace) -> None:
    """--interval and --timeout positive, --retries not negative (mirror, witness run)."""
    if a.interval <= 0 or a.timeout <= 0 or a.retries < 0:
        raise CLIError("--interval and --timeout must be positive, --retries not negative")


def _line(d: Path, r: MirrorRun) -> str:
    rec = (f"record up to size {r.record.size:,}" if r.record is not None
           else "no witnessed checkpoint yet: record files not written")
    return (f"mirror {d}: size {r.size:,}, {r.checkpoints:,} checkpoints, {r.db_bytes:,} bytes "
            f"(+{r.synced.entries:,} entries, +{len(r.synced.checkpoints):,} checkpoints, "
            f"+{r.cosignatures_added:,} cosignatures"
            + (f", {r.cosignatures_ignored:,} ignored" if r.cosignatures_ignored else "")
            + f"); {rec}")


def check_election(value: str | None) -> str | None:
    if value is not None and (len(value) != 64 or not set(value) <= set("0123456789abcdef")):
        raise CLIError("--election must be 64 lowercase hex digits (the manifest hash)")
    return value


def _sigterm(*_: object) -> None:
    raise KeyboardInterrupt


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """While running, SIGTERM (a service manager's stop) ends the command as Ctrl-C does."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@command("mirror")
def mirror_command(a: argparse.Namespace) -> int:
    check_poll_args(a)
    d = Path(a.dir)
    if any(d.glob("evidence-*.json")):
        raise CLIError(f"{d} holds evidence of a fork (evidence-*.json); not mirroring into it")
    try:
        board = BoardClient(a.url, Limits(timeout=a.timeout, retries=a.retries))
    except ValueError as e:
        raise CLIError(str(e)) from None
    try:
        m = Mirror(d, board, election=check_election(a.election))
    except FollowError as e:
        board.close()
        raise CLIError(str(e)) from None
    try:
        with sigterm_as_interrupt():
            return _loop(a, d, m)
    except KeyboardInterrupt:
        return 0
    finally:
        m.close()
        board.close()


def _loop(a: argparse.Namespace, d: Path, m: Mirror) -> int:
    """Sync once, or with --follow until interrupted; the exit status."""
    while True:
        try:
            with CatchUpBar() as bar:
                run = m.sync(bar)
            say(_line(d, run))
        except ForkDetected as f:
            path = save_evidence(d, f.evidence)
            print(f"hamaporsi mirror: {f.evidence.describe()}\nevidence written to {path}",
                  file=sys.stderr, flush=True)
            return EXIT_FORK
        except (Refused, RemoteError) as e:
            print(f"hamaporsi mirror: {'refused' if isinstance(e, Refused) else 'board'}: "
                  f"{e}", file=sys.stderr, flush=True)
            if not a.follow:
                return EXIT_FAILED
        if not a.follow:
            return 0
        time.sleep(a.interval)
