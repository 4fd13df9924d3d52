"""hamaporsi vs ElectionGuard-python 1.4.0, per ballot, on the same machine in one run.

    .venv/bin/python bench/electionguard/compare.py [--eg-n 100] [--ours-n 2000] [--rounds 3]
                                                    [--python PATH] [--offline] [--quick]

One run, one core at a time: ElectionGuard runs in its own Python 3.10 process
(bench/electionguard/eg_side.py, in bench/electionguard/.venv), this process runs ours, and the
two take turns: each round encrypts and verifies --eg-n ballots on EG's side and --ours-n on
ours, back to back (round 2 starts with ours, so neither side always goes first). Per-ballot
figures are a round's total time divided by its ballots; the reported figure is the median of
the rounds. The ballot is the same kind on both sides: one question, yes/no, exactly one
selection, a 3-trustee/quorum-2 election key.

Timed per ballot on ours: `encrypt_ballot`; `parse_canonical` (bytes to dict); `verify_ballot`
alone (structure, BIP340 signature, 0/1 proof); and the verifier's batch path,
`verify.worker.verify_chunk` over chunks of `verify.runner.CHUNK` canonical lines (parse,
signature, proofs batched, tracking codes, sums). On EG's: `encrypt_ballot`, `from_raw` (JSON to
objects) and `CiphertextBallot.is_valid_encryption` (see eg_side.py).

Setup (first run only, needs PyPI): creates bench/electionguard/.venv with Python 3.10 (pyenv's,
or --python) and installs requirements-eg.txt from wheels only. --offline refuses to install.
Writes bench/electionguard/results.json (not with --quick: a smoke test of a few seconds).
The machine is shared and noisy: compare figures within one run only.
"""

from __future__ import annotations

import argparse
import copy
import glob
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
BENCH = HERE.parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
from machine import machine_info  # noqa: E402
VENV = HERE / ".venv"
REQS = HERE / "requirements-eg.txt"
STAMP = VENV / ".hamaporsi-installed"
EG_SIDE = HERE / "eg_side.py"
RESULTS = HERE / "results.json"
EG_PY_MIN, EG_PY_MAX = (3, 9, 5), (3, 11)  # electionguard 1.4.0: >=3.9.5, breaks on 3.11


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# -- the Python 3.10 environment for ElectionGuard -------------------------------------------

