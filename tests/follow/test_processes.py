"""The programs as people run them, each in its own process on 127.0.0.1: `hamaporsi serve`,
a `hamaporsi witness run` with its feed, ballots arriving over HTTP, then `hamaporsi mirror`."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from follow.helpers import witnessed_election
from support.server import JSON

pytestmark = pytest.mark.slow
EXE = Path(sys.executable).with_name("hamaporsi")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(*args: str | Path) -> subprocess.Popen[str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}
    return subprocess.Popen([str(EXE), *map(str, args)], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for(what: str, proc: subprocess.Popen[str], check: object) -> object:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, (what, proc.communicate())
        try:
            got = check()  # type: ignore[operator]
            if got:
                return got
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{what}: timed out")


def stop(proc: subprocess.Popen[str]) -> tuple[int, str, str]:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out, err


def test_serve_witness_and_mirror_processes(tmp_path: Path) -> None:
    key = tmp_path / "witness.key.json"
    subprocess.run([str(EXE), "witness", "keygen", "--out", str(key)], check=True,
                   capture_output=True)
    pub = json.loads((tmp_path / "witness.key.pub.json").read_text())["public_key"]
    el = witnessed_election(tmp_path / "board.sqlite", [bytes.fromhex(pub)], 1)
    el.open()
    el.store.close()
    el.write_board_key()
    port, feed_port = free_port(), free_port()
    url, feed = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{feed_port}"
    server = start("serve", "--db", tmp_path / "board.sqlite", "--port", port,
                   "--checkpoint-every", "0.2", "--checkpoint-min-entries", "1",
                   "--verify-workers", "0")
    witness = None
    ok = False
    try:
        wait_for("server", server, lambda: httpx.get(url + "/api/election").status_code == 200)
        witness = start("witness", "run", "--board", url, "--key", key, "--dir",
                        tmp_path / "w", "--election", el.manifest.hash.hex(), "--listen",
                        f"127.0.0.1:{feed_port}", "--interval", "0.3")
        for v in range(3):
            r = httpx.post(url + "/api/ballots", content=el.ballot(v, [v % 3]).bytes,
                           headers=JSON, timeout=30)
            assert r.status_code == 201, r.text
        last = r.json()["index"]

        def cosigned() -> int:
            r = httpx.get(url + "/api/board/checkpoint")
            if r.status_code != 200:
                return 0
            cp = r.json()
            got = httpx.get(url + "/api/board/cosignatures", params={"size": cp["size"]}).json()
            return cp["size"] if cp["size"] > last and got["cosignatures"] else 0

        size = wait_for("a cosigned checkpoint covering the ballots", witness, cosigned)
        head = httpx.get(feed + "/witness").json()
        assert head["witness"] == pub and head["election"] == el.manifest.hash.hex()
        assert head["latest"]["checkpoint"]["size"] >= size

        mirror = subprocess.run([str(EXE), "mirror", url, str(tmp_path / "m"), "--election",
                                 el.manifest.hash.hex()], capture_output=True, text=True,
                                timeout=120)
        assert mirror.returncode == 0, mirror.stderr
        got = re.search(r"record up to size ([\d,]+)", mirror.stdout)
        assert got is not None and int(got.group(1).replace(",", "")) >= size, mirror.stdout
        lines = (tmp_path / "m" / "cosignatures.jsonl").read_text().splitlines()
        assert lines and all(json.loads(x)["witness"] == pub for x in lines)

        # a following mirror picks up a later ballot once it is witnessed; SIGTERM stops it
        follower = start("mirror", url, tmp_path / "m", "--follow", "--interval", "0.2")
        try:
            r = httpx.post(url + "/api/ballots", content=el.ballot(3, [1]).bytes, headers=JSON,
                           timeout=30)
            assert r.status_code == 201, r.text
            later = r.json()["index"] + 1
            state = tmp_path / "m" / "record-state.json"
            wait_for("the mirror's record to reach the later ballot", follower,
                     lambda: json.loads(state.read_text())["size"] >= later)
        finally:
            follower.send_signal(signal.SIGTERM)
            out, err = follower.communicate(timeout=60)
        assert follower.returncode == 0, err
        assert "record up to size" in out, out
        ok = True
    finally:
        if witness is not None:
            rc, out, err = stop(witness)
            if ok:  # else the first failure is the one to see
                assert rc == 0, err
                assert "cosigned checkpoint of size" in out
        stop(server)
