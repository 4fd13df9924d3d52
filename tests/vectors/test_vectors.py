"""The shared vectors (docs/vectors.md) against the Python implementation: every case is
reproduced, accepted or rejected as stated, and generate.py reproduces the files byte for byte,
so the vectors cannot drift from the code."""

from __future__ import annotations

import hashlib
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

from hamaporsi.crypto import bip340, proofs
from hamaporsi.crypto.dlog import discrete_log
from hamaporsi.crypto.elgamal import Ciphertext, encrypt, partial_decrypt
from hamaporsi.crypto.errors import CryptoError, EncodingError, InvalidProof
from hamaporsi.crypto.group import GROUP_DESCRIPTION, ORDER, Point, decode_scalar, scalar_bytes
from hamaporsi.crypto.hashing import PREFIX, encode_parts, hash_parts, hash_to_scalar, u32
from hamaporsi.protocol import codec, merkle
from hamaporsi.protocol.ballot import (encrypt_ballot, tracking_code, verify_audit,
                                       verify_ballot)
from hamaporsi.protocol.canonical import canonical_bytes, parse_canonical
from hamaporsi.protocol.ceremony import TrusteeKeys
from hamaporsi.protocol.checkpoint import Checkpoint, verify_checkpoint
from hamaporsi.protocol.credentials import (Credential, CredentialListHasher, code_from_secret,
                                            credential_entries, secret_from_code)
from hamaporsi.protocol.election import TOTAL_INDEX, ElectionContext, check_open_entry
from hamaporsi.protocol.errors import MalformedInput, ProtocolError
from hamaporsi.protocol.manifest import parse_manifest
from hamaporsi.protocol.signing import sign_entry, signing_message, verify_entry
from hamaporsi.verify import worker

HERE = Path(__file__).resolve().parent
FILES = ["hashing.json", "points.json", "elgamal.json", "proofs.json", "canonical.json",
         "election.json", "credentials.json", "ballots.json", "receipts.json",
         "cosignatures.json"]  # cosignatures.json's cases: test_cosignature_vectors.py
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
    assert len(names) == len(set(names)) and len(names) >= (3 if name == "election.json" else 5)
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


# -- elections -------------------------------------------------------------------------------

def without_sig(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k != "sig"}


@cache
def elections() -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in load("election.json")["cases"]}


@cache
def context(name: str) -> ElectionContext:
    """The library's election context, from the file's manifest, joint key and list hash."""
    c = elections()[name]
    m = parse_manifest(parse_canonical(b(c["manifest_hex"])))
    return ElectionContext.create(m, Point.decode(b(c["joint_key"])), len(c["credential_list"]),
                                  b(c["credential_hash"]))


def check_signed(entry: dict[str, Any], hex_bytes: str, message: str, secret: bytes,
                 aux: str) -> None:
    """Exact bytes, the signing message, and the signature reproduced from the fixed aux."""
    assert canonical_bytes(entry).hex() == hex_bytes
    assert parse_canonical(b(hex_bytes)) == entry
    assert signing_message(entry).hex() == message
    assert hash_parts("entry-sig", canonical_bytes(without_sig(entry))).hex() == message
    assert sign_entry(without_sig(entry), secret, b(aux)) == entry
    verify_entry(entry, bip340.public_key(secret), check=CHECK, what="entry")


