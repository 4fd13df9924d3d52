"""Cast throughput and p99 latency on SQLite and PostgreSQL with 1, 2 and 4 server processes
over one board (issue 4), on loopback.

    .venv/bin/python bench/cast_multi.py                       # 6 runs × (10,000 + 5,000) ballots
    .venv/bin/python bench/cast_multi.py --smoke               # 200 + 200 ballots per run
    .venv/bin/python bench/cast_multi.py --backends sqlite --procs 1,2

Each run copies the prepared open election (bench/cast_load.py's cache) into a fresh board —
an SQLite file, or a fresh schema of the PostgreSQL database at --pg (default
postgresql://postgres@127.0.0.1:5432/test) — starts N `hamaporsi serve` processes on it (each
with its own verifier workers: all cores split between the processes), then runs cast_load's
two phases with the load spread round-robin over the N servers: closed loop (C connections),
then open loop at R ballots/s. Checks that every ballot was accepted exactly once at a distinct
index. The load generator shares the 2 cores with the servers. Writes bench/cast_multi.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

from cast_load import (Server, fixed_rate, free_port, prepare, read_ballots,  # noqa: E402
                       sustained)
from machine import machine_info  # noqa: E402

from hamaporsi.board.open import open_store  # noqa: E402
from hamaporsi.board.sqlite import SQLiteStore  # noqa: E402



def fresh_board(src: Path, backend: str, pg: str, work: Path, tag: str) -> str:
    """A copy of the prepared board (nothing cast yet) as a database URL."""
    if backend == "sqlite":
        db = work / f"{tag}.sqlite"
        shutil.copy(src / "board.sqlite", db)
        return str(db)
    url = f"{pg}?schema=bench_{tag}"
    drop_schema(url)
    with SQLiteStore(src / "board.sqlite") as s, open_store(url) as d:
        d.append_many([data for _, data in s.entries()])
        for cp in s.checkpoints():
            d.add_checkpoint(cp)
    return url


def drop_schema(url: str) -> None:
    import psycopg
    base, _, schema = url.partition("?schema=")
    with psycopg.connect(base, autocommit=True) as c:
        c.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def start(url: str, key: Path, n: int, workers: int) -> list[Server]:
    return [Server(url, workers, free_port(), board_key=key) for _ in range(n)]


async def one_run(url: str, key: Path, n_procs: int, workers: int, ballots: list[bytes],
                  n_sus: int, rate: float, concurrency: int) -> dict[str, Any]:
    servers = start(url, key, n_procs, workers)
    try:
        for s in servers:
            await s.wait_ready()
        ports = [s.port for s in servers]
        sus = await sustained(ports, ballots[:n_sus], concurrency, limit_s=max(120.0, n_sus / 50))
        fix = await fixed_rate(ports, ballots[n_sus:], rate, 1024)
    finally:
        for s in servers:
            s.stop()
    return {"sustained": sus, "fixed_rate": fix}


def check_board(url: str, base_size: int, n: int) -> dict[str, Any]:
    """Every ballot stored exactly once, at dense indices after the setup entries."""
    with open_store(url) as s:
        size = s.size()
        seen = {data for _, data in s.entries(base_size, size)}
    return {"stored": size - base_size, "distinct": len(seen), "ok": size - base_size == n == len(seen)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--backends", default="sqlite,postgres")
    ap.add_argument("--procs", default="1,2,4")
    ap.add_argument("--ballots", type=int, default=10000, help="ballots of the closed loop")
    ap.add_argument("--rate", type=float, default=500.0)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--out", type=Path, default=BENCH / "cast_multi.json")
    a = ap.parse_args(argv)
    if a.smoke:
        a.ballots, a.rate, a.seconds = 200, 100.0, 2.0
    n_rate = int(a.rate * a.seconds)
    total = a.ballots + n_rate
    src = prepare(total, 2, os.cpu_count() or 1)
    ballots = read_ballots(src / "ballots.bin")[:total]
    with SQLiteStore(src / "board.sqlite") as s:
        base = s.size()
    work = BENCH / "data" / f"multi-{os.getpid()}"
    work.mkdir(parents=True, exist_ok=True)
    key = work / "board.key.json"
    shutil.copy(src / "board.key.json", key)
    runs: list[dict[str, Any]] = []
    try:
        for backend in a.backends.split(","):
            for n in (int(x) for x in a.procs.split(",")):
                workers = max(1, (os.cpu_count() or 1) // n)
                tag = f"{os.getpid()}_{backend}_{n}"
                url = fresh_board(src, backend, a.pg, work, tag)
                print(f"{backend}, {n} process(es), {workers} verifier(s) each …", flush=True)
                r = asyncio.run(one_run(url, key, n, workers, ballots, a.ballots, a.rate,
                                        a.concurrency))
                r.update({"backend": backend, "processes": n, "verify_workers": workers,
                          "board": check_board(url, base, total)})
                runs.append(r)
                s, f = r["sustained"], r["fixed_rate"]
                print(f"  sustained {s['accepted_per_s']:,.0f}/s p99 {s['p99_ms']:.1f} ms; "
                      f"{f['target_per_s']:.0f}/s: p99 {f['p99_ms']:.1f} ms; board {r['board']}")
                if backend == "postgres":
                    drop_schema(url)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows = ["| backend | processes | sustained accepted/s | p50 ms | p99 ms | "
            f"p99 ms at {a.rate:.0f}/s | all stored once |", "|---|---:|---:|---:|---:|---:|---|"]
    for r in runs:
        s, f = r["sustained"], r["fixed_rate"]
        rows.append(f"| {r['backend']} | {r['processes']} | {s['accepted_per_s']:,.0f} | "
                    f"{s['p50_ms']:.1f} | {s['p99_ms']:.1f} | {f['p99_ms']:.1f} | "
                    f"{'yes' if r['board']['ok'] else 'NO'} |")
    print("\n".join(rows))
    ok = all(r["board"]["ok"] for r in runs)
    a.out.write_text(json.dumps({
        "runs": runs, "ok": ok, "machine": machine_info(),
        "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                 capture_output=True, text=True).stdout.strip(),
        "command": " ".join(["bench/cast_multi.py", *(argv or sys.argv[1:])])}, indent=2) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
