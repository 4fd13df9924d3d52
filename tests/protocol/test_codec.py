"""Strict wire-field decoding (spec §4.2): every failure is MalformedInput naming the field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hamaporsi.crypto.elgamal import encrypt
from hamaporsi.crypto.group import FIELD, ORDER, Point, random_scalar, scalar_bytes
from hamaporsi.crypto.proofs import prove_equal_logs, prove_in_set, prove_knowledge
from hamaporsi.protocol import codec
from hamaporsi.protocol.errors import MalformedInput

G_HEX = Point.G.encode().hex()
X = random_scalar()
X_PUB = Point.mul_g(X)
H = Point.mul_g(random_scalar())
POK = prove_knowledge(b"ctx", X, X_PUB)
DLEQ = prove_equal_logs(b"ctx", X, H, X_PUB, H.mul(X))
CT, R = encrypt(X_PUB, 1)
IN_SET = prove_in_set(b"ctx", X_PUB, CT, 1, R, (0, 1))


def rejects(fn: Callable[[], Any], field: str, code: str | None = None) -> MalformedInput:
    with pytest.raises(MalformedInput) as e:
        fn()
    assert field in str(e.value), f"{field!r} not named in {e.value}"
    if code is not None:
        assert e.value.code == code
    return e.value


# -- hex -------------------------------------------------------------------------------------

def test_hex_bytes_accepts_lowercase_of_exact_length() -> None:
    assert codec.hex_bytes("00ff", 2, "f") == b"\x00\xff"
    assert codec.hex_bytes("", 0, "f") == b""


@pytest.mark.parametrize("v", ["00FF", "00Ff", "0xff", "00f", "00ff00", "", "zz00", " 00f",
                               "00ff\n", "٠٠ff", 255, None, b"00ff", ["00ff"], 0xFF, 1.5, True])
def test_hex_bytes_rejections(v: Any) -> None:
    rejects(lambda: codec.hex_bytes(v, 2, "ballot.tag"), "ballot.tag", "bad_encoding")


# -- points and scalars ----------------------------------------------------------------------

@settings(max_examples=20, deadline=None)
@given(st.integers(min_value=1, max_value=ORDER - 1))
def test_point_round_trip(k: int) -> None:
    p = Point.mul_g(k)
    assert codec.point(p.encode().hex(), "f") == p


@pytest.mark.parametrize("v, code", [
    (G_HEX.upper(), "bad_encoding"),
    (G_HEX[:-2], "bad_encoding"),
    (G_HEX + "00", "bad_encoding"),
    ("04" + G_HEX[2:], "bad_point"),
    ("00" * 33, "bad_point"),
    ("02" + FIELD.to_bytes(32, "big").hex(), "bad_point"),
    ("02" + "ff" * 32, "bad_point"),
    ("02" + (5).to_bytes(32, "big").hex(), "bad_point"),
    (1111111111, "bad_encoding"),
    (None, "bad_encoding"),
])
def test_point_rejections(v: Any, code: str) -> None:
    rejects(lambda: codec.point(v, "trustee[2].key"), "trustee[2].key", code)


def test_identity_only_where_allowed() -> None:
    e = rejects(lambda: codec.point("00" * 33, "tally.sum"), "tally.sum", "bad_point")
    assert "identity" in str(e)
    assert codec.point("00" * 33, "tally.sum", identity_ok=True) is Point.IDENTITY
    assert codec.point(G_HEX, "tally.sum", identity_ok=True) == Point.G
    rejects(lambda: codec.point("00" * 32 + "01", "tally.sum", identity_ok=True), "tally.sum",
            "bad_point")


@pytest.mark.parametrize("k", [0, 1, ORDER - 1])
def test_scalar_accepts(k: int) -> None:
    assert codec.scalar(scalar_bytes(k).hex(), "f") == k


@pytest.mark.parametrize("v, code", [
    (ORDER.to_bytes(32, "big").hex(), "bad_scalar"),
    ((ORDER + 1).to_bytes(32, "big").hex(), "bad_scalar"),
    ("ff" * 32, "bad_scalar"),
    ("AB" * 32, "bad_encoding"),
    ("ab" * 31, "bad_encoding"),
    ("ab" * 33, "bad_encoding"),
    (12, "bad_encoding"),
])
def test_scalar_rejections(v: Any, code: str) -> None:
    rejects(lambda: codec.scalar(v, "proof.v"), "proof.v", code)


# -- plain fields ----------------------------------------------------------------------------

def test_integer() -> None:
    assert codec.integer(0, "n") == 0
    assert codec.integer(2**53 - 1, "n") == 2**53 - 1
    assert codec.integer(5, "n", 5, 5) == 5
    for v in (True, False, -1, 2**64, 1.0, "1", None, [1]):
        rejects(lambda v=v: codec.integer(v, "count"), "count", "bad_field")
    rejects(lambda: codec.integer(4, "count", 5, 9), "count", "bad_field")


def test_text() -> None:
    assert codec.text("بله", "label") == "بله"
    for v in ("", "x" * 2001, 5, None, b"x", ["x"]):
        rejects(lambda v=v: codec.text(v, "label"), "label", "bad_field")
    assert codec.text("x" * 2000, "label") == "x" * 2000
    rejects(lambda: codec.text("abc", "label", max_len=2), "label", "bad_field")


def test_array() -> None:
    assert codec.array([1, 2], "items", 2, 2) == [1, 2]
    for v in ([], [1, 2, 3], (1, 2), "ab", {"a": 1}, None):
        rejects(lambda v=v: codec.array(v, "items", 1, 2), "items", "bad_field")


def test_obj_exact_keys() -> None:
    assert codec.obj({"a": 1, "b": 2}, "entry", {"a", "b"}) == {"a": 1, "b": 2}
    assert codec.obj({"a": 1, "c": 3}, "entry", {"a"}, {"c"}) == {"a": 1, "c": 3}
    assert codec.obj({"a": 1}, "entry", {"a"}, {"c"}) == {"a": 1}
    e = rejects(lambda: codec.obj({"a": 1, "b": 2, "z": 0}, "entry", {"a", "b"}), "entry",
                "bad_field")
    assert "'z'" in str(e)
    e = rejects(lambda: codec.obj({"a": 1}, "entry", {"a", "b"}), "entry", "bad_field")
    assert "'b'" in str(e)
    for v in ([], "x", None, [("a", 1)]):
        rejects(lambda v=v: codec.obj(v, "entry", {"a"}), "entry", "bad_field")


# -- proofs ----------------------------------------------------------------------------------

def test_proof_round_trips() -> None:
    assert codec.pok_from_json(codec.pok_to_json(POK), "p") == POK
    assert codec.dleq_from_json(codec.dleq_to_json(DLEQ), "p") == DLEQ
    assert codec.in_set_from_json(codec.in_set_to_json(IN_SET), "p", 2) == IN_SET
    assert set(codec.pok_to_json(POK)) == {"h", "c", "v"}
    assert set(codec.dleq_to_json(DLEQ)) == {"a", "b", "c", "v"}
    assert all(len(x) == 66 for x in (codec.pok_to_json(POK)["h"], codec.dleq_to_json(DLEQ)["a"]))


@pytest.mark.parametrize("key", ["h", "c", "v"])
def test_pok_field_errors(key: str) -> None:
    good = codec.pok_to_json(POK)
    for bad in (good[key].upper(), good[key][:-2], None):
        rejects(lambda bad=bad: codec.pok_from_json({**good, key: bad}, "ballot.pok"),
                f"ballot.pok.{key}")
    missing = {k: v for k, v in good.items() if k != key}
    rejects(lambda: codec.pok_from_json(missing, "ballot.pok"), "ballot.pok", "bad_field")
    rejects(lambda: codec.pok_from_json({**good, "x": "00"}, "ballot.pok"), "ballot.pok",
            "bad_field")


def test_pok_identity_commitment_refused() -> None:
    bad = {**codec.pok_to_json(POK), "h": "00" * 33}
    rejects(lambda: codec.pok_from_json(bad, "pok"), "pok.h", "bad_point")
    over = {**codec.pok_to_json(POK), "c": ORDER.to_bytes(32, "big").hex()}
    rejects(lambda: codec.pok_from_json(over, "pok"), "pok.c", "bad_scalar")


@pytest.mark.parametrize("key", ["a", "b", "c", "v"])
def test_dleq_field_errors(key: str) -> None:
    good = codec.dleq_to_json(DLEQ)
    for bad in (good[key].upper(), 7, "00" * (33 if key in "ab" else 32)):
        if bad == "00" * 32:  # the zero scalar is a valid encoding
            continue
        rejects(lambda bad=bad: codec.dleq_from_json({**good, key: bad}, "share.proof"),
                f"share.proof.{key}")
    rejects(lambda: codec.dleq_from_json({k: v for k, v in good.items() if k != key},
                                         "share.proof"), "share.proof", "bad_field")


def test_in_set_errors_name_the_branch() -> None:
    good = codec.in_set_to_json(IN_SET)
    rejects(lambda: codec.in_set_from_json(good, "ballot.q[0]", 3), "ballot.q[0]", "bad_field")
    rejects(lambda: codec.in_set_from_json(good[:1], "ballot.q[0]", 2), "ballot.q[0]",
            "bad_field")
    rejects(lambda: codec.in_set_from_json({"0": good[0]}, "ballot.q[0]", 1), "ballot.q[0]",
            "bad_field")
    bad = [good[0], {**good[1], "a": good[1]["a"].upper()}]
    rejects(lambda: codec.in_set_from_json(bad, "ballot.q[0]", 2), "ballot.q[0][1].a",
            "bad_encoding")
    bad = [{**good[0], "extra": ""}, good[1]]
    rejects(lambda: codec.in_set_from_json(bad, "ballot.q[0]", 2), "ballot.q[0][0]", "bad_field")
    bad = [good[0], {**good[1], "v": "ff" * 32}]
    rejects(lambda: codec.in_set_from_json(bad, "ballot.q[0]", 2), "ballot.q[0][1].v",
            "bad_scalar")
    bad = [good[0], "not an object"]
    rejects(lambda: codec.in_set_from_json(bad, "ballot.q[0]", 2), "ballot.q[0][1]", "bad_field")
