"""The lookup, results and board pages, the in-browser vector run, and what the built booth may
contain (CSP: no inline script or style, no third-party asset)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from web.booth import PERSIAN_DIGITS
from web.browse import Browse, wait_until
from web.live import DIST, REPO, HttpError, Live

VECTORS = REPO / "tests" / "vectors"


def fa_int(text: str) -> int:
    """An integer written with Persian digits (and separators) as the pages show it."""
    digits = text.translate(str.maketrans("۰۱۲۳۴۵۶۷۸۹", "0123456789"))
    return int(re.sub(r"[^0-9]", "", digits))


def test_lookup_valid_unknown_tampered_and_malformed(browse: Callable[..., Browse],
                                                     live: Live) -> None:
    ballot = live.cast(0, [1])
    tc = ballot.tracking_code.hex()
    st = live.included(tc)
    b = browse()
    b.watch.http_errors_expected = True  # the board's 404s
    page = b.open(f"/lookup.html?tc={tc}")
    page.wait_for_selector("#lookup-status")
    assert page.get_attribute("#lookup-status", "data-status") == "included"
    assert page.get_attribute("#lookup-superseded", "data-superseded") == "false"
    assert fa_int(page.inner_text("#lookup-result dd")) == st["index"]
    b.shot("1-valid-fa")
    # Typed with spaces and capitals (as printed on the receipt), in English.
    page.click("#lang-toggle")
    grouped = " ".join(tc[i:i + 4] for i in range(0, 64, 4)).upper()
    page.fill("#tc-input", grouped)
    page.click("#lookup-button")
    page.wait_for_selector("#lookup-status")
    assert "proof verified in your browser" in page.inner_text("#lookup-status")
    # That no later ballot replaced it is the board's word, not a check, and says so.
    claim = page.inner_text("#lookup-superseded")
    assert claim.startswith("The board reports that no later ballot"), claim
    assert f"checkpoint of {st['checkpoint']['size']:,} entries" in claim, claim
    assert "board's statement" in claim
    b.shot("2-valid-en")
    # One character changed: no such ballot.
    tampered = tc[:10] + ("0" if tc[10] != "0" else "1") + tc[11:]
    page.fill("#tc-input", tampered)
    page.click("#lookup-button")
    page.wait_for_selector("#lookup-error:not([hidden])")
    assert page.get_attribute("#lookup-error", "data-code") == "not_found"
    assert "No ballot with this tracking code" in page.inner_text("#lookup-error")
    assert page.locator("#lookup-status").count() == 0
    b.shot("3-tampered-en")
    # Not a tracking code at all: refused in the browser, nothing asked of the board.
    page.fill("#tc-input", tc[:40])
    page.click("#lookup-button")
    page.wait_for_selector("#lookup-error[data-code='bad_tracking_code']")
    page.click("#lang-toggle")
    assert "۶۴" in page.inner_text("#lookup-error")  # the message re-rendered in Persian
    b.shot("4-malformed-fa")


def test_lookup_refuses_a_board_answer_that_does_not_verify(browse: Callable[..., Browse],
                                                            live: Live) -> None:
    """A board that serves a wrong inclusion path is caught by the browser's check."""
    tc = live.cast(1, [0]).tracking_code.hex()
    st = live.included(tc)
    assert st["path"], "a one-leaf path would make this test meaningless"
    forged = {**st, "path": [("0" * 64)] + st["path"][1:]}
    b = browse()
    b.page.route(f"**/api/ballots/{tc}", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(forged)))
    page = b.open(f"/lookup.html?tc={tc}&lang=en")
    page.wait_for_selector("#lookup-error:not([hidden])")
    assert page.get_attribute("#lookup-error", "data-code") == "inclusion_failed"
    assert page.locator("#lookup-status").count() == 0


