"""A watched browser page: console errors, page errors, CSP violations and requests off
127.0.0.1 are collected for the test to fail on; screenshots are kept as artifacts."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from web.live import REPO, Live

# Chromium logs every non-2xx fetch as a console error; tests that expect a refusal say so.
HTTP_ERROR_LOG = "Failed to load resource: the server responded with a status of"


def artifacts() -> Path:
    base = Path(os.environ.get("HAMAPORSI_ARTIFACTS") or REPO / "test-artifacts")
    out = base / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    return out


@dataclass
class Watch:
    """What a page did that a test must not let pass unnoticed."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    http_errors_expected: bool = False

    def problems(self, page: Any) -> list[str]:
        csp = page.evaluate("window.__csp || []") if not page.is_closed() else []
        errs = [e for e in self.console_errors
                if not (self.http_errors_expected and e.startswith(HTTP_ERROR_LOG))]
        return ([f"console: {e}" for e in errs] + [f"page error: {e}" for e in self.page_errors]
                + [f"CSP violation: {v}" for v in csp]
                + [f"request off 127.0.0.1: {u}" for u in self.foreign])


CSP_LISTENER = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


@dataclass
class Browse:
    """A phone-sized page on the live server, watched, with screenshots named after the test."""

    page: Any
    live: Live
    watch: Watch
    name: str

    def open(self, path: str = "/") -> Any:
        self.page.goto(self.live.url + path)
        return self.page

    def shot(self, step: str) -> Path:
        p = artifacts() / f"{self.name}-{step}.png"
        self.page.screenshot(path=str(p), full_page=True)
        return p


def wait_until(check: Any, timeout: float = 15.0, what: str = "condition") -> None:
    """Poll `check()` from Python (the pages' CSP forbids the eval a string wait_for_function
    would need)."""
    import time

    end = time.monotonic() + timeout
    while not check():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)
