"""Time and size to mirror a board over HTTP, and a witness's cost per checkpoint (issue 4):
`hamaporsi mirror URL DIR` and `Witness.process` against a read-only `hamaporsi serve` of a
simulated record.

    .venv/bin/python bench/simulate…  (or any record dir with entries.jsonl, checkpoints.jsonl)
    .venv/bin/python bench/mirror_bench.py --record /work/bench-data/sim1m
    .venv/bin/python bench/mirror_bench.py --voters 2000          # simulates a small record

1. Loads the record into a board file (SQLite, one transaction per 10,000 entries), once.
2. Serves it read-only on 127.0.0.1 (`hamaporsi serve --read-only`), as a mirror would be.
3. Runs `hamaporsi mirror http://127.0.0.1:PORT DIR` into an empty DIR and times it: wall
   time, entries/s, the mirror's peak memory (its VmHWM), the size of DIR; then runs it once more
   (nothing new: the cost of a poll) and `hamaporsi verify DIR` is left to the reader.
4. A witness (follow.witness.Witness, in this process) follows the same server checkpoint by
   checkpoint from the start of the log for --witness-checkpoints checkpoints (the record's,
   one per 1,000 entries by default): for each, fetch the new entries and the consistency
   proof, check them, append them to its copy and cosign (with an fsync). Per checkpoint:
   median, p90 and max wall time; CPU time of the witness.
Only 127.0.0.1 is contacted. Results go to bench/mirror_results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

from machine import machine_info  # noqa: E402

from hamaporsi.board.sqlite import SQLiteStore  # noqa: E402
from hamaporsi.crypto import bip340  # noqa: E402
from hamaporsi.follow.remote import BoardClient  # noqa: E402
from hamaporsi.follow.witness import Witness  # noqa: E402
from hamaporsi.protocol.checkpoint import Checkpoint  # noqa: E402

HOST = "127.0.0.1"
EXE = Path(sys.executable).with_name("hamaporsi")


def load_board(record: Path, db: Path) -> int:
    """Copy a record's entries and checkpoints into a fresh board file; return its size."""
    if db.exists():
        with SQLiteStore(db) as s:
            return s.size()
    tmp = db.with_suffix(".partial")
    tmp.unlink(missing_ok=True)
    cps = [Checkpoint.from_json(json.loads(line)) for line in
           (record / "checkpoints.jsonl").read_text().splitlines() if line]
    with SQLiteStore(tmp) as store, open(record / "entries.jsonl", "rb") as f:
        batch: list[bytes] = []
        pending = iter(cps)
        nxt = next(pending, None)
        for line in f:
            batch.append(line.rstrip(b"\n"))
            if len(batch) == 10_000:
                store.append_many(batch)
                batch = []
                while nxt is not None and nxt.size <= store.size():
                    store.add_checkpoint(nxt)
                    nxt = next(pending, None)
        store.append_many(batch)
        while nxt is not None:
            store.add_checkpoint(nxt)
            nxt = next(pending, None)
        size = store.size()
    tmp.rename(db)
    return size


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, proc: subprocess.Popen[bytes], seconds: float) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/api/board/checkpoint", timeout=5) as r:
                if r.status == 200:
                    return time.perf_counter() - t0
        except OSError:
            time.sleep(0.5)
    raise SystemExit("server did not come up")


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def run_mirror(url: str, out: Path) -> dict[str, Any]:
    """One `hamaporsi mirror` run: wall time and the child's peak RSS (VmHWM, sampled)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([str(EXE), "mirror", url, str(out)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    peak = 0
    while proc.poll() is None:
        try:
            for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM"):
                    peak = max(peak, int(line.split()[1]))
        except OSError:
            pass
        time.sleep(0.05)
    wall = time.perf_counter() - t0
    stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"mirror failed ({proc.returncode}): {stderr.decode()[-2000:]}")
    return {"seconds": wall, "peak_mib": peak / 1024, "stdout_tail": stdout.decode()[-300:]}


def witness_cost(url: str, record: Path, n: int, out: Path) -> dict[str, Any]:
    """A fresh witness processes the record's first `n` checkpoints in order; time each."""
    shutil.rmtree(out, ignore_errors=True)
    cps = [Checkpoint.from_json(json.loads(line)) for line in
           (record / "checkpoints.jsonl").read_text().splitlines()[:n + 1] if line]
    times: list[float] = []
    sizes: list[int] = []
    with BoardClient(url) as board:
        w = Witness(out, bip340.generate_secret(), board)
        try:
            w.process(cps[0])  # the setup entries and the first ballots: not timed
            prev = cps[0].size
            cpu0 = time.process_time()
            for cp in cps[1:]:
                t = time.perf_counter()
                cs = w.process(cp)
                times.append(time.perf_counter() - t)
                if cs is None:
                    raise SystemExit(f"the witness did not cosign the checkpoint at {cp.size}")
                sizes.append(cp.size - prev)
                prev = cp.size
            cpu = time.process_time() - cpu0
        finally:
            w.close()
    s = sorted(times)
    return {"checkpoints": len(times), "entries_per_checkpoint": sum(sizes) / len(sizes),
            "median_ms": s[len(s) // 2] * 1e3, "p90_ms": s[int(len(s) * 0.9)] * 1e3,
            "max_ms": s[-1] * 1e3, "cpu_ms_per_checkpoint": cpu / len(times) * 1e3,
            "us_per_entry": sum(times) / sum(sizes) * 1e6}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--record", type=Path, help="a record directory (entries.jsonl, …)")
    ap.add_argument("--voters", type=int, default=0, help="simulate a record of N voters")
    ap.add_argument("--work", type=Path, default=BENCH / "data" / "mirror")
    ap.add_argument("--out", type=Path, default=BENCH / "mirror_results.json")
    ap.add_argument("--witness-checkpoints", type=int, default=200)
    a = ap.parse_args(argv)
    a.work.mkdir(parents=True, exist_ok=True)
    record = a.record
    if record is None:
        if not a.voters:
            ap.error("give --record DIR or --voters N")
        record = a.work / f"sim-{a.voters}"
        if not (record / "checkpoints.jsonl").exists():
            subprocess.run([str(EXE), "simulate", "--voters", str(a.voters), "--out",
                            str(record), "--force"], check=True)
    db = a.work / f"{record.name}.sqlite"
    t0 = time.perf_counter()
    size = load_board(record, db)
    print(f"board {db}: {size:,} entries ({time.perf_counter() - t0:.0f} s to load or open)")
    port = free_port()
    url = f"http://{HOST}:{port}"
    server = subprocess.Popen([str(EXE), "serve", "--read-only", "--db", str(db), "--host", HOST,
                               "--port", str(port)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        start_s = wait_ready(url, server, 1800)
        print(f"read-only server up in {start_s:.0f} s")
        out = a.work / "mirror-out"
        shutil.rmtree(out, ignore_errors=True)
        first = run_mirror(url, out)
        again = run_mirror(url, out)
        wit = witness_cost(url, record, a.witness_checkpoints, a.work / "witness-out")
    finally:
        server.terminate()
        server.wait(60)
    size_bytes = du(out)
    res = {"entries": size, "record_bytes": (record / "entries.jsonl").stat().st_size,
           "server_start_s": start_s, "mirror": first, "mirror_again": again,
           "mirror_dir_bytes": size_bytes, "witness": wit, "entries_per_s": size / first["seconds"],
           "machine": machine_info(), "load_before": os.getloadavg(),
           "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                    capture_output=True, text=True).stdout.strip()}
    a.out.write_text(json.dumps(res, indent=2) + "\n")
    print(f"| entries | mirror time | entries/s | peak MiB | dir size | re-run (no news) |\n"
          f"|---:|---:|---:|---:|---:|---:|\n"
          f"| {size:,} | {first['seconds']:.0f} s | {res['entries_per_s']:,.0f} | "
          f"{first['peak_mib']:.0f} | {size_bytes / 2**20:,.0f} MiB | "
          f"{again['seconds']:.1f} s |")
    print(f"witness: {wit['checkpoints']} checkpoints of {wit['entries_per_checkpoint']:,.0f} "
          f"entries: median {wit['median_ms']:.0f} ms, p90 {wit['p90_ms']:.0f} ms, max "
          f"{wit['max_ms']:.0f} ms; CPU {wit['cpu_ms_per_checkpoint']:.0f} ms per checkpoint; "
          f"{wit['us_per_entry']:.0f} µs per entry")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
