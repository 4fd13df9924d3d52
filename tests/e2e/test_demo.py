"""The `hamaporsi` console script end to end: a demo referendum, then `verify` on its record,
then `verify` on a copy with one byte changed."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

EXE = Path(sys.executable).with_name("hamaporsi")


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}
    return subprocess.run([str(EXE), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("e2e")
    r = run("demo", "--voters", "30", "--trustees", "3", "--threshold", "2", "--seed", "5",
            "--out", "tmp", cwd=base)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "VALID" in r.stdout and "INVALID" not in r.stdout
    assert "Witnesses: 2 of 2 cosigned the last checkpoint" in r.stdout  # the default
    assert "cosigned by 2 of 2 witnesses" in " ".join(r.stdout.split())
    return base / "tmp"


def test_console_script_is_installed() -> None:
    assert EXE.exists(), f"{EXE} missing: is the package installed in this venv?"


def test_demo_writes_record_and_chart(demo_dir: Path) -> None:
    rec = demo_dir / "record"
    entries = (rec / "entries.jsonl").read_bytes()
    cps = (rec / "checkpoints.jsonl").read_bytes()
    assert entries.endswith(b"\n") and cps.endswith(b"\n")
    assert entries.count(b"\n") > 30 + 10  # setup + at least one ballot per voter + tally
    assert (demo_dir / "result.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len((demo_dir / "voters" / "codes.txt").read_text().split()) == 30
    assert (rec / "cosignatures.jsonl").read_bytes().count(b"\n") >= 2  # the witnesses


@pytest.mark.parametrize("target", ["record", "out-dir"])
def test_verify_valid(demo_dir: Path, target: str) -> None:
    path = demo_dir / "record" if target == "record" else demo_dir  # `verify DIR` finds DIR/record
    r = run("verify", str(path), "--workers", "2", cwd=demo_dir)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "VALID" in r.stdout and "INVALID" not in r.stdout


def test_verify_one_byte_changed(demo_dir: Path, tmp_path: Path) -> None:
    rec = tmp_path / "record"
    shutil.copytree(demo_dir / "record", rec)
    data = bytearray((rec / "entries.jsonl").read_bytes())
    lines = bytes(data).split(b"\n")
    n = next(i for i, x in enumerate(lines) if b'"type":"ballot"' in x and x.startswith(b'{"cred'))
    start = sum(len(x) + 1 for x in lines[:n])
    pos = start + lines[n].index(b'"alpha":"') + len(b'"alpha":"') + 20  # a hex digit
    data[pos] = ord("1") if data[pos] != ord("1") else ord("2")
    (rec / "entries.jsonl").write_bytes(bytes(data))
    r = run("verify", str(rec), "--workers", "1", cwd=tmp_path)
    assert r.returncode == 1, r.stdout + r.stderr
    m = re.search(r"INVALID\W+(V\d+) failed at (entry \d+|record)", r.stdout)
    assert m is not None, r.stdout
    assert m.group(1) == "V15"  # the changed ballot's leaf no longer matches the checkpoint


def test_verify_expect_election(demo_dir: Path) -> None:
    r = run("verify", str(demo_dir), "--workers", "1", "--expect-election", "00" * 32,
            cwd=demo_dir)
    assert r.returncode == 1
    out = r.stdout.replace("\n", "")
    assert "INVALID: V1 failed at entry 0" in out and "not the expected " + "00" * 32 in out


def test_verify_refuses_a_path_that_is_not_a_record(tmp_path: Path) -> None:
    p = run("verify", str(tmp_path / "missing"), cwd=tmp_path)
    assert p.returncode == 2 and "is not a record directory" in p.stderr
    assert "Traceback" not in p.stderr


def test_demo_refuses_bad_counts(tmp_path: Path) -> None:
    for args in (["--voters", "0"], ["--trustees", "2", "--threshold", "3"]):
        p = run("demo", *args, "--out", str(tmp_path / "d"), cwd=tmp_path)
        assert p.returncode != 0 and "error:" in p.stderr and "Traceback" not in p.stderr
        assert not (tmp_path / "d" / "board.sqlite").exists()