def _py_version(exe: str) -> tuple[int, ...] | None:
    try:
        out = subprocess.run([exe, "-c", "import sys; print(*sys.version_info[:3])"],
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return tuple(int(x) for x in out.stdout.split())


def _pyenv_roots() -> list[Path]:
    roots = [Path(os.environ["PYENV_ROOT"])] if os.environ.get("PYENV_ROOT") else []
    return roots + [Path.home() / ".pyenv", Path("/root/.pyenv")]


def find_python(explicit: str | None) -> str:
    """An interpreter ElectionGuard 1.4.0 imports on (3.9.5+ or 3.10): --python, else pyenv's
    newest 3.10, else python3.10 on PATH, else pyenv's 3.9. Exits with a clear message if none."""
    if explicit:
        v = _py_version(explicit)
        if v is None or not EG_PY_MIN <= v < EG_PY_MAX:
            what = f"is Python {'.'.join(map(str, v))}" if v else "does not run"
            raise SystemExit(f"compare: --python {explicit} {what}; "
                             "ElectionGuard 1.4.0 needs Python 3.9.5–3.10.x")
        return explicit
    tried: list[str] = []
    cands: list[str] = []
    for minor in ("3.10", "3.9"):
        for root in _pyenv_roots():
            cands += sorted(glob.glob(str(root / "versions" / f"{minor}.*" / "bin" / "python")),
                            key=lambda p: [int(x) for x in Path(p).parts[-3].split(".")
                                           if x.isdigit()], reverse=True)
        if (w := shutil.which(f"python{minor}")):
            cands.append(w)
    for c in dict.fromkeys(cands):
        v = _py_version(c)
        tried.append(f"{c} ({'.'.join(map(str, v)) if v else 'does not run'})")
        if v is not None and EG_PY_MIN <= v < EG_PY_MAX:
            return c
    raise SystemExit(
        "compare: no Python 3.10 (or 3.9.5+) found for ElectionGuard 1.4.0, which does not "
        "import on 3.11.\n  tried: " + (", ".join(tried) or "pyenv versions 3.10.*/3.9.*, "
                                        "python3.10 and python3.9 on PATH (none exist)")
        + "\n  install one (e.g. `pyenv install 3.10.13`) or pass --python /path/to/python3.10")


def ensure_venv(python: str, offline: bool) -> Path:
    """bench/electionguard/.venv with requirements-eg.txt installed (wheels only, pinned)."""
    vpy = VENV / "bin" / "python"
    want = hashlib.sha256(REQS.read_bytes()).hexdigest()
    if vpy.exists():
        v = _py_version(str(vpy))
        if v is None or not EG_PY_MIN <= v < EG_PY_MAX:
            raise SystemExit(f"compare: {VENV} has Python {v}; delete it and run again")
        if STAMP.exists() and STAMP.read_text().strip() == want:
            return vpy
    if offline:
        raise SystemExit(f"compare: {VENV} is missing or out of date and --offline was given")
    if not vpy.exists():
        log(f"creating {VENV} with {python} …")
        subprocess.run([python, "-m", "venv", str(VENV)], check=True)
    log(f"installing {REQS.name} into {VENV} (PyPI, wheels only) …")
    cmd = [str(vpy), "-m", "pip", "install", "--disable-pip-version-check", "--quiet",
           "--no-deps", "--only-binary", ":all:", "-r", str(REQS)]
    if subprocess.run(cmd).returncode != 0:
        raise SystemExit("compare: pip could not install requirements-eg.txt (see above); "
                         "PyPI must be reachable for the first run")
    STAMP.write_text(want + "\n")
    return vpy


class EGSide:
    """eg_side.py in the EG venv, driven one round at a time over its stdin/stdout."""

    def __init__(self, vpy: Path, n: int) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("PRIME_OPTION", "PYTHONPATH")}
        self.proc = subprocess.Popen([str(vpy), str(EG_SIDE), str(n)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=env)
        self.ready = self._read("ready")

    def _read(self, event: str) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            rc = self.proc.wait()
            raise SystemExit(f"compare: eg_side.py stopped (exit {rc}) before '{event}'")
        msg = json.loads(line)
        if msg.get("event") != event:
            raise SystemExit(f"compare: eg_side.py sent {msg.get('event')!r}, wanted {event!r}")
        return msg

    def round(self) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write("round\n")
        self.proc.stdin.flush()
        return self._read("round")

    def close(self) -> None:
        if self.proc.stdin is not None and self.proc.poll() is None:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.close()
        self.proc.wait(timeout=60)


# -- our side ---------------------------------------------------------------------------------

def _timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """(result, wall seconds, this thread's CPU seconds)."""
    c0, t0 = time.thread_time(), time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0, time.thread_time() - c0


class Ours:
    """A hamaporsi election up to `open` (bench/make_record.setup_election) and its rounds."""

    def __init__(self, n: int) -> None:
        sys.path.insert(0, str(BENCH))
        import make_record
        from hamaporsi.verify import runner, worker
        t0 = time.perf_counter()
        self.setup = make_record.setup_election(n, 2)  # 3 trustees, threshold 2
        self.setup_s = time.perf_counter() - t0
        self.ctx = self.setup.ctx
        self.n = n
        self.chunk = runner.CHUNK
        worker.init(self.ctx)
        m = self.ctx.manifest
        self.shape = {"options": len(m.options), "stored_ciphertexts": m.stored_options,
                      "total_proof": m.total_allowed is not None,
                      "trustees": len(m.trustees), "threshold": m.threshold}

    def round(self, first: bool) -> dict[str, Any]:
        from hamaporsi.crypto.proofs import Batch
        from hamaporsi.protocol.ballot import encrypt_ballot, verify_ballot
        from hamaporsi.protocol.canonical import parse_canonical
        from hamaporsi.verify import worker
        ctx = self.ctx
        enc, enc_c, lines = [], [], []
        for i, (sec, pub) in enumerate(self.setup.credentials[: self.n]):
            b, w, c = _timed(lambda: encrypt_ballot(ctx, sec, pub, [i % 2]))
            enc.append(w)
            enc_c.append(c)
            lines.append(b.bytes)
        parse, parse_c, entries = [], [], []
        for line in lines:
            e, w, c = _timed(lambda: parse_canonical(line))
            parse.append(w)
            parse_c.append(c)
            entries.append(e)
        ver, ver_c = [], []
        for e in entries:
            _, w, c = _timed(lambda: verify_ballot(ctx, e))
            ver.append(w)
            ver_c.append(c)

        def bare_batch() -> None:
            batch = Batch()
            for e in entries:
                verify_ballot(ctx, e, batch)
            if not batch.is_zero():
                raise SystemExit("compare: a batch of valid ballots does not verify")

        _, batch_w, batch_c = _timed(bare_batch)

        def chunks() -> None:
            for s in range(0, len(lines), self.chunk):
                res = worker.verify_chunk(s, lines[s: s + self.chunk])
                errs = [it for it in res.items if it[0] == "error"]
                if errs or res.ballots != len(lines[s: s + self.chunk]):
                    raise SystemExit(f"compare: verify_chunk rejected a valid ballot: {errs[:1]}")

        _, chunk_w, chunk_c = _timed(chunks)
        out: dict[str, Any] = {
            "n": self.n, "encrypt_s": enc, "encrypt_cpu_s": enc_c, "parse_s": parse,
            "parse_cpu_s": parse_c, "verify_s": ver, "verify_cpu_s": ver_c,
            "batch_total_s": batch_w, "batch_total_cpu_s": batch_c, "chunk_total_s": chunk_w,
            "chunk_total_cpu_s": chunk_c, "json_bytes": [len(x) for x in lines]}
        if first:
            out["tamper"] = self._tamper_checks(entries, lines)
            out["components"] = self._components(entries[:200])
        return out

    def _tamper_checks(self, entries: list[dict[str, Any]], lines: list[bytes]) -> dict[str, Any]:
        """The timed checks can fail: a 0/1 proof taken from another ballot, the entry re-signed
        by its credential (so only the proof is wrong), must be rejected as V7 alone and in the
        verifier's chunk path."""
        from hamaporsi.crypto.errors import CryptoError
        from hamaporsi.protocol.ballot import verify_ballot
        from hamaporsi.protocol.canonical import canonical_bytes
        from hamaporsi.protocol.errors import ProtocolError
        from hamaporsi.protocol.signing import sign_entry
        from hamaporsi.verify import worker
        t = copy.deepcopy(entries[0])
        t["selections"][0]["proof"] = copy.deepcopy(entries[1]["selections"][0]["proof"])
        t = sign_entry(t, self.setup.credentials[0][0])
        try:
            verify_ballot(self.ctx, t)
            alone = "accepted"
        except (ProtocolError, CryptoError) as e:
            alone = getattr(e, "check", None) or "rejected"
        res = worker.verify_chunk(0, [canonical_bytes(t), *lines[1:50]])
        errs = [it for it in res.items if it[0] == "error"]
        return {"swapped_proof_alone": alone,
                "swapped_proof_in_chunk": errs[0][2] if errs else "accepted",
                "swapped_proof_rejected": alone == "V7" and bool(errs) and errs[0][2] == "V7"}

    def _components(self, entries: list[dict[str, Any]]) -> dict[str, Any]:
        """Mean ms per piece of a lone verification: structure + point decoding, signature,
        and one 0/1 proof checked alone (the unit EG's selection check corresponds to)."""
        from hamaporsi.crypto.proofs import verify_in_set
        from hamaporsi.protocol.ballot import BIT, parse_ballot
        from hamaporsi.protocol.signing import verify_entry
        ctx = self.ctx
        parsed = [parse_ballot(ctx, e) for e in entries]

        def mean_ms(fn: Callable[[int], Any]) -> float:
            t0 = time.perf_counter()
            for i in range(len(entries)):
                fn(i)
            return (time.perf_counter() - t0) / len(entries) * 1e3

        return {
            "parse_ballot_ms": mean_ms(lambda i: parse_ballot(ctx, entries[i])),
            "signature_ms": mean_ms(lambda i: verify_entry(entries[i], parsed[i][0].credential,
                                                           check="V6", what="ballot")),
            "bit_proof_ms": mean_ms(lambda i: verify_in_set(
                ctx.proof_context(parsed[i][0].credential, 0), ctx.joint_key,
                parsed[i][0].ciphertexts[0], parsed[i][1][0], BIT, check="V7", what="s0")),
            "ballots": len(entries)}


# -- figures ----------------------------------------------------------------------------------

def per_ballot_ms(rounds: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """A per-ballot figure per round (round total ÷ ballots), and their median over rounds."""
    vals = []
    for r in rounds:
        v = r[key]
        vals.append((sum(v) / len(v) if isinstance(v, list) else v / r["n"]) * 1e3)
    return {"median_ms": statistics.median(vals), "rounds_ms": vals}


def _loadavg() -> float:
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except OSError:
        return float("nan")


def _ours_versions() -> dict[str, Any]:
    from importlib.metadata import version
    out: dict[str, Any] = {"python": platform.python_version(), "coincurve": version("coincurve")}
    try:
        out["git_commit"] = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
            text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "src"],
                               capture_output=True, text=True, timeout=10).stdout
        out["src_dirty"] = sorted(line[3:] for line in dirty.splitlines())
    except (OSError, subprocess.SubprocessError):
        pass
    return out


