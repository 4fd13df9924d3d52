"""The shared vectors (docs/vectors.md) against the Python implementation: every case is
reproduced, accepted or rejected as stated, and generate.py reproduces the files byte for byte,
so the vectors cannot drift from the code."""

from __future__ import annotations

import importlib.util
import json
import struct
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from hamaporsi.crypto import proofs
from hamaporsi.crypto.dlog import discrete_log
from hamaporsi.crypto.elgamal import Ciphertext, encrypt, partial_decrypt
from hamaporsi.crypto.errors import EncodingError, InvalidProof
from hamaporsi.crypto.group import ORDER, Point, decode_scalar, scalar_bytes
from hamaporsi.crypto.hashing import PREFIX, encode_parts, hash_parts, hash_to_scalar, u32
from hamaporsi.protocol import codec
from hamaporsi.protocol.canonical import canonical_bytes, parse_canonical
from hamaporsi.protocol.errors import MalformedInput

HERE = Path(__file__).resolve().parent
FILES = ["hashing.json", "points.json", "elgamal.json", "proofs.json", "canonical.json"]
CHECK = "VEC"


@cache
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("hamaporsi_vectors_generate",
                                                  HERE / "generate.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


@cache
def load(name: str) -> dict[str, Any]:
    return json.loads((HERE / name).read_text(encoding="utf-8"))


def cases(name: str, *kinds: str) -> list[Any]:
    return [pytest.param(c, id=c["name"]) for c in load(name)["cases"]
            if not kinds or c.get("kind") in kinds]


def b(h: str) -> bytes:
    return bytes.fromhex(h)


# -- the files themselves --------------------------------------------------------------------

def test_regeneration_is_byte_identical() -> None:
    built = generator().build()
    assert sorted(built) == sorted(FILES)
    for name, text in built.items():
        assert (HERE / name).read_bytes() == text.encode("utf-8"), f"{name} is stale: " \
            "run tests/vectors/generate.py"


@pytest.mark.parametrize("name", FILES)
def test_file_layout(name: str) -> None:
    doc = load(name)
    assert list(doc) == ["about", "spec", "cases"]
    assert doc["spec"].startswith("docs/spec.md §")
    names = [c["name"] for c in doc["cases"]]
    assert len(names) == len(set(names)) and len(names) >= 5
    for c in doc["cases"]:
        assert ("expect_error" in c) == (c.get("valid", True) is False
                                          or c.get("kind", "") in ("decode_invalid",
                                                                   "scalar_invalid", "reject"))


# -- hashing ---------------------------------------------------------------------------------

@pytest.mark.parametrize("case", cases("hashing.json"))
def test_hashing(case: dict[str, Any]) -> None:
    parts = tuple(b(p) for p in case["parts"])
    encoded = encode_parts(case["tag"], parts)
    assert encoded.hex() == case["encoded"]
    assert hash_parts(case["tag"], *parts).hex() == case["hash_parts"]
    assert scalar_bytes(hash_to_scalar(case["tag"], *parts)).hex() == case["hash_to_scalar"]
    # The layout, rebuilt by hand from the description in the file.
    t = (PREFIX + case["tag"]).encode("ascii")
    manual = struct.pack(">I", len(t)) + t + b"".join(struct.pack(">I", len(p)) + p
                                                      for p in parts)
    assert manual == encoded


def test_hashing_injectivity_pairs_differ() -> None:
    by_name = {c["name"]: c for c in load("hashing.json")["cases"]}
    for x, y in [("split-ab-c", "split-a-bc"), ("nested-looking-part", "flat-parts"),
                 ("no-parts", "one-empty-part"), ("one-empty-part", "two-empty-parts")]:
        assert by_name[x]["encoded"] != by_name[y]["encoded"]
        assert by_name[x]["hash_to_scalar"] != by_name[y]["hash_to_scalar"]


# -- points and scalars ----------------------------------------------------------------------

POINT_ERRORS = {"wrong_length": "33 bytes", "bad_prefix": "prefix",
                "identity_not_allowed": "identity", "not_on_curve": "not on secp256k1",
                "x_not_below_p": "not on secp256k1"}
SCALAR_ERRORS = {"wrong_length": "32 bytes", "not_below_order": "order"}


def pt(h: str) -> Point:
    return Point.decode_or_identity(b(h))


@pytest.mark.parametrize("case", cases("points.json"))
def test_points(case: dict[str, Any]) -> None:
    kind = case["kind"]
    if kind == "mul_g":
        k = decode_scalar(b(case["k"]))
        assert Point.mul_g(k).encode().hex() == case["point"]
        assert pt(case["point"]).encode().hex() == case["point"]
    elif kind == "mul":
        assert pt(case["point"]).mul(decode_scalar(b(case["k"]))) == pt(case["result"])
    elif kind == "add":
        assert (pt(case["a"]) + pt(case["b"])).encode().hex() == case["sum"]
        assert (pt(case["b"]) + pt(case["a"])).encode().hex() == case["sum"]
    elif kind == "negate":
        assert (-pt(case["point"])).encode().hex() == case["negation"]
        assert (pt(case["point"]) + pt(case["negation"])).is_identity
    elif kind == "decode_valid":
        assert Point.decode(b(case["encoding"])).encode().hex() == case["encoding"]
    elif kind == "decode_identity":
        with pytest.raises(EncodingError, match="identity"):
            Point.decode(b(case["encoding"]))
        assert Point.decode_or_identity(b(case["encoding"])) is Point.IDENTITY
    elif kind == "decode_invalid":
        with pytest.raises(EncodingError, match=POINT_ERRORS[case["expect_error"]]):
            Point.decode(b(case["encoding"]))
        if case["expect_error"] != "identity_not_allowed":
            with pytest.raises(EncodingError, match=POINT_ERRORS[case["expect_error"]]):
                Point.decode_or_identity(b(case["encoding"]))
    elif kind == "scalar_valid":
        assert scalar_bytes(decode_scalar(b(case["encoding"]))).hex() == case["encoding"]
    elif kind == "scalar_invalid":
        with pytest.raises(EncodingError, match=SCALAR_ERRORS[case["expect_error"]]):
            decode_scalar(b(case["encoding"]))
    else:
        pytest.fail(f"unknown kind {kind}")


# -- ElGamal ---------------------------------------------------------------------------------

@pytest.mark.parametrize("case", cases("elgamal.json"))
def test_elgamal(case: dict[str, Any]) -> None:
    s = decode_scalar(b(case["secret"]))
    k = Point.decode(b(case["public_key"]))
    assert Point.mul_g(s) == k
    if case["kind"] == "encrypt":
        ct, _ = encrypt(k, case["m"], decode_scalar(b(case["r"])))
        assert ct.alpha.encode().hex() == case["alpha"]
        assert ct.beta.encode().hex() == case["beta"]
        assert partial_decrypt(s, ct).encode().hex() == case["partial"]
        m = case["m"]
    else:
        cts = [Ciphertext(pt(c["alpha"]), pt(c["beta"])) for c in case["ciphertexts"]]
        ct = Ciphertext.sum(cts)
        assert ct.alpha.encode().hex() == case["alpha"]
        assert ct.beta.encode().hex() == case["beta"]
        m = case["m_total"]
    m_g = ct.beta - partial_decrypt(s, ct)
    assert m_g.encode().hex() == case["m_g"] == Point.mul_g(m).encode().hex()
    assert discrete_log(m_g, m) == m


# -- proofs ----------------------------------------------------------------------------------

PROOF_REASONS = {
    "scalar_out_of_range": ("scalar out of range",),
    "identity_point": ("identity point",),
    "challenge_mismatch": ("challenge does not match", "challenges do not add up"),
    "equation_failed": ("proof equations do not hold",),
    "branch_count": ("branches for",),
}
Run = Callable[[proofs.Batch | None], None]


def raw_scalar(h: str) -> int:
    """32 bytes, not range-checked: the verifier's own range check must see values ≥ n."""
    data = b(h)
    assert len(data) == 32
    return int.from_bytes(data, "big")


def lenient_proof(case: dict[str, Any]) -> Any:
    p = case["proof"]
    if case["kind"] == "pok":
        return proofs.SchnorrProof(pt(p["h"]), raw_scalar(p["c"]), raw_scalar(p["v"]))
    if case["kind"] == "dleq":
        return proofs.EqualityProof(pt(p["a"]), pt(p["b"]), raw_scalar(p["c"]),
                                    raw_scalar(p["v"]))
    return proofs.InSetProof(tuple(proofs.Branch(pt(x["a"]), pt(x["b"]), raw_scalar(x["c"]),
                                                 raw_scalar(x["v"])) for x in p))


def strict_proof(case: dict[str, Any]) -> Any:
    """Through the wire codec, as a record reader would decode it."""
    p = case["proof"]
    if case["kind"] == "pok":
        return codec.pok_from_json(p, "proof")
    if case["kind"] == "dleq":
        return codec.dleq_from_json(p, "proof")
    return codec.in_set_from_json(p, "proof", len(case["statement"]["allowed"]))


def runner(case: dict[str, Any], proof: Any) -> Run:
    st = case["statement"]
    ctx = b(st["context"])
    if case["kind"] == "pok":
        x_pub = pt(st["X"])
        return lambda bt: proofs.verify_knowledge(ctx, x_pub, proof, check=CHECK, what="pok",
                                                  batch=bt)
    if case["kind"] == "dleq":
        h, x_pub, y = pt(st["H"]), pt(st["X"]), pt(st["Y"])
        return lambda bt: proofs.verify_equal_logs(ctx, h, x_pub, y, proof, check=CHECK,
                                                   what="dleq", batch=bt)
    k, ct = pt(st["K"]), Ciphertext(pt(st["alpha"]), pt(st["beta"]))
    allowed = tuple(st["allowed"])
    return lambda bt: proofs.verify_in_set(ctx, k, ct, proof, allowed, check=CHECK,
                                           what="in-set", batch=bt)


def expect_rejection(case: dict[str, Any], run: Callable[[], None]) -> None:
    with pytest.raises(InvalidProof) as e:
        run()
    assert e.value.check == CHECK
    reasons = PROOF_REASONS[case["expect_error"]]
    assert any(r in e.value.reason for r in reasons), (case["expect_error"], e.value.reason)


VALID = cases("proofs.json")
VALID = [c for c in VALID if c.values[0]["valid"]]
INVALID = [c for c in cases("proofs.json") if not c.values[0]["valid"]]


@pytest.mark.parametrize("case", VALID)
def test_valid_proof_verifies(case: dict[str, Any]) -> None:
    runner(case, lenient_proof(case))(None)
    runner(case, strict_proof(case))(None)
    p = strict_proof(case)
    if case["kind"] == "pok":
        assert codec.pok_to_json(p) == case["proof"]
    elif case["kind"] == "dleq":
        assert codec.dleq_to_json(p) == case["proof"]
    else:
        assert codec.in_set_to_json(p) == case["proof"]


def challenge_parts(case: dict[str, Any]) -> tuple[str, tuple[bytes, ...]]:
    st, p = case["statement"], case["proof"]
    ctx = b(st["context"])
    if case["kind"] == "pok":
        return "pok", (ctx, b(st["X"]), b(p["h"]))
    if case["kind"] == "dleq":
        return "dleq", (ctx, b(st["X"]), b(st["H"]), b(st["Y"]), b(p["a"]), b(p["b"]))
    allowed = st["allowed"]
    return "in-set", (ctx, b(st["K"]), b(st["alpha"]), b(st["beta"]),
                      u32(len(allowed)) + b"".join(u32(j) for j in allowed),
                      *[b(x[k]) for x in p for k in ("a", "b")])


@pytest.mark.parametrize("case", VALID)
def test_valid_proof_challenge_preimage(case: dict[str, Any]) -> None:
    tag, parts = challenge_parts(case)
    assert encode_parts(tag, parts).hex() == case["challenge_preimage"]
    c = hash_to_scalar(tag, *parts)
    if case["kind"] == "in_set":
        assert sum(raw_scalar(x["c"]) for x in case["proof"]) % ORDER == c
    else:
        assert raw_scalar(case["proof"]["c"]) == c


@pytest.mark.parametrize("case", VALID)
def test_library_prover_reproduces_the_proof(case: dict[str, Any]) -> None:
    """With its nonces fixed to the witness's, hamaporsi.crypto.proofs makes the same bytes."""
    w, st = case["witness"], case["statement"]
    nonces = [decode_scalar(b(w["u"]))]
    for sim in w.get("simulated", []):
        nonces += [decode_scalar(b(sim["c"])), decode_scalar(b(sim["v"]))]
    stream = iter(nonces)

    def rand() -> int:
        return next(stream)

    ctx = b(st["context"])
    if case["kind"] == "pok":
        p = proofs.prove_knowledge(ctx, decode_scalar(b(w["x"])), pt(st["X"]), rand)
        assert codec.pok_to_json(p) == case["proof"]
    elif case["kind"] == "dleq":
        p = proofs.prove_equal_logs(ctx, decode_scalar(b(w["x"])), pt(st["H"]), pt(st["X"]),
                                    pt(st["Y"]), rand)
        assert codec.dleq_to_json(p) == case["proof"]
    else:
        ct = Ciphertext(pt(st["alpha"]), pt(st["beta"]))
        p = proofs.prove_in_set(ctx, pt(st["K"]), ct, w["m"], decode_scalar(b(w["r"])),
                                tuple(st["allowed"]), rand)
        assert codec.in_set_to_json(p) == case["proof"]
    assert next(stream, None) is None  # every nonce used, none missing


@pytest.mark.parametrize("case", INVALID)
def test_invalid_proof_is_rejected_by_the_named_check(case: dict[str, Any]) -> None:
    if case["expect_error"] == "bad_point":
        with pytest.raises(EncodingError):
            runner(case, lenient_proof(case))
        return
    run = runner(case, lenient_proof(case))
    expect_rejection(case, lambda: run(None))
    batch = proofs.Batch()
    for v in VALID:
        runner(v.values[0], lenient_proof(v.values[0]))(batch)

    def in_batch() -> None:
        run(batch)
        batch.check(CHECK, "batch")

    expect_rejection(case, in_batch)


@pytest.mark.parametrize("case", INVALID)
def test_invalid_proof_through_the_codec(case: dict[str, Any]) -> None:
    """A strict decoder may refuse earlier (bad encodings); otherwise the same check fails."""
    try:
        proof = strict_proof(case)
    except MalformedInput as e:
        allowed = {"bad_point": {"bad_point"}, "identity_point": {"bad_point"},
                   "scalar_out_of_range": {"bad_scalar"}, "branch_count": {"bad_field"}}
        assert e.code in allowed.get(case["expect_error"], set()), (case["name"], e.code)
        return
    try:
        run = runner(case, proof)
    except EncodingError:
        assert case["expect_error"] == "bad_point"
        return
    expect_rejection(case, lambda: run(None))


def test_all_valid_proofs_pass_in_one_batch() -> None:
    batch = proofs.Batch()
    for v in VALID:
        runner(v.values[0], lenient_proof(v.values[0]))(batch)
    batch.check(CHECK, "batch")


def test_every_check_is_covered() -> None:
    seen = {c.values[0]["expect_error"] for c in INVALID}
    assert seen == set(PROOF_REASONS) | {"bad_point"}
    kinds = {(c.values[0]["kind"], c.values[0]["expect_error"]) for c in INVALID}
    for kind in ("pok", "dleq", "in_set"):
        assert (kind, "challenge_mismatch") in kinds and (kind, "equation_failed") in kinds


# -- canonical JSON --------------------------------------------------------------------------

def input_bytes(chunks: list[list[Any]]) -> bytes:
    return b"".join(b(h) * n for h, n in chunks)


@pytest.mark.parametrize("case", cases("canonical.json"))
def test_canonical(case: dict[str, Any]) -> None:
    if case["kind"] == "encode":
        out = canonical_bytes(case["value"])
        assert out.hex() == case["canonical_hex"]
        assert out.decode("utf-8") == case["canonical"]
        assert parse_canonical(out) == case["value"]
    elif case["kind"] == "accept":
        data = input_bytes(case["input"])
        assert canonical_bytes(parse_canonical(data)) == data
    else:
        with pytest.raises(MalformedInput) as e:
            parse_canonical(input_bytes(case["input"]))
        assert e.value.code == case["expect_error"]