@pytest.mark.parametrize("case", cases("election.json"))
def test_election(case: dict[str, Any]) -> None:
    sec = case["secrets"]
    organizer, registrar = b(sec["organizer"]), b(sec["registrar"])
    check_signed(case["manifest"], case["manifest_hex"], case["manifest_signing_message"],
                 organizer, case["manifest_aux"])
    m = parse_manifest(parse_canonical(b(case["manifest_hex"])))  # V1, signature included
    assert m.hash.hex() == case["manifest_hash"]
    assert hash_parts("manifest", b(case["manifest_hex"])).hex() == case["manifest_hash"]
    assert m.organizer_key == bip340.public_key(organizer)
    assert m.registrar_key == bip340.public_key(registrar)
    assert m.board_key == bip340.public_key(b(sec["board"]))
    for info, t in zip(m.trustees, sec["trustees"], strict=True):
        keys = TrusteeKeys(b(t["signing"]), decode_scalar(b(t["encryption"])))
        assert keys.public_info(info.name) == info
    assert m.stored_options == case["stored_options"]
    allowed = m.total_allowed
    assert (list(allowed) if allowed is not None else None) == case["total_allowed"]
    k = Point.mul_g(decode_scalar(b(case["joint_secret"])))
    assert k.encode().hex() == case["joint_key"]
    creds = [Credential(b(c["secret"]), bip340.public_key(b(c["secret"])))
             for c in case["credentials"]]
    assert [c.public.hex() for c in creds] == [c["public"] for c in case["credentials"]]
    keys = sorted(c.public for c in creds)
    assert [x.hex() for x in keys] == case["credential_list"]
    hasher = CredentialListHasher()
    for x in keys:
        hasher.add(x)
    assert hasher.digest().hex() == case["credential_hash"]
    assert encode_parts("credential-list", keys).hex() == case["credential_hash_preimage"]
    assert hashlib.sha256(b(case["credential_hash_preimage"])).hexdigest() == \
        case["credential_hash"]
    made = list(credential_entries(m.hash, [c.public for c in creds], registrar))
    assert [without_sig(e) for e in made] == [without_sig(e["entry"])
                                              for e in case["credential_entries"]]
    for e in case["credential_entries"]:
        check_signed(e["entry"], e["hex"], signing_message(e["entry"]).hex(), registrar,
                     e["aux"])
    ctx = ElectionContext.create(m, k, hasher.count, hasher.digest())
    assert ctx.hash == context(case["name"]).hash
    assert GROUP_DESCRIPTION.hex() == case["group"]
    assert GROUP_DESCRIPTION == b"secp256k1" + Point.G.encode()
    pre = encode_parts("election", (GROUP_DESCRIPTION, m.hash, k.encode(),
                                    hasher.count.to_bytes(8, "big"), hasher.digest()))
    assert pre.hex() == case["election_hash_preimage"]
    assert ctx.hash.hex() == case["election_hash"] == hashlib.sha256(pre).hexdigest()
    opened = case["open"]
    assert without_sig(ctx.open_entry(organizer)) == without_sig(opened)
    check_signed(opened, case["open_hex"], case["open_signing_message"], organizer,
                 case["open_aux"])
    check_open_entry(ctx, parse_canonical(b(case["open_hex"])))
    cred = b(case["contexts"]["credential"])
    assert cred == creds[0].public
    assert ctx.proof_context(cred, 0).hex() == case["contexts"]["selection_0"]
    assert ctx.proof_context(cred, TOTAL_INDEX).hex() == case["contexts"]["total"]
    assert len(b(case["contexts"]["total"])) == 32 + 32 + 4


def test_elections_cover_the_three_shapes() -> None:
    shapes = {(c["stored_options"], tuple(c["total_allowed"] or ()))
              for c in elections().values()}
    assert shapes == {(1, ()), (2, (0, 1)), (3, (0, 1, 2))}


# -- credential codes ------------------------------------------------------------------------

@pytest.mark.parametrize("case", cases("credentials.json"))
def test_credentials(case: dict[str, Any]) -> None:
    kind = case["kind"]
    if kind == "code":
        s = b(case["secret"])
        assert code_from_secret(s) == case["code"]
        assert hash_parts("code-check", s)[:2].hex() == case["check"]
        cred = Credential.from_code(case["code"])
        assert cred.secret == s and cred.public.hex() == case["public"]
        assert cred.code == case["code"]
        assert (Point.mul_g(decode_scalar(s)).encode()[0] == 3) == case["y_odd"]
        assert len(case["code"]) == 4 + 14 + 55  # prefix, 14 dashes, 55 characters
    elif kind == "normalise":
        assert secret_from_code(case["input"]).hex() == case["secret"]
        assert code_from_secret(b(case["secret"])) == case["code"]
    elif kind == "refuse":
        with pytest.raises(MalformedInput) as e:
            secret_from_code(case["input"])
        assert e.value.code == case["expect_error"] == "bad_code"
        with pytest.raises(MalformedInput):
            Credential.from_code(case["input"])
    elif kind == "bad_secret":
        assert secret_from_code(case["input"]).hex() == case["secret"]
        with pytest.raises(CryptoError):
            Credential.from_code(case["input"])
    else:
        pytest.fail(f"unknown kind {kind}")


