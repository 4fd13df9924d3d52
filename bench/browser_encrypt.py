"""Ballot encryption in the browser: `encryptBallot` timed in headless Chromium (Debian's
/usr/bin/chromium through Playwright) on a 2-option and a 5-option exactly-one election served
by `hamaporsi serve`, after a warm-up; plus what the booth page itself downloads, gzipped.

    .venv/bin/python bench/browser_encrypt.py [--runs 50] [--warmup 5] [--out bench/browser_results.json]

Builds the booth with the benchmark page into web/dist-bench first (HAMAPORSI_BENCH_PAGE=1
npm run build; web/dist, the production booth, has no bench page) and serves that; needs
web/node_modules (cd web && npm ci). Prints a table; writes the figures as JSON.
The target (issue 3) is under 50 ms per ballot and a booth under 150 KB gzipped with the font.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from hamaporsi.protocol.manifest import Text  # noqa: E402

from web.live import start_live  # noqa: E402

WEB = ROOT / "web"
DIST = WEB / "dist-bench"  # the booth plus bench.html, never the production web/dist

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ELECTIONS = {
    2: [Text(fa="آری", en="Yes"), Text(fa="نه", en="No")],
    5: [Text(fa=f"گزینهٔ {i}", en=f"Option {i}") for i in range(1, 5)] + [
        Text(fa="سفید", en="Blank")],
}


def percentile(xs: list[float], p: float) -> float:
    s = sorted(xs)
    k = (len(s) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def booth_download(page: Any, url: str) -> dict[str, Any]:
    """Every file the booth page requests on first load, with its gzip -9 size (from web/dist)."""
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url))
    page.goto(url + "/")
    page.wait_for_selector("#step-code:not([hidden])")
    page.evaluate("document.fonts.ready.then(() => true)")
    files = []
    for u in dict.fromkeys(seen):
        path = urlsplit(u).path
        if path.startswith("/api/"):
            continue
        f = DIST / (path.lstrip("/") or "index.html")
        if f.is_file():
            data = f.read_bytes()
            files.append({"path": path, "raw": len(data),
                          "gzip": len(gzip.compress(data, 9, mtime=0))})
    return {"files": files, "raw": sum(f["raw"] for f in files),
            "gzip": sum(f["gzip"] for f in files)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=50, help="timed encryptions per election")
    ap.add_argument("--warmup", type=int, default=5, help="untimed encryptions first")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "browser_results.json")
    a = ap.parse_args()
    print("building the booth with the bench page into web/dist-bench …", flush=True)
    built = subprocess.run(["npm", "run", "build", "--silent"], cwd=WEB,
                           env={**os.environ, "HAMAPORSI_BENCH_PAGE": "1"})
    if built.returncode != 0 or not (DIST / "bench.html").is_file():
        sys.exit("building web/dist-bench failed (cd web && npm ci first)")
    from playwright.sync_api import sync_playwright

    version = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout
    rows: list[dict[str, Any]] = []
    download: dict[str, Any] = {}
    with sync_playwright() as pw, tempfile.TemporaryDirectory() as tmp:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for k, options in ELECTIONS.items():
            live = start_live(Path(tmp) / f"e{k}", voters=2, options=options, web=DIST)
            try:
                page = browser.new_page()
                if not download:
                    download = booth_download(page, live.url)
                page.goto(live.url + "/bench.html")
                page.wait_for_selector("body[data-state='ready']")
                print(f"encrypting {a.warmup} + {a.runs} ballots, {k} options …", flush=True)
                res = page.evaluate(f"window.__bench({a.runs}, {a.warmup})")
                page.close()
            finally:
                live.stop()
            t = res["runs"]
            rows.append({"options": k, "stored": res["stored"], "runs": len(t),
                         "median_ms": statistics.median(t), "p95_ms": percentile(t, 0.95),
                         "min_ms": min(t), "max_ms": max(t), "ballot_bytes": res["bytes"]})
        browser.close()
    print(f"\nbrowser ballot encryption, {version.strip()}, {platform.machine()}")
    print(f"{'options':>7} {'stored':>6} {'runs':>5} {'median ms':>10} {'p95 ms':>8} "
          f"{'min ms':>7} {'max ms':>7} {'bytes':>6}")
    for r in rows:
        print(f"{r['options']:>7} {r['stored']:>6} {r['runs']:>5} {r['median_ms']:>10.1f} "
              f"{r['p95_ms']:>8.1f} {r['min_ms']:>7.1f} {r['max_ms']:>7.1f} "
              f"{r['ballot_bytes']:>6}")
    print(f"\nbooth page download: {len(download['files'])} files, "
          f"{download['raw'] / 1024:.1f} KiB raw, {download['gzip'] / 1024:.1f} KiB gzip -9")
    for f in download["files"]:
        print(f"  {f['path']:<48} {f['raw']:>8} {f['gzip']:>8}")
    a.out.write_text(json.dumps({"chromium": version.strip(), "machine": platform.machine(),
                                 "warmup": a.warmup, "encrypt": rows, "booth": download},
                                indent=2) + "\n")
    print(f"\nwrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
