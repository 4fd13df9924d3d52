"""Security headers on every response — API answers, every kind of error, the booth's static
files, the not-built page, a 500 — and no third-party assets: no CDN-loaded docs pages, and
the booth's pages load scripts and styles from this origin only."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from hamaporsi.protocol.ballot import encrypt_ballot
from hamaporsi.protocol.canonical import canonical_bytes
from hamaporsi.protocol.credentials import Credential
from hamaporsi.server.security import CSP

from support.election import Election
from support.server import JSON, TestClient, cast, error_of, make_booth

CONTRACT_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
                "form-action 'self'")
REPO_DIST = Path(__file__).resolve().parents[2] / "web" / "dist"


def assert_secure(r: object, *, api: bool) -> None:
    h = r.headers  # type: ignore[attr-defined]
    assert h["content-security-policy"] == CONTRACT_CSP
    assert "frame-ancestors 'none'" in h["content-security-policy"]
    assert "script-src 'self';" in h["content-security-policy"]
    assert h["x-content-type-options"] == "nosniff"
    assert h["referrer-policy"] == "no-referrer"
    assert h["x-frame-options"] == "DENY"
    assert h.get_list("content-security-policy") == [CONTRACT_CSP]  # once, not twice
    if api:
        assert h["cache-control"] == "no-store"


def test_csp_is_the_contracts() -> None:
    assert CSP == CONTRACT_CSP


@pytest.fixture
def booth_client(tmp_path: Path, opened: Election,
                 serve: Callable[..., TestClient]) -> TestClient:
    return serve(opened, web_dir=make_booth(tmp_path / "dist"))


def test_headers_on_api_answers_and_errors(opened: Election, client: TestClient) -> None:
    ballot = opened.ballot(0, [0])
    b = ballot.bytes
    stranger = Credential.generate()
    answers = {
        "200 election": client.get("/api/election"),
        "200 openapi": client.get("/openapi.json"),
        "201 cast": cast(client, b),
        "200 retry": cast(client, b),
        "409 audited after casting": cast(client, canonical_bytes(ballot.audit_entry()),
                                          "audit"),
        "400 not canonical": cast(client, b" " + b),
        "415 content type": client.post("/api/ballots", content=b,
                                        headers={"content-type": "text/plain"}),
        "413 too large": cast(client, b"x" * 100_000),
        "422 refused": cast(client, encrypt_ballot(opened.ctx, stranger.secret, stranger.public,
                                                   [0]).bytes),
        "404 tracking": client.get(f"/api/ballots/{'ab' * 32}"),
        "404 no route": client.get("/api/nothing-here"),
        "405 method": client.put("/api/ballots", content=b, headers=JSON),
        "400 query": client.get("/api/board/entries?start=x"),
    }
    for name, r in answers.items():
        assert r.status_code == int(name[:3]), (name, r.status_code, r.text)
        assert_secure(r, api=name != "200 openapi")
    assert answers["405 method"].headers["allow"] == "POST"
    r = client.put("/api/board/cosignatures", content=b"{}", headers=JSON)
    assert r.status_code == 405 and r.headers["allow"] == "GET, POST"
    assert_secure(r, api=True)


def test_headers_on_a_500_and_the_body_says_nothing_internal(
        opened: Election, serve: Callable[..., TestClient]) -> None:
    c = serve(opened)

    def broken() -> bytes:
        raise RuntimeError("secret internal state")

    c.app.state.service.results_json = broken  # type: ignore[attr-defined]
    r = c.get("/api/results")
    body = error_of(r, 500, "internal_error")
    assert "secret" not in r.text and "Traceback" not in body["detail"]
    assert_secure(r, api=True)


def test_headers_on_static_files(booth_client: TestClient) -> None:
    index = booth_client.get("/")
    assert index.status_code == 200 and "<title>booth</title>" in index.text
    assert index.headers["content-type"].startswith("text/html")
    js = booth_client.get("/assets/app.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    css = booth_client.get("/assets/app.css")
    assert css.headers["content-type"].startswith("text/css")
    missing = booth_client.get("/assets/nope.js")
    error_of(missing, 404, "not_found")
    for r in (index, js, css, missing):
        assert_secure(r, api=False)
    assert "cache-control" not in js.headers or js.headers["cache-control"] != "no-store"


def test_static_files_stay_inside_the_booth_folder(booth_client: TestClient,
                                                  tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("board secret")
    for path in ("/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt"):
        r = booth_client.get(path)
        assert r.status_code == 404 and "board secret" not in r.text


def test_not_built_page(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200 and "npm run build" in r.text
    assert r.headers["content-type"].startswith("text/plain")
    assert_secure(r, api=False)


def test_no_docs_pages_that_load_cdn_assets(client: TestClient) -> None:
    for path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
        assert client.get(path).status_code == 404
    assert "cdn" not in client.get("/openapi.json").text.lower()


_EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.I)
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", re.I)
_INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.I)


@pytest.mark.parametrize("which", ["test booth"] + (["web/dist"] if (REPO_DIST / "index.html")
                                                     .is_file() else []))
def test_booth_pages_load_nothing_from_elsewhere_and_nothing_inline(which: str,
                                                                  tmp_path: Path) -> None:
    """What CSP enforces in the browser, checked on the files: no third-party URL, no inline
    script or style (they would be blocked)."""
    root = REPO_DIST if which == "web/dist" else make_booth(tmp_path / "dist")
    pages = sorted(root.rglob("*.html"))
    assert pages
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert not _EXTERNAL.search(text), page
        assert not _INLINE_SCRIPT.search(text), page
        assert not _INLINE_STYLE.search(text), page


def test_the_page_checks_can_fail() -> None:
    assert _EXTERNAL.search('<script src="https://cdn.example/x.js">')
    assert _EXTERNAL.search("<link href=//cdn.example/x.css>")
    assert _INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert not _INLINE_SCRIPT.search('<script type=module src="/a.js"></script>')
    assert _INLINE_STYLE.search('<div style="color:red">')


def test_wrong_method_on_an_api_path_is_the_apis_405_with_a_booth(
        booth_client: TestClient) -> None:
    for method in ("PUT", "OPTIONS", "DELETE"):
        r = booth_client.request(method, "/api/ballots")
        assert r.status_code == 405 and r.headers["allow"] == "POST", (method, r.headers)
        assert_secure(r, api=True)
    assert booth_client.post("/api/election").headers["allow"] == "GET"
    error_of(booth_client.get("/api/nothing-here"), 404, "not_found")
