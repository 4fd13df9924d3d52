"""Witness cosignatures at the server (spec §8.8; helper contract "HTTP"): POST stores only a
valid cosignature of a checkpoint the board signed, by a witness the manifest lists; GET lists
them; a receipt is `included` only against the latest checkpoint that the threshold of listed
witnesses validly cosigned; the export writes cosignatures.jsonl and the record verifies."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hamaporsi.board.election_board import ElectionBoard
from hamaporsi.board.open import open_store
from hamaporsi.protocol.canonical import canonical_bytes, parse_canonical
from hamaporsi.protocol.checkpoint import Checkpoint, sign_checkpoint
from hamaporsi.protocol.cosignature import Cosignature, cosign
from hamaporsi.protocol.merkle import verify_inclusion
from hamaporsi.verify.runner import verify_record

from support.election import Election
from support.server import JSON, TestClient, cast, error_of, stored, tick
from verify.witnessed import KEYS, WITNESSES, policy, witnessed_election


@pytest.fixture
def wel(board_url: str) -> Iterator[Election]:
    """An open election whose manifest lists witnesses 0, 1, 2 with threshold 2, on SQLite and
    on PostgreSQL."""
    el = witnessed_election(board_url, policy(3, 2), voters=4)  # type: ignore[arg-type]
    el.open()
    el.store.close()
    yield el


@pytest.fixture
def wc(wel: Election, serve: Callable[..., TestClient]) -> TestClient:
    return serve(wel)


def latest(c: TestClient) -> Checkpoint:
    return Checkpoint.from_json(c.get("/api/board/checkpoint").json())


def post(c: TestClient, cs: Cosignature | bytes) -> Any:
    data = cs if isinstance(cs, bytes) else cs.to_bytes()
    return c.post("/api/board/cosignatures", content=data, headers=JSON)


def cast_and_sign(el: Election, c: TestClient, voter: int) -> tuple[str, Checkpoint]:
    """Cast a ballot, sign a checkpoint over it; its tracking code and the checkpoint."""
    r = cast(c, el.ballot(voter, [voter % 3]).bytes)
    assert r.status_code == 201
    tick(c)
    return r.json()["tracking_code"], latest(c)


def receipt(c: TestClient, tc: str) -> dict[str, Any]:
    r = c.get(f"/api/ballots/{tc}")
    assert r.status_code == 200
    return dict(r.json())


def assert_included(r: dict[str, Any], cp: Checkpoint, witnesses: list[int]) -> None:
    assert r["status"] == "included" and Checkpoint.from_json(r["checkpoint"]) == cp
    verify_inclusion(bytes.fromhex(r["leaf_hash"]), r["index"], cp.size,
                     [bytes.fromhex(h) for h in r["path"]], cp.root)
    got = [Cosignature.from_json(x) for x in r["cosignatures"]]
    assert sorted(cs.witness for cs in got) == sorted(KEYS[w] for w in witnesses)
    assert all(cs.size == cp.size and cs.checkpoint == cp.message() for cs in got)


def assert_pending(r: dict[str, Any]) -> None:
    assert (r["status"], r["checkpoint"], r["path"], r["cosignatures"]) == \
        ("pending", None, [], [])


def test_post_then_get_and_the_threshold_makes_a_receipt_included(
        wel: Election, wc: TestClient) -> None:
    tc, cp = cast_and_sign(wel, wc, 0)
    assert_pending(receipt(wc, tc))  # signed, but no witness has cosigned yet
    first = cosign(WITNESSES[0], cp, 1_700_000_000)
    r = post(wc, first)
    assert (r.status_code, r.json()) == (201, {"stored": True})
    r = post(wc, cosign(WITNESSES[0], cp, 1_700_000_999))  # the same witness again
    assert (r.status_code, r.json()) == (200, {"stored": False})
    assert_pending(receipt(wc, tc))  # 1 of 2
    third = cosign(WITNESSES[2], cp, 1_700_000_001)
    assert post(wc, third).status_code == 201
    assert_included(receipt(wc, tc), cp, [0, 2])
    got = wc.get(f"/api/board/cosignatures?size={cp.size}")
    assert got.status_code == 200
    body = got.json()
    assert body["size"] == cp.size and Checkpoint.from_json(body["checkpoint"]) == cp
    assert [Cosignature.from_json(x) for x in body["cosignatures"]] == sorted(
        [first, third], key=lambda cs: cs.witness)


def test_refused_cosignatures_are_not_stored_and_do_not_count(
        wel: Election, wc: TestClient) -> None:
    tc, cp = cast_and_sign(wel, wc, 0)
    assert post(wc, cosign(WITNESSES[0], cp, 1)).status_code == 201
    other = sign_checkpoint(wel.board_secret, cp.election_id, cp.size, bytes(32), cp.timestamp)
    of_other = cosign(WITNESSES[1], other, 2)  # same size, another root: a split view
    assert "another checkpoint" in error_of(post(wc, of_other), 400, "bad_cosignature")["detail"]
    good = cosign(WITNESSES[1], cp, 3)
    forged = Cosignature(good.checkpoint, good.election_id, good.size, good.timestamp + 1,
                         good.witness, good.signature)  # the signature is of another time
    error_of(post(wc, forged), 400, "bad_cosignature")
    error_of(post(wc, cosign(WITNESSES[3], cp, 4)), 403, "unknown_witness")
    beyond = sign_checkpoint(wel.board_secret, cp.election_id, cp.size + 5, bytes(32), 9)
    error_of(post(wc, cosign(WITNESSES[1], beyond, 5)), 404, "not_found")
    error_of(post(wc, b'{"type":"cosignature"}'), 400, "bad_cosignature")
    error_of(post(wc, b" " + good.to_bytes()), 400, "bad_cosignature")  # not canonical
    error_of(post(wc, b"x" * 5000), 413, "too_large")
    error_of(wc.post("/api/board/cosignatures", content=good.to_bytes(),
                     headers={"content-type": "text/plain"}), 415, "unsupported_media_type")
    body = wc.get(f"/api/board/cosignatures?size={cp.size}").json()
    assert [x["witness"] for x in body["cosignatures"]] == [KEYS[0].hex()]
    assert_pending(receipt(wc, tc))
    assert post(wc, good).status_code == 201  # the genuine one still goes in
    assert_included(receipt(wc, tc), cp, [0, 1])


def test_an_invalid_cosignature_in_the_store_does_not_count(
        wel: Election, wc: TestClient) -> None:
    """A cosignature that reached the store around the API (a bad mirror copy, a tampered
    database) is checked again before it counts."""
    tc, cp = cast_and_sign(wel, wc, 0)
    assert post(wc, cosign(WITNESSES[0], cp, 1)).status_code == 201
    good = cosign(WITNESSES[1], cp, 2)
    bad = Cosignature(good.checkpoint, good.election_id, good.size, good.timestamp + 1,
                      good.witness, good.signature)
    s = open_store(wel.path)
    try:
        assert s.add_cosignature(cp.size, bad.witness, bad.to_bytes())
    finally:
        s.close()
    assert_pending(receipt(wc, tc))
    assert len(wc.get(f"/api/board/cosignatures?size={cp.size}").json()["cosignatures"]) == 2


def test_receipts_stand_on_the_latest_witnessed_checkpoint(
        wel: Election, wc: TestClient) -> None:
    tc1, cp1 = cast_and_sign(wel, wc, 0)
    for w in (0, 1):
        assert post(wc, cosign(WITNESSES[w], cp1, 10 + w)).status_code == 201
    tc2, cp2 = cast_and_sign(wel, wc, 1)
    assert cp2.size > cp1.size
    assert post(wc, cosign(WITNESSES[2], cp2, 20)).status_code == 201  # 1 of 2 on cp2
    assert_included(receipt(wc, tc1), cp1, [0, 1])  # not yet on cp2
    assert_pending(receipt(wc, tc2))  # signed (cp2) but not witnessed
    assert post(wc, cosign(WITNESSES[0], cp2, 21)).status_code == 201
    assert_included(receipt(wc, tc1), cp2, [0, 2])
    assert_included(receipt(wc, tc2), cp2, [0, 2])
    error_of(wc.get(f"/api/board/cosignatures?size={cp2.size + 1}"), 404, "not_found")


def test_without_witnesses_receipts_are_as_before(opened: Election, client: TestClient) -> None:
    tc, cp = cast_and_sign(opened, client, 0)
    r = receipt(client, tc)
    assert r["status"] == "included" and r["cosignatures"] == []
    error_of(post(client, cosign(WITNESSES[0], cp, 1)), 403, "unknown_witness")
    assert client.get(f"/api/board/cosignatures?size={cp.size}").json()["cosignatures"] == []


def test_export_writes_cosignatures_and_the_record_verifies(
        wel: Election, serve: Callable[..., TestClient], tmp_path: Path) -> None:
    c = serve(wel)
    cps = []
    for v in range(3):
        cps.append(cast_and_sign(wel, c, v)[1])
    css = [cosign(WITNESSES[w], cp, 100 + cp.size) for cp in cps for w in (2, 0)]
    for cs in css:
        assert post(c, cs).status_code == 201
    c.__exit__(None, None, None)  # the server signs nothing more: the log did not grow
    assert stored(wel) == cps[-1].size
    s = wel.store = open_store(wel.path)
    try:  # the organizer and trustees finish; the witnesses cosign the final checkpoint
        wel.eb = eb = ElectionBoard(s, wel.board_secret, wel.manifest.hash.hex())
        wel.finish()
        final = eb.checkpoint()
        css += [cosign(WITNESSES[w], final, 999) for w in (1, 0)]
        for cs in css[-2:]:
            assert s.add_cosignature(final.size, cs.witness, cs.to_bytes())
        rec = eb.export(tmp_path / "record")
    finally:
        s.close()
    lines = (rec / "cosignatures.jsonl").read_bytes().split(b"\n")[:-1]
    assert lines == [cs.to_bytes() for cs in sorted(css, key=lambda x: (x.size, x.witness))]
    assert all(canonical_bytes(parse_canonical(x)) == x for x in lines)
    report = verify_record(rec, workers=1)
    assert report.ok, report.failure