def test_credential_refusals_cover_every_reason() -> None:
    reasons = {c["reason"] for c in load("credentials.json")["cases"] if c["kind"] == "refuse"}
    assert reasons == {"bad_checksum", "nonzero_pad_bits", "wrong_prefix", "bad_character",
                       "wrong_length"}
    codes = [c for c in load("credentials.json")["cases"] if c["kind"] == "code"]
    assert {c["y_odd"] for c in codes} == {True, False}


# -- ballots ---------------------------------------------------------------------------------

@cache
def ballot_cases() -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in load("ballots.json")["cases"]}


def reproduce(case: dict[str, Any]) -> Any:
    """encrypt_ballot with the recorded rand stream and aux; every draw used."""
    stream = iter([decode_scalar(b(h)) for h in case["rand"]])
    eb = encrypt_ballot(context(case["election"]), b(case["credential_secret"]),
                        b(case["credential"]), case["selected"], rand=lambda: next(stream),
                        aux=b(case["aux"]))
    assert next(stream, None) is None, "not every recorded draw was used"
    return eb


def allowed_bytes(allowed: list[int]) -> bytes:
    return u32(len(allowed)) + b"".join(u32(j) for j in allowed)


def in_set_preimage(ctx: ElectionContext, cred: bytes, index: int, alpha: Point, beta: Point,
                    allowed: list[int], branches: list[dict[str, str]]) -> bytes:
    return encode_parts("in-set", (ctx.proof_context(cred, index), ctx.joint_key.encode(),
                                   alpha.encode(), beta.encode(), allowed_bytes(allowed),
                                   *[b(x[k]) for x in branches for k in ("a", "b")]))


VALID_BALLOTS = [c for c in cases("ballots.json", "ballot") if c.values[0]["valid"]]
INVALID_BALLOTS = [c for c in cases("ballots.json") if not c.values[0]["valid"]]


@pytest.mark.parametrize("case", VALID_BALLOTS)
def test_ballot_is_reproduced_and_accepted(case: dict[str, Any]) -> None:
    ctx = context(case["election"])
    el = elections()[case["election"]]
    eb = reproduce(case)
    assert eb.entry == case["entry"]
    assert eb.bytes.hex() == case["bytes"]
    assert list(eb.choices) == case["choices"]
    assert [scalar_bytes(r).hex() for r in eb.nonces] == case["nonces"]
    assert signing_message(eb.entry).hex() == case["signing_message"]
    assert eb.tracking_code.hex() == case["tracking_code"] == \
        tracking_code(b(case["bytes"])).hex()
    # Draw order (docs/vectors.md): r, u, c, v per selection, then the total's u, (c, v)…
    rand = case["rand"]
    allowed = el["total_allowed"]
    assert len(rand) == 4 * el["stored_options"] + (2 * len(allowed) - 1 if allowed else 0)
    assert case["nonces"] == rand[0:4 * el["stored_options"]:4]
    entry = parse_canonical(b(case["bytes"]))
    ballot = verify_ballot(ctx, entry)
    assert ballot.credential.hex() == case["credential"]
    batch = proofs.Batch()
    verify_ballot(ctx, entry, batch)
    batch.check(CHECK, "ballot")
    # The ciphertexts hold the choices (decrypted with the joint secret of election.json).
    x = decode_scalar(b(el["joint_secret"]))
    for ct, mv in zip(ballot.ciphertexts, case["choices"], strict=True):
        assert ct.beta - ct.alpha.mul(x) == Point.mul_g(mv)
    # Challenge preimages, rebuilt from the entry.
    cred = b(case["credential"])
    pres = case["challenge_preimages"]
    for i, (ct, sel) in enumerate(zip(ballot.ciphertexts, entry["selections"], strict=True)):
        assert in_set_preimage(ctx, cred, i, ct.alpha, ct.beta, [0, 1],
                               sel["proof"]).hex() == pres["selections"][i]
    if allowed is None:
        assert pres["total"] is None and entry["total_proof"] is None
    else:
        tot = Ciphertext.sum(list(ballot.ciphertexts))
        assert in_set_preimage(ctx, cred, TOTAL_INDEX, tot.alpha, tot.beta, allowed,
                               entry["total_proof"]).hex() == pres["total"]


