"""cosignatures.json (docs/vectors.md) against the Python implementation: the manifest's
"witnesses" field (spec §5.2), witness cosignatures of checkpoints (§8.8) built, parsed,
verified and refused byte for byte, who counts towards the threshold, and receipts whose
checkpoint needs the threshold of cosignatures (§5.7). The browser runs the same cases
(web/src/crypto/vectors.ts)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from hamaporsi.crypto import bip340
from hamaporsi.crypto.errors import CryptoError, InvalidProof
from hamaporsi.crypto.hashing import encode_parts, hash_parts
from hamaporsi.protocol import codec, merkle
from hamaporsi.protocol.ballot import tracking_code
from hamaporsi.protocol.canonical import canonical_bytes, parse_canonical
from hamaporsi.protocol.checkpoint import Checkpoint, verify_checkpoint
from hamaporsi.protocol.cosignature import (Cosignature, WitnessPolicy, cosign,
                                            verify_cosignature)
from hamaporsi.protocol.errors import MalformedInput, ProtocolError
from hamaporsi.protocol.manifest import parse_manifest
from hamaporsi.protocol.signing import signing_message

HERE = Path(__file__).resolve().parent
CHECK = "VEC"


@cache
def doc() -> dict[str, Any]:
    return json.loads((HERE / "cosignatures.json").read_text(encoding="utf-8"))


def cases(*kinds: str) -> list[Any]:
    return [pytest.param(c, id=c["name"]) for c in doc()["cases"] if c["kind"] in kinds]


def named(name: str) -> dict[str, Any]:
    return next(c for c in doc()["cases"] if c["name"] == name)


def b(h: str) -> bytes:
    return bytes.fromhex(h)


def witnessed() -> dict[str, Any]:
    return named("manifest/witnesses-2-of-3")


def board() -> list[bytes]:
    return [b(e) for e in named("board/witnessed")["entries"]]


def policy_of(o: dict[str, Any]) -> WitnessPolicy:
    return WitnessPolicy(tuple(b(k) for k in o["keys"]), o["threshold"])


# -- the manifest's "witnesses" field ---------------------------------------------------------

@pytest.mark.parametrize("case", cases("manifest"))
def test_manifest(case: dict[str, Any]) -> None:
    if case["valid"] is False:
        with pytest.raises(ProtocolError) as e:
            parse_manifest(case["manifest"])
        assert e.value.code == case["expect_error"], e.value
        assert "witnesses" in str(e.value)
        return
    m = parse_manifest(case["manifest"])
    assert canonical_bytes(m.entry).hex() == case["manifest_hex"]
    assert m.hash.hex() == case["manifest_hash"]
    assert m.witnesses.to_json() == case["witnesses"]
    if "aux" in case:
        msg = signing_message(case["manifest"])
        assert bip340.sign(b(case["organizer_secret"]), msg, b(case["aux"])).hex() == \
            case["manifest"]["sig"]


def names_case(case: dict[str, Any]) -> bool:
    """A refusal for the "names" field alone (not one whose keys are refused first)."""
    return case["name"].startswith(("manifest/names-", "manifest/name-")) and \
        "-and-key-" not in case["name"]


@pytest.mark.parametrize("case", cases("manifest"))
def test_manifest_witness_names(case: dict[str, Any]) -> None:
    """Named witnesses: name_of gives each key its {en, fa}; a refusal for the names says
    which field; absent names give None everywhere."""
    if case["valid"] is False:
        if names_case(case):
            with pytest.raises(MalformedInput) as e:
                parse_manifest(case["manifest"])
            assert "manifest.witnesses.names" in str(e.value), e.value
        return
    pol = parse_manifest(case["manifest"]).witnesses
    names = case["witnesses"].get("names")
    for i, k in enumerate(pol.keys):
        got = pol.name_of(k)
        assert (got.to_json() if got else None) == (names[i] if names else None)
    assert pol.name_of(bytes(32)) is None


def test_board_holds_the_witnessed_manifest() -> None:
    assert board()[0].hex() == witnessed()["manifest_hex"]


@pytest.mark.parametrize("case", cases("checkpoint"))
def test_checkpoint(case: dict[str, Any]) -> None:
    cp = Checkpoint.from_json(case["wire"])
    verify_checkpoint(cp, b(case["board_key"]), check=CHECK)
    assert cp.message().hex() == case["message"]
    assert canonical_bytes(cp.to_json()).hex() == case["wire_hex"]
    assert cp.election_id == case["election"] == witnessed()["manifest_hash"]
    leaves = [merkle.leaf_hash(d) for d in board()[:case["size"]]]
    assert cp.root == merkle.root(leaves)
    assert case["board_key"] == witnessed()["manifest"]["board_key"]


# -- cosignatures --------------------------------------------------------------------------------

def wrong(e: InvalidProof) -> str:
    return "wrong_checkpoint" if "another checkpoint" in e.reason else "bad_signature"


@pytest.mark.parametrize("case", cases("cosignature"))
def test_cosignature(case: dict[str, Any]) -> None:
    cp = Checkpoint.from_json(case["checkpoint"])
    cs = Cosignature.from_bytes(b(case["wire_hex"]))
    assert cs.to_json() == case["wire"] and cs.to_bytes().hex() == case["wire_hex"]
    if case["valid"] is False:
        with pytest.raises(InvalidProof) as e:
            verify_cosignature(cs, cp, check=CHECK)
        assert e.value.check == CHECK and wrong(e.value) == case["expect_error"]
        return
    secret = b(case["witness_secret"])
    assert bip340.public_key(secret).hex() == case["witness"] == cs.witness.hex()
    assert cs.checkpoint.hex() == case["checkpoint_message"] == cp.message().hex()
    assert cs.body_bytes().hex() == case["body_hex"] == case["body"].encode().hex()
    assert encode_parts("cosignature", (cs.body_bytes(),)).hex() == case["message_preimage"]
    assert cs.message().hex() == case["message"] == \
        hash_parts("cosignature", cs.body_bytes()).hex()
    assert bip340.sign(secret, cs.message(), b(case["aux"])).hex() == case["sig"]
    verify_cosignature(cs, cp, check=CHECK)
    mine = cosign(secret, cp, case["time"])  # the library's cosigner: same body, own aux
    assert mine.body_bytes() == cs.body_bytes()
    verify_cosignature(mine, cp, check=CHECK)


@pytest.mark.parametrize("case", cases("cosignature-wire"))
def test_cosignature_wire_refused(case: dict[str, Any]) -> None:
    with pytest.raises(MalformedInput) as e:
        Cosignature.from_bytes(b(case["wire_hex"]))
    assert e.value.code == case["expect_error"], e.value


# -- who counts ----------------------------------------------------------------------------------

@pytest.mark.parametrize("case", cases("policy"))
def test_policy(case: dict[str, Any]) -> None:
    pol = policy_of(case["policy"])
    cp = Checkpoint.from_json(case["checkpoint"])
    css = [Cosignature.from_json(c) for c in case["cosignatures"]]
    assert [c.witness.hex() for c in pol.valid_cosigners(cp, css)] == case["cosigners"]
    if case["valid"]:
        assert [c.witness.hex() for c in pol.require(cp, css, check=CHECK)] == \
            case["cosigners"]
    else:
        assert case["expect_error"] == "not_witnessed"
        with pytest.raises(InvalidProof) as e:
            pol.require(cp, css, check=CHECK)
        assert e.value.check == CHECK and f"requires {pol.threshold}" in e.value.reason


# -- receipts ------------------------------------------------------------------------------------

def receipt_verdict(case: dict[str, Any]) -> tuple[str, list[str]]:
    """The receipt check of receipts.json, then the witnesses (spec §5.7): every cosignature
    well-formed (bad_cosignature), at least the threshold of valid ones (not_witnessed)."""
    entry = board()[case["entry_index"]]
    r = case["receipt"]
    cp = Checkpoint.from_json(r["checkpoint"])
    assert b(r["tracking_code"]) == tracking_code(entry)
    leaf = b(r["leaf_hash"])
    assert leaf == merkle.leaf_hash(entry)
    assert cp.election_id == case["manifest_hash"]
    verify_checkpoint(cp, b(case["board_key"]), check=CHECK)
    try:
        merkle.verify_inclusion(leaf, r["index"], cp.size, [b(p) for p in r["path"]], cp.root,
                                check=CHECK)
    except InvalidProof:
        return "inclusion_failed", []
    try:
        css = [Cosignature.from_json(c) for c in
               codec.array(r.get("cosignatures", []), "cosignatures", 0, 64)]
    except MalformedInput:
        return "bad_cosignature", []
    pol = WitnessPolicy.from_json(case["witnesses"])
    got = [c.witness.hex() for c in pol.valid_cosigners(cp, css)]
    try:
        pol.require(cp, css, check=CHECK)
    except CryptoError:
        return "not_witnessed", got
    return "accepted", got


@pytest.mark.parametrize("case", cases("receipt"))
def test_receipt(case: dict[str, Any]) -> None:
    verdict, got = receipt_verdict(case)
    assert verdict == (case["expect_error"] if case["valid"] is False else "accepted")
    assert got == case["cosigners"]
    assert case["witnesses"] == witnessed()["witnesses"]
    assert case["manifest_hash"] == witnessed()["manifest_hash"]


def test_refusals_cover_every_outcome() -> None:
    by_kind: dict[str, set[str]] = {}
    for c in doc()["cases"]:
        if c.get("valid") is False:
            by_kind.setdefault(c["kind"], set()).add(c["expect_error"])
    assert by_kind == {
        "manifest": {"bad_field", "bad_point", "bad_encoding"},
        "cosignature": {"wrong_checkpoint", "bad_signature"},
        "cosignature-wire": {"bad_cosignature", "not_canonical"},
        "policy": {"not_witnessed"},
        "receipt": {"not_witnessed", "bad_cosignature", "inclusion_failed"},
    }
    def has_names(c: dict[str, Any]) -> bool:
        w = c["manifest"].get("witnesses")
        return isinstance(w, dict) and "names" in w

    named = [c for c in doc()["cases"] if c["kind"] == "manifest" and has_names(c)]
    assert any(c["valid"] for c in named)  # a manifest with named witnesses, and refusals:
    assert {c["expect_error"] for c in named if not c["valid"]} == \
        {"bad_field", "bad_point", "bad_encoding"}  # keys are checked before names
    assert sum(names_case(c) for c in named) >= 8
    valid_wire = [c for c in doc()["cases"] if c["kind"] == "cosignature" and c["valid"]]
    assert all(parse_canonical(b(c["wire_hex"])) == c["wire"] for c in valid_wire)
