"""hamaporsi benchmarks: ballot encryption, ballot verification (alone and batched), and
whole-record verification on 1 and 2 processes with peak memory. Prints a table and writes
bench/results.json.

    .venv/bin/python bench/run.py [--sizes 10000,100000] [--quick] [--profile] [--no-profile]

Per-ballot figures are measured in this process. Each whole-record verification runs
`hamaporsi.verify.runner.verify_record(path, workers=W)` in a fresh Python subprocess, which
reports its own peak RSS (getrusage RUSAGE_SELF, i.e. VmHWM: the verifier's main process) and
its children's (RUSAGE_CHILDREN after the pool is shut down: the largest worker); this script
also samples the summed RSS of the whole process tree every 50 ms.

The machine is noisy (shared 2-core VM): compare figures only within one run.
No figure here is asserted; only correctness is (every record must verify).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import resource
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
from machine import machine_info  # noqa: E402
RESULTS = BENCH / "results.json"
TARGET_BALLOTS_PER_S = 2000


# -- helpers ----------------------------------------------------------------------------------

def _pct(xs: list[float], q: int) -> float:
    """q-th percentile (statistics.quantiles, exclusive method)."""
    return statistics.quantiles(xs, n=100)[q - 1]


def _summary(xs: list[float]) -> dict[str, Any]:
    """Seconds in, milliseconds out."""
    return {"n": len(xs), "median_ms": statistics.median(xs) * 1e3, "p90_ms": _pct(xs, 90) * 1e3,
            "mean_ms": statistics.fmean(xs) * 1e3, "min_ms": min(xs) * 1e3}


def _loadavg() -> float:
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except OSError:
        return float("nan")


HOT_PATH = ["crypto/*.py", "protocol/ballot.py", "protocol/canonical.py", "protocol/codec.py",
            "protocol/signing.py", "protocol/ledger.py", "protocol/election.py",
            "protocol/merkle.py", "protocol/checkpoint.py", "verify/*.py"]


def _fingerprint(patterns: list[str] | None = None) -> str:
    """SHA-256 over the source files (all of src/hamaporsi, or the verification hot path)."""
    import hashlib
    base = ROOT / "src" / "hamaporsi"
    files = sorted({f for pat in (patterns or ["**/*.py"]) for f in base.glob(pat)})
    h = hashlib.sha256()
    for f in files:
        h.update(str(f.relative_to(ROOT)).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def _machine() -> dict[str, Any]:
    info: dict[str, Any] = {"python": platform.python_version(), **machine_info()}
    try:
        from importlib.metadata import version
        info["coincurve"] = version("coincurve")
        info["rfc8785"] = version("rfc8785")
    except Exception:  # noqa: BLE001
        pass
    info["src_sha256"] = _fingerprint()
    info["hot_path_sha256"] = _fingerprint(HOT_PATH)
    try:  # read-only git queries
        info["git_commit"] = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short",
                                             "HEAD"], capture_output=True, text=True,
                                            timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "src"],
                               capture_output=True, text=True, timeout=10).stdout
        info["src_dirty"] = sorted(line[3:] for line in dirty.splitlines())
    except (OSError, subprocess.SubprocessError):
        pass
    return info


# -- 1 & 2: per-ballot encryption and verification ------------------------------------------

def bench_ballots(options: int, n: int, batch_repeats: int, log) -> dict[str, Any]:
    from hamaporsi.crypto import bip340
    from hamaporsi.crypto.proofs import Batch
    from hamaporsi.protocol.ballot import encrypt_ballot, parse_ballot, verify_ballot
    from hamaporsi.protocol.canonical import parse_canonical
    from hamaporsi.protocol.signing import verify_entry
    from hamaporsi.verify import worker

    import make_record

    s = make_record.setup_election(n, options)
    ctx = s.ctx
    m = ctx.manifest
    label = f"{options} options (stored ciphertexts {m.stored_options}, total proof " \
            f"{'yes' if m.total_allowed else 'no'})"
    log(f"  {label}: encrypting {n} ballots …")
    enc_t, enc_c, lines = [], [], []
    pc, cpu = time.perf_counter, time.thread_time
    for i, (sec, pub) in enumerate(s.credentials):
        choice = i % len(m.options)
        c0 = cpu()
        t0 = pc()
        b = encrypt_ballot(ctx, sec, pub, [choice])
        enc_t.append(pc() - t0)
        enc_c.append(cpu() - c0)
        lines.append(b.bytes)
    entries = [parse_canonical(x) for x in lines]

    log(f"  {label}: verifying one at a time …")
    ver_t, ver_c = [], []
    for e in entries:
        c0 = cpu()
        t0 = pc()
        verify_ballot(ctx, e)
        ver_t.append(pc() - t0)
        ver_c.append(cpu() - c0)

    log(f"  {label}: verifying in one Batch of {n} ({batch_repeats}×) …")
    runs = []
    for _ in range(batch_repeats):
        batch = Batch()
        c0 = time.process_time()
        t0 = pc()
        for e in entries:
            verify_ballot(ctx, e, batch)
        t1 = pc()
        ok = batch.is_zero()
        t2 = pc()
        c2 = time.process_time()
        if not ok:
            raise AssertionError("batch of valid ballots does not verify")
        runs.append({"add_s": t1 - t0, "is_zero_s": t2 - t1, "total_s": t2 - t0,
                     "cpu_s": c2 - c0, "terms": len(batch)})
    best = sorted(runs, key=lambda r: r["total_s"])[len(runs) // 2]  # the median run

    log(f"  {label}: worker.verify_chunk on {n} canonical lines (parse + verify + batch) …")
    worker.init(ctx)
    chunk_runs = []
    for _ in range(batch_repeats):
        t0 = pc()
        res = worker.verify_chunk(0, lines)
        chunk_runs.append(pc() - t0)
        errs = [it for it in res.items if it[0] == "error"]
        if errs:
            raise AssertionError(f"verify_chunk: {errs[0]}")
    chunk_s = statistics.median(chunk_runs)

    # components, each over the same ballots (not under a profiler)
    def per(fn, xs) -> float:
        t0 = pc()
        for x in xs:
            fn(x)
        return (pc() - t0) / len(xs)

    from hamaporsi.crypto.group import Point
    from hamaporsi.protocol.signing import signing_message
    sigs = [(bytes.fromhex(e["credential"]), signing_message(e), bytes.fromhex(e["sig"]))
            for e in entries]
    creds = [bytes.fromhex(e["credential"]) for e in entries]
    pairs = list(zip(entries, creds))
    pts = [Point.decode(bytes.fromhex(e["selections"][0]["alpha"])) for e in entries]
    scal = [int.from_bytes(os.urandom(32), "big") for _ in entries]
    comp = {
        "parse_canonical_us": per(parse_canonical, lines) * 1e6,
        "verify_entry_us": per(lambda p: verify_entry(p[0], p[1], check="V6", what="b"),
                               pairs) * 1e6,
        "bip340_verify_us": per(lambda t: bip340.verify(*t), sigs) * 1e6,
        "parse_ballot_us": per(lambda e: parse_ballot(ctx, e), entries) * 1e6,
        "point_decode_us": per(lambda e: Point.decode(bytes.fromhex(
            e["selections"][0]["alpha"])), entries) * 1e6,
        "point_mul_us": per(lambda i: pts[i].mul(scal[i]), range(len(pts))) * 1e6,
    }
    bytes_per = statistics.fmean(len(x) for x in lines)
    return {
        "options": options, "label": label, "ballot_bytes": round(bytes_per),
        "encrypt": _summary(enc_t),
        "encrypt_cpu": _summary(enc_c),
        "verify_single": _summary(ver_t),
        "verify_single_cpu": _summary(ver_c),
        "verify_batch": {"ballots": n, "repeats": batch_repeats, "terms": best["terms"],
                         "per_ballot_ms": best["total_s"] / n * 1e3,
                         "add_per_ballot_ms": best["add_s"] / n * 1e3,
                         "is_zero_per_ballot_ms": best["is_zero_s"] / n * 1e3,
                         "ballots_per_s": n / best["total_s"],
                         "ballots_per_cpu_s": n / best["cpu_s"],
                         "fastest_per_ballot_ms": min(r["total_s"] for r in runs) / n * 1e3,
                         "all_runs_total_s": [r["total_s"] for r in runs]},
        "verify_chunk": {"ballots": n, "per_ballot_ms": chunk_s / n * 1e3,
                         "fastest_per_ballot_ms": min(chunk_runs) / n * 1e3,
                         "ballots_per_s": n / chunk_s, "all_runs_s": chunk_runs},
        "components": comp,
    }


# -- 3: whole-record verification in a fresh subprocess -------------------------------------

def _children(pid: int) -> list[int]:
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree(pid: int) -> list[int]:
    todo, seen = [pid], []
    while todo:
        p = todo.pop()
        seen.append(p)
        todo += _children(p)
    return seen


def run_child(args: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run this script in a child with `args`; return (its JSON, sampled tree memory)."""
    proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=str(ROOT))
    samples = {"peak_tree_kib": 0, "peak_procs": 0, "samples": 0}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            pids = _tree(proc.pid)
            tot = sum(_rss_kib(p) for p in pids)
            samples["samples"] += 1
            if tot > samples["peak_tree_kib"]:
                samples["peak_tree_kib"] = tot
            samples["peak_procs"] = max(samples["peak_procs"], len(pids))
            done.wait(0.05)

    th = threading.Thread(target=sample, daemon=True)
    t0 = time.perf_counter()
    th.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    done.set()
    th.join()
    if proc.returncode != 0:
        raise RuntimeError(f"child {args} failed ({proc.returncode}):\n{err[-4000:]}")
    res = json.loads(out.strip().splitlines()[-1])
    samples["wall_s"] = wall
    return res, samples


