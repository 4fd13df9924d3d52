"""Signed checkpoints: exact body bytes, sign/verify, tampering, strict JSON parsing."""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

import pytest

from hamaporsi.protocol.checkpoint import Checkpoint, sign_checkpoint, verify_checkpoint
from hamaporsi.crypto import bip340
from hamaporsi.crypto.errors import InvalidProof
from hamaporsi.crypto.hashing import hash_parts
from hamaporsi.protocol.canonical import canonical_bytes, parse_canonical
from hamaporsi.protocol.errors import MalformedInput

SECRET = bytes.fromhex("b7e151628aed2a6abf7158809cf4f3c762e7160f38b4da56a784d9045190cfef")
ELECTION = hashlib.sha256(b"test election").hexdigest()
ROOT = hashlib.sha256(b"root").digest()


@pytest.fixture(scope="module")
def cp() -> Checkpoint:
    return sign_checkpoint(SECRET, ELECTION, 42, ROOT, 1_700_000_000)


def test_body_bytes_are_exact(cp: Checkpoint) -> None:
    key = bip340.public_key(SECRET).hex()
    expected = (f'{{"board_key":"{key}","election":"{ELECTION}","root":"{ROOT.hex()}",'
                f'"size":42,"time":1700000000,"type":"checkpoint"}}').encode()
    assert cp.body_bytes() == expected
    assert parse_canonical(expected) == cp.body()
    tag = b"hamaporsi/v1/checkpoint"
    encoded = len(tag).to_bytes(4, "big") + tag + len(expected).to_bytes(4, "big") + expected
    assert cp.message() == hashlib.sha256(encoded).digest() == hash_parts("checkpoint", expected)


def test_sign_verify(cp: Checkpoint) -> None:
    assert cp.board_key == bip340.public_key(SECRET)
    verify_checkpoint(cp, cp.board_key)
    bip340.verify(cp.board_key, cp.message(), cp.signature)


@pytest.mark.parametrize("field, value", [
    ("size", 43),
    ("root", hashlib.sha256(b"other").digest()),
    ("timestamp", 1_700_000_001),
    ("election_id", hashlib.sha256(b"other election").hexdigest()),
    ("signature", "flip"),
])
def test_tampered_field_fails(cp: Checkpoint, field: str, value: Any) -> None:
    if value == "flip":
        value = cp.signature[:-1] + bytes([cp.signature[-1] ^ 1])
    bad = dataclasses.replace(cp, **{field: value})
    with pytest.raises(InvalidProof) as exc:
        verify_checkpoint(bad, cp.board_key)
    assert exc.value.check == "V-checkpoint"


def test_other_board_key_fails(cp: Checkpoint) -> None:
    other = bip340.public_key(bip340.generate_secret())
    with pytest.raises(InvalidProof):
        verify_checkpoint(cp, other, check="V9")
    forged = sign_checkpoint(bip340.generate_secret(), ELECTION, 42, ROOT, 1_700_000_000)
    with pytest.raises(InvalidProof) as exc:
        verify_checkpoint(forged, cp.board_key, check="V9")
    assert exc.value.check == "V9"
    # a key swapped in without re-signing
    with pytest.raises(InvalidProof):
        verify_checkpoint(dataclasses.replace(cp, board_key=other), other)


def test_json_roundtrip(cp: Checkpoint) -> None:
    obj = cp.to_json()
    assert set(obj) == {"board_key", "election", "root", "sig", "size", "time", "type"}
    assert obj["sig"] == cp.signature.hex()
    again = Checkpoint.from_json(parse_canonical(canonical_bytes(obj)))
    assert again == cp
    verify_checkpoint(again, cp.board_key)
    assert Checkpoint.from_body_bytes(cp.body_bytes(), cp.signature) == cp


def _mutations(obj: dict[str, Any]) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = [("extra key", {**obj, "extra": 1})]
    for k in obj:
        out.append((f"missing {k}", {kk: v for kk, v in obj.items() if kk != k}))
    for k in ("board_key", "election", "root", "sig"):
        out.append((f"{k} uppercase", {**obj, k: obj[k].upper()}))
        out.append((f"{k} short", {**obj, k: obj[k][:-2]}))
        out.append((f"{k} long", {**obj, k: obj[k] + "00"}))
        out.append((f"{k} odd", {**obj, k: obj[k][:-1]}))
        out.append((f"{k} non-hex", {**obj, k: "g" + obj[k][1:]}))
        out.append((f"{k} int", {**obj, k: 5}))
    for k in ("size", "time"):
        for bad in (-1, 1 << 53, True, "1", None, 1.0):
            out.append((f"{k}={bad!r}", {**obj, k: bad}))
    out.append(("type", {**obj, "type": "Checkpoint"}))
    return out


def test_from_json_rejects(cp: Checkpoint) -> None:
    obj = cp.to_json()
    for name, bad in _mutations(obj):
        with pytest.raises(MalformedInput) as exc:
            Checkpoint.from_json(bad)
        assert exc.value.code == "bad_checkpoint", name
    for not_obj in (None, [], "x", 1):
        with pytest.raises(MalformedInput):
            Checkpoint.from_json(not_obj)


def test_constructor_validates() -> None:
    good = dict(election_id=ELECTION, size=0, root=ROOT, timestamp=0,
                board_key=bytes(32), signature=bytes(64))
    Checkpoint(**good)
    for field, bad in [("election_id", ELECTION.upper()), ("size", -1), ("root", ROOT[:31]),
                       ("timestamp", True), ("board_key", bytes(33)), ("signature", bytes(63))]:
        with pytest.raises(MalformedInput):
            Checkpoint(**{**good, field: bad})


def test_from_body_bytes_rejects_non_canonical(cp: Checkpoint) -> None:
    with pytest.raises(MalformedInput):
        Checkpoint.from_body_bytes(cp.body_bytes().replace(b":", b": ", 1), cp.signature)
    with pytest.raises(MalformedInput):
        Checkpoint.from_body_bytes(canonical_bytes(cp.to_json()), cp.signature)


def test_spec_example_vector() -> None:
    """The worked example of docs/spec.md §8.5.6, byte for byte."""
    body = ('{"board_key":"dff1d77f2a671c5f36183726db2341be58feae1da2deced843240f7b502ba659",'
            '"election":"913761328f9b42e805c00059b2a186995794ebe35bfd5645f21cc844aa48ce65",'
            '"root":"4813494d137e1631bba301d5acab6e7bb7aa74ce1185d456565ef51d737677b2",'
            '"size":42,"time":1700000000,"type":"checkpoint"}').encode()
    msg = bytes.fromhex("ada1a37513dac07d92d097c243475a572abc84fb80a41747501a0489e43bb1be")
    sig = bytes.fromhex("f14a03bdbb8d4e5ed6199c1e354eca9b5405282eac612e1a1adc0aec62cb0a2b"
                        "8535a21e2d5de104936410776a2ac394b76639a6b676587ac8d73699530fdfff")
    cp = Checkpoint.from_body_bytes(body, sig)
    assert (cp.election_id, cp.root) == (ELECTION, ROOT)
    assert len(body) == 280 and cp.body_bytes() == body and cp.message() == msg
    assert bip340.sign(SECRET, msg, bytes(32)) == sig
    verify_checkpoint(cp, bip340.public_key(SECRET))
