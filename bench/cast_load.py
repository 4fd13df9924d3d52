"""Cast throughput and latency of `hamaporsi serve` under load, on loopback (issue 3).

    .venv/bin/python bench/cast_load.py                      # 20,000 + 10,000 ballots (~2 min)
    .venv/bin/python bench/cast_load.py --smoke              # 200 + 200 ballots, a few seconds
    .venv/bin/python bench/cast_load.py --options 3 --out bench/cast_results-3opt.json

1. Sets up an open election with one credential per ballot (manifest, ceremony, credentials,
   open) and pre-encrypts every ballot in a process pool; both are cached in bench/data/ (the
   board file is copied fresh for each run, since the server appends to it).
2. Starts `hamaporsi serve` on 127.0.0.1 (a free port) as a subprocess: one uvicorn process, the
   proof checks in its verifier worker processes, checkpoints every 2 s.
3. Phase "sustained": C keep-alive connections post all N ballots as fast as the server takes
   them (closed loop); accepted ballots per second of wall time, p50/p99 latency.
4. Phase "fixed rate": R ballots/s open loop for T seconds (each request is due at t0 + i/R;
   latency counts from when it was due, so a server falling behind shows in p99).
5. Checks every ballot was accepted (201) and the server counts them all; prints a table and
   writes bench/cast_results.json (--smoke: bench/cast_results-smoke.json).

The load generator shares the 2 cores with the server: its own CPU time is reported beside the
server's (main process and verifier workers). HTTP is hand-written HTTP/1.1 over asyncio
streams, far cheaper per request than an HTTP client library. Only 127.0.0.1 is ever contacted;
every phase is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

from make_record import setup_election  # noqa: E402

from hamaporsi.board.election_board import ElectionBoard  # noqa: E402
from hamaporsi.board.sqlite import SQLiteStore  # noqa: E402
from hamaporsi.protocol.ballot import encrypt_ballot  # noqa: E402
from hamaporsi.server.verifier import ContextBytes  # noqa: E402

HOST = "127.0.0.1"
TICK = os.sysconf("SC_CLK_TCK")
FORMAT = 1

# -- setup: board and ballots (cached) ---------------------------------------------------------

_CTX: Any = None


def _init(spec: ContextBytes) -> None:
    global _CTX
    _CTX = spec.context()


def _encrypt(job: list[tuple[bytes, bytes, int]]) -> list[bytes]:
    return [encrypt_ballot(_CTX, s, p, [c]).bytes for s, p, c in job]


def prepare(n: int, options: int, workers: int) -> Path:
    """bench/data/cast-<options>opt-<n>/: board.sqlite (open, nothing cast), board.key.json,
    ballots.bin (n canonical ballots, one credential each, 4-byte length before each)."""
    d = BENCH / "data" / f"cast-{options}opt-{n}"
    meta = d / "meta.json"
    if meta.exists() and json.loads(meta.read_text()).get("format") == FORMAT:
        return d
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    t0 = time.perf_counter()
    s = setup_election(n, options=options)
    with SQLiteStore(d / "board.sqlite") as store:
        eb = ElectionBoard(store, s.board_secret, s.manifest.hash.hex())
        for e in s.entries:
            eb.submit(e)
        eb.checkpoint()
        spec = ContextBytes.of(store.entry(0), s.ctx)
    (d / "board.key.json").write_text(json.dumps(
        {"role": "board", "board_secret": s.board_secret.hex(),
         "election": s.manifest.hash.hex()}))
    jobs = [[(sec, pub, i % options) for i, (sec, pub) in
             enumerate(s.credentials[lo:lo + 500], lo)] for lo in range(0, n, 500)]
    done = 0
    with open(d / "ballots.bin", "wb") as f, \
            ProcessPoolExecutor(workers, initializer=_init, initargs=(spec,)) as pool:
        for chunk in pool.map(_encrypt, jobs):
            for b in chunk:
                f.write(len(b).to_bytes(4, "big") + b)
            done += len(chunk)
            print(f"\r  encrypting ballots: {done}/{n}", end="", flush=True)
    print(f"\r  prepared {n} ballots ({options} options) in {time.perf_counter() - t0:.0f} s")
    meta.write_text(json.dumps({"format": FORMAT, "n": n, "options": options}))
    return d


def read_ballots(path: Path) -> list[bytes]:
    data = path.read_bytes()
    out, i = [], 0
    while i < len(data):
        n = int.from_bytes(data[i:i + 4], "big")
        out.append(data[i + 4:i + 4 + n])
        i += 4 + n
    return out


# -- the server ------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> tuple[float, float]:
    """CPU time (user + system) of the process and of its live children (the verifiers)."""
    def one(p: int) -> float:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / TICK

    children = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                children += one(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return one(pid), children


class Server:
    """`hamaporsi serve` on 127.0.0.1:`port` as a subprocess; `board_key` for a database URL
    (an SQLite file has its key file beside it)."""

    def __init__(self, db: Path | str, workers: int, port: int,
                 board_key: Path | None = None) -> None:
        self.port = port
        exe = Path(sys.executable).with_name("hamaporsi")
        key = ["--board-key", str(board_key)] if board_key is not None else []
        self.proc = subprocess.Popen(
            [str(exe), "serve", "--db", str(db), *key, "--host", HOST, "--port", str(port),
             "--checkpoint-every", "2", "--checkpoint-max-delay", "2",
             "--verify-workers", str(workers)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    async def wait_ready(self, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"server exited: {self.proc.stderr.read() if self.proc.stderr else ''}")
            try:
                c = await Conn.open(self.port)
                status, body = await c.request(b"GET", b"/api/election")
                c.close()
                if status == 200 and json.loads(body)["phase"] == "voting":
                    return
            except OSError:
                pass
            await asyncio.sleep(0.2)
        raise SystemExit("server did not come up")

    def stop(self) -> str:
        self.proc.send_signal(signal.SIGINT)
        try:
            _, err = self.proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return err or ""


# -- a minimal HTTP/1.1 client -----------------------------------------------------------------

class Conn:
    """One keep-alive HTTP/1.1 connection to 127.0.0.1."""

    def __init__(self, port: int, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter) -> None:
        self.port, self.reader, self.writer = port, reader, writer

    @staticmethod
    async def open(port: int) -> Conn:
        reader, writer = await asyncio.open_connection(HOST, port)
        return Conn(port, reader, writer)

    async def request(self, method: bytes, path: bytes, body: bytes = b"") -> tuple[int, bytes]:
        head = (method + b" " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + (b"Content-Type: application/json\r\nContent-Length: "
                   + str(len(body)).encode() + b"\r\n" if method == b"POST" else b"")
                + b"\r\n")
        self.writer.write(head + body)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("server closed the connection")
        status = int(status_line.split()[1])
        length, close = 0, False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        data = await self.reader.readexactly(length) if length else b""
        if close:
            self.close()
        return status, data

    def close(self) -> None:
        self.writer.close()


async def post(conn: Conn, ballot: bytes) -> tuple[Conn, int, bytes]:
    """POST a ballot; reconnect once if the server had closed the connection."""
    try:
        status, body = await conn.request(b"POST", b"/api/ballots", ballot)
    except (ConnectionError, asyncio.IncompleteReadError):
        conn = await Conn.open(conn.port)
        status, body = await conn.request(b"POST", b"/api/ballots", ballot)
    return conn, status, body


# -- phases ----------------------------------------------------------------------------------

def percentile(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, round(q * len(s) + 0.5) - 1))]


async def sustained(port: int | list[int], ballots: list[bytes], concurrency: int,
                    limit_s: float) -> dict[str, Any]:
    """Closed loop: `concurrency` connections post every ballot as fast as answered (spread
    round-robin over the servers when `port` lists several)."""
    ports = port if isinstance(port, list) else [port]
    it = iter(ballots)
    lat: list[float] = []
    statuses: dict[int, int] = {}
    errors: list[str] = []
    deadline = time.monotonic() + limit_s

    async def worker(k: int) -> None:
        conn = await Conn.open(ports[k % len(ports)])
        for b in it:
            if time.monotonic() > deadline:
                break
            t = time.perf_counter()
            conn, status, body = await post(conn, b)
            lat.append(time.perf_counter() - t)
            statuses[status] = statuses.get(status, 0) + 1
            if status != 201 and len(errors) < 5:
                errors.append(body[:200].decode(errors="replace"))
        conn.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(k) for k in range(concurrency)))
    wall = time.perf_counter() - t0
    ok = statuses.get(201, 0)
    return {"ballots": len(lat), "accepted": ok, "statuses": statuses, "errors": errors,
            "seconds": wall, "accepted_per_s": ok / wall, "p50_ms": percentile(lat, 0.5) * 1e3,
            "p99_ms": percentile(lat, 0.99) * 1e3, "max_ms": max(lat, default=0) * 1e3,
            "concurrency": concurrency}


async def fixed_rate(port: int | list[int], ballots: list[bytes], rate: float,
                     max_conns: int) -> dict[str, Any]:
    """Open loop: ballot i is due at t0 + i/rate; latency from when it was due (connections
    spread round-robin over the servers when `port` lists several)."""
    ports = port if isinstance(port, list) else [port]
    idle: list[Conn] = [await Conn.open(ports[k % len(ports)])
                        for k in range(min(32, max_conns))]
    opened = len(idle)
    lat: list[float] = []
    when: list[float] = []  # due time of each answered request, seconds from the start
    statuses: dict[int, int] = {}
    errors: list[str] = []

    async def one(b: bytes, due: float) -> None:
        nonlocal opened
        if idle:
            conn = idle.pop()
        else:
            opened += 1
            conn = await Conn.open(ports[opened % len(ports)])
        conn, status, body = await post(conn, b)
        lat.append(time.perf_counter() - due)
        when.append(due - t0)
        statuses[status] = statuses.get(status, 0) + 1
        if status != 201 and len(errors) < 5:
            errors.append(body[:200].decode(errors="replace"))
        idle.append(conn)

    tasks = []
    t0 = time.perf_counter() + 0.1
    for i, b in enumerate(ballots):
        due = t0 + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(b, due)))
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=120)
    wall = time.perf_counter() - t0
    for c in idle:
        c.close()
    ok = statuses.get(201, 0)
    return {"ballots": len(lat), "accepted": ok, "statuses": statuses, "errors": errors,
            "target_per_s": rate, "seconds": wall, "accepted_per_s": ok / wall,
            "p50_ms": percentile(lat, 0.5) * 1e3, "p99_ms": percentile(lat, 0.99) * 1e3,
            "max_ms": max(lat, default=0) * 1e3, "connections": opened,
            "slowest": [{"due_s": round(w, 3), "ms": round(x * 1e3, 1)} for x, w in
                        sorted(zip(lat, when), reverse=True)[:10]]}


async def run(args: argparse.Namespace, board: Path, ballots: list[bytes]) -> dict[str, Any]:
    n_sus = args.ballots
    port = free_port()
    server = Server(board, args.verify_workers, port)
    try:
        await server.wait_ready()
        print(f"  server on {HOST}:{port}, {args.verify_workers} verifier processes")
        results: dict[str, Any] = {}
        for name, coro in (
                ("sustained", lambda: sustained(port, ballots[:n_sus], args.concurrency,
                                                limit_s=max(120.0, n_sus / 50))),
                ("fixed_rate", lambda: fixed_rate(port, ballots[n_sus:], args.rate, 1024))):
            srv0, kids0, me0 = *cpu_seconds(server.proc.pid), time.process_time()
            r = await coro()
            srv1, kids1, me1 = *cpu_seconds(server.proc.pid), time.process_time()
            r["cpu_s"] = {"server_main": srv1 - srv0, "server_verifiers": kids1 - kids0,
                          "load_generator": me1 - me0}
            results[name] = r
            print(f"  {name}: {r['accepted']}/{r['ballots']} accepted, "
                  f"{r['accepted_per_s']:.0f}/s, p50 {r['p50_ms']:.1f} ms, "
                  f"p99 {r['p99_ms']:.1f} ms")
        # Turnout is published as of the latest signed checkpoint: wait for one to cover all.
        c = await Conn.open(port)
        for _ in range(40):
            status, body = await c.request(b"GET", b"/api/results")
            turnout = json.loads(body)["turnout"]
            if turnout["ballots"] >= len(ballots):
                break
            await asyncio.sleep(0.25)
        c.close()
        results["server_turnout"] = turnout
    finally:
        err = server.stop()
    results["server_log_lines"] = len(err.splitlines())
    return results


def table(res: dict[str, Any]) -> str:
    rows = [("phase", "ballots", "accepted/s", "p50 ms", "p99 ms", "max ms",
             "CPU s: server / verifiers / client")]
    for name in ("sustained", "fixed_rate"):
        r = res[name]
        label = (f"sustained, {r['concurrency']} connections" if name == "sustained"
                 else f"fixed {r['target_per_s']:.0f}/s, open loop")
        c = r["cpu_s"]
        rows.append((label, f"{r['accepted']}/{r['ballots']}", f"{r['accepted_per_s']:,.0f}",
                     f"{r['p50_ms']:.1f}", f"{r['p99_ms']:.1f}", f"{r['max_ms']:.0f}",
                     f"{c['server_main']:.1f} / {c['server_verifiers']:.1f} / "
                     f"{c['load_generator']:.1f}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ballots", type=int, default=20000, help="ballots of the sustained phase")
    p.add_argument("--rate", type=float, default=500.0, help="ballots/s of the fixed-rate phase")
    p.add_argument("--seconds", type=float, default=20.0, help="length of the fixed-rate phase")
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--options", type=int, default=2, choices=(2, 3),
                   help="2: yes/no (one ciphertext, one proof); 3: yes/no/blank")
    p.add_argument("--verify-workers", type=int, default=os.cpu_count() or 1)
    p.add_argument("--smoke", action="store_true", help="200 + 200 ballots (100/s for 2 s)")
    p.add_argument("--out", default=None)
    a = p.parse_args(argv)
    if a.smoke:
        a.ballots, a.rate, a.seconds = 200, 100.0, 2.0
    out = Path(a.out) if a.out else BENCH / ("cast_results-smoke.json" if a.smoke
                                             else "cast_results.json")
    n_rate = int(a.rate * a.seconds)
    total = a.ballots + n_rate
    print(f"cast load: {a.ballots} ballots sustained + {n_rate} at {a.rate:.0f}/s, "
          f"{a.options} options")
    d = prepare(total, a.options, os.cpu_count() or 1)
    ballots = read_ballots(d / "ballots.bin")
    load_before = os.getloadavg()
    work = BENCH / "data" / f"cast-run-{os.getpid()}"
    work.mkdir(parents=True, exist_ok=True)
    try:
        for name in ("board.sqlite", "board.key.json"):
            shutil.copy(d / name, work / name)
        t0 = time.time()
        res = asyncio.run(run(a, work / "board.sqlite", ballots))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    accepted = res["sustained"]["accepted"] + res["fixed_rate"]["accepted"]
    ok = accepted == total and res["server_turnout"]["ballots"] == total
    res.update({
        "ok": ok, "options": a.options, "verify_workers": a.verify_workers,
        "when": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t0)),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(),
                    "load_average_at_start": load_before},
        "targets": {"sustained_accepted_per_s": 1000, "p99_ms_at_500_per_s": 100},
        "command": " ".join([Path(sys.argv[0]).name, *(argv or sys.argv[1:])])})
    print(table(res))
    print(f"targets: ≥ 1,000 accepted/s sustained; p99 < 100 ms at 500/s. "
          f"All {total} ballots accepted and counted: {'yes' if ok else 'NO'}")
    out.write_text(json.dumps(res, indent=2) + "\n")
    print(f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