def _hwm_kib() -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu(who: int) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def _instrument_index(cache_kib: int | None, seen: dict[str, Any]) -> None:
    """Memory probe only: wrap the verifier's DiskIndex to report its database size at close
    and, if asked, cap SQLite's page cache (the source is not changed)."""
    from hamaporsi.verify import runner
    from hamaporsi.verify.index import DiskIndex

    class Probe(DiskIndex):
        def __init__(self, path: str) -> None:
            super().__init__(path)
            if cache_kib is not None:
                self._db.execute(f"PRAGMA cache_size=-{cache_kib}")
            seen["cache_size"] = self._db.execute("PRAGMA cache_size").fetchone()[0]

        def close(self) -> None:
            pc = self._db.execute("PRAGMA page_count").fetchone()[0]
            ps = self._db.execute("PRAGMA page_size").fetchone()[0]
            seen["index_db_mib"] = pc * ps / 2**20
            super().close()

    runner.DiskIndex = Probe  # type: ignore[misc]


def child_verify(path: str, workers: int, probe: str | None = None) -> None:
    t0 = time.perf_counter()
    from hamaporsi.verify.runner import verify_record
    t_import = time.perf_counter() - t0
    seen: dict[str, Any] = {}
    if probe is not None:
        _instrument_index(None if probe == "default" else int(probe), seen)
    rep = verify_record(path, workers=workers)
    out = {
        "probe": seen,
        "ok": rep.ok, "failure": None if rep.ok else str(rep.failure),
        "seconds": rep.seconds, "entries": rep.entries, "workers": rep.workers,
        "import_s": t_import,
        "checks": {k: {"items": c.items, "seconds": round(c.seconds, 4)}
                   for k, c in rep.checks.items()},
        "self_maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "self_hwm_kib": _hwm_kib(),
        "children_maxrss_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        "self_cpu_s": _cpu(resource.RUSAGE_SELF),
        "children_cpu_s": _cpu(resource.RUSAGE_CHILDREN),
        "counts": (rep.result or {}).get("counts"),
    }
    print(json.dumps(out))


