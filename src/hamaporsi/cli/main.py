"""The `hamaporsi` command: one subcommand per role, plus demo and verify."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console

from .. import __version__


def _demo(a: argparse.Namespace) -> int:
    from .demo import DemoConfig, run_demo
    if a.voters < 1 or a.trustees < 1:
        raise SystemExit("hamaporsi demo: error: --voters and --trustees must be at least 1")
    if not 1 <= a.threshold <= a.trustees:
        raise SystemExit("hamaporsi demo: error: --threshold must be between 1 and --trustees")
    cfg = DemoConfig(voters=a.voters, trustees=a.trustees, threshold=a.threshold,
                     out=Path(a.out) if a.out else _fresh_dir("hamaporsi-demo"),
                     blank=not a.no_blank, seed=a.seed, workers=a.workers)
    cfg.witnesses = 2 if a.witnesses is None else a.witnesses
    if not 0 <= cfg.witnesses <= 8:
        raise SystemExit("hamaporsi demo: error: --witnesses must be between 0 and 8")
    if a.serve:
        from .serve import demo_serve
        return demo_serve(a, cfg)
    return run_demo(cfg)


def _fresh_dir(base: str) -> Path:
    """`base`, or `base-2`, `base-3`, … whichever holds no demo yet (reruns never collide)."""
    n, p = 1, Path(base)
    while (p / "board.sqlite").exists():
        n += 1
        p = Path(f"{base}-{n}")
    return p


def _verify(a: argparse.Namespace) -> int:
    from .output import render_report, verify_with_progress
    con = Console()
    path = Path(a.path)
    if (path / "record").is_dir():
        path = path / "record"
    if not (path / "entries.jsonl").is_file():
        print(f"hamaporsi verify: error: {path} is not a record directory (no entries.jsonl; "
              "make one with `hamaporsi export`)", file=sys.stderr)
        return 2
    from ..verify.backends import BackendError
    from ..verify.state import StateBusy
    from .parallel import parallel_from, state_from
    try:
        par, state = parallel_from(a), state_from(a, path)
        if a.index_cache < 1:
            raise ValueError("--index-cache must be at least 1 (MiB)")
    except ValueError as e:
        print(f"hamaporsi verify: error: {e}", file=sys.stderr)
        return 2
    try:
        rep = verify_with_progress(con, path, a.workers, a.expect_election, parallel=par,
                                   state=state, resume=not a.fresh,
                                   index_cache_mib=a.index_cache)
    except (BackendError, StateBusy) as e:
        print(f"hamaporsi verify: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        if state is not None:
            print(f"hamaporsi verify: interrupted; run the same command to resume (state in "
                  f"{state})", file=sys.stderr)
        return 130
    render_report(con, rep)
    return 0 if rep.ok else 1


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hamaporsi", description="End-to-end verifiable referendum")
    p.add_argument("--version", action="version", version=f"hamaporsi {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("demo", help="run a whole referendum on this machine and verify it")
    d.add_argument("--voters", type=int, default=200)
    d.add_argument("--trustees", type=int, default=3)
    d.add_argument("--threshold", type=int, default=2)
    d.add_argument("--out", default=None,
                   help="output directory (default: hamaporsi-demo, or -2, -3… if taken)")
    d.add_argument("--no-blank", action="store_true", help="no explicit blank option")
    d.add_argument("--seed", type=int, default=None, help="seed for the simulated voters' choices")
    d.add_argument("--workers", type=int, default=None, help="verifier processes (default: cores)")
    d.add_argument("--serve", action="store_true",
                   help="open voting, then serve the booth for people to vote in a browser "
                        "until Ctrl-C; then finish and verify")
    d.add_argument("--witnesses", type=int, default=None, metavar="N",
                   help="N witnesses named in the manifest, all required, follow the board "
                        "over HTTP and cosign its checkpoints (with --serve while people vote; "
                        "default: 2; 0: none)")
    from . import serve
    serve.add_server_args(d, max_delay=5.0)  # a person voting alone waits at most ~5 s
    d.set_defaults(func=_demo)

    v = sub.add_parser("verify", help="re-check an exported record from the record alone")
    v.add_argument("path", help="record directory (entries.jsonl, checkpoints.jsonl)")
    v.add_argument("--expect-election", default=None,
                   help="manifest hash the record must have (pinned fingerprint)")
    from .parallel import add_parallel_args, add_state_args
    add_parallel_args(v)
    add_state_args(v)
    v.set_defaults(func=_verify)

    from . import simulate
    simulate.add_subcommand(sub)

    serve.add_subcommand(sub)

    from . import mirror, witness
    witness.add_subcommand(sub)
    mirror.add_subcommand(sub)

    from . import roles
    roles.add_subcommands(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
