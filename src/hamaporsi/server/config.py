"""The server's settings, fixed at start: where the board is, where to listen, and the limits."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path

from ..board.open import describe

DEFAULT_BODY_CAP = 64 * 1024
"""Largest request body accepted (bytes). The largest ballot (32 options and a total proof over
33 values) is about 36 KiB, an audit of it 39 KiB."""


def default_web_dir() -> Path | None:
    """The built booth: ./web/dist, else web/dist of the source checkout, else None."""
    here = Path(__file__).resolve()
    for cand in (Path.cwd() / "web" / "dist", here.parents[3] / "web" / "dist"):
        if (cand / "index.html").is_file():
            return cand
    return None


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """Everything `create_app` needs. The board secret signs checkpoints; it is never shown.

    `db` is a database URL (`board/open.py`): a path or `sqlite:///path` for an SQLite file,
    `postgresql://…` for PostgreSQL. Several server processes may serve one board at once.
    `read_only`: serve a copy (a mirror's) without its secret: reads only, no casting, no
    checkpoints; the election and board key come from the manifest."""

    db: str | os.PathLike[str]
    board_secret: bytes | None = field(default=None, repr=False)
    election_id: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    checkpoint_every: float = 2.0
    """Seconds between checkpointer rounds; each round signs only if the cadence says so."""
    checkpoint_min_entries: int = 8
    """Sign once at least this many entries wait uncovered (never one per ballot, spec §5.7) …"""
    checkpoint_max_delay: float = 30.0
    """… or once the oldest uncovered entry has waited this many seconds."""
    body_cap: int = DEFAULT_BODY_CAP
    rate_burst: int = 10
    """Casts (ballots and audits) a credential may make at once …"""
    rate_interval: float = 6.0
    """… and then one more per this many seconds."""
    web_dir: Path | None = None
    verify_workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    """Processes checking signatures and proofs; 0 checks them in a thread of this process."""
    max_batch: int = 64
    """Most ballots verified in one worker task, or committed in one transaction."""
    max_queue: int = 4096
    """Ballots waiting for a verifier beyond which casts get 503 (a few seconds of work):
    overload is refused at once rather than queued without bound."""
    clock: Callable[[], float] = field(default=time.time, repr=False)
    read_only: bool = False
    retry_after: int = 2
    """Seconds a 503 for an unreachable or full database asks clients to wait."""

    def __repr__(self) -> str:
        """The settings, with the database URL's password masked (`describe`)."""
        try:
            db = describe(self.url)
        except ValueError:  # a URL open_store will refuse: show none of it
            db = "<invalid database URL>"
        shown = (f"{f.name}={db if f.name == 'db' else getattr(self, f.name)!r}"
                 for f in fields(self) if f.repr)
        return f"ServerConfig({', '.join(shown)})"

    @property
    def url(self) -> str:
        """The board's database URL as a string (may hold a password: log `describe(url)`)."""
        return os.fspath(self.db)

    def __post_init__(self) -> None:
        if not 1 <= self.port <= 65535 and self.port != 0:
            raise ValueError("port must be in 1..65535 (0: any free port)")
        if self.checkpoint_every <= 0:
            raise ValueError("checkpoint interval must be positive")
        if self.checkpoint_min_entries < 1 or self.checkpoint_max_delay <= 0:
            raise ValueError("checkpoint cadence: min entries ≥ 1 and max delay > 0")
        if not 1024 <= self.body_cap <= 1 << 20:
            raise ValueError("body cap must be between 1 KiB and 1 MiB (the entry limit)")
        if self.rate_burst < 1 or self.rate_interval <= 0:
            raise ValueError("rate limit: burst ≥ 1 and interval > 0")
        if self.verify_workers < 0 or self.max_batch < 1 or self.max_queue < 0:
            raise ValueError("verify workers ≥ 0, max batch ≥ 1, max queue ≥ 0")
        if self.retry_after < 1:
            raise ValueError("retry-after must be at least 1 second")
        if self.read_only:
            return
        if self.board_secret is None or len(self.board_secret) != 32:
            raise ValueError("board secret must be 32 bytes (or serve read-only)")
        if self.election_id is None:
            raise ValueError("the election id is needed with the board secret")