_CATEGORIES = [
    ("waiting for worker results (lock acquire)", ("_thread.lock",)),
    ("libsecp256k1 (C): point multiply", ("secp256k1_ec_pubkey_tweak_mul",
                                          "secp256k1_ec_pubkey_create")),
    ("libsecp256k1 (C): point parse/decompress", ("secp256k1_ec_pubkey_parse",)),
    ("libsecp256k1 (C): BIP340 verify", ("secp256k1_schnorrsig_verify",
                                         "secp256k1_xonly_pubkey_parse")),
    ("libsecp256k1 (C): other", ("_libsecp256k1",)),
    ("coincurve Python wrappers + cffi", ("coincurve/", "_cffi_backend")),
    ("rfc8785 canonical JSON encoder (pure Python)", ("rfc8785/",)),
    ("json.dumps (stdlib encoder: canonical re-encoding)", ("json/encoder",)),
    ("json.loads (stdlib decoder + hooks)", ("json/", "_json", "scanner")),
    ("re (hex and canonical-form checks)", ("re.Pattern",)),
    ("sqlite3 (verifier's disk index)", ("sqlite3",)),
    ("hashlib (SHA-256/512)", ("openssl_sha", "_hashlib", "hashlib")),
    ("random weights (secrets/urandom)", ("random.py", "secrets.py", "urandom")),
    ("hamaporsi.protocol.canonical", ("protocol/canonical.py",)),
    ("hamaporsi.protocol.codec", ("protocol/codec.py",)),
    ("hamaporsi.crypto.proofs", ("crypto/proofs.py",)),
    ("hamaporsi.crypto.group", ("crypto/group.py",)),
    ("hamaporsi.protocol (other)", ("hamaporsi/protocol/",)),
    ("hamaporsi.verify", ("hamaporsi/verify/",)),
    ("hamaporsi (other)", ("hamaporsi/",)),
]