def test_results_live_turnout_then_result(browse: Callable[..., Browse], live: Live) -> None:
    b = browse()
    page = b.open("/results.html")
    page.wait_for_selector("#turnout-facts")
    assert page.locator("#no-result").count() == 1
    assert fa_int(page.inner_text("[data-key='turnout_voters']")) == 0
    assert fa_int(page.inner_text("[data-key='turnout_eligible']")) == len(live.codes)
    b.shot("1-before-fa")
    live.cast(0, [0])
    live.cast(1, [0])
    live.cast(2, [1])
    # Live: the page polls while voting is open.
    wait_until(lambda: page.inner_text("[data-key='turnout_voters']") == "۳",
               what="live turnout of three voters")
    counts = live.finish()
    page.wait_for_selector("#result-table", timeout=20_000)
    rows = page.locator("#result-table tbody tr")
    assert rows.count() == 3  # yes, no, blank (no empty ballots: exactly one is chosen)
    shown = [fa_int(rows.nth(i).locator("td").first.inner_text()) for i in range(3)]
    assert shown == counts == [2, 1, 0]
    assert page.locator("svg.chart rect").count() == 3
    # Every bar is labelled inside the chart's box (the RTL anchor puts labels on the right).
    box = page.locator("svg.chart").bounding_box()
    labels = page.locator("svg.chart text")
    assert labels.count() == 3
    for i in range(3):
        lb = labels.nth(i).bounding_box()
        assert lb and box and lb["width"] > 10
        assert box["x"] - 1 <= lb["x"] and lb["x"] + lb["width"] <= box["x"] + box["width"] + 1
    assert page.get_attribute("svg.chart", "aria-hidden") == "true"  # the table is read instead
    b.shot("2-after-fa")
    page.click("#lang-toggle")
    assert "Yes" in page.inner_text("#result-table")
    b.shot("3-after-en")


def test_board_page_verifies_checkpoints(browse: Callable[..., Browse], live: Live) -> None:
    for voter in range(3):  # three checkpoints apart
        live.included(live.cast(voter, [voter % 3]).tracking_code.hex())
    cps = live.get("/api/board/checkpoints")["checkpoints"]
    assert len(cps) >= 3
    b = browse()
    page = b.open("/board.html")
    page.wait_for_selector("#board-verdict")
    assert page.get_attribute("#board-verdict", "data-ok") == "true"
    assert fa_int(page.inner_text("#board-size")) == cps[0]["size"]
    assert page.locator("#cp-list li").count() == len(cps)
    assert page.locator("[data-check='consistency'].ok-mark").count() == len(cps) - 1
    assert PERSIAN_DIGITS.search(page.inner_text("#cp-list"))
    b.shot("1-board-fa")


def test_board_page_catches_a_rewritten_log(browse: Callable[..., Browse], live: Live) -> None:
    """A consistency proof that does not hold (a rewritten history) is flagged."""
    for voter in range(2):
        live.included(live.cast(voter, [0]).tracking_code.hex())
    b = browse()
    b.page.route("**/api/board/proofs/consistency*", lambda route: route.fulfill(
        status=200, content_type="application/json",
        body=json.dumps({"from": 0, "to": 0, "proof": ["ab" * 32]})))
    page = b.open("/board.html?lang=en")
    page.wait_for_selector("#board-verdict")
    assert page.get_attribute("#board-verdict", "data-ok") == "false"
    assert page.locator("[data-check='consistency'].bad-mark").count() >= 1


def test_vectors_page_runs_every_vector_in_the_browser(browse: Callable[..., Browse]) -> None:
    """The booth crypto in Chromium gives the Python bytes for every case of tests/vectors."""
    expected = {p.name: len(json.loads(p.read_text())["cases"])
                for p in sorted(VECTORS.glob("*.json"))}
    assert len(expected) >= 9 and all(expected.values())
    b = browse()

    def serve_vector(route):  # type: ignore[no-untyped-def]
        name = route.request.url.split("/vectors/", 1)[1]
        path = (VECTORS / name).resolve()
        assert path.is_relative_to(VECTORS)
        route.fulfill(status=200, body=path.read_bytes(), content_type="application/json")

    b.page.route("**/vectors/**", serve_vector)
    page = b.open("/vectors.html")
    page.wait_for_selector("body[data-state='done'], body[data-state='error']", timeout=120_000)
    res = page.evaluate("window.__vectorResults")
    assert res["failed"] == []
    for name, n in expected.items():
        # One check per case of the file, plus at most a few file-level checks (for example
        # "invalid ballots cover every check" in ballots.json).
        assert n <= res["counts"][name] <= n + 3, (name, res["counts"][name], n)
    public = {k: v for k, v in res["counts"].items() if k.startswith("public/")}
    assert len(public) == 2 and all(public.values())
    assert res["passed"] == sum(res["counts"].values())


