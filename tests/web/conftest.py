"""Browser tests of the booth: Debian's Chromium (/usr/bin/chromium) driven by Playwright over a
real `hamaporsi serve`. Never downloads a browser. Every page is watched: console errors, page
errors, CSP violations and any request to a host other than 127.0.0.1 fail the test.
Screenshots go to test-artifacts/screenshots/ (or $HAMAPORSI_ARTIFACTS/screenshots/)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from web.browse import CSP_LISTENER, Browse, Watch
from web.live import DIST, REPO, Live, start_live

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"width": 360, "height": 740}
WEB = REPO / "web"
SOURCES = [WEB / "src", WEB / "public", *WEB.glob("*.html"), WEB / "vite.config.ts",
           WEB / "package.json", WEB / "package-lock.json"]
CI = bool(os.environ.get("CI"))

def _missing(what: str) -> None:
    """Under CI a missing prerequisite fails; on a developer machine it skips with the fix."""
    (pytest.fail if CI else pytest.skip)(what)


def _newest(paths: list[Path]) -> float:
    out = 0.0
    for p in paths:
        if p.is_dir():
            out = max([out, *(f.stat().st_mtime for f in p.rglob("*") if f.is_file())])
        elif p.exists():
            out = max(out, p.stat().st_mtime)
    return out


@pytest.fixture(scope="session")
def dist() -> Path:
    """web/dist, built from the current sources (built here only if stale and npm is at hand)."""
    index = DIST / "index.html"
    fresh = index.is_file() and index.stat().st_mtime >= _newest(SOURCES)
    if not fresh:
        if CI:
            pytest.fail("web/dist is missing or older than web/src: the CI setup must build "
                        "the booth (scripts/setup.sh: cd web && npm ci && npm run build)")
        if shutil.which("npm") is None or not (WEB / "node_modules").is_dir():
            pytest.skip("web/dist is missing or stale and npm/node_modules are not here: "
                        "cd web && npm ci && npm run build")
        subprocess.run(["npm", "run", "build", "--silent"], cwd=WEB, check=True,
                       stdout=subprocess.DEVNULL)
    return DIST


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install -e .[test])")
    if not CHROMIUM.exists():
        _missing("/usr/bin/chromium is missing (apt-get install -y chromium)")
    pw = sync_playwright().start()
    b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
    try:
        yield b
    finally:
        b.close()
        pw.stop()


@pytest.fixture
def live(tmp_path: Path, dist: Path) -> Iterator[Live]:
    """An open election served by `hamaporsi serve` (stopped at teardown)."""
    lv = start_live(tmp_path)
    try:
        yield lv
    finally:
        lv.stop()


@pytest.fixture
def browse(browser: Any, live: Live, request: pytest.FixtureRequest) -> Iterator[Callable[..., Browse]]:
    """browse(**context options) → a new watched page (360×740 unless a viewport is given)."""
    made: list[tuple[Any, Browse]] = []

    def new(**opts: Any) -> Browse:
        ctx = browser.new_context(viewport=opts.pop("viewport", PHONE), accept_downloads=True,
                                  service_workers="block", **opts)
        ctx.add_init_script(CSP_LISTENER)
        watch = Watch()
        page = ctx.new_page()
        page.on("console", lambda m: watch.console_errors.append(m.text)
                if m.type == "error" else None)
        page.on("pageerror", lambda e: watch.page_errors.append(str(e)))

        def on_request(req: Any) -> None:
            u = urlsplit(req.url)
            if u.scheme in ("http", "https", "ws", "wss") and u.hostname != "127.0.0.1":
                watch.foreign.append(req.url)
        ctx.on("request", on_request)
        b = Browse(page, live, watch, f"{request.node.name}-{len(made)}" if made
                   else request.node.name)
        made.append((ctx, b))
        return b

    yield new
    problems = []
    for ctx, b in made:
        problems += b.watch.problems(b.page)
        ctx.close()
    assert not problems, "the page misbehaved:\n" + "\n".join(problems)
