"""What the public API reveals about when a ballot arrived (docs/security.md W3): entries,
turnout and consistency proofs are published only as of the latest signed checkpoint, and
checkpoints come on a cadence — enough entries waiting, or the oldest waited long enough — with
the clock injected. A ballot's own status may say `pending` with its index (its caster knows)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from hamaporsi.protocol.canonical import canonical_bytes
from hamaporsi.server.cadence import Cadence
from hamaporsi.server.config import ServerConfig

from support.election import Election
from support.server import TestClient, cast, error_of, stored, tick


class Clock:
    def __init__(self) -> None:
        self.t = 500.0

    def __call__(self) -> float:
        return self.t


def test_a_cast_is_published_only_with_a_checkpoint(opened: Election,
                                                    client: TestClient) -> None:
    tick(client)
    cp = client.get("/api/board/checkpoint").json()
    n = cp["size"]
    before = client.get("/api/results").json()["turnout"]
    b = opened.ballot(0, [1])
    receipt = cast(client, b.bytes).json()
    assert receipt["index"] == n and stored(opened) == n + 1
    assert client.get(f"/api/board/entries?start={n}").json() == {"start": n, "entries": []}
    assert len(client.get("/api/board/entries?start=0").json()["entries"]) == n
    assert len(client.get(f"/api/board/entries?start=0&end={n + 1}").json()["entries"]) == n
    assert client.get(f"/api/board/entries?start={n + 5}").json()["entries"] == []
    assert client.get("/api/results").json()["turnout"] == before
    error_of(client.get(f"/api/board/proofs/consistency?from={n}&to={n + 1}"), 400,
             "bad_request")
    s = client.get(f"/api/ballots/{receipt['tracking_code']}").json()
    assert (s["status"], s["index"], s["checkpoint"]) == ("pending", n, None)
    tick(client)
    assert client.get("/api/board/checkpoint").json()["size"] == n + 1
    page = client.get(f"/api/board/entries?start={n}").json()
    assert [canonical_bytes(e) for e in page["entries"]] == [b.bytes]
    after = client.get("/api/results").json()["turnout"]
    assert after == {**before, "ballots": before["ballots"] + 1,
                     "voters": before["voters"] + 1}
    p = client.get(f"/api/board/proofs/consistency?from={n}&to={n + 1}")
    assert p.status_code == 200


def test_turnout_counts_an_audit_and_a_revote_only_at_the_checkpoint(
        opened: Election, client: TestClient) -> None:
    tick(client)
    base = client.get("/api/results").json()["turnout"]
    assert base == {"eligible": 4, "voters": 0, "ballots": 0, "audits": 0}
    cast(client, opened.ballot(0, [0]).bytes)
    cast(client, opened.ballot(0, [2]).bytes)
    cast(client, canonical_bytes(opened.ballot(1, [1]).audit_entry()), "audit")
    assert client.get("/api/results").json()["turnout"] == base
    tick(client)
    assert client.get("/api/results").json()["turnout"] == \
        {"eligible": 4, "voters": 1, "ballots": 2, "audits": 1}


def test_cadence_waits_for_enough_entries_or_the_delay(
        opened: Election, serve: Callable[..., TestClient]) -> None:
    c = serve(opened, checkpoint_min_entries=3, checkpoint_max_delay=30.0)
    service = c.app.state.service  # type: ignore[attr-defined]
    clock = Clock()
    service.cadence.clock = clock
    tick(c)  # the setup entries
    n = c.get("/api/board/checkpoint").json()["size"]

    def size() -> int:
        tick(c, force=False)
        return int(c.get("/api/board/checkpoint").json()["size"])

    cast(c, opened.ballot(0, [0]).bytes)
    assert size() == n
    clock.t += 29.0
    assert size() == n  # one ballot, 29 s: not yet
    clock.t += 1.0
    assert size() == n + 1  # the oldest waited 30 s
    clock.t += 100.0
    assert size() == n + 1  # nothing new: nothing signed
    cast(c, opened.ballot(1, [0]).bytes)
    cast(c, opened.ballot(2, [0]).bytes)
    clock.t += 5.0
    assert size() == n + 1
    cast(c, opened.ballot(3, [0]).bytes)
    assert size() == n + 4  # three waiting: at once
    assert c.get(f"/api/board/entries?start={n + 1}").json()["entries"] != []


def test_cadence_rules() -> None:
    clock = Clock()
    cad = Cadence(8, 30.0, clock=clock)
    assert not cad.due(0)
    assert not cad.due(7)
    clock.t += 29.9
    assert not cad.due(7)
    assert cad.due(8)
    cad.seen(0)  # a checkpoint covered them: the wait starts again with the next entry
    clock.t += 100.0
    assert not cad.due(1)
    clock.t += 30.0
    assert cad.due(1)
    for bad in ((0, 1.0), (1, 0.0), (1, -1.0)):
        with pytest.raises(ValueError):
            Cadence(*bad)


def test_default_cadence_is_eight_entries_or_thirty_seconds(opened: Election) -> None:
    cfg = ServerConfig(db=opened.path, board_secret=opened.board_secret,
                       election_id=opened.manifest.hash.hex())
    assert (cfg.checkpoint_min_entries, cfg.checkpoint_max_delay) == (8, 30.0)
    for bad in ({"checkpoint_min_entries": 0}, {"checkpoint_max_delay": 0.0}):
        with pytest.raises(ValueError):
            ServerConfig(db=opened.path, board_secret=opened.board_secret,
                         election_id=opened.manifest.hash.hex(), **bad)
