"""Witnesses: cosigning a live board while ballots arrive, refusing bad checkpoints with a
reason (and cosigning nothing), and detecting a fork — over time, and as a split view shown to
two witnesses that compare notes — with evidence anyone can check."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response

from hamaporsi.cli.main import main
from hamaporsi.crypto import bip340
from hamaporsi.follow.errors import ForkDetected
from hamaporsi.follow.evidence import EQUIVOCATION, INCONSISTENT, Evidence
from hamaporsi.follow.feed import FeedServer
from hamaporsi.follow.remote import BoardClient, WitnessClient
from hamaporsi.follow.witness import COSIGNATURES, Halted, Witness
from hamaporsi.protocol.checkpoint import Checkpoint, sign_checkpoint
from hamaporsi.protocol.cosignature import Cosignature, verify_cosignature

from follow.helpers import (FAST, Record, body, genuine_proof, witnessed_election)
from follow.fakeboard import FakeBoard, View
from support.server import JSON, config_for, live_server

Fake = Callable[[View], tuple[FakeBoard, str]]


def lines(d: Path) -> list[Cosignature]:
    p = d / COSIGNATURES
    return [Cosignature.from_bytes(x) for x in p.read_bytes().splitlines()] if p.exists() else []


@pytest.fixture
def stack() -> Iterator[ExitStack]:
    with ExitStack() as s:
        yield s


def witness(stack: ExitStack, d: Path, url: str, peers: list[str] = (),  # type: ignore[assignment]
            secret: bytes | None = None) -> Witness:
    board = stack.enter_context(BoardClient(url, FAST))
    w = Witness(d, secret or bip340.generate_secret(), board,
                peers=[WitnessClient(p, FAST) for p in peers])
    stack.callback(w.close)
    return w


def feed(stack: ExitStack, w: Witness) -> str:
    f = FeedServer(w.feed, "127.0.0.1", 0)
    url = f.start()
    stack.callback(f.stop)
    return url


# -- a live board -------------------------------------------------------------------------------

def test_witness_cosigns_a_live_board_while_ballots_arrive(tmp_path: Path,
                                                           stack: ExitStack) -> None:
    """Ballots arrive over HTTP from another thread while the witness runs rounds; every
    cosignature it makes is of a newer checkpoint, verifies and is accepted by the board, and
    receipts turn `included` with it (the manifest requires one witness of two)."""
    secrets = [bip340.generate_secret() for _ in range(2)]
    el = witnessed_election(tmp_path / "board.sqlite", [bip340.public_key(s) for s in secrets],
                            1, voters=6)
    el.open()
    setup = el.store.size()
    el.store.close()
    url = stack.enter_context(live_server(config_for(el, checkpoint_every=0.05,
                                                     checkpoint_min_entries=1)))
    w = witness(stack, tmp_path / "w", url, secret=secrets[0])
    ballots = [el.ballot(i % 6, [i % 3]) for i in range(12)]
    half_cosigned = threading.Event()
    failures: list[str] = []

    def cast() -> None:
        with httpx.Client(base_url=url, timeout=30) as h:
            for i, b in enumerate(ballots):
                if i == 6 and not half_cosigned.wait(60):
                    failures.append("the witness never cosigned the first half")
                    return
                r = h.post("/api/ballots", content=b.bytes, headers=JSON)
                if r.status_code != 201:
                    failures.append(r.text)

    caster = threading.Thread(target=cast)
    caster.start()
    sizes: list[int] = []
    deadline = time.monotonic() + 120
    while not sizes or sizes[-1] < setup + len(ballots):
        assert time.monotonic() < deadline and not failures, failures
        got = w.round()
        assert got.refused is None and got.error is None, (got.refused, got.error)
        if got.cosigned is not None:
            assert got.posted is not None and got.posted.stored is True, got.posted
            sizes.append(got.cosigned.size)
            if got.cosigned.size >= setup + 6:
                half_cosigned.set()
        time.sleep(0.02)
    caster.join()
    assert not failures, failures
    assert len(sizes) >= 2 and sizes == sorted(set(sizes))
    mine = lines(tmp_path / "w")
    assert [c.size for c in mine] == sizes
    with httpx.Client(base_url=url, timeout=10) as h:
        for cs in mine:
            got_cs = h.get("/api/board/cosignatures", params={"size": cs.size}).json()
            verify_cosignature(cs, Checkpoint.from_json(got_cs["checkpoint"]))
            assert got_cs["cosignatures"] == [cs.to_json()]
        again = h.post("/api/board/cosignatures", content=mine[-1].to_bytes(), headers=JSON)
        assert again.status_code == 200 and again.json() == {"stored": False}
        receipt = h.get(f"/api/ballots/{ballots[-1].tracking_code.hex()}").json()
        assert receipt["status"] == "included" and receipt["cosignatures"] == [
            mine[-1].to_json()]
    assert w.round().cosigned is None  # nothing new: nothing cosigned twice


# -- refusals --------------------------------------------------------------------------------------

def _cp(cp: Checkpoint) -> Callable[[Request], Response]:
    return body(json.dumps(cp.to_json()).encode())


OTHER = bip340.generate_secret()

# name → (how the board misbehaves, the Round's refusal code or error text)
CASES: dict[str, tuple[Callable[[Record, FakeBoard], None], str]] = {
    "forged signature": (lambda r, b: b.view.overrides.update(checkpoint=_cp(Checkpoint(
        r.election, 30, r.cp(30).root, 1_800_000_000, r.cp(30).board_key, bytes(64)))),
        "forged_signature"),
    "other board key": (lambda r, b: b.view.overrides.update(checkpoint=_cp(sign_checkpoint(
        OTHER, r.election, 30, r.cp(30).root, 1_800_000_000))), "forged_signature"),
    "other election": (lambda r, b: b.view.overrides.update(checkpoint=_cp(sign_checkpoint(
        r.secret, "ef" * 32, 30, r.cp(30).root, 1_800_000_000))), "wrong_election"),
    "truncated": (lambda r, b: b.view.overrides.update(checkpoint=_cp(r.cp(18, t=1_800_000_000))),
                  "truncated"),
    "out of order": (lambda r, b: b.view.overrides.update(checkpoint=_cp(r.cp(30, t=1))),
                     "out_of_order"),
    "entries not hashing to the root": (lambda r, b: setattr(b.view, "entries",
                                                             list(r.swapped(25))),
                                        "root_mismatch"),
    "malformed JSON": (lambda r, b: b.view.overrides.update(checkpoint=body(b"{'size': 30}")),
                       "malformed JSON"),
    "truncated JSON body": (lambda r, b: b.view.overrides.update(
        checkpoint=body(json.dumps(r.cp(30).to_json()).encode()[:90])), "malformed JSON"),
    "body cut on the wire": (lambda r, b: b.view.overrides.update(
        checkpoint=body(b'{"size":', **{"content-length": "400"})), "broke mid-answer"),
    "oversized answer": (lambda r, b: b.view.overrides.update(
        checkpoint=body(b'{"pad":"' + b"x" * (2 << 20) + b'"}')), "cap of 1,048,576"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_checkpoints_are_refused_with_a_reason_and_not_cosigned(
        case: str, tmp_path: Path, record: Record, fake: Fake, stack: ExitStack) -> None:
    board, url = fake(record.view(20))
    w = witness(stack, tmp_path / "w", url)
    assert w.round().cosigned is not None
    board.view = record.view(20, 30, t=1_700_000_000)
    if case == "entries not hashing to the root":  # a genuine proof, wrong entries
        board.view.overrides["consistency"] = body(genuine_proof(record.entries, 20, 30))
    tamper, expect = CASES[case]
    tamper(record, board)
    stored = w.copy.store.size()
    r = w.round()
    assert r.cosigned is None
    problem = r.refused if r.refused is not None else r.error
    assert problem is not None
    assert (r.refused.code == expect) if r.refused is not None else expect in str(r.error), \
        problem
    assert [c.size for c in lines(tmp_path / "w")] == [20]
    assert w.copy.store.size() == stored and w.copy.latest is not None \
        and w.copy.latest.size == 20
    board.view = record.view(20, 30, 38, t=1_700_000_000)  # the board behaves again
    r = w.round()
    assert r.cosigned is not None and r.cosigned.size == 38  # the witness kept running
    assert [c.size for c in lines(tmp_path / "w")] == [20, 38]


def test_far_behind_witness_stores_as_it_goes(tmp_path: Path, record: Record, fake: Fake,
                                              stack: ExitStack,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import hamaporsi.follow.witness as witness_mod
    monkeypatch.setattr(witness_mod, "BATCH_ENTRIES", 5)
    board, url = fake(record.view(14, 20, 25, 38))
    board.view.checkpoints[2] = Checkpoint(  # a listed checkpoint with a bad signature
        record.election, 25, record.cp(25).root, 1_700_000_002, record.cp(25).board_key,
        bytes(64))
    w = witness(stack, tmp_path / "w", url)
    r = w.round()
    assert r.cosigned is not None and r.cosigned.size == 38 and r.refused is None
    assert w.copy.sizes() == [38]  # the listed ones were dropped with the bad one
    board.view = record.view(14, 20, 25, 38)
    w2 = witness(stack, tmp_path / "w2", url)
    assert w2.round().cosigned is not None and w2.copy.sizes() == [14, 20, 25, 38]
    assert [c.size for c in lines(tmp_path / "w2")] == [38]  # only the newest is cosigned


# -- forks -----------------------------------------------------------------------------------------

def _check_file(d: Path, record: Record, kind: str) -> Evidence:
    files = sorted(d.glob("evidence-*.json"))
    assert [f.name for f in files] == ["evidence-1.json"]
    ev = Evidence.from_json(json.loads(files[0].read_text()))
    assert ev.kind == kind
    key = bip340.public_key(record.secret).hex()
    assert main(["witness", "check-evidence", str(files[0]), "--board-key", key]) == 0
    return ev


def test_fork_over_time(tmp_path: Path, record: Record, fake: Fake, stack: ExitStack) -> None:
    board, url = fake(record.view(10))
    w = witness(stack, tmp_path / "w", url)
    assert w.round().cosigned is not None
    forked = list(record.swapped(6))
    board.view = View(forked, [record.cp(10), record.cp(20, entries=tuple(forked),
                                                        t=1_800_000_000)])
    with pytest.raises(ForkDetected) as e:
        w.round()
    ev = _check_file(tmp_path / "w", record, INCONSISTENT)
    assert (ev.first.size, ev.second.size) == (10, 20) and e.value.evidence == ev
    assert [c.size for c in lines(tmp_path / "w")] == [10]
    with pytest.raises(Halted):
        w.round()
    w.close()
    with pytest.raises(Halted, match="evidence"):
        Witness(tmp_path / "w", bip340.generate_secret(), BoardClient(url, FAST))


def test_split_view_same_size_both_witnesses_detect(tmp_path: Path, record: Record, fake: Fake,
                                                    stack: ExitStack,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """The server shows board A to one witness and board B (one ballot differs) to the
    other, both of size 30 and signed with the board key; the witnesses peer."""
    view_a = record.view(30)
    view_b = View(list(record.swapped(25)), [record.cp(30, entries=record.swapped(25))])
    assert view_a.head.root != view_b.head.root and view_a.head.size == view_b.head.size
    _, url_a = fake(view_a)
    _, url_b = fake(view_b)
    d1, d2 = tmp_path / "w1", tmp_path / "w2"
    # each witness's feed must be up before the other starts asking it
    w1 = witness(stack, d1, url_a)
    w2 = witness(stack, d2, url_b)
    f1, f2 = feed(stack, w1), feed(stack, w2)
    w1.peers, w2.peers = [WitnessClient(f2, FAST)], [WitnessClient(f1, FAST)]
    r1 = w1.round()
    assert r1.cosigned is not None and r1.cosigned.checkpoint == view_a.head.message()
    with pytest.raises(ForkDetected):
        w2.round()  # verifies B, then sees w1's cosigned A before cosigning B
    with pytest.raises(ForkDetected):
        w1.round()  # sees B in w2's published evidence and compares it with its own copy
    for d in (d1, d2):
        ev = _check_file(d, record, EQUIVOCATION)
        assert {ev.first.root, ev.second.root} == {view_a.head.root, view_b.head.root}
    assert [c.checkpoint for c in lines(d1)] == [view_a.head.message()]
    assert lines(d2) == []  # w2 never cosigned a checkpoint contradicting a peer's
    # after detection neither cosigns anything, even a later checkpoint of its own board
    for w, v in ((w1, view_a), (w2, view_b)):
        v.checkpoints.append(sign_checkpoint(record.secret, record.election, 30, v.head.root,
                                             1_800_000_000))
        with pytest.raises(Halted):
            w.round()
        with pytest.raises(Halted):
            w.cosign_latest()
    assert (len(lines(d1)), len(lines(d2))) == (1, 0)
    feeds = [httpx.get(f + "/witness/evidence").json()["evidence"] for f in (f1, f2)]
    assert [len(x) for x in feeds] == [1, 1]
    w1.close()
    key = tmp_path / "k.json"
    assert main(["witness", "keygen", "--out", str(key)]) == 0
    capsys.readouterr()
    assert main(["witness", "run", "--board", url_a, "--key", str(key), "--dir", str(d1),
                 "--once"]) == 3
    assert "evidence" in capsys.readouterr().err


def test_split_view_at_different_sizes(tmp_path: Path, record: Record, fake: Fake,
                                       stack: ExitStack) -> None:
    """A at size 30 and B at size 20 (differing at entry 16): the smaller witness asks the
    larger one's feed for a consistency proof; the larger compares with its own copy."""
    swapped = record.swapped(16)
    _, url_a = fake(record.view(30))
    _, url_b = fake(View(list(swapped), [record.cp(20, entries=swapped)]))
    board_c, url_c = fake(record.view(20))  # a prefix of A, for now
    w1 = witness(stack, tmp_path / "w1", url_a)
    w2 = witness(stack, tmp_path / "w2", url_b)
    w3 = witness(stack, tmp_path / "w3", url_c)
    f1 = feed(stack, w1)
    f2 = feed(stack, w2)
    for w in (w1, w2, w3):
        assert w.round().cosigned is not None
    w3.peers = [WitnessClient(f1, FAST)]
    assert w3.round().peer_errors == ()  # consistent so far: no evidence
    assert not list((tmp_path / "w3").glob("evidence-*"))
    # C then grows to 30 its own way (extending its 20, but not A's 30): caught at that size
    board_c.view = View(list(record.swapped(25)),
                        [record.cp(20), record.cp(30, entries=record.swapped(25))])
    with pytest.raises(ForkDetected):
        w3.round()
    assert _check_file(tmp_path / "w3", record, EQUIVOCATION).first.size == 30
    assert [c.size for c in lines(tmp_path / "w3")] == [20]  # C's 30 never cosigned
    w2.peers = [WitnessClient(f1, FAST)]
    with pytest.raises(ForkDetected):
        w2.round()
    ev = _check_file(tmp_path / "w2", record, INCONSISTENT)
    assert (ev.first.size, ev.second.size) == (20, 30)
    w1.peers = [WitnessClient(f2, FAST)]
    with pytest.raises(ForkDetected):
        w1.round()
    ev = _check_file(tmp_path / "w1", record, INCONSISTENT)
    assert (ev.first.size, ev.second.size) == (20, 30)