def test_valid_audit_is_reproduced_and_accepted() -> None:
    audits = [c for c in load("ballots.json")["cases"] if c["kind"] == "audit" and c["valid"]]
    assert audits
    for case in audits:
        eb = reproduce(ballot_cases()[case["ballot"]])
        assert eb.audit_entry() == case["entry"]
        assert canonical_bytes(eb.audit_entry()).hex() == case["bytes"]
        ballot, tr = verify_audit(context(case["election"]), parse_canonical(b(case["bytes"])))
        assert tr.hex() == case["tracking_code"] == ballot_cases()[case["ballot"]][
            "tracking_code"]


def library_verdict(ctx: ElectionContext, data: bytes) -> str:
    """What the library says of one ballot or audit entry: a canonical-JSON code, the check id
    of the first failure (a format error without one is V5, as the verifier reports it), or
    "accepted"."""
    try:
        entry = parse_canonical(data)
    except MalformedInput as e:
        return e.code
    try:
        if isinstance(entry, dict) and entry.get("type") == "audit":
            verify_audit(ctx, entry)
        else:
            verify_ballot(ctx, entry)
    except (ProtocolError, CryptoError) as e:
        return getattr(e, "check", None) or "V5"
    return "accepted"


def verifier_verdict(ctx: ElectionContext, data: bytes) -> str:
    """What the verifier's worker (batched proofs) reports for the entry."""
    saved = worker._CTX
    worker.init(ctx)
    try:
        res = worker.verify_chunk(0, [data])
    finally:
        worker._CTX = saved
    errors = [it for it in res.items if it[0] == "error"]
    return errors[0][2] if errors else "accepted"


@pytest.mark.parametrize("case", INVALID_BALLOTS)
def test_invalid_ballot_is_refused_by_the_named_check(case: dict[str, Any]) -> None:
    ctx = context(case["election"])
    data = b(case["bytes"])
    assert library_verdict(ctx, data) == case["expect_error"]
    canonical_codes = {"not_canonical", "duplicate_key", "malformed_json"}
    want = "V5" if case["expect_error"] in canonical_codes else case["expect_error"]
    assert verifier_verdict(ctx, data) == want


@pytest.mark.parametrize("case", VALID_BALLOTS)
def test_valid_ballot_passes_the_verifier_worker(case: dict[str, Any]) -> None:
    assert verifier_verdict(context(case["election"]), b(case["bytes"])) == "accepted"


def test_invalid_ballots_cover_every_check() -> None:
    seen = {c.values[0]["expect_error"] for c in INVALID_BALLOTS}
    assert seen == {"V5", "V6", "V7", "V8", "V9", "not_canonical", "duplicate_key"}


# -- receipts --------------------------------------------------------------------------------

@cache
def board() -> dict[str, Any]:
    return next(c for c in load("receipts.json")["cases"] if c["kind"] == "board")


def hashes(hs: list[str]) -> list[bytes]:
    return [b(h) for h in hs]


def test_board_tree() -> None:
    bd = board()
    entries = hashes(bd["entries"])
    leaves = [merkle.leaf_hash(e) for e in entries]
    assert [h.hex() for h in leaves] == bd["leaf_hashes"]
    builder = merkle.TreeBuilder()
    assert builder.root().hex() == bd["roots"][0]
    for size, leaf in enumerate(leaves, 1):
        builder.append(leaf)
        assert builder.root().hex() == bd["roots"][size] == merkle.root(leaves[:size]).hex()
    # The entries are those of the other files.
    el = elections()[bd["election"]]
    named = {"manifest": el["manifest_hex"], "credentials": el["credential_entries"][0]["hex"],
             "credentials-final": el["credential_entries"][1]["hex"], "open": el["open_hex"]}
    for label, data in zip(bd["labels"], bd["entries"], strict=True):
        kind, _, name = label.partition(" ")
        assert data == (named[kind] if not name else ballot_cases()[name]["bytes"])


@pytest.mark.parametrize("case", cases("receipts.json", "inclusion"))
def test_inclusion(case: dict[str, Any]) -> None:
    leaves = hashes(board()["leaf_hashes"])
    path = merkle.inclusion_proof(leaves, case["index"], case["size"])
    assert [p.hex() for p in path] == case["path"]
    assert case["root"] == board()["roots"][case["size"]]
    merkle.verify_inclusion(b(case["leaf_hash"]), case["index"], case["size"], path,
                            b(case["root"]), check=CHECK)


