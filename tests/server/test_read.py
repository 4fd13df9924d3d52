"""The read side: GET /api/election, /api/results, /api/ballots/{tc} (pending, then included
with an inclusion proof that the Python Merkle code verifies against the signed checkpoint),
and the board: entries as their exact bytes, checkpoints, consistency proofs; bad parameters
are 400 `bad_request`."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hamaporsi.board.election_board import ElectionBoard
from hamaporsi.board.sqlite import SQLiteStore
from hamaporsi.protocol.canonical import canonical_bytes
from hamaporsi.protocol.checkpoint import Checkpoint, verify_checkpoint
from hamaporsi.protocol.merkle import leaf_hash, verify_consistency, verify_inclusion

from support.election import Election
from support.server import TestClient, cast, error_of, stored, tick


def test_election(opened: Election, client: TestClient) -> None:
    e = client.get("/api/election").json()
    m = opened.manifest
    assert e["election_id"] == m.hash.hex()
    assert e["phase"] == "voting"
    with SQLiteStore(opened.path) as s:
        assert canonical_bytes(e["manifest"]) == s.entry(0)
    assert e["board_key"] == m.board_key.hex()
    assert e["trustees"] == [t.to_json() for t in m.trustees]
    assert e["context"] == opened.ctx.to_json()
    assert e["booth"] == {"hash": None, "published": None}


def test_results_follow_the_board_to_the_result(opened: Election,
                                                serve: Callable[..., TestClient]) -> None:
    c = serve(opened)
    r = c.get("/api/results").json()
    assert r == {"phase": "voting", "result": None,
                 "turnout": {"eligible": 4, "voters": 0, "ballots": 0, "audits": 0}}
    for voter, choice in ((0, 0), (1, 2), (1, 1), (2, 1)):
        assert cast(c, opened.ballot(voter, [choice]).bytes).status_code == 201
    assert cast(c, canonical_bytes(opened.ballot(3, [0]).audit_entry()), "audit").status_code \
        == 201
    tick(c)  # turnout moves with the checkpoints
    r = c.get("/api/results").json()
    assert r["turnout"] == {"eligible": 4, "voters": 3, "ballots": 4, "audits": 1}
    with SQLiteStore(opened.path) as s:  # the organizer and trustees finish, in their process
        opened.store = s
        opened.eb = ElectionBoard(s, opened.board_secret, opened.manifest.hash.hex())
        counts = opened.finish()
    assert counts == [1, 2, 0]  # voter 1's re-vote (option 1) replaced option 2
    r = c.get("/api/results").json()
    assert r["phase"] == "done"
    assert r["result"] == {"counts": [1, 2, 0], "blank": 0, "voted": 3, "eligible": 4,
                           "trustees": [1, 2]}


def test_receipt_pending_then_included_with_a_proof_that_verifies(
        opened: Election, client: TestClient) -> None:
    b = opened.ballot(0, [1])
    receipt = cast(client, b.bytes).json()
    tc = receipt["tracking_code"]
    s = client.get(f"/api/ballots/{tc}").json()
    assert s == {"tracking_code": tc, "kind": "ballot", "index": receipt["index"],
                 "leaf_hash": leaf_hash(b.bytes).hex(), "superseded": False,
                 "status": "pending", "checkpoint": None, "path": [], "cosignatures": []}
    tick(client)
    s = client.get(f"/api/ballots/{tc}").json()
    assert s["status"] == "included"
    cp = Checkpoint.from_json(s["checkpoint"])
    verify_checkpoint(cp, opened.manifest.board_key)
    assert cp.election_id == opened.manifest.hash.hex() and cp.size == stored(opened)
    verify_inclusion(leaf_hash(b.bytes), s["index"], cp.size,
                     [bytes.fromhex(h) for h in s["path"]], cp.root)
    assert client.get("/api/board/checkpoint").json() == s["checkpoint"]


def test_receipt_proof_against_a_later_checkpoint(opened: Election, client: TestClient) -> None:
    tc = cast(client, opened.ballot(0, [1]).bytes).json()["tracking_code"]
    tick(client)
    for voter in (1, 2, 3):
        cast(client, opened.ballot(voter, [0]).bytes)
    tick(client)
    s = client.get(f"/api/ballots/{tc}").json()
    cp = Checkpoint.from_json(s["checkpoint"])
    assert cp.size == stored(opened)
    verify_inclusion(bytes.fromhex(s["leaf_hash"]), s["index"], cp.size,
                     [bytes.fromhex(h) for h in s["path"]], cp.root)


def test_tampered_path_does_not_verify(opened: Election, client: TestClient) -> None:
    """The check above can fail: one flipped bit in the path and it does."""
    for voter in range(3):
        cast(client, opened.ballot(voter, [0]).bytes)
    tc = cast(client, opened.ballot(3, [0]).bytes).json()["tracking_code"]
    tick(client)
    s = client.get(f"/api/ballots/{tc}").json()
    cp = Checkpoint.from_json(s["checkpoint"])
    path = [bytes.fromhex(h) for h in s["path"]]
    path[0] = bytes([path[0][0] ^ 1]) + path[0][1:]
    with pytest.raises(Exception):
        verify_inclusion(bytes.fromhex(s["leaf_hash"]), s["index"], cp.size, path, cp.root)


def test_superseded_and_audit_status(opened: Election, client: TestClient) -> None:
    first = cast(client, opened.ballot(0, [0]).bytes).json()["tracking_code"]
    second = cast(client, opened.ballot(0, [2]).bytes).json()["tracking_code"]
    audit = cast(client, canonical_bytes(opened.ballot(1, [1]).audit_entry()), "audit").json()
    tick(client)
    assert client.get(f"/api/ballots/{first}").json()["superseded"] is True
    assert client.get(f"/api/ballots/{second}").json()["superseded"] is False
    a = client.get(f"/api/ballots/{audit['tracking_code']}").json()
    assert (a["kind"], a["superseded"], a["index"]) == ("audit", False, audit["index"])


def test_a_revote_shows_as_superseding_only_once_a_checkpoint_publishes_it(
        opened: Election, client: TestClient) -> None:
    """Whoever knows a published ballot's tracking code must not learn of a re-vote before the
    board publishes it (docs/security.md W3): `superseded` is as of the latest checkpoint."""
    first = cast(client, opened.ballot(0, [0]).bytes).json()["tracking_code"]
    tick(client)
    second = cast(client, opened.ballot(0, [1]).bytes).json()["tracking_code"]
    assert client.get(f"/api/ballots/{first}").json()["superseded"] is False
    assert client.get(f"/api/ballots/{second}").json()["superseded"] is False  # pending
    third = cast(client, opened.ballot(0, [2]).bytes).json()["tracking_code"]
    tick(client)
    assert [client.get(f"/api/ballots/{tc}").json()["superseded"]
            for tc in (first, second, third)] == [True, True, False]
    fourth = cast(client, opened.ballot(0, [0]).bytes).json()["tracking_code"]
    assert client.get(f"/api/ballots/{third}").json()["superseded"] is False  # not yet public
    tick(client)
    assert client.get(f"/api/ballots/{third}").json()["superseded"] is True
    assert client.get(f"/api/ballots/{fourth}").json()["superseded"] is False


def test_unknown_tracking_code_is_404(opened: Election, client: TestClient) -> None:
    b = opened.ballot(0, [0])
    cast(client, b.bytes)
    error_of(client.get(f"/api/ballots/{'ab' * 32}"), 404, "not_found")
    error_of(client.get(f"/api/ballots/{b.entry['credential']}"), 404, "not_found")


@pytest.mark.parametrize("tc", ["AB" * 32, "ab" * 31, "ab" * 33, "zz" * 32])
def test_malformed_tracking_code_is_400(tc: str, client: TestClient) -> None:
    error_of(client.get(f"/api/ballots/{tc}"), 400, "bad_request")


def test_entries_are_the_exact_stored_bytes(opened: Election, client: TestClient) -> None:
    cast(client, opened.ballot(0, [0]).bytes)
    tick(client)  # entries are published once a checkpoint covers them
    size = stored(opened)
    page = client.get("/api/board/entries").json()
    assert page["start"] == 0 and len(page["entries"]) == size
    with SQLiteStore(opened.path) as s:
        assert [canonical_bytes(e) for e in page["entries"]] == [d for _, d in s.entries()]
    part = client.get("/api/board/entries?start=2&end=5").json()
    assert part["start"] == 2 and part["entries"] == page["entries"][2:5]
    assert client.get(f"/api/board/entries?start={size}").json()["entries"] == []


@pytest.mark.parametrize("query", ["start=5&end=2", "start=0&end=9999",
                                   "start=-1", "end=-3", "start=abc", "start=1.5",
                                   "start=0&end=1001"])
def test_bad_entry_ranges_are_400(query: str, opened: Election, client: TestClient) -> None:
    error_of(client.get(f"/api/board/entries?{query}"), 400, "bad_request")


def test_a_page_stops_at_its_byte_budget_but_holds_one_entry(
        opened: Election, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from hamaporsi.server import service
    tick(client)
    whole = client.get("/api/board/entries?start=0").json()["entries"]
    sizes = [len(canonical_bytes(e)) for e in whole]
    monkeypatch.setattr(service, "PAGE_BYTES", sizes[1] + sizes[2])
    assert len(client.get("/api/board/entries?start=1").json()["entries"]) == 2
    monkeypatch.setattr(service, "PAGE_BYTES", 1)  # smaller than any entry: still one
    page = client.get("/api/board/entries?start=3").json()
    assert page["entries"] == whole[3:4] and page["start"] == 3


def test_at_most_max_entries_per_call(opened: Election, client: TestClient,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from hamaporsi.server import service
    assert service.MAX_ENTRIES == 1000  # the contract's figure; 5 below keeps the board small
    monkeypatch.setattr(service, "MAX_ENTRIES", 5)
    tick(client)
    size = stored(opened)
    assert size > 5
    error_of(client.get(f"/api/board/entries?start=0&end={size}"), 400, "bad_request")
    error_of(client.get("/api/board/entries?start=1&end=7"), 400, "bad_request")
    page = client.get("/api/board/entries?start=1").json()
    assert len(page["entries"]) == 5 and page["start"] == 1
    assert len(client.get("/api/board/entries?start=0&end=5").json()["entries"]) == 5
    assert len(client.get(f"/api/board/entries?start={size - 2}").json()["entries"]) == 2


def test_consistency_proof_between_two_checkpoints(opened: Election, client: TestClient) -> None:
    tick(client)
    old = Checkpoint.from_json(client.get("/api/board/checkpoint").json())
    for voter in range(3):
        cast(client, opened.ballot(voter, [1]).bytes)
    tick(client)
    new = Checkpoint.from_json(client.get("/api/board/checkpoint").json())
    assert new.size == old.size + 3
    p = client.get(f"/api/board/proofs/consistency?from={old.size}&to={new.size}").json()
    assert (p["from"], p["to"]) == (old.size, new.size)
    proof = [bytes.fromhex(h) for h in p["proof"]]
    verify_consistency(old.size, new.size, old.root, new.root, proof)
    with pytest.raises(Exception):
        verify_consistency(old.size, new.size, old.root, new.root, proof[::-1])
    cps = client.get("/api/board/checkpoints?limit=1").json()["checkpoints"]
    assert cps == [new.to_json()]
    assert [c["size"] for c in client.get("/api/board/checkpoints").json()["checkpoints"]] == \
        [new.size, old.size]


@pytest.mark.parametrize("query", ["from=5&to=2", "from=0&to=9999", "from=1", "to=3",
                                   "from=x&to=3", "from=-1&to=3"])
def test_bad_consistency_parameters_are_400(query: str, client: TestClient) -> None:
    error_of(client.get(f"/api/board/proofs/consistency?{query}"), 400, "bad_request")


def test_checkpoints_after_pages_every_checkpoint_oldest_first(opened: Election,
                                                               client: TestClient) -> None:
    sizes = []
    for voter in range(4):
        cast(client, opened.ballot(voter, [1]).bytes)
        tick(client)
        sizes.append(client.get("/api/board/checkpoint").json()["size"])
    assert sizes == sorted(set(sizes))

    def page(after: int, limit: int) -> list[int]:
        r = client.get(f"/api/board/checkpoints?after={after}&limit={limit}")
        return [c["size"] for c in r.json()["checkpoints"]]

    assert page(-1, 1000) == sizes
    assert page(-1, 2) == sizes[:2] and page(sizes[1], 2) == sizes[2:]
    assert page(sizes[0] - 1, 1) == sizes[:1] and page(sizes[-1], 5) == []
    newest = [c["size"] for c in client.get("/api/board/checkpoints?limit=2").json()["checkpoints"]]
    assert newest == sizes[:-3:-1]  # without `after`: newest first, as before


@pytest.mark.parametrize("query", ["limit=0", "limit=1001", "limit=x", "after=-2", "after=x"])
def test_bad_checkpoint_limit_is_400(query: str, client: TestClient) -> None:
    error_of(client.get(f"/api/board/checkpoints?{query}"), 400, "bad_request")


def test_no_checkpoint_yet_is_404(client: TestClient) -> None:
    error_of(client.get("/api/board/checkpoint"), 404, "no_checkpoint")
    assert client.get("/api/board/checkpoints").json() == {"checkpoints": []}


def test_checkpointer_signs_only_when_the_log_grew(opened: Election, client: TestClient) -> None:
    tick(client)
    first = client.get("/api/board/checkpoint").json()
    tick(client)
    assert client.get("/api/board/checkpoints").json()["checkpoints"] == [first]
    cast(client, opened.ballot(0, [0]).bytes)
    tick(client)
    assert client.get("/api/board/checkpoint").json()["size"] == first["size"] + 1


def test_checkpoints_come_on_the_cadence(opened: Election,
                                         serve: Callable[..., TestClient]) -> None:
    import time
    c = serve(opened, checkpoint_every=0.05, checkpoint_max_delay=0.1)
    tc = cast(c, opened.ballot(0, [0]).bytes).json()["tracking_code"]
    deadline = time.monotonic() + 10
    while c.get(f"/api/ballots/{tc}").json()["status"] != "included":
        assert time.monotonic() < deadline, "no checkpoint within 10 s at a 50 ms cadence"
        time.sleep(0.02)


def test_stopping_the_server_leaves_a_checkpoint_covering_every_entry(
        opened: Election, serve: Callable[..., TestClient]) -> None:
    c = serve(opened)
    cast(c, opened.ballot(0, [0]).bytes)
    c.__exit__(None, None, None)
    with SQLiteStore(opened.path) as s:
        latest = s.latest_checkpoint()
        assert latest is not None and latest.size == s.size()
