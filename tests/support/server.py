"""Helpers for driving the server in tests: its config over a test election, the board's size
through a connection of its own, one checkpointer round on demand, and `hamaporsi serve` as a
real process (start, wait until it answers, stop or kill)."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
from fastapi.testclient import TestClient  # noqa: E402

from hamaporsi.board.open import open_store  # noqa: E402
from hamaporsi.server import checkpointer  # noqa: E402
from hamaporsi.server.config import ServerConfig  # noqa: E402

from support.election import Election  # noqa: E402

JSON = {"content-type": "application/json"}
CLIENT = ("203.0.113.77", 43210)
"""The address TestClient reports for every request (a documentation range, RFC 5737)."""


def config_for(el: Election, **kw: Any) -> ServerConfig:
    """Proofs checked in a thread, checkpoints only when a test ticks. `el.path` is a file or
    a store URL (an election made on PostgreSQL)."""
    base = ServerConfig(db=str(el.path), board_secret=el.board_secret,
                        election_id=el.manifest.hash.hex(), verify_workers=0,
                        checkpoint_every=3600.0)
    return replace(base, **kw)


def stored(el: Election) -> int:
    """Entries on the board, read through a connection of its own."""
    s = open_store(el.path)
    try:
        return s.size()
    finally:
        s.close()


def tick(c: TestClient, *, force: bool = True) -> None:
    """Run one checkpointer round now; `force` signs if the log grew at all (as at shutdown),
    else only if the cadence says so (enough entries, or the oldest waited long enough)."""
    from functools import partial
    state = c.app.state  # type: ignore[attr-defined]
    assert c.portal is not None
    c.portal.call(partial(checkpointer.tick, state.service, state.caster, force=force))


def cast(c: TestClient, data: bytes, kind: str = "ballot",
         headers: dict[str, str] | None = None) -> Any:
    return c.post(f"/api/{kind}s", content=data, headers=JSON if headers is None else headers)


def error_of(r: Any, status: int, code: str) -> dict[str, Any]:
    """Check an error response: status, JSON {"error", "detail", "message"} with the code's
    sentences in both languages; returns the body."""
    from hamaporsi.server.messages import MESSAGES
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert set(body) == {"error", "detail", "message"}
    assert body["error"] == code
    assert body["detail"].strip()
    assert body["message"] == {"en": MESSAGES[code][0], "fa": MESSAGES[code][1]}
    return body


def tampered_proof(el: Election, voter: int = 0) -> bytes:
    """A ballot of `voter`, signed by its credential, whose first proof challenge is wrong."""
    from hamaporsi.crypto.group import scalar_bytes
    from hamaporsi.protocol.canonical import canonical_bytes
    from hamaporsi.protocol.signing import sign_entry
    b = el.ballot(voter, [1]).entry
    sel = [dict(s) for s in b["selections"]]
    branch = dict(sel[0]["proof"][0])
    branch["c"] = scalar_bytes((int(branch["c"], 16) + 1) % (1 << 255)).hex()
    sel[0] = {**sel[0], "proof": [branch, sel[0]["proof"][1]]}
    return canonical_bytes(sign_entry({**b, "selections": sel}, el.creds[voter].secret))


def make_booth(root: Path) -> Path:
    """A stand-in for the built booth: index.html and two assets."""
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><title>booth</title>"
                                     "<script type=module src=/assets/app.js></script>")
    (root / "assets" / "app.js").write_text("console.log('booth')\n")
    (root / "assets" / "app.css").write_text("body{margin:0}\n")
    return root


@contextmanager
def live_server(config: ServerConfig) -> Iterator[str]:
    """The app under a real uvicorn on 127.0.0.1 (a free port), in a thread, with the logging
    of `hamaporsi serve`; yields the base URL and stops the server afterwards."""
    from hamaporsi.server.run import uvicorn_config

    with uvicorn_thread(uvicorn_config(replace(config, host="127.0.0.1", port=0))) as url:
        yield url


@contextmanager
def uvicorn_thread(config: Any) -> Iterator[str]:
    """uvicorn with `config` (a uvicorn.Config on 127.0.0.1, port 0) in a thread; yields the
    base URL once it listens, and stops it afterwards."""
    from hamaporsi.server.run import in_thread
    with in_thread(config, start_timeout=30) as url:
        yield url


# -- `hamaporsi serve` as a process --------------------------------------------------------------

EXE = Path(sys.executable).with_name("hamaporsi")


def free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_board_key(path: Path, el: Election) -> Path:
    """A board key file (as `organizer create` writes one) for `el`."""
    return el.write_board_key(path)


def start_server(*args: str | Path, port: int, log: Path) -> Any:
    """`hamaporsi serve --port PORT ARGS…` in its own process, stderr and stdout to `log`;
    proofs checked in a thread, a checkpoint once 8 entries or 0.5 s wait."""
    import os
    import subprocess
    env = {**os.environ, "NO_COLOR": "1", "TERM": "dumb"}
    out = open(log, "ab")
    try:
        return subprocess.Popen(
            [str(EXE), "serve", "--port", str(port), "--verify-workers", "0",
             "--checkpoint-every", "0.2", "--checkpoint-max-delay", "0.5", *map(str, args)],
            env=env, stdout=out, stderr=subprocess.STDOUT)
    finally:
        out.close()


def _exited(proc: Any) -> str:
    """Why wait_up gave up: the exit code, and the output if the process's is piped to us."""
    out = proc.communicate() if proc.stdout is not None else None
    return f"server exited with {proc.returncode}" + (f": {out}" if out else "")


def wait_up(url: str, proc: Any, seconds: float = 60) -> None:
    """Until GET /api/election answers 200 (the process must stay alive meanwhile)."""
    import time

    import httpx
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, _exited(proc)
        try:
            if httpx.get(url + "/api/election", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError("server did not come up")


def stop_server(proc: Any, timeout: float = 60) -> int:
    """SIGINT (a clean stop: a last checkpoint is signed) and wait; the exit code."""
    import signal
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    return int(proc.wait(timeout=timeout))