def summarize(eg: list[dict[str, Any]], ours: list[dict[str, Any]]) -> dict[str, Any]:
    f = {
        "eg_encrypt": per_ballot_ms(eg, "encrypt_s"),
        "eg_encrypt_cpu": per_ballot_ms(eg, "encrypt_cpu_s"),
        "eg_verify": per_ballot_ms(eg, "verify_s"),
        "eg_verify_cpu": per_ballot_ms(eg, "verify_cpu_s"),
        "eg_parse": per_ballot_ms(eg, "parse_s"),
        "eg_parse_cpu": per_ballot_ms(eg, "parse_cpu_s"),
        "ours_encrypt": per_ballot_ms(ours, "encrypt_s"),
        "ours_encrypt_cpu": per_ballot_ms(ours, "encrypt_cpu_s"),
        "ours_verify": per_ballot_ms(ours, "verify_s"),
        "ours_verify_cpu": per_ballot_ms(ours, "verify_cpu_s"),
        "ours_parse": per_ballot_ms(ours, "parse_s"),
        "ours_batch": per_ballot_ms(ours, "batch_total_s"),
        "ours_chunk": per_ballot_ms(ours, "chunk_total_s"),
        "ours_chunk_cpu": per_ballot_ms(ours, "chunk_total_cpu_s"),
    }
    # "from JSON bytes": EG from_raw + is_valid_encryption; ours parse_canonical + verify_ballot
    for side in ("eg", "ours"):
        rs = [a + b for a, b in zip(f[f"{side}_parse"]["rounds_ms"],
                                    f[f"{side}_verify"]["rounds_ms"])]
        f[f"{side}_parse_verify"] = {"median_ms": statistics.median(rs), "rounds_ms": rs}
    m = {k: v["median_ms"] for k, v in f.items()}
    ratios = {
        "encrypt": m["eg_encrypt"] / m["ours_encrypt"],
        "encrypt_cpu": m["eg_encrypt_cpu"] / m["ours_encrypt_cpu"],
        "verify_alone": m["eg_verify"] / m["ours_verify"],
        "verify_alone_cpu": m["eg_verify_cpu"] / m["ours_verify_cpu"],
        "verify_from_json_alone": m["eg_parse_verify"] / m["ours_parse_verify"],
        "verify_batch_path": m["eg_parse_verify"] / m["ours_chunk"],
        "verify_batch_path_cpu": (m["eg_verify_cpu"] + m["eg_parse_cpu"]) / m["ours_chunk_cpu"],
        "verify_bare_batch": m["eg_verify"] / m["ours_batch"],
    }
    per_round = {  # the same ratios within each back-to-back pair of rounds
        "verify_alone": [a / b for a, b in zip(f["eg_verify"]["rounds_ms"],
                                               f["ours_verify"]["rounds_ms"])],
        "verify_batch_path": [a / b for a, b in zip(f["eg_parse_verify"]["rounds_ms"],
                                                    f["ours_chunk"]["rounds_ms"])],
        "encrypt": [a / b for a, b in zip(f["eg_encrypt"]["rounds_ms"],
                                          f["ours_encrypt"]["rounds_ms"])],
    }
    return {"figures": f, "ratios": ratios, "ratios_per_round": per_round}


