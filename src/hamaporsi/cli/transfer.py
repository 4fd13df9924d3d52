"""`hamaporsi board copy --from URL --to URL`: copy a board between stores (spec §8.6.6), e.g.
an SQLite board into PostgreSQL, or a mirror's copy into a new database to serve again."""

from __future__ import annotations

import argparse

from rich.console import Console

from ..board.errors import BoardError
from ..board.open import describe, open_store
from ..board.transfer import copy_board
from .output import progress_bar
from .roles_common import CLIError, command, say


def add_copy_parser(group: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = group.add_parser("copy", help="copy a board into another database (checked as it goes; "
                                      "an interrupted copy resumes)",
                         description="Copy every entry, checkpoint and cosignature of a board "
                                     "into another store: an SQLite file or PostgreSQL, by URL. "
                                     "Each checkpoint is checked against the board key of the "
                                     "signed manifest and the root of its entries. Stop every "
                                     "server on both boards first.")
    p.add_argument("--from", dest="src", required=True, metavar="URL",
                   help="the board to copy (a path, sqlite:///PATH or postgresql://…)")
    p.add_argument("--to", dest="dst", required=True, metavar="URL",
                   help="where to copy it: a new store, or one an interrupted copy left")
    p.set_defaults(func=board_copy)


@command("board copy")
def board_copy(a: argparse.Namespace) -> int:
    if describe(a.src) == describe(a.dst):
        raise CLIError("--from and --to name the same board")
    con = Console(stderr=True)
    try:
        with open_store(a.src) as src, open_store(a.dst) as dst, \
                progress_bar(con, "Copying entries") as bar:
            got = copy_board(src, dst, progress=bar)
    except BoardError as e:
        raise CLIError(f"cannot copy {describe(a.src)} to {describe(a.dst)}: {e}") from None
    say(f"copied {got.entries:,} entries, {got.checkpoints:,} checkpoints and "
        f"{got.cosignatures:,} cosignatures to {describe(a.dst)}; it now has {got.size:,} "
        "entries")
    return 0
