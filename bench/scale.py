"""The scaling curve of whole-record verification (issue 5): time, ballots/s and peak memory at
several record sizes, on 1 and 2 local processes and on a local Dask cluster of 2 workers, with
a projection for 61M ballots on 100 cores from the measured per-ballot costs.

    .venv/bin/python bench/scale.py                        # smoke: 2k ballots (about 30 s)
    .venv/bin/python bench/scale.py --sizes 10000,100000,1000000 --doc docs/performance.md

Records are made by `hamaporsi.sim` (every voter votes, 2% re-vote, 1% audit first; two
options) and cached in bench/data/scale-n<N>/ (gitignored). Each verification runs in a fresh
subprocess; this process samples the RSS of that subprocess and all its descendants every
50 ms (/proc), so the pool's and Dask's worker processes are included. Writes
bench/scale_results.json, prints a Markdown table, plots docs/scaling.png and, with --doc,
rewrites the part of docs/performance.md between the `scaling:begin/end` markers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DATA = BENCH / "data"
MODES = ("w1", "w2", "dask2")
MODE_LABEL = {"w1": "1 process", "w2": "2 processes", "dask2": "Dask, 2 workers"}
TARGET_N, TARGET_CORES = 61_000_000, 100
PAGE = os.sysconf("SC_PAGE_SIZE")


# -- records ------------------------------------------------------------------------------------

def ensure_record(n: int, gen_workers: int, log: Any) -> tuple[Path, dict[str, Any]]:
    """The cached simulated record of n voters (generated if missing)."""
    from hamaporsi.sim.generate import FORMAT, SimConfig, simulate
    from hamaporsi.sim.voters import Rates
    out = DATA / f"scale-n{n}"
    rates = Rates(abstain=0.0, audit=0.01, revote=0.02)
    try:
        s = json.loads((out / "simulation.json").read_text())
        if (s["format"], s["voters"], s["rates"]) == (FORMAT, n, asdict(rates)):
            log(f"  record {out.name}: cached ({s['entries']:,} entries)")
            return out, s
    except (OSError, ValueError, KeyError):
        pass
    log(f"  simulating {n:,} voters into {out} with {gen_workers} processes …")
    s = simulate(SimConfig(voters=n, out=out, workers=gen_workers, rates=rates, force=True))
    log(f"  … {s['entries']:,} entries in {s['seconds']['total']:.1f} s "
        f"(ballots {s['seconds']['ballots']:.1f} s)")
    return out, s


# -- one verification in a child process ------------------------------------------------------

def child(mode: str, record: str) -> None:
    """Run one verification and print what it measured as JSON (called with --child)."""
    import logging

    from hamaporsi.verify.backends import Parallel
    from hamaporsi.verify.runner import verify_record
    cluster, t_cluster = None, 0.0
    if mode == "dask2":
        from distributed import LocalCluster
        t = time.perf_counter()
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               dashboard_address=":0", silence_logs=logging.ERROR)
        t_cluster = time.perf_counter() - t
        par = Parallel(scheduler=cluster.scheduler_address)
    else:
        par = Parallel(workers=1 if mode == "w1" else 2)
    c0 = time.process_time()
    t0 = time.perf_counter()
    rep = verify_record(record, parallel=par)
    seconds = time.perf_counter() - t0
    cpu_main = time.process_time() - c0
    if cluster is not None:
        cluster.close()
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    setup_s = sum(rep.checks[c].seconds for c in ("V1", "V2", "V3", "V4"))
    print(json.dumps({
        "ok": rep.ok, "failure": None if rep.failure is None else str(rep.failure),
        "entries": rep.entries, "ballots": rep.checks["V5"].items,
        "audits": rep.checks["V9"].items, "seconds": seconds, "cluster_start_s": t_cluster,
        "cpu_main_s": cpu_main, "cpu_workers_s": kids.ru_utime + kids.ru_stime,
        "setup_s": setup_s, "credentials": (rep.result or {}).get("eligible"),
        "peak_main_mib": _own_peak_mib(),
        "peak_worker_mib": kids.ru_maxrss / 1024, "backend": rep.backend}))


def _own_peak_mib() -> float:
    """This process's peak RSS since exec (VmHWM). Not ru_maxrss: Linux carries that across
    execve, so a child started by this bench would report the bench's own size."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _tree_rss(root: int) -> tuple[int, int]:
    """(Σ RSS, number of processes) of `root` and its descendants, from /proc."""
    parent: dict[int, int] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    parent[int(d)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    tree, todo = set(), [root]
    while todo:
        p = todo.pop()
        tree.add(p)
        todo.extend(c for c, pp in parent.items() if pp == p and c not in tree)
    total = 0
    for p in tree:
        try:
            with open(f"/proc/{p}/statm") as f:
                total += int(f.read().split()[1]) * PAGE
        except (OSError, ValueError, IndexError):
            pass
    return total, len(tree)


def measure(mode: str, record: Path) -> dict[str, Any]:
    """Run `child` in a subprocess, sampling the process tree's RSS every 50 ms."""
    proc = subprocess.Popen([sys.executable, __file__, "--child", mode, str(record)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    peak, procs, stop = [0], [0], threading.Event()

    def sample() -> None:
        while not stop.is_set():
            rss, n = _tree_rss(proc.pid)
            peak[0], procs[0] = max(peak[0], rss), max(procs[0], n)
            stop.wait(0.05)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    out, err = proc.communicate()
    stop.set()
    th.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{mode} on {record} failed ({proc.returncode}): {err[-2000:]}")
    res = json.loads(out.strip().splitlines()[-1])
    res.update(mode=mode, peak_tree_mib=peak[0] / 2**20, processes=procs[0],
               ballots_per_s=res["ballots"] / res["seconds"])
    return res


# -- summary, projection, table, plot -----------------------------------------------------------

def projection(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """61M ballots on 100 cores from the largest record measured in every mode."""
    by = {(r["n"], r["mode"]): r for r in runs}
    sizes = [n for n in sorted({r["n"] for r in runs}) if all((n, m) in by for m in MODES)]
    if not sizes:
        return {}
    n = sizes[-1]
    w1, w2, dk = by[(n, "w1")], by[(n, "w2")], by[(n, "dask2")]
    b = w1["ballots"]
    cpu1 = (w1["cpu_main_s"] + w1["cpu_workers_s"]) / b  # one core, everything
    worker = w2["cpu_workers_s"] / b  # what the workers do per ballot (V5–V9, leaves)
    main = max(0.0, w2["cpu_main_s"] - w2["setup_s"]) / b  # the main process, in order
    per_cred = w1["setup_s"] / max(1, w1["credentials"] or 1)
    eff2 = w1["seconds"] / (2 * w2["seconds"])
    effd = w1["seconds"] / (2 * dk["seconds"])
    t_setup = TARGET_N * per_cred
    t_workers = TARGET_N * worker / (TARGET_CORES * effd)
    t_main = TARGET_N * main
    total = t_setup + max(t_workers, t_main)
    return {
        "from_n": n, "ballots": b, "cpu_ms_per_ballot_1proc": cpu1 * 1e3,
        "worker_cpu_ms_per_ballot": worker * 1e3, "main_cpu_us_per_ballot": main * 1e6,
        "setup_us_per_credential": per_cred * 1e6, "efficiency_2proc": eff2,
        "efficiency_dask2": effd, "target_ballots": TARGET_N, "target_cores": TARGET_CORES,
        "setup_s": t_setup, "workers_s": t_workers, "main_s": t_main, "total_s": total,
        "bound_by": "main process (cross-entry rules in order)" if t_main > t_workers
        else "workers (ballot proofs)",
        "main_ceiling_ballots_per_s": 1 / main if main else None,
    }


def table(runs: list[dict[str, Any]]) -> str:
    rows = ["| ballots | mode | seconds | ballots/s | CPU main / workers (s) | "
            "peak main | peak worker | peak tree (sum) |",
            "|---:|---|---:|---:|---:|---:|---:|---:|"]
    for r in runs:
        rows.append(f"| {r['ballots']:,} | {MODE_LABEL[r['mode']]} | {r['seconds']:.1f} | "
                    f"**{r['ballots_per_s']:,.0f}** | {r['cpu_main_s']:.1f} / "
                    f"{r['cpu_workers_s']:.1f} | {r['peak_main_mib']:.0f} MiB | "
                    f"{r['peak_worker_mib']:.0f} MiB | {r['peak_tree_mib']:.0f} MiB |")
    return "\n".join(rows)


def projection_text(p: dict[str, Any]) -> str:
    if not p:
        return "(no size was measured in every mode: no projection)"
    m = lambda s: f"{s / 60:,.1f} min"  # noqa: E731
    return "\n".join([
        f"Projection for {p['target_ballots'] / 1e6:.0f}M ballots on {p['target_cores']} cores, "
        f"from the {p['ballots']:,}-ballot record of this run:",
        "",
        f"- one core does everything for a ballot in {p['cpu_ms_per_ballot_1proc']:.3f} ms of "
        f"CPU; the workers' part is {p['worker_cpu_ms_per_ballot']:.3f} ms, the main "
        f"process's in-order part {p['main_cpu_us_per_ballot']:.0f} µs, and the setup "
        f"{p['setup_us_per_credential']:.1f} µs per credential;",
        f"- measured parallel efficiency: {100 * p['efficiency_2proc']:.0f}% from 1 to 2 "
        f"processes, {100 * p['efficiency_dask2']:.0f}% on the 2-worker Dask cluster "
        "(assumed for 100 cores);",
        f"- setup (credential list, in order): {m(p['setup_s'])}; workers: {m(p['workers_s'])}; "
        f"main process: {m(p['main_s'])}; they overlap, so about **{m(p['total_s'])}**, "
        f"bound by the {p['bound_by']}.",
    ])


def plot(runs: list[dict[str, Any]], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8), dpi=110)
    for mode, style in zip(MODES, ("o-", "s-", "^-")):
        rs = sorted((r for r in runs if r["mode"] == mode), key=lambda r: r["ballots"])
        if not rs:
            continue
        xs = [r["ballots"] for r in rs]
        ax1.plot(xs, [r["seconds"] for r in rs], style, label=MODE_LABEL[mode])
        ax2.plot(xs, [r["peak_tree_mib"] for r in rs], style, label=MODE_LABEL[mode])
    xs_all = sorted({r["ballots"] for r in runs})
    if xs_all:
        ax1.plot(xs_all, [x / 1667 for x in xs_all], "k--", lw=0.8,
                 label="target: 1M in 10 min (1,667/s)")
    for ax in (ax1, ax2):
        ax.set_xscale("log")
        ax.set_xlabel("ballots in the record")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    ax1.set_yscale("log")
    ax1.set_ylabel("verification time (s)")
    ax1.set_title("Whole-record verification time", fontsize=10)
    ax2.set_ylabel("peak RSS of the process tree (MiB)")
    ax2.set_ylim(bottom=0)
    ax2.set_title("Peak memory (sum over processes)", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


BEGIN, END = "<!-- scaling:begin -->", "<!-- scaling:end -->"


def update_doc(doc: Path, text: str) -> None:
    s = doc.read_text()
    if BEGIN not in s or END not in s:
        raise SystemExit(f"{doc} has no {BEGIN} … {END} section to update")
    i, j = s.index(BEGIN) + len(BEGIN), s.index(END)
    doc.write_text(s[:i] + "\n" + text.strip() + "\n" + s[j:])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="2000", help="voters per record, comma-separated")
    ap.add_argument("--modes", default=",".join(MODES))
    ap.add_argument("--gen-workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=BENCH / "scale_results.json")
    ap.add_argument("--plot", type=Path, default=ROOT / "docs" / "scaling.png")
    ap.add_argument("--doc", type=Path, default=None,
                    help="rewrite the scaling section of this Markdown file")
    ap.add_argument("--child", nargs=2, metavar=("MODE", "RECORD"), help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        child(*a.child)
        return 0
    sys.path.insert(0, str(ROOT / "src"))
    sizes = [int(x) for x in a.sizes.split(",")]
    modes = [m for m in a.modes.split(",") if m]
    if bad := set(modes) - set(MODES):
        raise SystemExit(f"unknown modes {sorted(bad)}; choose from {MODES}")
    log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731
    t0 = time.perf_counter()
    load0 = os.getloadavg()
    runs: list[dict[str, Any]] = []
    sims: dict[int, dict[str, Any]] = {}
    for n in sizes:
        rec, s = ensure_record(n, a.gen_workers, log)
        sims[n] = {k: s[k] for k in ("entries", "ballots", "bytes", "seconds", "workers")}
        for mode in modes:
            log(f"  verify {rec.name} ({MODE_LABEL[mode]}) …")
            r = measure(mode, rec)
            if not r["ok"]:
                raise SystemExit(f"verification failed: {r['failure']}")
            r["n"] = n
            runs.append(r)
            log(f"    {r['seconds']:.1f} s, {r['ballots_per_s']:,.0f} ballots/s, peak tree "
                f"{r['peak_tree_mib']:.0f} MiB")
    proj = projection(runs)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, cwd=ROOT).stdout.strip()
    result = {"commit": commit, "python": platform.python_version(), "cores": os.cpu_count(),
              "load_before": load0, "load_after": os.getloadavg(), "simulations": sims,
              "runs": runs, "projection": proj,
              "bench_seconds": round(time.perf_counter() - t0, 1)}
    a.out.write_text(json.dumps(result, indent=1) + "\n")
    text = (f"Measured by `bench/scale.py` at commit `{commit}` "
            f"(load average {load0[0]:.2f} before, {os.getloadavg()[0]:.2f} after; "
            f"{result['bench_seconds']:.0f} s in all).\n\n{table(runs)}\n\n"
            f"![verification time and memory](scaling.png)\n\n{projection_text(proj)}\n")
    print(text)
    if a.plot:
        plot(runs, a.plot)
        log(f"wrote {a.out} and {a.plot}")
    if a.doc:
        update_doc(a.doc, text)
        log(f"updated {a.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
