"""Security checklist §5 "publish everything" and §6, the verifier
(`../shared/research/security.md`): what the tamper suite and tests/e2e did not already cover.

- The verifier runs offline, from the two public files of the record alone: no network, no key.
- Verify before use: the election is identified by its manifest hash, which covers the
  organizer's signature. Re-signing the manifest (even by the true organizer) changes it, and
  the rest of the record, bound to the old hash, fails at once (V2). A whole substituted
  election verifies on its own — only the pinned fingerprint (`--expect-election`) tells it
  apart, and it does.
"""

from __future__ import annotations

import contextlib
import io
import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from hamaporsi.cli.main import main
from hamaporsi.crypto.hashing import hash_parts
from hamaporsi.protocol.canonical import canonical_bytes
from hamaporsi.protocol.signing import sign_entry
from hamaporsi.verify.runner import verify_record

from support.election import Election

if TYPE_CHECKING:  # the attack fixtures (tests/attacks/conftest.py), for annotations only
    from conftest import Demo, Workspace


def _no_network(*a: Any, **k: Any) -> Any:
    raise AssertionError("the verifier tried to use the network")


@pytest.mark.parametrize("workers", [1, 2])
def test_verifier_runs_offline_from_the_record_alone(ws: Workspace, workers: int,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    assert sorted(os.listdir(ws.record)) == ["checkpoints.jsonl", "cosignatures.jsonl",
                                             "entries.jsonl"]
    assert (ws.record / "cosignatures.jsonl").read_bytes() == b""  # the demo has no witnesses
    for name in ("getaddrinfo", "create_connection"):
        monkeypatch.setattr(socket, name, _no_network)
    monkeypatch.setattr(socket.socket, "connect", _no_network)
    monkeypatch.setattr(socket.socket, "connect_ex", _no_network)
    for var in [v for v in os.environ if v.startswith("HAMAPORSI")]:
        monkeypatch.delenv(var)
    rep = ws.verify(workers=workers)
    assert rep.ok, rep.failure
    assert rep.result is not None and rep.result["counts"] == ws.demo.stats["counts"]


def _mh(manifest: dict[str, Any]) -> str:
    return hash_parts("manifest", canonical_bytes(manifest)).hex()


def test_resigned_manifest_changes_the_fingerprint_and_the_record_fails(ws: Workspace) -> None:
    d = ws.demo
    es = ws.entries()
    old = _mh(es[0])
    es[0] = sign_entry(es[0], d.organizer_secret)  # same content, fresh BIP340 aux randomness
    assert es[0]["sig"] != d.entries[0]["sig"] and _mh(es[0]) != old
    ws.write(es)  # re-sealed, checkpoints naming the new fingerprint
    rep = ws.verify()
    assert rep.election == _mh(es[0])
    assert rep.failure is not None and (rep.failure.check, rep.failure.entry) == ("V2", 1)
    assert "entry is for another manifest" in rep.failure.reason


def _cli_verify(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        rc = main(["verify", *argv, "--workers", "1"])
    return rc, out.getvalue()


def test_substituted_election_is_caught_only_by_the_pinned_fingerprint(demo: Demo,
                                                                      tmp_path: Path) -> None:
    """An attacker with their own keys runs a whole election of their own: its record verifies.
    Pinned to the real election's manifest hash, the verifier refuses it."""
    el = Election(tmp_path / "board.sqlite", voters=2)
    try:
        el.open()
        el.cast(0, [0])
        el.cast(1, [0])
        el.finish()
        el.eb.checkpoint()
        fake = el.eb.export(tmp_path / "record")
    finally:
        el.store.close()
    real = _mh(demo.entries[0])
    assert verify_record(fake, workers=1).ok
    rc, out = _cli_verify(str(fake), "--expect-election", real)
    assert rc == 1 and real in out.replace("\n", "")
    rc, _ = _cli_verify(str(demo.record), "--expect-election", real)
    assert rc == 0