def test_a_booth_other_than_the_published_one_is_flagged(browse: Callable[..., Browse],
                                                         live: Live) -> None:
    """If the server says it serves other code than the manifest states, the footer warns."""
    el = live.get("/api/election")
    assert el["booth"]["hash"] == el["manifest"]["booth"]  # the honest case first
    other = {**el, "booth": {"hash": "00" * 32, "published": "00" * 32}}
    b = browse()
    b.page.route("**/api/election", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(other)))
    page = b.open("/?lang=en")
    page.wait_for_selector("#fingerprint")
    assert page.get_attribute("#fingerprint", "class") == "fp-bad"
    assert "DIFFERS" in page.inner_text("#fingerprint")


def test_the_booth_fingerprint_is_worded_as_the_servers_report(
        browse: Callable[..., Browse], live: Live) -> None:
    """A match is the server's own claim (a tampered server reports one too): no check mark,
    both fingerprints shown, and how to check independently, in both languages."""
    el = live.get("/api/election")
    b = browse()
    page = b.open("/lookup.html?lang=en")
    page.wait_for_selector("#fingerprint")
    assert page.get_attribute("#fingerprint", "data-fp") == "same"
    text = page.inner_text("#fingerprint")
    assert text.startswith("Booth code fingerprint. The server reports booth fingerprint: "), text
    assert "the organizer published" in text
    assert "only the server's own report" in text and "witnesses" in text
    assert "✓" not in text and "matches the fingerprint" not in text
    assert page.locator("#fingerprint .hex").count() == 2
    assert page.get_attribute("#fingerprint .hex >> nth=0", "title") == el["booth"]["hash"]
    assert page.get_attribute("#fingerprint .hex >> nth=1", "title") == el["manifest"]["booth"]
    ok = page.locator(".site-footer .ok-mark, .site-footer .fp-ok")
    assert ok.count() == 0
    page.click("#lang-toggle")
    fa = page.inner_text("#fingerprint")
    assert "گزارش خود کارساز" in fa and "ناظران" in fa


def test_a_manifest_that_does_not_match_its_hash_stops_the_booth(
        browse: Callable[..., Browse], live: Live) -> None:
    """A server that serves an election id other than the manifest's hash gets no vote."""
    el = live.get("/api/election")
    forged = {**el, "election_id": "ab" * 32}
    b = browse()
    b.page.route("**/api/election", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(forged)))
    page = b.open("/")
    page.wait_for_selector("#fatal-error:not([hidden])")
    assert page.get_attribute("#fatal-error", "data-code") == "election_mismatch"
    assert page.is_hidden("#step-code")
    b.shot("1-mismatch-fa")


def test_served_pages_carry_the_security_headers(live: Live) -> None:
    import urllib.request

    for path in ("/", "/lookup.html", "/results.html", "/board.html", "/api/election"):
        with urllib.request.urlopen(live.url + path) as r:
            csp = r.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp, path
    with pytest.raises(HttpError) as e:
        live.get("/api/ballots/" + "00" * 32)
    assert e.value.status == 404 and e.value.body["error"] == "not_found"


def test_built_booth_has_no_inline_code_and_no_third_party_asset(dist: Path) -> None:
    pages = sorted(DIST.glob("*.html"))
    assert {p.name for p in pages} >= {"index.html", "lookup.html", "results.html",
                                       "board.html"}
    for p in pages:
        html = p.read_text()
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag, f"{p.name}: inline script {tag}"
        assert not re.search(r"<script\b[^>]*>(?!\s*</script>)", html), \
            f"{p.name}: inline script body"
        assert not re.search(r"\sstyle=", html), f"{p.name}: inline style attribute"
        assert "<style" not in html, f"{p.name}: inline style element"
        assert not re.search(r"\son[a-z]+=", html), f"{p.name}: inline event handler"
        for url in re.findall(r"(?:src|href)=\"([^\"]+)\"", html):
            assert url.startswith(("/", "#")) and not url.startswith("//"), f"{p.name}: {url}"
    for f in DIST.rglob("*"):
        if f.suffix in (".js", ".css", ".html"):
            text = f.read_text()
            assert not re.search(r"https?://(?!www\.w3\.org/)", text.replace(
                "http://www.w3.org", "")), f"{f.name} names an outside URL"
    fonts = sorted(f.name for f in DIST.rglob("*.woff2"))
    assert len(fonts) == 2 and all("Vazirmatn" in f for f in fonts), fonts


