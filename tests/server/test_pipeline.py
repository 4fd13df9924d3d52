"""The cast pipeline's parts: `verify_items` (one batch per call, exactly the bad ballots
refused), the context rebuilt from bytes in worker processes, the `Batcher` (batches form under
load, results reach their own callers, a failure reaches the whole batch), the credential hint,
and many concurrent casts through worker processes landing each exactly once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from hamaporsi.protocol.canonical import canonical_bytes
from hamaporsi.protocol.ledger import BallotFacts
from hamaporsi.protocol.merkle import leaf_hash
from hamaporsi.server.batcher import Batcher
from hamaporsi.server.cast import credential_hint
from hamaporsi.server.verifier import ContextBytes, Refusal, verify_items

from support.election import Election
from support.server import TestClient, cast, stored, tampered_proof, tick


def spec_of(el: Election) -> ContextBytes:
    from hamaporsi.board.sqlite import SQLiteStore
    with SQLiteStore(el.path) as s:
        return ContextBytes.of(s.entry(0), el.ctx)


def test_batch_of_good_and_bad_refuses_exactly_the_bad(opened: Election) -> None:
    good = [opened.ballot(v, [v % 3]) for v in range(3)]
    items = [(good[0].bytes, "ballot"), (tampered_proof(opened, 1), "ballot"),
             (good[1].bytes, "ballot"), (b"[", "ballot"),
             (canonical_bytes(good[2].audit_entry()), "audit"),
             (good[2].bytes, "audit")]
    out = verify_items(opened.ctx, items)
    assert [type(o).__name__ for o in out] == ["BallotFacts", "Refusal", "BallotFacts",
                                              "Refusal", "BallotFacts", "Refusal"]
    assert isinstance(out[1], Refusal) and (out[1].code, out[1].check, out[1].signed) == \
        ("bad_proof", "V7", True)
    assert isinstance(out[3], Refusal) and out[3].code == "malformed_json" and not out[3].signed
    assert isinstance(out[5], Refusal) and out[5].code == "wrong_type"
    f0, f4 = out[0], out[4]
    assert isinstance(f0, BallotFacts) and f0.tracking == good[0].tracking_code
    assert f0.credential == opened.creds[0].public and f0.kind == "ballot"
    assert isinstance(f4, BallotFacts) and f4.kind == "audit"
    assert f4.tracking == good[2].tracking_code
    err = out[1].error()
    assert err.code == "bad_proof" and err.check == "V7"


def test_context_rebuilt_from_bytes_is_the_same(opened: Election) -> None:
    spec = spec_of(opened)
    assert spec.context().hash == opened.ctx.hash
    bad = ContextBytes(spec.manifest, spec.joint_key, spec.credential_count + 1,
                       spec.credential_hash, spec.election_hash)
    with pytest.raises(ValueError):
        bad.context()


def test_credential_hint() -> None:
    key = "ab" * 32
    assert credential_hint(f'{{"credential":"{key}","election"'.encode(), "ballot") == \
        bytes.fromhex(key)
    assert credential_hint(f'{{"ballot":{{"credential":"{key}","e'.encode(), "audit") == \
        bytes.fromhex(key)
    for bad in (f' {{"credential":"{key}"', f'{{"credential":"{key.upper()}"',
                f'{{"credential":"{key[:-2]}"', f'{{"credential":"{key}00"'):
        assert credential_hint(bad.encode(), "ballot") is None
    assert credential_hint(f'{{"credential":"{key}"'.encode(), "audit") is None


def test_batcher_groups_what_queued_and_answers_each_caller() -> None:
    batches: list[list[int]] = []

    async def work(items: list[int]) -> list[int]:
        batches.append(items)
        await asyncio.sleep(0.01)
        return [i * 10 for i in items]

    async def main() -> list[int]:
        b: Batcher[int, int] = Batcher(work, parallel=1, max_batch=4)
        return await asyncio.gather(*(b.submit(i) for i in range(10)))

    assert asyncio.run(main()) == [i * 10 for i in range(10)]
    assert batches[0] == [0]  # idle: the first goes alone, at once
    assert sorted(x for batch in batches for x in batch) == list(range(10))
    assert max(len(batch) for batch in batches) == 4 and len(batches) < 10


def test_batcher_spreads_over_parallel_workers_and_limits_them() -> None:
    running = [0]
    peak = [0]

    async def work(items: list[int]) -> list[int]:
        running[0] += 1
        peak[0] = max(peak[0], running[0])
        await asyncio.sleep(0.01)
        running[0] -= 1
        return items

    async def main() -> list[int]:
        b: Batcher[int, int] = Batcher(work, parallel=2, max_batch=100)
        return await asyncio.gather(*(b.submit(i) for i in range(50)))

    assert asyncio.run(main()) == list(range(50))
    assert peak[0] == 2


def test_batcher_failure_reaches_every_caller_of_the_batch_and_not_the_next() -> None:
    async def work(items: list[int]) -> list[int]:
        await asyncio.sleep(0)
        if 3 in items:
            raise RuntimeError("worker died")
        return items

    async def main() -> list[object]:
        b: Batcher[int, int] = Batcher(work, parallel=1, max_batch=1)
        return await asyncio.gather(*(b.submit(i) for i in range(6)), return_exceptions=True)

    out = asyncio.run(main())
    assert [type(o).__name__ for o in out] == ["int", "int", "int", "RuntimeError", "int", "int"]


def test_concurrent_casts_through_worker_processes(
        opened: Election, serve: Callable[..., TestClient]) -> None:
    """Two verifier processes, 20 concurrent casts (4 voters × 4, exact copies included):
    every distinct ballot lands once, every copy gets the same receipt (200) and stores
    nothing, indices are distinct and dense."""
    c = serve(opened, verify_workers=2, max_batch=8)
    assert c.app.state.caster.verifier.workers == 2  # type: ignore[attr-defined]
    ballots = [opened.ballot(v, [k % 3]) for v in range(4) for k in range(4)]
    sends = [b.bytes for b in ballots] + [ballots[0].bytes, ballots[5].bytes,
                                          ballots[9].bytes, ballots[15].bytes]
    before = stored(opened)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda d: cast(c, d), sends))
    ok = [r.json() for r in results if r.status_code == 201]
    again = [r.json() for r in results if r.status_code == 200]
    assert len(ok) == 16 and len(again) == 4 and len(results) == 20
    assert all(a in ok for a in again)
    assert sorted(o["index"] for o in ok) == list(range(before, before + 16))
    assert {o["leaf_hash"] for o in ok} == {leaf_hash(b.bytes).hex() for b in ballots}
    assert stored(opened) == before + 16
    tick(c)
    assert all(c.get(f"/api/ballots/{o['tracking_code']}").json()["status"] == "included"
               for o in ok)
    t = c.get("/api/results").json()["turnout"]
    assert (t["ballots"], t["voters"]) == (16, 4)


def test_overload_is_503_with_retry_after_and_stores_nothing(
        opened: Election, serve: Callable[..., TestClient]) -> None:
    from support.server import error_of
    c = serve(opened, max_queue=0)  # every queued ballot is one too many
    before = stored(opened)
    r = cast(c, opened.ballot(0, [0]).bytes)
    error_of(r, 503, "unavailable")
    assert r.headers["retry-after"] == "2"
    assert stored(opened) == before
    ok = serve(opened, max_queue=1)  # one waiting is fine
    assert cast(ok, opened.ballot(0, [0]).bytes).status_code == 201