_KEY_FUNCS = ["verify_record", "verify_chunk", "verify_ballot", "parse_canonical",
              "canonical_bytes", "signing_message", "verify_entry", "parse_ballot",
              "verify_in_set", "is_zero", "chunk_result", "apply_ballot", "sequential", "leaf",
              "tracking_code", "_decode_sums", "add_to_sum", "set_last", "find", "claim"]


def child_profile(path: str, out: str, workers: int = 1) -> None:
    """cProfile of verify_record; with workers > 1 only the main process is seen."""
    from hamaporsi.verify.runner import verify_record
    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    rep = verify_record(path, workers=workers)
    prof.disable()
    wall = time.perf_counter() - t0
    prof.dump_stats(out)
    st = pstats.Stats(out)
    total = st.total_tt  # type: ignore[attr-defined]
    rows = []
    for (fn, line, name), (cc, nc, tt, ct, _) in st.stats.items():  # type: ignore[attr-defined]
        rows.append({"func": f"{fn.replace(str(ROOT), '.')}:{line}({name})"
                     if fn != "~" else name, "file": fn, "name": name, "ncalls": nc,
                     "tottime": tt, "cumtime": ct})
    top_tot = sorted(rows, key=lambda r: -r["tottime"])[:25]
    cats: dict[str, float] = {}
    for r in rows:
        key = r["file"] + " " + r["name"]
        for cat, pats in _CATEGORIES:
            if any(p in key for p in pats):
                cats[cat] = cats.get(cat, 0.0) + r["tottime"]
                break
        else:
            cats["other"] = cats.get("other", 0.0) + r["tottime"]
    key_funcs = {}
    for r in rows:
        if r["name"] in _KEY_FUNCS and "hamaporsi" in r["file"]:
            k = r["name"]
            if k not in key_funcs or r["cumtime"] > key_funcs[k]["cumtime"]:
                key_funcs[k] = {"func": r["func"], "ncalls": r["ncalls"],
                                "cumtime": r["cumtime"], "tottime": r["tottime"]}
    strip = lambda r: {k: v for k, v in r.items() if k not in ("file", "name")}  # noqa: E731
    print(json.dumps({
        "ok": rep.ok, "failure": None if rep.ok else str(rep.failure),
        "profiled_wall_s": wall, "total_tt": total, "pstats": out,
        "top_tottime": [strip(r) for r in top_tot],
        "categories": dict(sorted(cats.items(), key=lambda kv: -kv[1])),
        "key_functions": dict(sorted(key_funcs.items(), key=lambda kv: -kv[1]["cumtime"])),
    }))


