"""The booth bundle's fingerprint (contract: SHA-256 of the canonical JSON {"files": {path:
sha-256}}), the manifest's optional "booth" field (spec §5.2) that states it, the organizer's
--booth option, and GET /api/election reporting both the served and the published hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hamaporsi.crypto import bip340
from hamaporsi.protocol.ceremony_entries import TrusteeKeys
from hamaporsi.protocol.errors import MalformedInput, Rejected
from hamaporsi.protocol.manifest import Text, build_manifest, parse_manifest
from hamaporsi.protocol.signing import sign_entry
from hamaporsi.server.bundle import bundle_hash, bundle_manifest

from support.election import Election
from support.server import TestClient, make_booth


def test_hash_is_the_contracts_formula(tmp_path: Path) -> None:
    d = make_booth(tmp_path / "dist")
    files = {"assets/app.css": hashlib.sha256(b"body{margin:0}\n").hexdigest(),
             "assets/app.js": hashlib.sha256(b"console.log('booth')\n").hexdigest(),
             "index.html": hashlib.sha256((d / "index.html").read_bytes()).hexdigest()}
    assert bundle_manifest(d) == {"files": files}
    text = json.dumps({"files": dict(sorted(files.items()))}, separators=(",", ":"))
    assert bundle_hash(d) == hashlib.sha256(text.encode()).digest()


@pytest.mark.parametrize("change", ["edit", "add", "rename", "remove"])
def test_any_change_changes_the_hash(change: str, tmp_path: Path) -> None:
    d = make_booth(tmp_path / "dist")
    before = bundle_hash(d)
    js = d / "assets" / "app.js"
    if change == "edit":
        js.write_text("console.log('b00th')\n")
    elif change == "add":
        (d / "assets" / "extra.js").write_text("")
    elif change == "rename":
        js.rename(d / "assets" / "app2.js")
    else:
        js.unlink()
    assert bundle_hash(d) != before


def test_missing_or_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        bundle_hash(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError):
        bundle_hash(tmp_path / "empty")


def _kwargs() -> dict[str, Any]:
    org = bytes(31) + b"\x07"
    return dict(election_id="x", question=Text("پ", "q"),
                options=[Text("آ", "a"), Text("ب", "b")], min_selections=1, max_selections=1,
                opens=1, closes=2, organizer_key=bip340.public_key(org),
                registrar_key=bip340.public_key(org), board_key=bip340.public_key(org),
                trustees=[TrusteeKeys.generate().public_info("T")], threshold=1)


def _manifest(booth: bytes | None = None, extra: dict[str, Any] | None = None
              ) -> dict[str, Any]:
    """A signed manifest; `extra` overrides fields before signing."""
    return sign_entry({**build_manifest(**_kwargs(), booth=booth), **(extra or {})},
                      bytes(31) + b"\x07")


def test_manifest_booth_field_is_optional_and_strict() -> None:
    plain = _manifest()
    assert "booth" not in plain and parse_manifest(plain).booth is None
    h = bytes(range(32))
    m = parse_manifest(_manifest(h))
    assert m.booth == h and m.entry["booth"] == h.hex()
    for bad in (h.hex().upper(), h.hex()[:-2], 5, None, h.hex() + "00"):
        with pytest.raises((MalformedInput, Rejected)):
            parse_manifest(_manifest(None, {"booth": bad}))
    with pytest.raises(ValueError):
        build_manifest(**{**_kwargs(), "booth": b"short"})


def test_booth_hash_changes_the_manifest_hash() -> None:
    a, b = parse_manifest(_manifest(bytes(32))), parse_manifest(_manifest(b"\x01" * 32))
    assert a.hash != b.hash


def test_election_reports_served_and_published_hashes(
        tmp_path: Path, serve: Callable[..., TestClient]) -> None:
    web = make_booth(tmp_path / "dist")
    h = bundle_hash(web)
    el = Election(tmp_path / "board.sqlite", booth=h)
    el.open()
    el.store.close()
    c = serve(el, web_dir=web)
    assert c.get("/api/election").json()["booth"] == {"hash": h.hex(), "published": h.hex()}
    (web / "assets" / "app.js").write_text("evil()")  # served files change after the start
    other = serve(el, web_dir=web)
    booth = other.get("/api/election").json()["booth"]
    assert booth["published"] == h.hex() and booth["hash"] == bundle_hash(web).hex() != h.hex()