def test_peer_problems_are_reported_not_fatal(tmp_path: Path, record: Record, fake: Fake,
                                              stack: ExitStack) -> None:
    _, url = fake(record.view(20))
    liar = witness(stack, tmp_path / "liar", url)
    lf = feed(stack, liar)
    liar.round()
    liar.feed.latest = (sign_checkpoint(OTHER, record.election, 20, record.cp(20).root, 1),
                        liar.feed.latest[1])  # type: ignore[index]
    w = witness(stack, tmp_path / "w", url, peers=[lf, "http://127.0.0.1:9"])
    r = w.round()
    assert r.cosigned is not None and len(r.peer_errors) == 2
    assert "forged_signature" in r.peer_errors[0] and "127.0.0.1:9" in r.peer_errors[1]


# -- the command ---------------------------------------------------------------------------------

def test_witness_command_once(tmp_path: Path, record: Record, fake: Fake,
                              capsys: pytest.CaptureFixture[str]) -> None:
    key = tmp_path / "witness.key.json"
    assert main(["witness", "keygen", "--out", str(key)]) == 0
    out = capsys.readouterr().out
    pub = json.loads((tmp_path / "witness.key.pub.json").read_text())["public_key"]
    assert f"witness public key: {pub}" in out
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    assert main(["witness", "keygen", "--out", str(key)]) == 2  # never overwritten
    board, url = fake(record.view(20))
    run = ["witness", "run", "--board", url, "--key", str(key), "--dir", str(tmp_path / "w"),
           "--once", "--timeout", "5", "--listen", "127.0.0.1:0"]
    assert main(run) == 0
    out = capsys.readouterr().out
    assert "cosigned checkpoint of size 20" in out and "/witness" in out
    board.view = record.view(20, 30)
    board.view.overrides["checkpoint"] = _cp(record.cp(30, t=5))
    assert main(run) == 4
    err = capsys.readouterr().err
    assert "REFUSED" in err and "out_of_order" in err
    board.view.overrides.clear()
    assert main(run + ["--election", record.election]) == 0
    assert main(run + ["--election", "00" * 32]) == 2
    assert main(["witness", "run", "--board", "http://127.0.0.1:9", "--key", str(key),
                 "--dir", str(tmp_path / "x"), "--once", "--retries", "0"]) == 1
    assert "could not read the board" in capsys.readouterr().err
    assert [c.size for c in lines(tmp_path / "w")] == [20, 30]


