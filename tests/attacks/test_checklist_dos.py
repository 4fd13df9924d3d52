"""Security checklist §9, payload DoS (`../shared/research/security.md`): what
tests/protocol/test_canonical.py and tests/board/test_election_board.py did not already cover.

- Through the board's one entry point, `ElectionBoard.submit_bytes`: a 10 MB entry, a
  10⁶-element array, nesting 10⁴ deep and a 10⁵-digit integer are each refused with their error
  code and nothing is stored; so are big payloads that fit in 1 MiB (3·10⁵ selections, a
  2·10⁵-digit hex "point"). The time each takes is recorded as a test property, never asserted.
- Checks run in cost order: size, then structure, then the signature, then the proofs — a
  malformed or unsigned ballot never reaches the proof verifier.
- The verifier: a 10 MB line in a record is refused at its entry.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from hamaporsi.crypto.errors import CryptoError
from hamaporsi.crypto.group import Point
from hamaporsi.protocol import ballot as ballot_module
from hamaporsi.protocol.canonical import MAX_ENTRY_BYTES, canonical_bytes
from hamaporsi.protocol.errors import ProtocolError
from hamaporsi.protocol.signing import sign_entry

from support.election import Election

if TYPE_CHECKING:  # the attack fixtures (tests/attacks/conftest.py), for annotations only
    from conftest import Workspace

MB = 1 << 20




def _nested(depth: int) -> bytes:
    return b'{"type":"ballot","x":' + b"[" * depth + b"]" * depth + b"}"


PAYLOADS: dict[str, tuple[Callable[[dict[str, Any]], bytes], str]] = {
    # name: (bytes from a valid ballot entry, expected error code)
    "10 MB entry": (lambda b: canonical_bytes({**b, "padding": "x" * (10 * MB)}), "too_large"),
    "10^6-element array": (lambda b: canonical_bytes({**b, "selections": [0] * 10**6}),
                           "too_large"),
    "nesting 10^4 deep": (lambda b: _nested(10**4), "malformed_json"),
    "nesting 17 deep": (lambda b: _nested(16), "malformed_json"),  # 17 levels with the object
    "10^5-digit integer": (lambda b: b'{"n":' + b"9" * 10**5 + b',"type":"ballot"}',
                           "not_canonical"),
    "10^5-digit integer in a ballot": (
        lambda b: canonical_bytes(b)[:-1] + b',"z":' + b"7" * 10**5 + b"}", "not_canonical"),
    "3*10^5 selections within 1 MiB": (
        lambda b: canonical_bytes({**b, "selections": [0] * 300_000}), "bad_structure"),
    "2*10^5-digit hex point within 1 MiB": (
        lambda b: canonical_bytes({**b, "selections": [
            {**b["selections"][0], "alpha": "02" * 100_000}, b["selections"][1]]}),
        "bad_encoding"),
}


@pytest.mark.parametrize("name", list(PAYLOADS))
def test_oversized_or_deep_payload_is_refused_and_nothing_stored(
        el: Election, name: str, record_property: Callable[[str, object], None]) -> None:
    good = el.ballot(0, [1])
    make, code = PAYLOADS[name]
    data = make(good.entry)
    assert (len(data) > MAX_ENTRY_BYTES) == (code == "too_large")
    led = el.eb.ledger
    before = (el.store.size(), el.eb.board.size, led.ballots, led.entries)
    t0 = time.perf_counter()
    with pytest.raises((ProtocolError, CryptoError)) as e:
        el.eb.submit_bytes(data)
    record_property("seconds", time.perf_counter() - t0)  # measured, deliberately not asserted
    assert getattr(e.value, "code", None) == code, e.value
    assert (el.store.size(), el.eb.board.size, led.ballots, led.entries) == before
    el.eb.submit_bytes(good.bytes)  # the board still takes the valid ballot
    assert led.ballots == 1


# -- checks in cost order ---------------------------------------------------------------------


class Calls:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sig = self.proof = 0
        real_sig, real_proof = ballot_module.verify_entry, ballot_module.verify_in_set

        def sig(*a: Any, **k: Any) -> Any:
            self.sig += 1
            return real_sig(*a, **k)

        def proof(*a: Any, **k: Any) -> Any:
            self.proof += 1
            return real_proof(*a, **k)

        monkeypatch.setattr(ballot_module, "verify_entry", sig)
        monkeypatch.setattr(ballot_module, "verify_in_set", proof)


def _bumped(entry: dict[str, Any]) -> dict[str, Any]:
    """α of selection 0 moved to another valid point (so only the signature and proofs fail)."""
    sels = [dict(s) for s in entry["selections"]]
    a = Point.decode(bytes.fromhex(sels[0]["alpha"]))
    sels[0]["alpha"] = (a + Point.G).encode().hex()
    return {**entry, "selections": sels}


def test_checks_run_in_cost_order(el: Election, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = Calls(monkeypatch)
    b = el.ballot(0, [1]).entry
    secret = el.creds[0].secret
    cases = [  # (entry bytes, expected (check, code), signature checks, proof checks)
        (canonical_bytes({**_bumped(b), "padding": "x" * MB}), (None, "too_large"), 0, 0),
        (canonical_bytes({**_bumped(b), "extra": 1}), (None, "bad_field"), 0, 0),
        (canonical_bytes({**_bumped(b), "selections": b["selections"][:1]}),
         ("V5", "bad_structure"), 0, 0),
        (canonical_bytes(_bumped(b)), ("V6", "bad_signature"), 1, 0),
        (canonical_bytes(sign_entry(_bumped(b), secret)), ("V7", "bad_proof"), 1, 1),
    ]
    for data, want, sigs, proofs in cases:
        calls.sig = calls.proof = 0
        with pytest.raises((ProtocolError, CryptoError)) as e:
            el.eb.submit_bytes(data)
        got = (getattr(e.value, "check", None), getattr(e.value, "code", None))
        assert got == want, e.value
        assert (calls.sig, calls.proof) == (sigs, proofs), want
    calls.sig = calls.proof = 0
    el.eb.submit_bytes(canonical_bytes(b))
    assert (calls.sig, calls.proof) == (1, 3)  # two selections and the total
    assert el.eb.ledger.ballots == 1


# -- the verifier -------------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["setup", "voting"])
def test_verifier_refuses_a_10_mb_line_at_its_entry(ws: Workspace, where: str) -> None:
    d = ws.demo
    lines = ws.lines()
    at = d.index("dkg-commit") if where == "setup" else d.index("close")
    big = canonical_bytes({**d.entries[d.single_ballot()], "padding": "x" * (10 * MB)})
    lines.insert(at, big)
    ws.write_lines(lines)
    ws.reseal(lines, d.board_secret)
    rep = ws.verify()
    assert rep.failure is not None and rep.failure.entry == at, rep.failure
    assert "more than the limit" in rep.failure.reason
