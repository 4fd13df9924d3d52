"""Baby-step giant-step tally recovery (spec §7.4)."""

from __future__ import annotations

import math
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hamaporsi.crypto.dlog import DiscreteLogNotFound, discrete_log
from hamaporsi.crypto.errors import CryptoError
from hamaporsi.crypto.group import ORDER, Point, random_scalar

BIG = 61_000_000


class Hung(Exception):
    pass


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Fail instead of hanging if the search does not stop."""
    def on_alarm(signum: int, frame: object) -> None:
        raise Hung(f"took more than {seconds} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@pytest.mark.parametrize("bound", [0, 1, 2, 10, 1000])
def test_zero(bound: int) -> None:
    assert discrete_log(Point.IDENTITY, bound) == 0
    assert discrete_log(Point.G - Point.G, bound) == 0


@pytest.mark.parametrize("bound", [0, 1, 2, 3, 4, 8, 9, 15, 16, 17, 48, 49, 50])
def test_every_value_up_to_the_bound_and_none_above(bound: int) -> None:
    for t in range(bound + 1):
        assert discrete_log(Point.mul_g(t), bound) == t
    for t in range(bound + 1, bound + 2 * math.isqrt(bound) + 6):
        with pytest.raises(DiscreteLogNotFound):
            discrete_log(Point.mul_g(t), bound)


def test_one_two_bound_and_just_above() -> None:
    assert discrete_log(Point.G, 1000) == 1
    assert discrete_log(Point.mul_g(2), 1000) == 2
    assert discrete_log(Point.mul_g(1000), 1000) == 1000
    with pytest.raises(DiscreteLogNotFound, match=r"\[0, 1000\]"):
        discrete_log(Point.mul_g(1001), 1000)


def test_not_found_is_a_crypto_error() -> None:
    assert issubclass(DiscreteLogNotFound, CryptoError)


def test_negative_bound_is_refused() -> None:
    with pytest.raises(ValueError):
        discrete_log(Point.G, -1)


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=0, max_value=20_000), st.integers(min_value=0, max_value=20_000))
def test_found_iff_within_bound(t: int, bound: int) -> None:
    target = Point.mul_g(t)
    if t <= bound:
        assert discrete_log(target, bound) == t
    else:
        with pytest.raises(DiscreteLogNotFound):
            discrete_log(target, bound)


def test_large_tallies() -> None:
    m = math.isqrt(BIG) + 1  # the giant step
    last_full = (BIG // m - 1) * m
    values = [BIG, BIG - 1, last_full + m - 1, last_full, (BIG // m) * m, 123_456]
    assert all(v <= BIG for v in values)
    start = time.monotonic()
    with time_limit(20):
        for t in values:
            assert discrete_log(Point.mul_g(t), BIG) == t
    assert time.monotonic() - start < 20


@pytest.mark.parametrize("target", [
    Point.mul_g(BIG + 1), Point.mul_g(ORDER - 1), Point.mul_g(ORDER - BIG),
    Point.mul_g(2 * BIG), Point.mul_g(random_scalar()),
], ids=["bound+1", "-1", "-bound", "2*bound", "random"])
def test_search_stops_above_the_bound(target: Point) -> None:
    with time_limit(20), pytest.raises(DiscreteLogNotFound):
        discrete_log(target, BIG)
