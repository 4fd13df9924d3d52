"""`hamaporsi serve`: the casting server and public board over a board database (issue 3, 4): an
SQLite file or PostgreSQL, by URL. The organizer, registrar and trustees keep using their
commands on the same board meanwhile, and several `serve` processes may serve one board."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from ..board.open import describe, is_postgres, sqlite_path
from ..server.config import DEFAULT_BODY_CAP, ServerConfig, default_web_dir
from .roles_common import CLIError, board_key_path, command, read_board_key_file, say


def add_subcommand(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("serve", help="serve the booth and the board's HTTP API",
                       description="Serve the voting booth and the HTTP API (docs/api.md) over "
                                   "a board, signing a checkpoint every few seconds while "
                                   "ballots arrive. Several processes may serve one board "
                                   "(each on its own port). Ctrl-C stops it.")
    p.add_argument("--db", "--board", dest="db", required=True, metavar="URL",
                   help="board database: an SQLite file (PATH or sqlite:///PATH) or "
                        "postgresql://user@host/db?schema=NAME")
    p.add_argument("--board-key", default=None, metavar="FILE",
                   help="the board operator's key file (default for an SQLite board: PATH "
                        "with .key.json beside it; required for PostgreSQL)")
    p.add_argument("--read-only", action="store_true",
                   help="serve a copy (a mirror's) without the board key: every read, no "
                        "casting, no checkpoints")
    add_server_args(p)
    p.set_defaults(func=serve_command)


def add_server_args(p: argparse.ArgumentParser, *, port: int = 8000,
                    max_delay: float = 30.0) -> None:
    """Options shared by `serve` and `demo --serve` (the demo waits less for a checkpoint)."""
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default: %(default)s, this machine only)")
    p.add_argument("--port", type=int, default=port, help="TCP port (default: %(default)s)")
    p.add_argument("--checkpoint-every", type=float, default=2.0, metavar="SECONDS",
                   help="check this often whether a checkpoint is due (default: "
                        "%(default)s)")
    p.add_argument("--checkpoint-min-entries", type=int, default=8, metavar="N",
                   help="sign a checkpoint once N new entries wait (default: %(default)s) …")
    p.add_argument("--checkpoint-max-delay", type=float, default=max_delay, metavar="SECONDS",
                   help="… or once the oldest new entry waited this long (default: "
                        "%(default)s); entries and turnout are published only with a "
                        "checkpoint"),
    p.add_argument("--web", default=None, metavar="DIR",
                   help="built booth to serve (default: web/dist if it is built)")
    p.add_argument("--verify-workers", type=int, default=None, metavar="N",
                   help="processes checking ballot proofs (default: one per core; 0: a "
                        "thread)")


def board_secret(a: argparse.Namespace, url: str) -> tuple[bytes | None, str | None]:
    """The key to sign with (none when read-only); an SQLite board must exist already."""
    if not is_postgres(url):
        db = Path(sqlite_path(url))
        if not db.is_file():
            raise CLIError(f"no board at {db} (create one with `hamaporsi organizer create`)")
    if a.read_only:
        return None, None
    if a.board_key is not None:
        return read_board_key_file(a.board_key)
    if is_postgres(url):
        raise CLIError("a PostgreSQL board needs --board-key FILE (or --read-only)")
    return read_board_key_file(board_key_path(sqlite_path(url)))


def server_config(a: argparse.Namespace, url: str) -> ServerConfig:
    """The ServerConfig from the command line and the board's key file."""
    secret, election = board_secret(a, url)
    web = Path(a.web) if a.web else default_web_dir()
    if web is not None and not (web / "index.html").is_file():
        raise CLIError(f"{web} holds no built booth (index.html); build it with "
                       "`cd web && npm ci && npm run build`")
    workers = (os.cpu_count() or 1) if a.verify_workers is None else a.verify_workers
    try:
        return ServerConfig(db=url, board_secret=secret, election_id=election, host=a.host,
                            port=a.port, checkpoint_every=a.checkpoint_every,
                            checkpoint_min_entries=a.checkpoint_min_entries,
                            checkpoint_max_delay=a.checkpoint_max_delay, web_dir=web,
                            verify_workers=workers, body_cap=DEFAULT_BODY_CAP,
                            read_only=a.read_only)
    except ValueError as e:
        raise CLIError(str(e)) from None


@command("serve")
def serve_command(a: argparse.Namespace) -> int:
    from ..server.run import serve
    cfg = server_config(a, a.db)
    say(f"serving board {describe(cfg.url)}{' read-only' if cfg.read_only else ''} on "
        f"http://{cfg.host}:{cfg.port}/ "
        f"(booth: {cfg.web_dir or 'not built'}; API: /api/election, /openapi.json); "
        "Ctrl-C stops")
    serve(cfg)
    return 0


def demo_serve(a: argparse.Namespace, cfg: Any) -> int:
    """`hamaporsi demo --serve`: the demo's referendum, served for people to vote in a browser."""
    from ..server.bundle import bundle_hash
    from ..server.run import serve
    from .demo import serve_demo
    web = Path(a.web) if a.web else default_web_dir()
    if web is not None and not (web / "index.html").is_file():
        raise SystemExit(f"hamaporsi demo: error: {web} holds no built booth (index.html)")
    cfg.booth = None if web is None else bundle_hash(web)
    workers = (os.cpu_count() or 1) if a.verify_workers is None else a.verify_workers

    def config(db: Path, secret: bytes, election: str) -> ServerConfig:
        return ServerConfig(db=db, board_secret=secret, election_id=election, host=a.host,
                            port=a.port, checkpoint_every=a.checkpoint_every,
                            checkpoint_min_entries=a.checkpoint_min_entries,
                            checkpoint_max_delay=a.checkpoint_max_delay, web_dir=web,
                            verify_workers=workers)

    def run(db: Path, secret: bytes, election: str) -> None:
        serve(config(db, secret, election))

    print(f"note: a checkpoint is signed once {a.checkpoint_min_entries} ballots wait or the "
          f"oldest waited {a.checkpoint_max_delay:g} s (demo setting; `serve` waits up to 30 s "
          "by default): until then a receipt is pending", flush=True)
    if web is None:
        print("note: the booth is not built (cd web && npm ci && npm run build); serving the "
              "API only", flush=True)
    return serve_demo(cfg, run, f"http://{a.host}:{a.port}/", config)
