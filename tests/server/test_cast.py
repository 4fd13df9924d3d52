"""POST /api/ballots and /api/audits: a cast ballot is stored and answered with a pending
receipt; every refusal has its status and code, says why in both languages, and stores nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from hamaporsi.protocol.ballot import encrypt_ballot, tracking_code
from hamaporsi.protocol.canonical import canonical_bytes, parse_canonical
from hamaporsi.protocol.credentials import Credential
from hamaporsi.protocol.merkle import leaf_hash
from hamaporsi.protocol.signing import sign_entry

from support.election import Election
from support.server import JSON, TestClient, cast, error_of, stored, tampered_proof, tick


def resigned(el: Election, voter: int, entry: dict[str, Any]) -> bytes:
    """`entry` re-signed by the voter's credential: the signature holds, so the server must
    find the fault elsewhere."""
    return canonical_bytes(sign_entry(entry, el.creds[voter].secret))


def _unknown_credential(el: Election) -> bytes:
    c = Credential.generate()
    return encrypt_ballot(el.ctx, c.secret, c.public, [0]).bytes


def _duplicate_key(el: Election) -> bytes:
    data = el.ballot(0, [0]).bytes
    first = data[1:data.index(b",") + 1]  # '"credential":"…",'
    return b"{" + first + data[1:]


def _other_election(el: Election) -> bytes:
    return resigned(el, 0, {**el.ballot(0, [0]).entry, "election": "ab" * 32})


def _bad_signature(el: Election) -> bytes:
    e = el.ballot(0, [0]).entry
    return canonical_bytes({**e, "sig": ("00" if e["sig"][:2] != "00" else "11") + e["sig"][2:]})


def _bad_audit(el: Election) -> bytes:
    a = el.ballot(0, [0]).audit_entry()
    return canonical_bytes({**a, "choices": [1 - a["choices"][0], *a["choices"][1:]]})


def _with_alpha(alpha: str) -> Callable[[Election], bytes]:
    """Voter 0's ballot with selection 0's α replaced (and re-signed by the voter)."""
    def make(el: Election) -> bytes:
        b = el.ballot(0, [0]).entry
        sel = [{**b["selections"][0], "alpha": alpha}, *b["selections"][1:]]
        return resigned(el, 0, {**b, "selections": sel})
    return make


REFUSALS: dict[str, tuple[Callable[[Election], bytes], str, int, str]] = {
    "point: identity": (_with_alpha("00" * 33), "ballot", 400, "bad_point"),
    "point: prefix 04": (_with_alpha("04" + "11" * 32), "ballot", 400, "bad_point"),
    "point: x not below p": (_with_alpha("02" + "ff" * 32), "ballot", 400, "bad_point"),
    "point: upper-case hex": (lambda el: _with_alpha(
        el.ballot(1, [0]).entry["selections"][0]["alpha"].upper())(el), "ballot", 400,
        "bad_encoding"),
    "leading space": (lambda el: b" " + el.ballot(0, [0]).bytes, "ballot", 400, "not_canonical"),
    "pretty printed": (lambda el: json.dumps(el.ballot(0, [0]).entry, indent=1).encode(),
                       "ballot", 400, "not_canonical"),
    "keys out of order": (lambda el: json.dumps(dict(reversed(el.ballot(0, [0]).entry.items())),
                                                separators=(",", ":")).encode(),
                          "ballot", 400, "not_canonical"),
    "escaped character": (lambda el: el.ballot(0, [0]).bytes.replace(b'"ballot"',
                                                                      b'"b\\u0061llot"'),
                          "ballot", 400, "not_canonical"),
    "duplicate key": (_duplicate_key, "ballot", 400, "duplicate_key"),
    "truncated": (lambda el: el.ballot(0, [0]).bytes[:-1], "ballot", 400, "malformed_json"),
    "not UTF-8": (lambda el: b'{"type":"\xff"}', "ballot", 400, "malformed_json"),
    "empty body": (lambda el: b"", "ballot", 400, "malformed_json"),
    "a float": (lambda el: b'{"type":1.5}', "ballot", 400, "not_canonical"),
    "missing field": (lambda el: canonical_bytes({k: v for k, v in el.ballot(0, [0]).entry.items()
                                                  if k != "total_proof"}),
                      "ballot", 400, "bad_field"),
    "audit posted as a ballot": (lambda el: canonical_bytes(el.ballot(0, [0]).audit_entry()),
                                 "ballot", 400, "wrong_type"),
    "ballot posted as an audit": (lambda el: el.ballot(0, [0]).bytes, "audit", 400,
                                  "wrong_type"),
    "bad proof, signed": (tampered_proof, "ballot", 422, "bad_proof"),
    "bad signature": (_bad_signature, "ballot", 422, "bad_signature"),
    "unknown credential": (_unknown_credential, "ballot", 422, "unknown_credential"),
    "other election": (_other_election, "ballot", 422, "wrong_election"),
    "audit that does not open": (_bad_audit, "audit", 422, "bad_audit"),
}


def test_cast_stores_the_exact_bytes_and_answers_a_pending_receipt(
        opened: Election, client: TestClient) -> None:
    b = opened.ballot(1, [2])
    before = stored(opened)
    r = cast(client, b.bytes)
    assert r.status_code == 201, r.text
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"status": "pending", "index": before,
                        "tracking_code": tracking_code(b.bytes).hex(),
                        "leaf_hash": leaf_hash(b.bytes).hex()}
    assert r.content == canonical_bytes(r.json())
    assert stored(opened) == before + 1
    tick(client)  # published once a checkpoint covers it
    page = client.get(f"/api/board/entries?start={before}&end={before + 1}").json()
    assert canonical_bytes(page["entries"][0]) == b.bytes


def test_audit_is_stored_and_its_ballot_can_never_be_cast(opened: Election,
                                                          client: TestClient) -> None:
    b = opened.ballot(2, [0])
    r = cast(client, canonical_bytes(b.audit_entry()), "audit")
    assert r.status_code == 201, r.text
    assert r.json()["tracking_code"] == b.tracking_code.hex()
    before = stored(opened)
    error_of(cast(client, b.bytes), 409, "duplicate")
    assert stored(opened) == before


def test_charset_parameter_is_accepted(opened: Election, client: TestClient) -> None:
    r = cast(client, opened.ballot(0, [0]).bytes,
             headers={"content-type": "application/json; charset=utf-8"})
    assert r.status_code == 201, r.text


@pytest.mark.parametrize("case", REFUSALS)
def test_refusal_stores_nothing(case: str, opened: Election, client: TestClient) -> None:
    make, kind, status, code = REFUSALS[case]
    data = make(opened)
    before = stored(opened)
    error_of(cast(client, data, kind), status, code)
    assert stored(opened) == before
    assert client.get("/api/results").json()["turnout"]["ballots"] == 0


def test_the_refused_inputs_really_are_refused_by_the_protocol(opened: Election) -> None:
    """The cases above fail for the reason named, not for a fault of the test."""
    for case, (make, _, _, code) in REFUSALS.items():
        data = make(opened)
        if code in ("not_canonical", "duplicate_key", "malformed_json"):
            with pytest.raises(Exception) as e:
                parse_canonical(data)
            assert getattr(e.value, "code", None) == code, case


def test_the_same_bytes_again_are_a_retry_with_the_same_receipt(opened: Election,
                                                                client: TestClient) -> None:
    """A client that lost the 201 sends the same bytes again: 200 and the same receipt, and
    nothing more is stored (docs/api.md, "Retrying")."""
    b = opened.ballot(0, [1])
    first = cast(client, b.bytes)
    assert first.status_code == 201
    before = stored(opened)
    for _ in range(2):
        again = cast(client, b.bytes)
        assert again.status_code == 200 and again.json() == first.json()
    assert stored(opened) == before
    a = opened.ballot(1, [0]).audit_entry()
    from hamaporsi.protocol.canonical import canonical_bytes
    first = cast(client, canonical_bytes(a), "audit")
    assert first.status_code == 201
    again = cast(client, canonical_bytes(a), "audit")
    assert again.status_code == 200 and again.json() == first.json()
    assert stored(opened) == before + 1


def test_a_copy_in_other_bytes_is_refused(opened: Election, client: TestClient) -> None:
    """The same ciphertexts under a fresh signature (other bytes, another tracking code), or
    the cast ballot audited: a replay, refused (V11) with nothing stored."""
    from hamaporsi.protocol.signing import sign_entry
    from hamaporsi.protocol.canonical import canonical_bytes
    b = opened.ballot(0, [1])
    assert cast(client, b.bytes).status_code == 201
    before = stored(opened)
    unsigned = {k: v for k, v in b.entry.items() if k != "sig"}
    resigned = canonical_bytes(sign_entry(unsigned, opened.creds[0].secret))
    assert resigned != b.bytes
    body = error_of(cast(client, resigned), 409, "duplicate")
    assert "V11" in body["detail"]
    error_of(cast(client, canonical_bytes(b.audit_entry()), "audit"), 409, "duplicate")
    assert stored(opened) == before


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded",
                                          "application/json; charset=latin-1",
                                          "application/jsonx"])
def test_wrong_content_type_is_415(content_type: str | None, opened: Election,
                                   client: TestClient) -> None:
    headers = {} if content_type is None else {"content-type": content_type}
    before = stored(opened)
    r = client.post("/api/ballots", content=opened.ballot(0, [0]).bytes, headers=headers)
    error_of(r, 415, "unsupported_media_type")
    assert stored(opened) == before


def test_body_over_the_cap_is_413_from_content_length(opened: Election,
                                                      serve: Callable[..., TestClient]) -> None:
    c = serve(opened, body_cap=4096)
    data = opened.ballot(0, [0]).bytes + b" " * 4096
    before = stored(opened)
    error_of(cast(c, data), 413, "too_large")
    assert stored(opened) == before


def test_body_over_the_cap_is_413_while_streaming(opened: Election,
                                                  serve: Callable[..., TestClient]) -> None:
    """No Content-Length (chunked): the server stops reading at the cap."""
    c = serve(opened, body_cap=4096)

    def chunks() -> Any:
        for _ in range(1000):
            yield b"x" * 1024

    before = stored(opened)
    error_of(c.post("/api/ballots", content=chunks(), headers=JSON), 413, "too_large")
    assert stored(opened) == before


def test_default_cap_admits_a_real_ballot_and_refuses_a_megabyte(opened: Election,
                                                                 client: TestClient) -> None:
    error_of(cast(client, b"[" * (1 << 20)), 413, "too_large")
    assert cast(client, opened.ballot(3, [0]).bytes).status_code == 201


def test_bad_content_length_is_400(opened: Election, client: TestClient) -> None:
    r = client.post("/api/ballots", content=b"{}",
                    headers={**JSON, "content-length": "12abc"})
    assert r.status_code == 400


def test_revote_replaces_and_both_are_on_the_board(opened: Election, client: TestClient) -> None:
    first, second = opened.ballot(0, [0]), opened.ballot(0, [1])
    assert cast(client, first.bytes).status_code == 201
    assert cast(client, second.bytes).status_code == 201
    tick(client)
    t = client.get("/api/results").json()["turnout"]
    assert (t["ballots"], t["voters"]) == (2, 1)