def test_feed_answers_a_repeated_consistency_question_from_memory(
        tmp_path: Path, record: Record, fake: Fake, client: Callable[[str], BoardClient],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Peers ask the same (from, to) every round; the feed computes each answer once (it never
    changes: the copy below a cosigned size is fixed), and a new question is computed anew."""
    import hamaporsi.follow.feed as feed_mod
    from hamaporsi.follow.copy import VerifiedCopy
    from hamaporsi.protocol import merkle
    board, url = fake(record.view(14, 30))
    c = VerifiedCopy.open(tmp_path / "copy")
    try:
        c.sync(client(url), list(board.view.checkpoints))
    finally:
        c.close()
    calls: list[tuple[int, int]] = []
    real = feed_mod.prefix_proof

    def counted(store: object, old: int, new: int) -> tuple[bytes, list[bytes]]:
        calls.append((old, new))
        return real(store, old, new)  # type: ignore[arg-type]

    monkeypatch.setattr(feed_mod, "prefix_proof", counted)
    proofs = feed_mod.StoreProofs(str(tmp_path / "copy" / "board.sqlite"))
    try:
        first = proofs(14, 30)
        assert proofs(14, 30) == first and calls == [(14, 30)]
        leaves = [merkle.leaf_hash(e) for e in record.entries[:30]]
        assert first == (merkle.root(leaves[:14]), merkle.consistency_proof(leaves, 14, 30))
        proofs(20, 30)
        assert calls == [(14, 30), (20, 30)]
    finally:
        proofs.close()
