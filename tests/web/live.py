"""A real `hamaporsi serve` process over a test election, on a free loopback port, plus the
Python-side helpers the browser tests check the board with (same bytes, Python verifier)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hamaporsi.board.election_board import ElectionBoard
from hamaporsi.board.sqlite import SQLiteStore
from hamaporsi.cli.demo import BLANK, OPTIONS, QUESTION
from hamaporsi.protocol.ballot import EncryptedBallot
from hamaporsi.protocol.manifest import Text
from hamaporsi.protocol.checkpoint import Checkpoint, verify_checkpoint
from hamaporsi.protocol.cosignature import WitnessPolicy
from hamaporsi.protocol.merkle import leaf_hash, verify_inclusion
from hamaporsi.server.bundle import bundle_hash

from support.election import Election

REPO = Path(__file__).resolve().parents[2]
DIST = REPO / "web" / "dist"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class HttpError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"{status} {body}")
        self.status = status
        self.body = body


@dataclass
class Live:
    """An open election (the demo's question: yes, no, blank) served by `hamaporsi serve`."""

    el: Election
    url: str
    proc: subprocess.Popen[bytes]
    log: Path
    codes: list[str] = field(default_factory=list)

    # -- HTTP, as any client would -------------------------------------------------------------

    def get(self, path: str) -> Any:
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as e:
            raise HttpError(e.code, json.loads(e.read() or b"{}")) from None

    def post(self, path: str, data: bytes) -> Any:
        req = urllib.request.Request(self.url + path, data=data, method="POST",
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return json.loads(r.read())
        except urllib.error.HTTPError as e:
            raise HttpError(e.code, json.loads(e.read() or b"{}")) from None

    def cast(self, voter: int, selected: list[int]) -> EncryptedBallot:
        """A ballot made in Python and sent over HTTP (for pages that need one on the board)."""
        b = self.el.ballot(voter, selected)
        self.post("/api/ballots", b.bytes)
        return b

    def included(self, tc: str, timeout: float = 20.0) -> dict[str, Any]:
        """GET /api/ballots/{tc} until a signed checkpoint covers it."""
        end = time.monotonic() + timeout
        while True:
            st = self.get(f"/api/ballots/{tc}")
            if st["status"] == "included":
                return st  # type: ignore[no-any-return]
            if time.monotonic() > end:
                raise AssertionError(f"{tc} still pending after {timeout} s")
            time.sleep(0.2)

    def entry_bytes(self, index: int) -> bytes:
        """The stored bytes of entry `index`, read from the board file directly."""
        with SQLiteStore(self.el.path) as s:
            return s.entry(index)

    def check_receipt(self, receipt: dict[str, Any]) -> Checkpoint:
        """The Python check of a receipt: checkpoint signature and inclusion of the stored entry."""
        cp = Checkpoint.from_json(receipt["checkpoint"])
        verify_checkpoint(cp, self.el.manifest.board_key)
        assert cp.election_id == self.el.manifest.hash.hex()
        leaf = leaf_hash(self.entry_bytes(receipt["index"]))
        assert leaf.hex() == receipt["leaf_hash"]
        verify_inclusion(leaf, receipt["index"], cp.size,
                         [bytes.fromhex(p) for p in receipt["path"]], cp.root)
        return cp

    # -- organizer and trustees, through a board connection of their own ----------------------

    def finish(self) -> list[int]:
        """Close, tally, decrypt and publish the result (what the CLI roles do)."""
        self.el.store = SQLiteStore(self.el.path)
        self.el.eb = ElectionBoard(self.el.store, self.el.board_secret,
                                   self.el.manifest.hash.hex())
        try:
            return self.el.finish()
        finally:
            self.el.store.close()

    def export_and_verify(self, out: Path) -> Any:
        """Stop the server, export the record and run the full Python verifier on it."""
        self.stop()
        self.el.store = SQLiteStore(self.el.path)
        self.el.eb = ElectionBoard(self.el.store, self.el.board_secret,
                                   self.el.manifest.hash.hex())
        return self.el.export_and_verify(out)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def start_live(tmp: Path, voters: int = 6, checkpoint_every: float = 0.5,
               options: list[Text] | None = None, max_delay: float = 0.5,
               web: Path = DIST, witnesses: WitnessPolicy | None = None) -> Live:
    """Make the election (exactly one of `options`, by default the demo's yes, no, blank),
    write the board key file beside it, and run `hamaporsi serve` on the built booth `web`
    (web/dist; the benchmark passes web/dist-bench). The server signs a
    checkpoint once 8 entries wait or the oldest has waited `max_delay` seconds (short here,
    so that tests of a single ballot need not wait the production 30 s). `witnesses`: the
    manifest's checkpoint witnesses (spec §5.2), none by default."""
    tmp.mkdir(parents=True, exist_ok=True)
    db = tmp / "board.sqlite"
    el = Election(db, voters=voters, question=QUESTION,
                  option_texts=options or [*OPTIONS, BLANK], booth=bundle_hash(web),
                  witnesses=witnesses)
    el.open()
    el.store.close()
    el.write_board_key()
    port = free_port()
    log = tmp / "server.log"
    exe = Path(sys.executable).with_name("hamaporsi")
    cmd = [str(exe) if exe.exists() else "hamaporsi", "serve", "--db", str(db), "--host",
           "127.0.0.1", "--port", str(port), "--web", str(web), "--checkpoint-every",
           str(checkpoint_every), "--checkpoint-max-delay", str(max_delay),
           "--verify-workers", "0"]
    with open(log, "wb") as f:
        proc = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, cwd=tmp,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
    live = Live(el, f"http://127.0.0.1:{port}", proc, log, [c.code for c in el.creds])
    end = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"hamaporsi serve exited ({proc.returncode}):\n{log.read_text()}")
        try:
            live.get("/api/election")
            return live
        except (OSError, HttpError):
            if time.monotonic() > end:
                live.stop()
                raise RuntimeError(f"hamaporsi serve did not answer:\n{log.read_text()}")
            time.sleep(0.2)