@pytest.mark.parametrize("case", cases("receipts.json", "consistency"))
def test_consistency(case: dict[str, Any]) -> None:
    args = (case["old_size"], case["new_size"], b(case["old_root"]), b(case["new_root"]),
            hashes(case["proof"]))
    if case.get("valid", True):
        leaves = hashes(board()["leaf_hashes"])
        proof = merkle.consistency_proof(leaves, case["old_size"], case["new_size"])
        assert [p.hex() for p in proof] == case["proof"]
        merkle.verify_consistency(*args, check=CHECK)
    else:
        assert case["expect_error"] == "consistency_failed"
        with pytest.raises(InvalidProof) as e:
            merkle.verify_consistency(*args, check=CHECK)
        assert e.value.check == CHECK


@pytest.mark.parametrize("case", cases("receipts.json", "checkpoint"))
def test_checkpoint(case: dict[str, Any]) -> None:
    secret = b(case["board_secret"])
    assert bip340.public_key(secret).hex() == case["board_key"]
    cp = Checkpoint(case["election"], case["size"], b(case["root"]), case["time"],
                    b(case["board_key"]), b(case["sig"]))
    assert cp.body_bytes().hex() == case["body_hex"] == case["body"].encode().hex()
    assert encode_parts("checkpoint", (cp.body_bytes(),)).hex() == case["message_preimage"]
    assert cp.message().hex() == case["message"]
    assert bip340.sign(secret, cp.message(), b(case["aux"])).hex() == case["sig"]
    verify_checkpoint(cp, b(case["board_key"]), check=CHECK)
    assert cp.to_json() == case["wire"]
    assert canonical_bytes(cp.to_json()).hex() == case["wire_hex"]
    assert Checkpoint.from_json(parse_canonical(b(case["wire_hex"]))) == cp
    assert Checkpoint.from_body_bytes(b(case["body_hex"]), b(case["sig"])) == cp
    assert case["root"] == board()["roots"][case["size"]]
    el = elections()[board()["election"]]
    assert case["election"] == el["manifest_hash"]
    assert case["board_key"] == el["manifest"]["board_key"]


def receipt_verdict(case: dict[str, Any]) -> str:
    """The voter device's receipt check, steps in the order of docs/vectors.md."""
    entry = b(board()["entries"][case["entry_index"]])
    obj = parse_canonical(entry)
    ballot = canonical_bytes(obj["ballot"]) if obj["type"] == "audit" else entry
    r = case["receipt"]
    try:
        cp = Checkpoint.from_json(r["checkpoint"])
    except MalformedInput:
        return "bad_checkpoint"
    if codec.hex_bytes(r["tracking_code"], 32, "tracking_code") != tracking_code(ballot):
        return "tracking_mismatch"
    leaf = codec.hex_bytes(r["leaf_hash"], 32, "leaf_hash")
    if leaf != merkle.leaf_hash(entry):
        return "leaf_mismatch"
    if cp.election_id != case["manifest_hash"]:
        return "wrong_election"
    if cp.board_key != b(case["board_key"]):
        return "wrong_board_key"
    try:
        verify_checkpoint(cp, b(case["board_key"]), check=CHECK)
    except InvalidProof:
        return "bad_signature"
    path = [codec.hex_bytes(p, 32, "path") for p in r["path"]]
    try:
        merkle.verify_inclusion(leaf, r["index"], cp.size, path, cp.root, check=CHECK)
    except InvalidProof:
        return "inclusion_failed"
    return "accepted"


@pytest.mark.parametrize("case", cases("receipts.json", "receipt"))
def test_receipt(case: dict[str, Any]) -> None:
    want = case["expect_error"] if case.get("valid") is False else "accepted"
    assert receipt_verdict(case) == want
    el = elections()[board()["election"]]
    assert case["board_key"] == el["manifest"]["board_key"]
    assert case["manifest_hash"] == el["manifest_hash"]


def test_receipt_refusals_cover_every_step() -> None:
    seen = {c["expect_error"] for c in load("receipts.json")["cases"]
            if c["kind"] == "receipt" and c.get("valid") is False}
    assert seen == {"bad_checkpoint", "tracking_mismatch", "leaf_mismatch", "wrong_election",
                    "wrong_board_key", "bad_signature", "inclusion_failed"}
