"""The server as people run it: `hamaporsi serve` in its own process on 127.0.0.1 while the
organizer, a voter and the trustees use the CLI on the same board file — the server follows
their entries (close, tally, result) and shows the result; and `hamaporsi demo --serve`, voted
in over HTTP with a code from its codes file, finishing and verifying after Ctrl-C."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.console import Console

from hamaporsi.cli.demo import DemoConfig, set_up, write_role_files
from hamaporsi.cli.main import main
from hamaporsi.crypto.group import Point
from hamaporsi.protocol.ballot import encrypt_ballot
from hamaporsi.protocol.checkpoint import Checkpoint
from hamaporsi.protocol.cosignature import Cosignature, WitnessPolicy
from hamaporsi.protocol.credentials import Credential
from hamaporsi.protocol.election import ElectionContext
from hamaporsi.protocol.manifest import parse_manifest

from support.server import EXE, JSON, free_port, wait_up

pytestmark = pytest.mark.slow
CLIENT_ADDRESS = "127.0.0.3"


def start(*args: str | Path, cwd: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}
    return subprocess.Popen([str(EXE), *map(str, args)], cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def stop(proc: subprocess.Popen[str], timeout: float = 120) -> tuple[int, str, str]:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def cli(*argv: str | Path) -> str:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        rc = main([str(a) for a in argv])
    assert rc == 0, f"{argv}: {err.getvalue()}"
    return out.getvalue()


def context_from(info: dict[str, Any]) -> ElectionContext:
    """What a booth does with GET /api/election."""
    c = info["context"]
    ctx = ElectionContext.create(parse_manifest(info["manifest"]),
                                 Point.decode(bytes.fromhex(c["joint_key"])),
                                 c["credential_count"], bytes.fromhex(c["credential_hash"]))
    assert ctx.hash.hex() == c["election"]
    return ctx


def wait_included(h: httpx.Client, tc: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        s = h.get(f"/api/ballots/{tc}").json()
        if s["status"] == "included":
            return s
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_cli_roles_work_against_a_running_server(tmp_path: Path) -> None:
    cfg = DemoConfig(voters=4, trustees=3, threshold=2, out=tmp_path / "ref")
    r = set_up(cfg, Console(file=io.StringIO()))
    keys = write_role_files(r, cfg.out)
    r.eb.board.store.close()
    db, port = r.db, free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start("serve", "--db", db, "--port", port, "--checkpoint-every", "0.2",
                 "--checkpoint-max-delay", "0.5", "--verify-workers", "1", cwd=tmp_path)
    try:
        wait_up(url, proc)
        transport = httpx.HTTPTransport(local_address=CLIENT_ADDRESS)
        with httpx.Client(base_url=url, transport=transport, timeout=30) as h:
            ctx = context_from(h.get("/api/election").json())
            casts = [(0, 0), (1, 1), (2, 0), (1, 0)]  # voter 1 re-votes: yes, then no → yes
            codes = []
            for voter, choice in casts:
                c = r.creds[voter]
                b = encrypt_ballot(ctx, c.secret, c.public, [choice])
                resp = h.post("/api/ballots", content=b.bytes, headers=JSON)
                assert resp.status_code == 201, resp.text
                codes.append(resp.json()["tracking_code"])
            assert wait_included(h, codes[1])["superseded"] is True
            # a voter casts from the CLI, on the same file: the server sees it
            cli("voter", "cast", "--board", db, "--code", r.creds[3].code, "--choice", "2")
            want = {"eligible": 4, "voters": 4, "ballots": 5, "audits": 0}
            deadline = time.monotonic() + 30  # turnout moves with the next checkpoint
            while h.get("/api/results").json()["turnout"] != want:
                assert time.monotonic() < deadline, "turnout never counted the CLI's ballot"
                time.sleep(0.05)
            org = keys["organizer"]
            cli("organizer", "close", "--board", db, "--organizer", org)
            late = encrypt_ballot(ctx, r.creds[0].secret, r.creds[0].public, [1])
            resp = h.post("/api/ballots", content=late.bytes, headers=JSON)
            assert resp.status_code == 409 and resp.json()["error"] == "voting_closed"
            assert h.get("/api/election").json()["phase"] == "closed"
            cli("tally", "sum", "--board", db, "--organizer", org)
            k = cfg.out / "keys"
            for j in (1, 3):
                cli("trustee", "decrypt", "--board", db, "--key", k / f"trustee{j}.json",
                    "--state", k / f"trustee{j}.state.json")
            cli("tally", "result", "--board", db, "--organizer", org)
            res = h.get("/api/results").json()
            assert res["phase"] == "done"
            assert res["result"]["counts"] == [3, 0, 1]  # yes: 0, 1 (re-vote), 2; blank: 3
            assert res["result"]["voted"] == 4 and res["result"]["trustees"] == [1, 3]
            cps = h.get("/api/board/checkpoints").json()["checkpoints"]
            assert cps[0]["size"] == h.get("/api/board/entries?start=0").json()["entries"] \
                .__len__()
    finally:
        rc, out, err = stop(proc)
    assert rc == 0, err
    assert CLIENT_ADDRESS not in out + err
    assert not any(tc in out + err for tc in codes)


def test_demo_serve_then_ctrl_c_finishes_and_verifies(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start("demo", "--serve", "--voters", "3", "--seed", "1", "--out", "d", "--port", port,
                 "--checkpoint-every", "0.2", "--checkpoint-max-delay", "0.5",
                 "--verify-workers", "0", "--workers", "1",
                 cwd=tmp_path)
    try:
        wait_up(url, proc)
        code = (tmp_path / "d" / "voters" / "codes.txt").read_text().split()[0]
        cred = Credential.from_code(code)
        with httpx.Client(base_url=url, timeout=30) as h:
            info = h.get("/api/election").json()
            assert info["phase"] == "voting"
            b = encrypt_ballot(context_from(info), cred.secret, cred.public, [1])
            policy = WitnessPolicy.from_json(info["manifest"]["witnesses"])
            assert policy.threshold == len(policy.keys) == 2  # the demo's default
            resp = h.post("/api/ballots", content=b.bytes, headers=JSON)
            assert resp.status_code == 201, resp.text
            st = wait_included(h, resp.json()["tracking_code"])
            cp = Checkpoint.from_json(st["checkpoint"])
            got = [Cosignature.from_json(c) for c in st["cosignatures"]]
            assert len(policy.require(cp, got)) == 2  # included only once both cosigned
    finally:
        rc, out, err = stop(proc)
    assert rc == 0, out + err
    assert "Vote in a browser:" in out and url in out
    assert "VALID" in out and "INVALID" not in out
    assert "Witnesses: 2 of 2 cosigned the last checkpoint" in out
    assert "cosigned by 2 of 2 witnesses" in " ".join(out.split())
    record = tmp_path / "d" / "record"
    last = Checkpoint.from_json(json.loads(
        (record / "checkpoints.jsonl").read_text().splitlines()[-1]))
    final = [Cosignature.from_bytes(x.encode()) for x in
             (record / "cosignatures.jsonl").read_text().splitlines()]
    assert len(policy.require(last, final)) == 2  # the record's last checkpoint is witnessed
    for i in (1, 2):
        assert (tmp_path / "d" / "keys" / f"witness{i}.json").stat().st_mode & 0o777 == 0o600
        assert (tmp_path / "d" / "witnesses" / f"witness-{i}" / "cosignatures.jsonl").exists()
    assert (tmp_path / "d" / "keys" / "organizer.json").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "d" / "record" / "entries.jsonl").read_bytes().count(b'"type":"ballot"') \
        == 1


def test_demo_witness_count_is_checked() -> None:
    for argv in (["demo", "--witnesses", "9", "--out", "unused"],
                 ["demo", "--serve", "--witnesses", "-1", "--out", "unused"]):
        with pytest.raises(SystemExit, match="between 0 and 8"):
            main(argv)
