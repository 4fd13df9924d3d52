"""The witnesses of `hamaporsi demo --serve` (spec §8.8): a few witnesses, named in the demo's
manifest with a threshold of all of them, that follow the served board over HTTP like
`hamaporsi witness run` does, so that the booth's receipts show "witnessed by k of k". After
serving ends and the demo finishes the referendum on the board file, they cosign its last
checkpoint through a short-lived server, so that the exported record passes V-witness."""

from __future__ import annotations

import logging
import threading

import uvicorn
from dataclasses import replace
from pathlib import Path

from ..crypto import bip340
from ..follow.errors import FollowError
from ..follow.remote import BoardClient
from ..follow.witness import Witness
from ..protocol.cosignature import WitnessPolicy
from ..protocol.text import Text
from ..server.config import ServerConfig
from ..server.app import create_app
from ..server.run import in_thread

ROUND_SECONDS = 1.0
"""How often a demo witness looks for a new checkpoint."""


def policy_of(secrets: list[bytes]) -> WitnessPolicy | None:
    """The manifest's witnesses, named "گواه N" / "Witness N" (as in out/witnesses/witness-N):
    every demo witness must cosign (None: no witnesses)."""
    if not secrets:
        return None
    return WitnessPolicy(tuple(bip340.public_key(s) for s in secrets), len(secrets),
                         tuple(Text(fa=f"گواه {_fa_digits(i)}", en=f"Witness {i}")
                               for i in range(1, len(secrets) + 1)))


def _fa_digits(n: int) -> str:
    """`n` in Persian digits (۱۲۳)."""
    return str(n).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))


class DemoWitnesses:
    """The demo's witnesses, each with its own verified copy in out/witnesses/witness-N."""

    def __init__(self, out: Path, secrets: list[bytes]) -> None:
        self.dirs = [out / "witnesses" / f"witness-{i}" for i in range(1, len(secrets) + 1)]
        self.secrets = secrets
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        for name in ("hamaporsi.follow", "hamaporsi.witness"):  # a fork still shows (CRITICAL)
            logging.getLogger(name).setLevel(logging.ERROR)

    def _open(self, url: str) -> list[tuple[Witness, BoardClient]]:
        out = []
        for d, s in zip(self.dirs, self.secrets):
            board = BoardClient(url)
            out.append((Witness(d, s, board), board))
        return out

    @staticmethod
    def _close(ws: list[tuple[Witness, BoardClient]]) -> None:
        for w, b in ws:
            w.close()
            b.close()

    def follow(self, url: str) -> None:
        """Start following the board at `url` in a background thread, a round a second."""
        def loop() -> None:
            ws = self._open(url)
            try:
                while not self._stop.wait(ROUND_SECONDS):
                    for w, _ in ws:
                        try:
                            w.round()
                        except FollowError:
                            return  # a fork: the witness halted and logged it
            finally:
                self._close(ws)

        self._thread = threading.Thread(target=loop, name="demo-witnesses", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop following (after the server stopped)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)
            self._thread = None

    def cosign_final(self, config: ServerConfig) -> int:
        """Serve the board once more on a free local port until every witness has verified and
        cosigned its latest checkpoint and posted the cosignature; returns how many did."""
        cfg = replace(config, host="127.0.0.1", port=0, verify_workers=0, web_dir=None)
        quiet = uvicorn.Config(create_app(cfg), host=cfg.host, port=0, access_log=False,
                               log_config=None, log_level="warning", lifespan="on")
        server_log = logging.getLogger("hamaporsi.server")
        level = server_log.level
        server_log.setLevel(logging.WARNING)  # its start and stop are not the demo's news
        try:
            return self._cosign_through(quiet)
        finally:
            server_log.setLevel(level)

    def _cosign_through(self, quiet: uvicorn.Config) -> int:
        done = 0
        with in_thread(quiet) as url:
            ws = self._open(url)
            try:
                for w, _ in ws:
                    r = w.round()
                    done += int(r.posted is not None and r.posted.stored is not None)
            finally:
                self._close(ws)
        return done