def table(s: dict[str, Any]) -> str:
    m = {k: v["median_ms"] for k, v in s["figures"].items()}
    r = s["ratios"]
    rows = [
        ("ElectionGuard 1.4.0 (4096-bit)", m["eg_encrypt"], m["eg_verify"], m["eg_parse_verify"]),
        ("hamaporsi, one ballot alone", m["ours_encrypt"], m["ours_verify"],
         m["ours_parse_verify"]),
        ("hamaporsi, verifier's batch path", None, None, m["ours_chunk"]),
    ]
    fmt = "{:<34} {:>12} {:>16} {:>18}"
    out = [fmt.format("per ballot, ms (median of rounds)", "encrypt", "verify (in mem.)",
                      "verify from JSON")]
    for name, *vals in rows:
        out.append(fmt.format(name, *("–" if v is None else f"{v:.3f}" for v in vals)))
    out.append(fmt.format("EG ÷ ours, alone", f"×{r['encrypt']:.0f}", f"×{r['verify_alone']:.0f}",
                          f"×{r['verify_from_json_alone']:.0f}"))
    out.append(fmt.format("EG ÷ ours, batch path", "", "", f"×{r['verify_batch_path']:.0f}"))
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--eg-n", type=int, default=100, help="EG ballots per round (default 100)")
    ap.add_argument("--ours-n", type=int, default=2000, help="our ballots per round (2000)")
    ap.add_argument("--rounds", type=int, default=3, help="back-to-back rounds (default 3)")
    ap.add_argument("--python", help="Python 3.10 (or 3.9.5+) for the EG venv")
    ap.add_argument("--offline", action="store_true", help="never pip install")
    ap.add_argument("--quick", action="store_true",
                    help="smoke test: 4 EG and 100 of our ballots, 1 round, no results file")
    ap.add_argument("--out", type=Path, help=f"results file (default {RESULTS.relative_to(ROOT)})")
    a = ap.parse_args(argv)
    if a.quick:
        a.eg_n, a.ours_n, a.rounds = 4, 100, 1
    if a.eg_n < 2 or a.ours_n < 2 or a.rounds < 1:
        ap.error("--eg-n and --ours-n must be ≥ 2 and --rounds ≥ 1")
    out = a.out or (None if a.quick else RESULTS)

    python = find_python(a.python)
    vpy = ensure_venv(python, a.offline)
    t_start, load0 = time.time(), _loadavg()
    log(f"ElectionGuard side: {vpy} ({EG_SIDE.name}, {a.eg_n} ballots per round)")
    eg = EGSide(vpy, a.eg_n)
    try:
        log(f"our side: setting up an election with {a.ours_n} credentials …")
        ours = Ours(a.ours_n)
        eg_rounds: list[dict[str, Any]] = []
        our_rounds: list[dict[str, Any]] = []
        for k in range(a.rounds):
            order = ("eg", "ours") if k % 2 == 0 else ("ours", "eg")
            for side in order:
                if side == "eg":
                    eg_rounds.append(eg.round())
                else:
                    log(f"  [ours] round {k + 1}: encrypting and verifying {a.ours_n} ballots …")
                    our_rounds.append(ours.round(first=k == 0))
    finally:
        eg.close()
    load1, wall = _loadavg(), time.time() - t_start

    s = summarize(eg_rounds, our_rounds)
    print(table(s))
    checks = {"eg": eg_rounds[0]["tamper"], "ours": our_rounds[0]["tamper"]}
    if not (all(checks["eg"].values()) and checks["ours"]["swapped_proof_rejected"]):
        raise SystemExit(f"compare: a tampered ballot was not rejected: {checks}")
    print(f"rounds: {a.rounds} (EG {a.eg_n} ballots, ours {a.ours_n} per round); "
          f"run {wall:.0f} s; load average {load0:.2f} → {load1:.2f}")
    if out is None:
        return
    results = {
        "what": "per-ballot encryption and verification, ElectionGuard-python 1.4.0 vs "
                "hamaporsi, same machine, one run, rounds back to back",
        "command": " ".join([".venv/bin/python", "bench/electionguard/compare.py",
                             *(argv if argv is not None else sys.argv[1:])]),
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(t_start)),
        "run_seconds": wall, "load_average": [load0, load1], "machine": machine_info(),
        "rounds": a.rounds, "eg_n": a.eg_n, "ours_n": a.ours_n,
        "eg": {k: v for k, v in eg.ready.items() if k != "event"},
        "ours": {**_ours_versions(), **ours.shape, "setup_s": ours.setup_s,
                 "verify_chunk_size": ours.chunk},
        "ballot": "one question, yes/no, exactly one selection",
        "json_bytes": {"eg": statistics.median(eg_rounds[0]["json_bytes"]),
                       "ours": statistics.median(our_rounds[0]["json_bytes"])},
        "components_ms": {"eg": eg_rounds[0]["components"], "ours": our_rounds[0]["components"]},
        "tamper_checks": checks,
        **s,
    }
    out.write_text(json.dumps(results, indent=2) + "\n")
    log(f"wrote {out}")


if __name__ == "__main__":
    main()