def _rekeyed(live: Live) -> tuple[dict[str, Any], Callable[[dict[str, Any]], dict[str, Any]]]:
    """A proxy's /api/election naming its own board key (manifest untouched) and a function that
    re-signs any checkpoint with that key (same election, size and root)."""
    import hashlib

    from hamaporsi.crypto import bip340
    from hamaporsi.protocol.checkpoint import Checkpoint, sign_checkpoint

    secret = hashlib.sha256(b"a proxy's own board key").digest()
    el = live.get("/api/election")
    other = {**el, "board_key": bip340.public_key(secret).hex()}
    assert other["board_key"] != el["manifest"]["board_key"]

    def resign(cp: dict[str, Any]) -> dict[str, Any]:
        c = Checkpoint.from_json(cp)
        return sign_checkpoint(secret, c.election_id, c.size, c.root, c.timestamp).to_json()
    return other, resign


def test_lookup_refuses_a_board_key_other_than_the_manifests(browse: Callable[..., Browse],
                                                              live: Live) -> None:
    """A proxy rewriting /api/* with its own board key (checkpoints signed by that key) cannot
    make the lookup page say "included, proof verified": the key comes from the manifest."""
    tc = live.cast(0, [1]).tracking_code.hex()
    st = live.included(tc)
    other, resign = _rekeyed(live)
    forged = {**st, "checkpoint": resign(st["checkpoint"])}
    b = browse()
    b.page.route("**/api/election", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(other)))
    b.page.route(f"**/api/ballots/{tc}", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(forged)))
    page = b.open(f"/lookup.html?tc={tc}&lang=en")
    page.wait_for_selector("#lookup-error:not([hidden])")
    assert page.get_attribute("#lookup-error", "data-code") == "board_key_mismatch"
    assert "signed manifest" in page.inner_text("#lookup-error")
    assert page.locator("#lookup-status").count() == 0
    assert page.locator("#fingerprint").count() == 0  # no footer for an unchecked election
    page.click("#lang-toggle")
    assert "مانیفست" in page.inner_text("#lookup-error")
    b.shot("1-rekeyed-fa")


@pytest.mark.parametrize(("path", "box", "phase"), [("/board.html", "#board-error", "voting"),
                                                    ("/results.html", "#results-error", "done"),
                                                    ("/", "#fatal-error", "voting"),
                                                    ("/", "#fatal-error", "setup")])
def test_every_page_refuses_a_board_key_other_than_the_manifests(
        browse: Callable[..., Browse], live: Live, path: str, box: str, phase: str) -> None:
    """The same shared check on the board, results and vote pages, in every phase (before
    voting opens there is no election context, and the manifest is checked all the same)."""
    live.included(live.cast(1, [0]).tracking_code.hex())
    other, resign = _rekeyed(live)
    other["phase"] = phase
    if phase == "setup":
        other["context"] = None
    cps = live.get("/api/board/checkpoints")
    forged = {"checkpoints": [resign(c) for c in cps["checkpoints"]]}
    b = browse()
    b.page.route("**/api/election", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(other)))
    b.page.route("**/api/board/checkpoints*", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(forged)))
    page = b.open(path + "?lang=en")
    page.wait_for_selector(f"{box}:not([hidden])")
    assert page.get_attribute(box, "data-code") == "board_key_mismatch"
    assert page.locator("#board-verdict").count() == 0
    assert page.locator("#turnout-facts").count() == 0
    assert page.locator("#fingerprint").count() == 0


def test_production_build_has_no_bench_page_and_links_no_test_page(dist: Path) -> None:
    """web/dist is the production booth: the benchmark page is built only on request
    (HAMAPORSI_BENCH_PAGE=1, into web/dist-bench); the vectors page ships (anyone may run the
    shared vectors in their own browser) but no booth page or script links to it."""
    names = {p.name for p in DIST.glob("*.html")}
    assert "bench.html" not in names
    assert not list(DIST.rglob("bench*")), "benchmark code in the production build"
    assert {"index.html", "lookup.html", "results.html", "board.html", "vectors.html"} <= names
    vectors_js = set(re.findall(r'src="/assets/([^"]+)"', (DIST / "vectors.html").read_text()))
    for f in [*DIST.glob("*.html"), *DIST.rglob("*.js")]:
        if f.name == "vectors.html" or f.name in vectors_js:
            continue
        text = f.read_text()
        assert "vectors.html" not in text and "bench.html" not in text, f.name


def test_booth_navigation_links_only_the_booth_pages(browse: Callable[..., Browse]) -> None:
    b = browse()
    page = b.open("/lookup.html?lang=en")
    page.wait_for_selector("#site-header nav a")
    links = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    assert {"/", "/lookup.html", "/results.html", "/board.html"} <= set(links)
    assert not [u for u in links if "vectors" in u or "bench" in u], links
