"""The booth page driven as a voter would (a page object over the element ids of web/index.html)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from web.browse import Browse

HEX64 = re.compile(r"^[0-9a-f]{64}$")
PERSIAN_DIGITS = re.compile(r"[۰-۹]")
LATIN_DIGITS = re.compile(r"[0-9]")


class Booth:
    def __init__(self, b: Browse) -> None:
        self.b = b
        self.page = b.page

    def open(self, query: str = "") -> Booth:
        self.b.open("/" + query)
        self.page.wait_for_selector("#step-code:not([hidden])")
        self.page.wait_for_selector("#phase-text")
        return self

    def visible(self, step: str) -> None:
        self.page.wait_for_selector(f"#step-{step}:not([hidden])", timeout=20_000)

    def enter_code(self, code: str) -> None:
        self.page.fill("#code-input", code)
        self.page.click("#code-submit")

    def choose(self, option: int) -> None:
        self.visible("choose")
        self.page.check(f"#opt-{option}")

    def encrypt(self) -> str:
        self.page.click("#encrypt-button")
        self.visible("tracking")
        tc = self.page.get_attribute("#tracking-code", "data-tracking") or ""
        assert HEX64.match(tc), tc
        shown = self.page.inner_text("#tracking-code").split()
        assert "".join(shown) == tc and all(len(g) == 4 for g in shown)
        return tc

    def cast(self) -> dict[str, Any]:
        """Cast and wait for the receipt the browser checked; returns the saved receipt JSON."""
        self.page.click("#cast-button")
        self.visible("receipt")
        self.page.wait_for_selector("#receipt-verified")
        with self.page.expect_download() as dl:
            self.page.click("#save-button")
        path = dl.value.path()
        return json.loads(Path(path).read_text())  # type: ignore[no-any-return]

    def vote(self, code: str, option: int) -> tuple[str, dict[str, Any]]:
        self.enter_code(code)
        self.choose(option)
        tc = self.encrypt()
        return tc, self.cast()

    def error(self, box: str) -> tuple[str, str]:
        """(code, message) shown in the alert box `box`."""
        el = self.page.wait_for_selector(f"#{box}:not([hidden])")
        assert el is not None
        return (el.get_attribute("data-code") or "",
                self.page.inner_text(f"#{box} .error-message"))

    def no_overflow(self) -> None:
        """Nothing wider than the screen (a 360 px phone scrolls only vertically)."""
        w = self.page.evaluate("document.documentElement.scrollWidth")
        vw = self.page.evaluate("window.innerWidth")
        assert w <= vw, f"page is {w} px wide on a {vw} px screen"
