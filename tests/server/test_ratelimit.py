"""Per-credential rate limit: the token bucket itself (fake clock), and over HTTP — 429 with
Retry-After once a credential's burst is spent, and nobody but the credential's holder can
spend it (the credential keys are public)."""

from __future__ import annotations

from collections.abc import Callable

from hamaporsi.protocol.canonical import canonical_bytes
from hamaporsi.server.ratelimit import RateLimiter

from support.election import Election
from support.server import TestClient, cast, stored, tampered_proof

KEY, OTHER = b"\x01" * 32, b"\x02" * 32


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_bucket_allows_the_burst_then_one_per_interval() -> None:
    clock = Clock()
    rl = RateLimiter(3, 10.0, clock=clock)
    assert [rl.take(KEY) for _ in range(3)] == [None, None, None]
    assert rl.take(KEY) == 10
    assert rl.take(OTHER) is None  # buckets are per credential
    clock.t += 4.0
    assert rl.wait(KEY) == 6 and rl.take(KEY) == 6  # nothing spent while refused
    clock.t += 6.0
    assert rl.take(KEY) is None
    assert rl.take(KEY) == 10


def test_bucket_refills_to_the_burst_and_no_further() -> None:
    clock = Clock()
    rl = RateLimiter(2, 1.0, clock=clock)
    rl.take(KEY)
    clock.t += 1000.0
    assert [rl.take(KEY) for _ in range(3)] == [None, None, 1]


def test_full_buckets_are_forgotten() -> None:
    clock = Clock()
    rl = RateLimiter(2, 1.0, clock=clock)
    rl.take(KEY)
    assert len(rl) == 1
    clock.t += 5.0
    assert rl.wait(KEY) is None
    assert len(rl) == 0


def test_429_with_retry_after_once_the_burst_is_spent(
        opened: Election, serve: Callable[..., TestClient]) -> None:
    c = serve(opened, rate_burst=2, rate_interval=30.0)
    assert cast(c, opened.ballot(0, [0]).bytes).status_code == 201
    assert cast(c, opened.ballot(0, [1]).bytes).status_code == 201
    before = stored(opened)
    r = cast(c, opened.ballot(0, [2]).bytes)
    assert r.status_code == 429, r.text
    assert r.json()["error"] == "rate_limited"
    assert 1 <= int(r.headers["retry-after"]) <= 30
    assert stored(opened) == before
    assert cast(c, opened.ballot(1, [2]).bytes).status_code == 201  # another voter is not held


def test_audits_count_against_the_same_credential(
        opened: Election, serve: Callable[..., TestClient]) -> None:
    c = serve(opened, rate_burst=1, rate_interval=30.0)
    assert cast(c, canonical_bytes(opened.ballot(2, [0]).audit_entry()), "audit").status_code \
        == 201
    assert cast(c, opened.ballot(2, [0]).bytes).status_code == 429


def test_forged_casts_under_someone_elses_credential_do_not_spend_it(
        opened: Election, serve: Callable[..., TestClient]) -> None:
    c = serve(opened, rate_burst=2, rate_interval=30.0)
    forged = opened.ballot(3, [0]).entry
    for i in range(5):
        sig = f"{i:02x}" + forged["sig"][2:]
        r = cast(c, canonical_bytes({**forged, "sig": sig}))
        assert r.status_code == 422 and r.json()["error"] == "bad_signature"
    assert cast(c, opened.ballot(3, [1]).bytes).status_code == 201
    assert cast(c, opened.ballot(3, [2]).bytes).status_code == 201


def test_the_holders_own_bad_proofs_spend_the_bucket(
        opened: Election, serve: Callable[..., TestClient]) -> None:
    c = serve(opened, rate_burst=2, rate_interval=30.0)
    for _ in range(2):
        assert cast(c, tampered_proof(opened)).json()["error"] == "bad_proof"
    assert cast(c, opened.ballot(0, [0]).bytes).status_code == 429


def test_sweep_forgets_refilled_buckets_of_credentials_that_never_return() -> None:
    clock = Clock()
    rl = RateLimiter(3, 10.0, clock=clock)
    keys = [i.to_bytes(32, "big") for i in range(500)]
    for k in keys:
        assert rl.take(k) is None
    for _ in range(3):
        rl.take(KEY)  # KEY's bucket is empty
    assert len(rl) == 501
    clock.t += 9.0  # not refilled yet: nothing is forgotten
    assert rl.sweep() == 0 and len(rl) == 501
    clock.t += 1.0  # the 500 are full again; KEY has 1 of 3 tokens
    assert rl.sweep() == 500 and len(rl) == 1
    assert rl.take(KEY) is None and rl.take(KEY) == 10  # still limited after the sweep
    clock.t += 1000.0
    assert rl.sweep() == 1 and len(rl) == 0
    assert [rl.take(keys[0]) for _ in range(4)] == [None, None, None, 10]


def test_buckets_are_swept_without_being_asked() -> None:
    """One cast each by ever new credentials: the buckets stay bounded by those not yet full
    (amortised O(1) per cast), however many credentials came before."""
    from hamaporsi.server import ratelimit
    clock = Clock()
    rl = RateLimiter(2, 1.0, clock=clock)
    n = 3 * ratelimit.SWEEP_EVERY
    for i in range(n):
        assert rl.take(i.to_bytes(32, "big")) is None
        clock.t += 0.01  # each bucket is full again 1 s (100 casts) later
    assert len(rl) <= ratelimit.SWEEP_EVERY + 100
    assert rl.take(b"\xff" * 32) is None and rl.take(b"\xff" * 32) is None
    assert rl.take(b"\xff" * 32) == 1