# -- main -------------------------------------------------------------------------------------

def _fmt_mib(kib: int) -> str:
    return f"{kib / 1024:.0f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default=None,
                    help="record sizes (voters) for whole-record verification, comma separated "
                         "(default 10000,100000; --quick: 2000)")
    ap.add_argument("--quick", action="store_true",
                    help="200 ballots per micro-benchmark, 1 batch run, record of 2000")
    ap.add_argument("--ballots", type=int, default=None,
                    help="ballots per micro-benchmark (default 1000, --quick 200)")
    ap.add_argument("--workers", default="1,2", help="verifier processes to try (default 1,2)")
    ap.add_argument("--record-options", default="2",
                    help="ballot shapes of the big records: 2 and/or 3 (default 2)")
    ap.add_argument("--profile", action="store_true", help="always cProfile the smallest "
                    "record on 1 process")
    ap.add_argument("--no-profile", action="store_true")
    ap.add_argument("--gen-workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--child-verify", nargs="+", metavar="RECORD WORKERS [PROBE]",
                    help=argparse.SUPPRESS)
    ap.add_argument("--memory-probe", action="store_true",
                    help="only: verify the cached records with 2 processes, reporting the "
                         "index database size, with the default SQLite cache and a 2 MiB one "
                         "(writes bench/results-memprobe.json)")
    ap.add_argument("--child-profile", nargs=3, metavar=("RECORD", "OUT", "WORKERS"),
                    help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child_verify:
        cv = a.child_verify
        child_verify(cv[0], int(cv[1]), cv[2] if len(cv) > 2 else None)
        return 0
    if a.child_profile:
        child_profile(a.child_profile[0], a.child_profile[1], int(a.child_profile[2]))
        return 0

    sys.path.insert(0, str(BENCH))
    import make_record

    sizes = [int(x) for x in (a.sizes or ("2000" if a.quick else "10000,100000")).split(",")]
    n_ballots = a.ballots or (200 if a.quick else 1000)
    repeats = 1 if a.quick else 3
    workers_list = [int(x) for x in a.workers.split(",")]
    rec_options = [int(x) for x in a.record_options.split(",")]

    def log(msg: str) -> None:
        print(msg, flush=True)

    if a.memory_probe:
        return memory_probe(sizes, rec_options[0], a.gen_workers, log)

    t_all = time.perf_counter()
    results: dict[str, Any] = {
        "when": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "command": " ".join([".venv/bin/python", "bench/run.py", *(argv or sys.argv[1:])]),
        "machine": _machine(),
        "params": {"sizes": sizes, "micro_ballots": n_ballots, "batch_repeats": repeats,
                   "workers": workers_list, "record_options": rec_options},
        "loadavg_start": _loadavg(),
    }
    log(f"machine: {results['machine'].get('cpu')} × {results['machine']['cpus']}, "
        f"Python {results['machine']['python']}, load {results['loadavg_start']}")

    # 1 & 2
    log("\n[1-2] per-ballot encryption and verification")
    micro = {}
    for opt in (2, 3):
        micro[str(opt)] = bench_ballots(opt, n_ballots, repeats, log)
    results["ballots"] = micro

    # 3
    log("\n[3] whole-record verification (fresh subprocess per run)")
    records, runs = {}, []
    for opt in rec_options:
        for n in sizes:
            path, meta = make_record.ensure_record(n, opt, workers=a.gen_workers, log=log)
            records[f"o{opt}-n{n}"] = {"path": str(path.relative_to(ROOT)), **meta}
            for w in workers_list:
                log(f"  verify_record({path.name}, workers={w}) …")
                load0 = _loadavg()
                res, mem = run_child(["--child-verify", str(path), str(w)])
                if not res["ok"]:
                    print(f"VERIFICATION FAILED for {path} with {w} workers: {res['failure']}",
                          file=sys.stderr)
                    raise AssertionError(res["failure"])
                ballots = meta["ballots"]
                row = {"options": opt, "voters": n, "ballots": ballots,
                       "entries": res["entries"], "workers": w,
                       "verify_s": res["seconds"], "wall_s": mem["wall_s"],
                       "ballots_per_s": ballots / res["seconds"],
                       "parent_peak_mib": res["self_hwm_kib"] / 1024,
                       "worker_peak_mib": res["children_maxrss_kib"] / 1024 if w > 1 else None,
                       "tree_peak_sampled_mib": mem["peak_tree_kib"] / 1024,
                       "tree_procs": mem["peak_procs"], "loadavg_before": load0,
                       "parent_cpu_s": res["self_cpu_s"], "workers_cpu_s": res["children_cpu_s"],
                       "ballots_per_cpu_s": ballots / (res["self_cpu_s"] + res["children_cpu_s"]),
                       "checks": res["checks"], "import_s": res["import_s"]}
                runs.append(row)
                log(f"    ok: {res['entries']} entries in {res['seconds']:.1f} s = "
                    f"{row['ballots_per_s']:.0f} ballots/s; peak RSS parent "
                    f"{row['parent_peak_mib']:.0f} MiB, worker "
                    f"{row['worker_peak_mib'] or 0:.0f} MiB, tree (sampled) "
                    f"{row['tree_peak_sampled_mib']:.0f} MiB")
    results["records"] = records
    results["whole_record"] = runs

    # 4: comparisons, all from this run
    two = micro["2"]
    cmp: dict[str, Any] = {
        "target_ballots_per_s": TARGET_BALLOTS_PER_S,
        "batch_ballots_per_s_1proc": two["verify_batch"]["ballots_per_s"],
    }
    by = {(r["options"], r["voters"], r["workers"]): r for r in runs}
    for opt in rec_options:
        for n in sizes:
            r1, r2 = by.get((opt, n, 1)), by.get((opt, n, 2))
            if r1 and r2:
                cmp[f"speedup_2v1_o{opt}_n{n}"] = r2["ballots_per_s"] / r1["ballots_per_s"]
            for r in (r1, r2):
                if r:
                    cmp[f"vs_target_o{opt}_n{n}_w{r['workers']}"] = \
                        r["ballots_per_s"] / TARGET_BALLOTS_PER_S
            if r1:
                cmp[f"record_over_batch_o{opt}_n{n}_w1"] = \
                    r1["ballots_per_s"] / micro[str(opt)]["verify_batch"]["ballots_per_s"]
        if len(sizes) >= 2:
            lo, hi = min(sizes), max(sizes)
            for w in workers_list:
                a_, b_ = by.get((opt, lo, w)), by.get((opt, hi, w))
                if a_ and b_:
                    cmp[f"mem_ratio_o{opt}_{hi}v{lo}_w{w}"] = {
                        "parent": b_["parent_peak_mib"] / a_["parent_peak_mib"],
                        "tree_sampled": b_["tree_peak_sampled_mib"] / a_["tree_peak_sampled_mib"],
                        **({"worker": b_["worker_peak_mib"] / a_["worker_peak_mib"]}
                           if w > 1 else {})}
    results["comparison"] = cmp

    # profile when the whole record is far below the batch figure
    ratio = min((v for k, v in cmp.items() if k.startswith("record_over_batch")), default=1.0)
    if a.profile or (not a.no_profile and not a.quick and ratio < 0.75):
        n = min(sizes)
        path = make_record.record_dir(n, rec_options[0])
        for w in sorted(set(workers_list) | {1}):
            pst = make_record.DATA / f"profile-o{rec_options[0]}-n{n}-w{w}.pstats"
            log(f"\n[profile] whole record (1 process) is {ratio:.0%} of the batch figure: "
                f"cProfile of verify_record({path.name}, workers={w})"
                + (" (main process only)" if w > 1 else "") + " …")
            prof, _ = run_child(["--child-profile", str(path), str(pst), str(w)])
            prof["pstats"] = str(Path(prof["pstats"]).relative_to(ROOT))
            results["profile" if w == 1 else f"profile_w{w}_main"] = prof
    results["loadavg_end"] = _loadavg()
    results["src_sha256_end"] = _fingerprint()
    results["hot_path_sha256_end"] = _fingerprint(HOT_PATH)
    if results["hot_path_sha256_end"] != results["machine"]["hot_path_sha256"]:
        log("WARNING: verification sources changed during the run (others are editing src/)")
    results["bench_seconds"] = time.perf_counter() - t_all
    a.out.write_text(json.dumps(results, indent=1) + "\n")

    print_table(results)
    log(f"\nwrote {a.out} ({results['bench_seconds']:.0f} s)")
    return 0


def memory_probe(sizes: list[int], options: int, gen_workers: int, log) -> int:
    import make_record
    out: dict[str, Any] = {"when": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
                           "command": " ".join([".venv/bin/python", "bench/run.py",
                                                *sys.argv[1:]]),
                           "hot_path_sha256": _fingerprint(HOT_PATH), "runs": []}
    for n in sizes:
        path, meta = make_record.ensure_record(n, options, workers=gen_workers, log=log)
        for cache in ("default", "2048"):
            res, mem = run_child(["--child-verify", str(path), "2", cache])
            if not res["ok"]:
                raise AssertionError(res["failure"])
            row = {"voters": n, "workers": 2, "sqlite_cache": cache,
                   "cache_size_pragma": res["probe"].get("cache_size"),
                   "index_db_mib": res["probe"].get("index_db_mib"),
                   "verify_s": res["seconds"], "ballots_per_s": meta["ballots"] / res["seconds"],
                   "parent_peak_mib": res["self_hwm_kib"] / 1024,
                   "worker_peak_mib": res["children_maxrss_kib"] / 1024,
                   "tree_peak_sampled_mib": mem["peak_tree_kib"] / 1024}
            out["runs"].append(row)
            log(f"  {n} voters, sqlite cache {cache}: index db {row['index_db_mib']:.1f} MiB, "
                f"parent peak {row['parent_peak_mib']:.0f} MiB, worker peak "
                f"{row['worker_peak_mib']:.0f} MiB, {row['ballots_per_s']:.0f} ballots/s")
    (BENCH / "results-memprobe.json").write_text(json.dumps(out, indent=1) + "\n")
    return 0


def print_table(res: dict[str, Any]) -> None:
    p = print
    p("\n== per ballot (1 process) ==")
    p(f"{'ballot':<34}{'bytes':>6}{'enc med':>9}{'enc p90':>9}{'ver med':>9}{'ver p90':>9}"
      f"{'batch':>8}{'batch/s':>9}{'chunk/s':>9}")
    for b in res["ballots"].values():
        p(f"{b['options']} options{'':<25}{b['ballot_bytes']:>6}"
          f"{b['encrypt']['median_ms']:>7.2f}ms{b['encrypt']['p90_ms']:>7.2f}ms"
          f"{b['verify_single']['median_ms']:>7.2f}ms{b['verify_single']['p90_ms']:>7.2f}ms"
          f"{b['verify_batch']['per_ballot_ms']:>6.2f}ms{b['verify_batch']['ballots_per_s']:>9.0f}"
          f"{b['verify_chunk']['ballots_per_s']:>9.0f}")
    p("  (batch = verify_ballot into one shared Batch + is_zero, per ballot; "
      "chunk = worker.verify_chunk on canonical lines, incl. parsing; median of the repeats)")
    for b in res["ballots"].values():
        p(f"  {b['options']} options, fastest of {b['verify_batch']['repeats']}: batch "
          f"{b['verify_batch']['fastest_per_ballot_ms']:.2f} ms/ballot, chunk "
          f"{b['verify_chunk']['fastest_per_ballot_ms']:.2f} ms/ballot")
    for b in res["ballots"].values():
        p(f"  {b['options']} options, CPU time: encrypt median "
          f"{b['encrypt_cpu']['median_ms']:.2f} ms p90 {b['encrypt_cpu']['p90_ms']:.2f} ms; "
          f"verify median {b['verify_single_cpu']['median_ms']:.2f} ms p90 "
          f"{b['verify_single_cpu']['p90_ms']:.2f} ms mean "
          f"{b['verify_single_cpu']['mean_ms']:.2f} ms; batch "
          f"{1e3 / b['verify_batch']['ballots_per_cpu_s']:.2f} ms "
          f"({b['verify_batch']['ballots_per_cpu_s']:.0f}/cpu-s)")
    for b in res["ballots"].values():
        c = b["components"]
        vb = b["verify_batch"]
        p(f"  {b['options']} options, µs/ballot: parse_canonical {c['parse_canonical_us']:.0f}, "
          f"verify_entry {c['verify_entry_us']:.0f} (of which BIP340 "
          f"{c['bip340_verify_us']:.0f}), parse_ballot {c['parse_ballot_us']:.0f}; "
          f"point decode {c['point_decode_us']:.0f}, point mul {c['point_mul_us']:.0f}; batch add "
          f"{vb['add_per_ballot_ms'] * 1e3:.0f} + is_zero {vb['is_zero_per_ballot_ms'] * 1e3:.0f}"
          f" ({vb['terms']} distinct points)")
    p("\n== whole record: verify_record in a fresh process ==")
    p(f"{'record':<16}{'entries':>9}{'procs':>6}{'seconds':>9}{'ballots/s':>10}"
      f"{'parent MiB':>11}{'worker MiB':>11}{'tree MiB':>9}{'cpu main':>9}{'cpu wkrs':>9}"
      f"{'b/cpu-s':>8}")
    for r in res["whole_record"]:
        p(f"{str(r['options']) + 'opt ' + str(r['voters']):<16}{r['entries']:>9}"
          f"{r['workers']:>6}{r['verify_s']:>9.1f}{r['ballots_per_s']:>10.0f}"
          f"{r['parent_peak_mib']:>11.0f}"
          f"{(format(r['worker_peak_mib'], '.0f') if r['worker_peak_mib'] else '-'):>11}"
          f"{r['tree_peak_sampled_mib']:>9.0f}{r['parent_cpu_s']:>9.1f}"
          f"{r['workers_cpu_s']:>9.1f}{r['ballots_per_cpu_s']:>8.0f}")
    p("\n== comparisons (same run) ==")
    for k, v in res["comparison"].items():
        if isinstance(v, dict):
            p(f"  {k}: " + ", ".join(f"{kk} {vv:.2f}" for kk, vv in v.items()))
        elif isinstance(v, float):
            p(f"  {k}: {v:.2f}")
        else:
            p(f"  {k}: {v}")
    for key in [k for k in res if k.startswith("profile")]:
        pr = res[key]
        p(f"\n== cProfile {key} ({pr['profiled_wall_s']:.1f} s under the profiler) ==")
        tot = pr["total_tt"]
        for cat, s in list(pr["categories"].items())[:12]:
            p(f"  {s:7.2f} s {s / tot:5.1%}  {cat}")
        p("  top functions by own time:")
        for r in pr["top_tottime"][:15]:
            p(f"  {r['tottime']:7.2f} s {r['ncalls']:>9} calls  {r['func']}")


if __name__ == "__main__":
    sys.exit(main())
