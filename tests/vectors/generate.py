"""Regenerate the shared cross-implementation test vectors (see docs/vectors.md).

    .venv/bin/python tests/vectors/generate.py           rewrite the JSON files
    .venv/bin/python tests/vectors/generate.py --check   exit 1 if any file would change

Everything is deterministic: every scalar, proof nonces included, comes from `det_scalar(label)`,
and every BIP340 aux_rand from `det_bytes(label)`. Proofs are assembled here from the equations of
spec §6 (the same equations as hamaporsi.crypto.proofs) with those fixed nonces; only the
library's point arithmetic, hash functions, canonical JSON encoder and BIP340 signer are used.
The protocol files (election, credentials, ballots, receipts) are likewise built from the spec's
formulas (§5, §8), not through hamaporsi.protocol's ballot, election, credential or Merkle code,
so the tests compare two constructions. tests/vectors/test_vectors.py checks that the library
reproduces, accepts and rejects every case, and that this script reproduces the files byte for
byte.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from hamaporsi.crypto import bip340
from hamaporsi.crypto.group import FIELD, GROUP_DESCRIPTION, ORDER, Point, scalar_bytes
from hamaporsi.crypto.hashing import encode_parts, hash_parts, hash_to_scalar, u32
from hamaporsi.protocol.canonical import MAX_DEPTH, MAX_ENTRY_BYTES, canonical_bytes

HERE = Path(__file__).resolve().parent
G = Point.G
INF = Point.IDENTITY  # the point at infinity

Case = dict[str, Any]


def det_scalar(label: str) -> int:
    """A fixed non-zero scalar named by `label` (public test data, never a secret)."""
    d = hashlib.sha512(b"hamaporsi test vectors\x00" + label.encode()).digest()
    return int.from_bytes(d, "big") % ORDER or 1


def px(p: Point) -> str:
    return p.encode().hex()


def sx(k: int) -> str:
    """A scalar as 64 hex digits; values ≥ n (below 2^256) are written too, for invalid cases."""
    return scalar_bytes(k).hex()


def pt(h: str) -> Point:
    return Point.decode_or_identity(bytes.fromhex(h))


def sc(h: str) -> int:
    return int.from_bytes(bytes.fromhex(h), "big")


def document(about: str, spec: str, cases: list[Case]) -> dict[str, Any]:
    names = [c["name"] for c in cases]
    assert len(set(names)) == len(names), "case names must be unique"
    return {"about": about, "spec": spec, "cases": cases}


# -- hashing (spec §3) -----------------------------------------------------------------------

PERSIAN = "همه‌پرسی"
PERSIAN_QUESTION = "آیا با این پیشنهاد موافقید؟"


def hashing_doc() -> dict[str, Any]:
    inputs: list[tuple[str, str, tuple[bytes, ...]]] = [
        ("no-parts", "pok", ()),
        ("one-empty-part", "pok", (b"",)),
        ("two-empty-parts", "pok", (b"", b"")),
        ("split-ab-c", "t", (b"ab", b"c")),
        ("split-a-bc", "t", (b"a", b"bc")),
        ("nested-looking-part", "t", (u32(1) + b"a" + u32(1) + b"b",)),
        ("flat-parts", "t", (b"a", b"b")),
        ("empty-tag", "", ()),
        ("empty-tag-empty-part", "", (b"",)),
        ("persian-utf8", "in-set", (PERSIAN.encode(), PERSIAN_QUESTION.encode())),
        ("points-as-parts", "dleq", (b"ctx", G.encode(), Point.mul_g(2).encode(),
                                     INF.encode())),
        ("zero-scalar-part", "share-pad", (bytes(32),)),
        ("part-of-300-bytes", "pok", (bytes(range(256)) + bytes(44),)),
        ("tag-with-punctuation", "ballot/v1 (test)", (b"\x00", b"\xff" * 3)),
        ("allowed-set-bytes", "in-set", (u32(2) + u32(0) + u32(1),)),
    ]
    cases = []
    for name, tag, parts in inputs:
        cases.append({
            "name": name,
            "tag": tag,
            "parts": [p.hex() for p in parts],
            "encoded": encode_parts(tag, parts).hex(),
            "hash_parts": hash_parts(tag, *parts).hex(),
            "hash_to_scalar": sx(hash_to_scalar(tag, *parts)),
        })
    return document(
        "Injective encoding of (tag, parts) and the two hashes over it: encoded = "
        "u32(len(T))‖T‖Σ(u32(len(p))‖p) with T = ASCII('hamaporsi/v1/' + tag); hash_parts = "
        "SHA-256(encoded); hash_to_scalar = int(SHA-512(encoded)) mod n as 64 hex digits. "
        "parts are hex bytes (text parts are their UTF-8).",
        "docs/spec.md §3", cases)


# -- points and scalars (spec §2) ------------------------------------------------------------

def points_doc() -> dict[str, Any]:
    cases: list[Case] = []
    ks = [("0", 0), ("1", 1), ("2", 2), ("3", 3), ("7", 7), ("2^128", 2**128),
          ("2^255", 2**255), ("n-2", ORDER - 2), ("n-1", ORDER - 1),
          ("det-a", det_scalar("points/a")), ("det-b", det_scalar("points/b"))]
    for name, k in ks:
        cases.append({"name": f"mul_g/{name}", "kind": "mul_g", "k": sx(k),
                      "point": px(Point.mul_g(k))})
    a, b = Point.mul_g(det_scalar("points/a")), Point.mul_g(det_scalar("points/b"))
    for name, p, k in [("7G*det-c", Point.mul_g(7), det_scalar("points/c")),
                       ("G*(n-1)", G, ORDER - 1), ("P*0", a, 0), ("P*1", a, 1),
                       ("identity*5", INF, 5)]:
        cases.append({"name": f"mul/{name}", "kind": "mul", "point": px(p), "k": sx(k),
                      "result": px(p.mul(k))})
    for name, p, q in [("G+G", G, G), ("G+(-G)", G, -G), ("identity+P", INF, a),
                       ("P+identity", a, INF), ("identity+identity", INF, INF), ("A+B", a, b),
                       ("A+(-A)", a, -a)]:
        cases.append({"name": f"add/{name}", "kind": "add", "a": px(p), "b": px(q),
                      "sum": px(p + q)})
    for name, p in [("G", G), ("A", a), ("identity", INF)]:
        cases.append({"name": f"negate/{name}", "kind": "negate", "point": px(p),
                      "negation": px(-p)})
    x1 = bytes(31) + b"\x01"  # x = 1 is on the curve (1 + 7 = 8 is a square mod p)
    for name, enc in [("x=1,even", b"\x02" + x1), ("x=1,odd", b"\x03" + x1)]:
        cases.append({"name": f"decode/{name}", "kind": "decode_valid", "encoding": enc.hex()})
    cases.append({"name": "decode/identity", "kind": "decode_identity",
                  "encoding": bytes(33).hex(),
                  "note": "refused by decode (expect_error identity_not_allowed), accepted as "
                          "the identity where the identity may appear"})
    gx = G.encode()[1:]
    invalid: list[tuple[str, bytes, str]] = [
        ("length-0", b"", "wrong_length"),
        ("length-32", gx, "wrong_length"),
        ("length-34", G.encode() + b"\x00", "wrong_length"),
        ("length-65-uncompressed-G", b"\x04" + gx + _uncompressed_y(), "wrong_length"),
        ("identity", bytes(33), "identity_not_allowed"),
    ]
    for prefix in (0x00, 0x01, 0x04, 0x05, 0x06, 0x07, 0xFF):
        invalid.append((f"prefix-{prefix:02x}", bytes([prefix]) + gx, "bad_prefix"))
    for prefix in (2, 3):
        invalid += [
            (f"x=5-off-curve-{prefix:02x}", bytes([prefix]) + (5).to_bytes(32, "big"),
             "not_on_curve"),
            (f"x=0-off-curve-{prefix:02x}", bytes([prefix]) + bytes(32), "not_on_curve"),
            (f"x=p-{prefix:02x}", bytes([prefix]) + FIELD.to_bytes(32, "big"), "x_not_below_p"),
            (f"x=p+1-{prefix:02x}", bytes([prefix]) + (FIELD + 1).to_bytes(32, "big"),
             "x_not_below_p"),
            (f"x=2^256-1-{prefix:02x}", bytes([prefix]) + b"\xff" * 32, "x_not_below_p"),
        ]
    for name, enc, err in invalid:
        cases.append({"name": f"decode-invalid/{name}", "kind": "decode_invalid",
                      "encoding": enc.hex(), "expect_error": err})
    for name, k in [("0", 0), ("1", 1), ("n-1", ORDER - 1)]:
        cases.append({"name": f"scalar/{name}", "kind": "scalar_valid",
                      "encoding": k.to_bytes(32, "big").hex()})
    for name, enc, err in [
        ("n", ORDER.to_bytes(32, "big"), "not_below_order"),
        ("n+1", (ORDER + 1).to_bytes(32, "big"), "not_below_order"),
        ("2^256-1", b"\xff" * 32, "not_below_order"),
        ("length-0", b"", "wrong_length"),
        ("length-31", b"\x01" * 31, "wrong_length"),
        ("length-33", b"\x00" + b"\x01" * 32, "wrong_length"),
    ]:
        cases.append({"name": f"scalar-invalid/{name}", "kind": "scalar_invalid",
                      "encoding": enc.hex(), "expect_error": err})
    return document(
        "secp256k1 points as 33-byte compressed SEC1 (02/03 ‖ x), the identity as 33 zero "
        "bytes where allowed; scalars as 32 big-endian bytes below n. Kinds: mul_g (k·G), mul "
        "(k·P), add, negate, decode_valid, decode_identity, decode_invalid, scalar_valid, "
        "scalar_invalid.",
        "docs/spec.md §2", cases)


def _uncompressed_y() -> bytes:
    """G's y coordinate, from the even root of x³ + 7 (p ≡ 3 mod 4)."""
    x = int.from_bytes(G.encode()[1:], "big")
    y = pow((x * x * x + 7) % FIELD, (FIELD + 1) // 4, FIELD)
    if y % 2:
        y = FIELD - y
    return y.to_bytes(32, "big")


# -- ElGamal (spec §5.1) ---------------------------------------------------------------------

ELECTION_SECRET = det_scalar("elgamal/secret")
ELECTION_KEY = Point.mul_g(ELECTION_SECRET)


def elgamal_doc() -> dict[str, Any]:
    s, k = ELECTION_SECRET, ELECTION_KEY
    cases: list[Case] = []
    for name, m, r in [("m=0", 0, det_scalar("elgamal/r0")), ("m=1", 1, det_scalar("elgamal/r1")),
                       ("m=2", 2, det_scalar("elgamal/r2")), ("m=3,r=1", 3, 1),
                       ("m=50,r=n-1", 50, ORDER - 1),
                       ("m=61000000", 61_000_000, det_scalar("elgamal/r3"))]:
        alpha, beta = Point.mul_g(r), Point.mul_g(m) + k.mul(r)
        cases.append({"name": f"encrypt/{name}", "kind": "encrypt", "secret": sx(s),
                      "public_key": px(k), "m": m, "r": sx(r), "alpha": px(alpha),
                      "beta": px(beta), "partial": px(alpha.mul(s)),
                      "m_g": px(beta - alpha.mul(s))})
    ms = [1, 0, 1, 1]
    rs = [det_scalar(f"elgamal/sum/{i}") for i in range(len(ms))]
    cts = [(Point.mul_g(r), Point.mul_g(m) + k.mul(r)) for m, r in zip(ms, rs, strict=True)]
    alpha, beta = Point.sum(a for a, _ in cts), Point.sum(b for _, b in cts)
    cases.append({"name": "sum/4-ballots", "kind": "sum", "secret": sx(s), "public_key": px(k),
                  "ciphertexts": [{"alpha": px(a), "beta": px(b)} for a, b in cts],
                  "alpha": px(alpha), "beta": px(beta), "m_total": sum(ms),
                  "m_g": px(beta - alpha.mul(s))})
    return document(
        "Exponential ElGamal: alpha = r·G, beta = m·G + r·K with K = secret·G; partial = "
        "secret·alpha; m_g = beta − partial = m·G (33 zero bytes for m = 0). kind sum: the "
        "componentwise sum of the ciphertexts decrypts to m_total.",
        "docs/spec.md §5.1", cases)


# -- proofs (spec §6) ------------------------------------------------------------------------

CTX = hashlib.sha256(b"hamaporsi test vectors: context").digest()
CTX_OTHER = hashlib.sha256(b"hamaporsi test vectors: another context").digest()


def allowed_bytes(allowed: list[int]) -> bytes:
    return u32(len(allowed)) + b"".join(u32(j) for j in allowed)


def make_pok(ctx: bytes, x: int, x_pub: Point, u: int) -> tuple[dict[str, str], bytes]:
    """h = u·G; c = Hq("pok", ctx, X, h); v = u + c·x."""
    h = Point.mul_g(u)
    parts = (ctx, x_pub.encode(), h.encode())
    c = hash_to_scalar("pok", *parts)
    return {"h": px(h), "c": sx(c), "v": sx((u + c * x) % ORDER)}, encode_parts("pok", parts)


def make_dleq(ctx: bytes, x: int, h: Point, x_pub: Point, y: Point,
              u: int) -> tuple[dict[str, str], bytes]:
    """a = u·G, b = u·H; c = Hq("dleq", ctx, X, H, Y, a, b); v = u + c·x."""
    a, b = Point.mul_g(u), h.mul(u)
    parts = (ctx, x_pub.encode(), h.encode(), y.encode(), a.encode(), b.encode())
    c = hash_to_scalar("dleq", *parts)
    return ({"a": px(a), "b": px(b), "c": sx(c), "v": sx((u + c * x) % ORDER)},
            encode_parts("dleq", parts))


def make_in_set(ctx: bytes, k: Point, alpha: Point, beta: Point, allowed: list[int], real: int,
                r: int, u: int, sims: dict[int, tuple[int, int]]
                ) -> tuple[list[dict[str, str]], bytes]:
    """Branch `real` honest (a = u·G, b = u·K), the others simulated from (cⱼ, vⱼ):
    aⱼ = vⱼ·G − cⱼ·α, bⱼ = vⱼ·K − cⱼ·(β − j·G); c_real = Hq(...) − Σ cⱼ, v_real = u + c_real·r.
    With `real` not the plaintext this is a cheating prover (the equations then fail)."""
    commits = []
    for j in allowed:
        if j == real:
            commits.append((Point.mul_g(u), k.mul(u)))
        else:
            cj, vj = sims[j]
            commits.append((Point.mul_g(vj) - alpha.mul(cj),
                            k.mul(vj) - (beta - Point.mul_g(j)).mul(cj)))
    parts = (ctx, k.encode(), alpha.encode(), beta.encode(), allowed_bytes(allowed),
             *[p.encode() for ab in commits for p in ab])
    c = hash_to_scalar("in-set", *parts)
    c_real = (c - sum(sims[j][0] for j in allowed if j != real)) % ORDER
    branches = []
    for j, (a, b) in zip(allowed, commits, strict=True):
        cj, vj = (c_real, (u + c_real * r) % ORDER) if j == real else sims[j]
        branches.append({"a": px(a), "b": px(b), "c": sx(cj), "v": sx(vj)})
    return branches, encode_parts("in-set", parts)


def invalid(base: Case, name: str, expect: str, change: Callable[[Case], None],
            note: str) -> Case:
    case = deepcopy(base)
    for key in ("witness", "challenge_preimage"):
        case.pop(key, None)
    case["name"] = name
    case["valid"] = False
    case["expect_error"] = expect
    case["note"] = note
    change(case)
    return case


def bump_point(h: str) -> str:
    return px(pt(h) + G)


def bump_scalar(h: str, d: int = 1) -> str:
    return sx((sc(h) + d) % ORDER)


def pok_cases() -> list[Case]:
    out: list[Case] = []
    x, u = det_scalar("pok/x"), det_scalar("pok/u")
    x_pub = Point.mul_g(x)
    proof, pre = make_pok(CTX, x, x_pub, u)
    base = {"name": "pok/valid", "kind": "pok", "valid": True,
            "statement": {"context": CTX.hex(), "X": px(x_pub)}, "proof": proof,
            "witness": {"x": sx(x), "u": sx(u)}, "challenge_preimage": pre.hex()}
    out.append(base)
    x2, u2 = det_scalar("pok/x2"), det_scalar("pok/u2")
    proof2, pre2 = make_pok(b"", x2, Point.mul_g(x2), u2)
    out.append({"name": "pok/valid-empty-context", "kind": "pok", "valid": True,
                "statement": {"context": "", "X": px(Point.mul_g(x2))}, "proof": proof2,
                "witness": {"x": sx(x2), "u": sx(u2)}, "challenge_preimage": pre2.hex()})

    def setp(key: str, value: str) -> Callable[[Case], None]:
        return lambda c: c["proof"].__setitem__(key, value)

    def sets(key: str, value: str) -> Callable[[Case], None]:
        return lambda c: c["statement"].__setitem__(key, value)

    out += [
        invalid(base, "pok/challenge+1", "challenge_mismatch", setp("c", bump_scalar(proof["c"])),
                "c changed"),
        invalid(base, "pok/response+1", "equation_failed", setp("v", bump_scalar(proof["v"])),
                "v changed: c still matches, v·G ≠ h + c·X"),
        invalid(base, "pok/commitment+G", "challenge_mismatch", setp("h", bump_point(proof["h"])),
                "h changed"),
        invalid(base, "pok/other-context", "challenge_mismatch", sets("context", CTX_OTHER.hex()),
                "statement context changed"),
        invalid(base, "pok/X+G", "challenge_mismatch", sets("X", bump_point(px(x_pub))),
                "statement X changed"),
        invalid(base, "pok/challenge=n", "scalar_out_of_range", setp("c", sx(ORDER)),
                "c = n"),
        invalid(base, "pok/response=2^256-1", "scalar_out_of_range", setp("v", "ff" * 32),
                "v ≥ n"),
        invalid(base, "pok/commitment-off-curve", "bad_point",
                setp("h", "02" + (5).to_bytes(32, "big").hex()), "h is not a curve point"),
        invalid(base, "pok/X-off-curve", "bad_point",
                sets("X", "03" + FIELD.to_bytes(32, "big").hex()), "X has x = p"),
    ]
    # Identity commitment whose challenge and equation both hold: refused for the identity.
    c_id = hash_to_scalar("pok", CTX, x_pub.encode(), INF.encode())
    out.append(invalid(base, "pok/identity-commitment", "identity_point",
                       lambda c: c["proof"].update(h=px(INF), c=sx(c_id), v=sx(c_id * x % ORDER)),
                       "h = identity, c and v consistent with it"))
    u3 = det_scalar("pok/u3")
    p0, _ = make_pok(CTX, 0, INF, u3)
    out.append(invalid(base, "pok/identity-X", "identity_point",
                       lambda c: (c["statement"].update(X=px(INF)), c.update(proof=p0)),
                       "X = identity with a proof for x = 0 whose equation holds"))
    cf, vf = det_scalar("pok/forge-c"), det_scalar("pok/forge-v")
    hf = Point.mul_g(vf) - x_pub.mul(cf)
    out.append(invalid(base, "pok/chosen-challenge-forgery", "challenge_mismatch",
                       lambda c: c.update(proof={"h": px(hf), "c": sx(cf), "v": sx(vf)}),
                       "h = v·G − c·X for chosen c, v: the equation holds, c is not the hash"))
    pw, _ = make_pok(CTX, x + 1, x_pub, det_scalar("pok/u4"))
    out.append(invalid(base, "pok/wrong-witness", "equation_failed",
                       lambda c: c.update(proof=pw), "made with x + 1 instead of x"))
    return out


def dleq_cases() -> list[Case]:
    out: list[Case] = []
    x, u = det_scalar("dleq/x"), det_scalar("dleq/u")
    h = Point.mul_g(det_scalar("dleq/h"))
    x_pub, y = Point.mul_g(x), h.mul(x)
    proof, pre = make_dleq(CTX, x, h, x_pub, y, u)
    base = {"name": "dleq/valid", "kind": "dleq", "valid": True,
            "statement": {"context": CTX.hex(), "X": px(x_pub), "H": px(h), "Y": px(y)},
            "proof": proof, "witness": {"x": sx(x), "u": sx(u)},
            "challenge_preimage": pre.hex()}
    out.append(base)
    # A decryption share: log_G K = log_α (s·α).
    alpha = Point.mul_g(det_scalar("elgamal/r1"))
    u2 = det_scalar("dleq/u2")
    p2, pre2 = make_dleq(CTX, ELECTION_SECRET, alpha, ELECTION_KEY, alpha.mul(ELECTION_SECRET),
                         u2)
    out.append({"name": "dleq/valid-decryption-share", "kind": "dleq", "valid": True,
                "statement": {"context": CTX.hex(), "X": px(ELECTION_KEY), "H": px(alpha),
                              "Y": px(alpha.mul(ELECTION_SECRET))},
                "proof": p2, "witness": {"x": sx(ELECTION_SECRET), "u": sx(u2)},
                "challenge_preimage": pre2.hex()})

    def setp(key: str, value: str) -> Callable[[Case], None]:
        return lambda c: c["proof"].__setitem__(key, value)

    def sets(key: str, value: str) -> Callable[[Case], None]:
        return lambda c: c["statement"].__setitem__(key, value)

    st = base["statement"]
    out += [
        invalid(base, "dleq/a+G", "challenge_mismatch", setp("a", bump_point(proof["a"])),
                "a changed"),
        invalid(base, "dleq/b+G", "challenge_mismatch", setp("b", bump_point(proof["b"])),
                "b changed"),
        invalid(base, "dleq/challenge+1", "challenge_mismatch",
                setp("c", bump_scalar(proof["c"])), "c changed"),
        invalid(base, "dleq/response+1", "equation_failed", setp("v", bump_scalar(proof["v"])),
                "v changed"),
        invalid(base, "dleq/challenge=n", "scalar_out_of_range", setp("c", sx(ORDER)), "c = n"),
        invalid(base, "dleq/response=n+1", "scalar_out_of_range", setp("v", sx(ORDER + 1)),
                "v = n + 1"),
        invalid(base, "dleq/other-context", "challenge_mismatch",
                sets("context", CTX_OTHER.hex()), "context changed"),
        invalid(base, "dleq/X+G", "challenge_mismatch", sets("X", bump_point(st["X"])),
                "X changed"),
        invalid(base, "dleq/H+G", "challenge_mismatch", sets("H", bump_point(st["H"])),
                "H changed"),
        invalid(base, "dleq/Y+G", "challenge_mismatch", sets("Y", bump_point(st["Y"])),
                "Y changed"),
        invalid(base, "dleq/H-Y-swapped", "challenge_mismatch",
                lambda c: c["statement"].update(H=st["Y"], Y=st["H"]), "H and Y swapped"),
    ]
    y_bad = h.mul(x + 1)
    pb, _ = make_dleq(CTX, x, h, x_pub, y_bad, det_scalar("dleq/u3"))
    out.append(invalid(base, "dleq/unequal-logs", "equation_failed",
                       lambda c: (c["statement"].update(Y=px(y_bad)), c.update(proof=pb)),
                       "Y = (x+1)·H; the challenge is honest, v·H ≠ b + c·Y"))
    return out


def in_set_base(name: str, allowed: list[int], m: int, sims: dict[int, tuple[int, int]] | None
                = None) -> Case:
    r, u = det_scalar(f"{name}/r"), det_scalar(f"{name}/u")
    if sims is None:
        sims = {j: (det_scalar(f"{name}/c{j}"), det_scalar(f"{name}/v{j}"))
                for j in allowed if j != m}
    k = ELECTION_KEY
    alpha, beta = Point.mul_g(r), Point.mul_g(m) + k.mul(r)
    branches, pre = make_in_set(CTX, k, alpha, beta, allowed, m, r, u, sims)
    return {"name": name, "kind": "in_set", "valid": True,
            "statement": {"context": CTX.hex(), "K": px(k), "alpha": px(alpha),
                          "beta": px(beta), "allowed": allowed},
            "proof": branches,
            "witness": {"m": m, "r": sx(r), "u": sx(u),
                        "simulated": [{"j": j, "c": sx(sims[j][0]), "v": sx(sims[j][1])}
                                      for j in allowed if j != m]},
            "challenge_preimage": pre.hex()}


def in_set_cases() -> list[Case]:
    out: list[Case] = []
    bases = {}
    for allowed, tag in [([0, 1], "01"), ([1], "1"), ([0, 1, 2, 3], "0123")]:
        for m in allowed:
            name = f"in_set/{tag}/m={m}"
            bases[name] = in_set_base(name, allowed, m)
            out.append(bases[name])
    small = in_set_base("in_set/01/m=1/small-simulated-challenge", [0, 1], 1,
                        {0: (12345, det_scalar("in_set/small/v0"))})
    out.append(small)
    base = bases["in_set/01/m=1"]
    br = base["proof"]
    st = base["statement"]

    def setb(i: int, key: str, value: str) -> Callable[[Case], None]:
        return lambda c: c["proof"][i].__setitem__(key, value)

    def sets(key: str, value: Any) -> Callable[[Case], None]:
        return lambda c: c["statement"].__setitem__(key, value)

    d = det_scalar("in_set/shift")
    r2 = det_scalar("in_set/rerandomise")
    out += [
        invalid(base, "in_set/01/branch0.c+1", "challenge_mismatch",
                setb(0, "c", bump_scalar(br[0]["c"])), "Σc no longer equals the hash"),
        invalid(base, "in_set/01/branch1.c+1", "challenge_mismatch",
                setb(1, "c", bump_scalar(br[1]["c"])), "Σc no longer equals the hash"),
        invalid(base, "in_set/01/branch0.v+1", "equation_failed",
                setb(0, "v", bump_scalar(br[0]["v"])), "simulated branch response changed"),
        invalid(base, "in_set/01/branch1.v+1", "equation_failed",
                setb(1, "v", bump_scalar(br[1]["v"])), "real branch response changed"),
        invalid(base, "in_set/01/branch0.a+G", "challenge_mismatch",
                setb(0, "a", bump_point(br[0]["a"])), "a₀ changed"),
        invalid(base, "in_set/01/branch1.b+G", "challenge_mismatch",
                setb(1, "b", bump_point(br[1]["b"])), "b₁ changed"),
        invalid(base, "in_set/01/branches-swapped", "challenge_mismatch",
                lambda c: c["proof"].reverse(), "branch order must follow the allowed values"),
        invalid(base, "in_set/01/one-branch-dropped", "branch_count",
                lambda c: c["proof"].pop(), "1 branch for 2 allowed values"),
        invalid(base, "in_set/01/branch-added", "branch_count",
                lambda c: c["proof"].append(dict(br[0])), "3 branches for 2 allowed values"),
        invalid(base, "in_set/01/allowed-reversed", "challenge_mismatch",
                sets("allowed", [1, 0]), "the allowed set is hashed in order"),
        invalid(base, "in_set/01/allowed-0-2", "challenge_mismatch", sets("allowed", [0, 2]),
                "allowed set changed"),
        invalid(base, "in_set/01/allowed-0-1-2", "branch_count", sets("allowed", [0, 1, 2]),
                "allowed set grown"),
        invalid(base, "in_set/01/alpha+G", "challenge_mismatch",
                sets("alpha", bump_point(st["alpha"])), "alpha changed"),
        invalid(base, "in_set/01/beta+G", "challenge_mismatch",
                sets("beta", bump_point(st["beta"])), "beta changed"),
        invalid(base, "in_set/01/alpha-beta-swapped", "challenge_mismatch",
                lambda c: c["statement"].update(alpha=st["beta"], beta=st["alpha"]),
                "alpha and beta swapped"),
        invalid(base, "in_set/01/K+G", "challenge_mismatch", sets("K", bump_point(st["K"])),
                "public key changed"),
        invalid(base, "in_set/01/other-context", "challenge_mismatch",
                sets("context", CTX_OTHER.hex()), "context changed"),
        invalid(base, "in_set/01/rerandomised-ciphertext", "challenge_mismatch",
                lambda c: c["statement"].update(
                    alpha=px(pt(st["alpha"]) + Point.mul_g(r2)),
                    beta=px(pt(st["beta"]) + ELECTION_KEY.mul(r2))),
                "(α + r'·G, β + r'·K) still encrypts 1 but the proof is bound to (α, β)"),
        invalid(base, "in_set/01/challenge-mass-shifted", "equation_failed",
                lambda c: (c["proof"][0].__setitem__("c", bump_scalar(br[0]["c"], d)),
                           c["proof"][1].__setitem__("c", bump_scalar(br[1]["c"], -d))),
                "c₀ + d, c₁ − d: the sum still matches, the equations do not"),
        invalid(base, "in_set/01/branch0.c=n", "scalar_out_of_range", setb(0, "c", sx(ORDER)),
                "c₀ = n"),
        invalid(base, "in_set/01/branch1.v=2^256-1", "scalar_out_of_range",
                setb(1, "v", "ff" * 32), "v₁ ≥ n"),
        invalid(base, "in_set/01/branch1.b-off-curve", "bad_point",
                setb(1, "b", "02" + (5).to_bytes(32, "big").hex()), "b₁ is not a curve point"),
        invalid(small, "in_set/01/branch0.c+n", "scalar_out_of_range",
                setb(0, "c", sx(12345 + ORDER)),
                "c₀ + n keeps Σc mod n and every equation: only the range check refuses it"),
    ]
    # Cheating provers for a ciphertext of 2 with allowed {0, 1}: the hash is honest, so the
    # challenges add up, but the branch that claims to be real has no valid opening.
    for claimed in (0, 1):
        name = f"in_set/01/forged-m=2-as-{claimed}"
        r, u = det_scalar(f"{name}/r"), det_scalar(f"{name}/u")
        other = 1 - claimed
        sims = {other: (det_scalar(f"{name}/c"), det_scalar(f"{name}/v"))}
        alpha, beta = Point.mul_g(r), Point.mul_g(2) + ELECTION_KEY.mul(r)
        forged, _ = make_in_set(CTX, ELECTION_KEY, alpha, beta, [0, 1], claimed, r, u, sims)
        out.append(invalid(base, name, "equation_failed",
                           lambda c, a=alpha, b=beta, f=forged: (
                               c["statement"].update(alpha=px(a), beta=px(b)),
                               c.update(proof=f)),
                           "ciphertext of m = 2, allowed {0, 1}"))
    name = "in_set/01/forged-all-simulated"
    r = det_scalar(f"{name}/r")
    alpha, beta = Point.mul_g(r), Point.mul_g(2) + ELECTION_KEY.mul(r)
    forged = []
    for j in (0, 1):
        cj, vj = det_scalar(f"{name}/c{j}"), det_scalar(f"{name}/v{j}")
        forged.append({"a": px(Point.mul_g(vj) - alpha.mul(cj)),
                       "b": px(ELECTION_KEY.mul(vj) - (beta - Point.mul_g(j)).mul(cj)),
                       "c": sx(cj), "v": sx(vj)})
    out.append(invalid(base, name, "challenge_mismatch",
                       lambda c: (c["statement"].update(alpha=px(alpha), beta=px(beta)),
                                  c.update(proof=forged)),
                       "every branch simulated: the equations hold, Σc is not the hash"))
    b4 = bases["in_set/0123/m=2"]
    out += [
        invalid(b4, "in_set/0123/branches-1-2-swapped", "challenge_mismatch",
                lambda c: c["proof"].insert(1, c["proof"].pop(2)), "branch order changed"),
        invalid(b4, "in_set/0123/last-branch-dropped", "branch_count",
                lambda c: c["proof"].pop(), "3 branches for 4 allowed values"),
        invalid(b4, "in_set/0123/allowed-0-1-2-4", "challenge_mismatch",
                sets("allowed", [0, 1, 2, 4]), "allowed set changed"),
        invalid(b4, "in_set/0123/branch3.v+1", "equation_failed",
                setb(3, "v", bump_scalar(b4["proof"][3]["v"])), "simulated response changed"),
    ]
    b1 = bases["in_set/1/m=1"]
    out += [
        invalid(b1, "in_set/1/allowed-0", "challenge_mismatch", sets("allowed", [0]),
                "proof for {1} checked against {0}"),
        invalid(b1, "in_set/1/allowed-empty", "branch_count", sets("allowed", []),
                "1 branch for 0 allowed values"),
    ]
    return out


def proofs_doc() -> dict[str, Any]:
    return document(
        "Zero-knowledge proofs in commitment form with their statements. kind pok: Schnorr "
        "proof of knowledge of x with X = x·G; dleq: Chaum–Pedersen log_G X = log_H Y; in_set: "
        "(alpha, beta) encrypts some m in allowed under K. Valid cases carry the witness and "
        "nonces (to reproduce the proof) and the challenge preimage (encode_parts bytes); "
        "invalid cases name in expect_error the first check that fails, in the order "
        "bad_point, branch_count, scalar_out_of_range, identity_point, challenge_mismatch, "
        "equation_failed (docs/vectors.md).",
        "docs/spec.md §6", pok_cases() + dleq_cases() + in_set_cases())


# -- canonical JSON (spec §4.1) --------------------------------------------------------------

RFC_SORT = {
    "\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh",
    "1": "One", "\U0001f600": "Emoji: Grinning Face", "\u0080": "Control",
    "\u00f6": "Latin Small Letter O With Diaeresis",
}
RFC_STRING = "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"/"


def chunks(*parts: tuple[bytes, int]) -> list[list[Any]]:
    return [[b.hex(), n] for b, n in parts]


def canonical_doc() -> dict[str, Any]:
    cases: list[Case] = []
    values: list[tuple[str, Any]] = [
        ("rfc8785-3.2.3-key-sorting", RFC_SORT),
        ("rfc8785-3.2.2.2-string", RFC_STRING),
        ("rfc8785-3.2.2-without-numbers", {"string": RFC_STRING,
                                           "literals": [None, True, False]}),
        ("control-characters", "".join(chr(c) for c in range(0x20)) + "\x7f"),
        ("control-character-keys", {"\t": 1, "\u0000": 2, " ": 3, "\u001f": 4}),
        ("unescaped-non-ascii", "\u2028\u2029/<>&\U0001d11e\U0010ffff"),
        ("persian", {"پرسش": PERSIAN_QUESTION, "گزینه‌ها": ["بله", "خیر"],
                     "عنوان": PERSIAN}),
        ("ascii-key-order", {"b": 1, "a": 2, "B": 3, "A": 4, "aa": 5, "": 6, "a b": 7}),
        ("astral-vs-bmp-keys", {"\ufb33": 1, "\U0001f600": 2, "\uffff": 3, "\ud7ff": 4}),
        ("integers", [0, -1, 1, 10, -10, 9007199254740991, -9007199254740991]),
        ("nested", {"z": {"y": [], "x": {}}, "a": [1, [2, [3, {"k": None}]]], "": ""}),
        ("empty-object", {}),
        ("empty-array", []),
        ("empty-string", ""),
        ("top-level-null", None),
        ("top-level-true", True),
        ("top-level-integer", 42),
    ]
    for name, value in values:
        b = canonical_bytes(value)
        cases.append({"name": f"encode/{name}", "kind": "encode", "value": value,
                      "canonical": b.decode("utf-8"), "canonical_hex": b.hex()})
    accept = [
        ("depth-16-arrays", chunks((b"[", MAX_DEPTH), (b"]", MAX_DEPTH))),
        ("depth-16-objects", chunks((b'{"a":', MAX_DEPTH - 1), (b"1", 1),
                                    (b"}", MAX_DEPTH - 1))),
        ("exactly-1-MiB", chunks((b'"', 1), (b"a", MAX_ENTRY_BYTES - 2), (b'"', 1))),
        ("raw-emoji", chunks(('"\U0001f600"'.encode(), 1))),
    ]
    for name, data in accept:
        cases.append({"name": f"accept/{name}", "kind": "accept", "input": data})
    def one(data: bytes) -> list[list[Any]]:
        return chunks((data, 1))

    reject: list[tuple[str, list[list[Any]], str]] = [
        ("duplicate-key", one(b'{"a":1,"a":1}'), "duplicate_key"),
        ("duplicate-key-different-values", one(b'{"a":1,"a":2}'), "duplicate_key"),
        ("duplicate-key-nested", one(b'{"x":{"b":1,"b":2}}'), "duplicate_key"),
        ("duplicate-key-via-escape", one(b'{"a":1,"\\u0061":2}'), "duplicate_key"),
        ("leading-space", one(b" {}"), "not_canonical"),
        ("trailing-newline", one(b"{}\n"), "not_canonical"),
        ("space-after-colon", one(b'{"a": 1}'), "not_canonical"),
        ("space-after-comma", one(b"[1, 2]"), "not_canonical"),
        ("unsorted-keys", one(b'{"b":1,"a":2}'), "not_canonical"),
        ("code-point-order-not-utf16", one('{"\ufb33":1,"\U0001f600":2}'.encode()),
         "not_canonical"),
        ("escaped-non-ascii", one(b'"\\u00e9"'), "not_canonical"),
        ("escaped-surrogate-pair", one(b'"\\ud83d\\ude00"'), "not_canonical"),
        ("uppercase-unicode-escape", one(b'"\\u001F"'), "not_canonical"),
        ("long-form-of-short-escape", one(b'"\\u000a"'), "not_canonical"),
        ("escaped-solidus", one(b'"\\/"'), "not_canonical"),
        ("escaped-ascii-letter", one(b'"\\u0041"'), "not_canonical"),
        ("minus-zero", one(b"-0"), "not_canonical"),
        ("float-1.0", one(b"1.0"), "not_canonical"),
        ("float-exponent", one(b"1e2"), "not_canonical"),
        ("float-in-array", one(b"[1,2.5]"), "not_canonical"),
        ("integer-2^53", one(b"9007199254740992"), "not_canonical"),
        ("integer-minus-2^53", one(b"-9007199254740992"), "not_canonical"),
        ("integer-2^64", one(b"18446744073709551616"), "not_canonical"),
        ("integer-100000-digits", chunks((b"9", 100_000)), "not_canonical"),
        ("lone-high-surrogate-escape", one(b'"\\ud800"'), "not_canonical"),
        ("lone-low-surrogate-escape", one(b'"\\udc00"'), "not_canonical"),
        ("reversed-surrogates-escape", one(b'"\\ude00\\ud83d"'), "not_canonical"),
        ("lone-surrogate-key", one(b'{"\\ud800":1}'), "not_canonical"),
        ("NaN", one(b"NaN"), "malformed_json"),
        ("Infinity", one(b"Infinity"), "malformed_json"),
        ("minus-Infinity-in-array", one(b"[-Infinity]"), "malformed_json"),
        ("invalid-utf8-ff", one(b'"\xff"'), "malformed_json"),
        ("overlong-utf8", one(b'"\xc0\xaf"'), "malformed_json"),
        ("truncated-utf8", one(b'"\xe2\x82"'), "malformed_json"),
        ("utf8-encoded-surrogate", one(b'"\xed\xa0\x80"'), "malformed_json"),
        ("utf8-above-10ffff", one(b'"\xf4\x90\x80\x80"'), "malformed_json"),
        ("byte-order-mark", one(b"\xef\xbb\xbf{}"), "malformed_json"),
        ("raw-control-character", one(b'"\x01"'), "malformed_json"),
        ("empty-input", one(b""), "malformed_json"),
        ("trailing-data", one(b"{}x"), "malformed_json"),
        ("trailing-comma", one(b"[1,]"), "malformed_json"),
        ("leading-zero", one(b"01"), "malformed_json"),
        ("single-quotes", one(b"'a'"), "malformed_json"),
        ("depth-17", chunks((b"[", MAX_DEPTH + 1), (b"]", MAX_DEPTH + 1)), "malformed_json"),
        ("depth-10000", chunks((b"[", 10_000), (b"]", 10_000)), "malformed_json"),
        ("depth-10000-objects", chunks((b'{"a":', 10_000), (b"1", 1), (b"}", 10_000)),
         "malformed_json"),
        ("1-MiB-plus-1", chunks((b'"', 1), (b"a", MAX_ENTRY_BYTES - 1), (b'"', 1)), "too_large"),
    ]
    for name, data, err in reject:
        cases.append({"name": f"reject/{name}", "kind": "reject", "input": data,
                      "expect_error": err})
    return document(
        "RFC 8785 canonical JSON as the only accepted form of a record entry. kind encode: "
        "value (parsed from this file) → canonical (the exact output, as text and as UTF-8 "
        "hex). kind accept / reject: input bytes, given as [hex, count] chunks to concatenate "
        "(count repeats a chunk), that must parse to a value re-encoding to the same bytes, or "
        "be refused with expect_error (duplicate_key, not_canonical, malformed_json, "
        "too_large). Limits: entries ≤ 1 MiB, nesting ≤ 16, integers |i| ≤ 2^53 − 1, no "
        "floats.",
        "docs/spec.md §4.1", cases)


# -- elections (spec §5.2–§5.4, §6.4) -------------------------------------------------------
#
# Built here from the spec's formulas (hash_parts, canonical_bytes and BIP340 are the only
# library calls); test_vectors.py checks that hamaporsi.protocol reproduces every byte.

OPENS, CLOSES = 1_767_225_600, 1_767_830_400  # 2026-01-01 and a week later, UTC
CREDENTIALS_PER_ELECTION = 4
TRUSTEES = 3
THRESHOLD = 2


def det_bytes(label: str) -> bytes:
    """32 fixed bytes named by `label` (BIP340 aux_rand of the vectors)."""
    return hashlib.sha256(b"hamaporsi test vectors: bytes\x00" + label.encode()).digest()


def det_secret(label: str) -> bytes:
    return scalar_bytes(det_scalar(label))


def unsigned(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k != "sig"}


def entry_message(entry: dict[str, Any]) -> bytes:
    """H("entry-sig", JCS(entry without "sig")) (spec §4.3)."""
    return hash_parts("entry-sig", canonical_bytes(unsigned(entry)))


def signed(entry: dict[str, Any], secret: bytes, aux: bytes) -> dict[str, Any]:
    return {**unsigned(entry), "sig": bip340.sign(secret, entry_message(entry), aux).hex()}


def hx(entry: Any) -> str:
    return canonical_bytes(entry).hex()


@dataclass
class VecElection:
    """One election of election.json, kept for ballots.json and receipts.json."""

    name: str
    organizer: bytes
    registrar: bytes
    board: bytes
    manifest: dict[str, Any]
    mh: bytes
    joint_secret: int
    joint_key: Point
    creds: list[tuple[bytes, bytes]]  # (secret, x-only public key), in label order
    keys: list[bytes]  # sorted
    ch: bytes
    eh: bytes
    stored: int
    allowed: list[int] | None
    credential_entries: list[dict[str, Any]]
    open_entry: dict[str, Any]
    case: Case

    def context(self, credential: bytes, index: int, eh: bytes | None = None) -> bytes:
        """eh ‖ credential ‖ u32(index) (spec §6.4)."""
        return (eh or self.eh) + credential + u32(index)


ELECTION_SPECS: list[tuple[str, str, list[tuple[str, str]], int, int]] = [
    ("yes-no", "two options, exactly one: 1 stored ciphertext, no total proof",
     [("بله", "Yes"), ("خیر", "No")], 1, 1),
    ("yes-no-blank", "three options (the last an explicit blank), exactly one: 2 stored "
     "ciphertexts, total proof over {0, 1}",
     [("بله", "Yes"), ("خیر", "No"), ("سفید", "Blank")], 1, 1),
    ("three-choose-0-2", "three options, choose 0 to 2: 3 stored ciphertexts, total proof "
     "over {0, 1, 2}",
     [("گزینهٔ ۱", "Option 1"), ("گزینهٔ ۲", "Option 2"), ("گزینهٔ ۳", "Option 3")], 0, 2),
]


def storage_rule(k: int, lo: int, hi: int) -> tuple[int, list[int] | None]:
    """(stored ciphertexts, allowed totals or None) by spec §5.5."""
    if lo == hi == 1:
        return k - 1, (None if k == 2 else [0, 1])
    if lo == 0 and hi >= k:
        return k, None
    return k, list(range(lo, hi + 1))


def credential_hash(keys: list[bytes]) -> bytes:
    return hashlib.sha256(encode_parts("credential-list", keys)).digest()


def make_election(name: str, about: str, options: list[tuple[str, str]], lo: int,
                  hi: int) -> VecElection:
    lab = f"election/{name}"
    organizer, registrar, board = (det_secret(f"{lab}/{r}")
                                   for r in ("organizer", "registrar", "board"))
    trustees = [(f"امین {i} / Trustee {i}", det_secret(f"{lab}/trustee/{i}/signing"),
                 det_scalar(f"{lab}/trustee/{i}/encryption")) for i in range(1, TRUSTEES + 1)]
    body = {
        "type": "manifest", "spec": "hamaporsi/v1", "election_id": f"vectors-{name}",
        "question": {"en": "Do you agree with this proposal?", "fa": PERSIAN_QUESTION},
        "options": [{"en": en, "fa": fa} for fa, en in options],
        "min_selections": lo, "max_selections": hi, "opens": OPENS, "closes": CLOSES,
        "organizer_key": bip340.public_key(organizer).hex(),
        "registrar_key": bip340.public_key(registrar).hex(),
        "board_key": bip340.public_key(board).hex(),
        "trustees": [{"name": n, "signing_key": bip340.public_key(s).hex(),
                      "encryption_key": px(Point.mul_g(d))} for n, s, d in trustees],
        "threshold": THRESHOLD,
    }
    manifest_aux = det_bytes(f"{lab}/manifest/aux")
    manifest = signed(body, organizer, manifest_aux)
    mh = hash_parts("manifest", canonical_bytes(manifest))
    x = det_scalar(f"{lab}/joint-secret")
    k_pub = Point.mul_g(x)
    creds = []
    for i in range(CREDENTIALS_PER_ELECTION):
        s = det_secret(f"{lab}/credential/{i}")
        creds.append((s, bip340.public_key(s)))
    keys = sorted(p for _, p in creds)
    ch = credential_hash(keys)
    n_creds = len(keys)
    eh_pre = encode_parts("election", (GROUP_DESCRIPTION, mh, k_pub.encode(),
                                       n_creds.to_bytes(8, "big"), ch))
    eh = hashlib.sha256(eh_pre).digest()
    cred_auxes = [det_bytes(f"{lab}/credentials/aux"), det_bytes(f"{lab}/credentials-final/aux")]
    cred_entries = [
        signed({"type": "credentials", "manifest": mh.hex(), "chunk": 0,
                "keys": [k.hex() for k in keys]}, registrar, cred_auxes[0]),
        signed({"type": "credentials-final", "manifest": mh.hex(), "chunks": 1,
                "count": n_creds, "hash": ch.hex()}, registrar, cred_auxes[1]),
    ]
    open_aux = det_bytes(f"{lab}/open/aux")
    open_entry = signed({"type": "open", "manifest": mh.hex(), "election": eh.hex(),
                         "joint_key": px(k_pub), "credential_count": n_creds,
                         "credential_hash": ch.hex()}, organizer, open_aux)
    stored, allowed = storage_rule(len(options), lo, hi)
    cred0 = creds[0][1]
    case: Case = {
        "name": name, "kind": "election", "note": about,
        "secrets": {
            "organizer": organizer.hex(), "registrar": registrar.hex(), "board": board.hex(),
            "trustees": [{"signing": s.hex(), "encryption": sx(d)} for _, s, d in trustees],
        },
        "manifest": manifest,
        "manifest_aux": manifest_aux.hex(),
        "manifest_signing_message": entry_message(manifest).hex(),
        "manifest_hex": hx(manifest),
        "manifest_hash": mh.hex(),
        "stored_options": stored,
        "total_allowed": allowed,
        "joint_secret": sx(x),
        "joint_key": px(k_pub),
        "credentials": [{"secret": s.hex(), "public": p.hex()} for s, p in creds],
        "credential_list": [k.hex() for k in keys],
        "credential_hash_preimage": encode_parts("credential-list", keys).hex(),
        "credential_hash": ch.hex(),
        "credential_entries": [{"aux": a.hex(), "entry": e, "hex": hx(e)}
                               for a, e in zip(cred_auxes, cred_entries, strict=True)],
        "group": GROUP_DESCRIPTION.hex(),
        "election_hash_preimage": eh_pre.hex(),
        "election_hash": eh.hex(),
        "open_aux": open_aux.hex(),
        "open": open_entry,
        "open_signing_message": entry_message(open_entry).hex(),
        "open_hex": hx(open_entry),
        "contexts": {"credential": cred0.hex(),
                     "selection_0": (eh + cred0 + u32(0)).hex(),
                     "total": (eh + cred0 + u32(0xFFFFFFFF)).hex()},
    }
    return VecElection(name, organizer, registrar, board, manifest, mh, x, k_pub, creds, keys,
                       ch, eh, stored, allowed, cred_entries, open_entry, case)


@cache
def elections() -> dict[str, VecElection]:
    return {s[0]: make_election(*s) for s in ELECTION_SPECS}


def election_doc() -> dict[str, Any]:
    return document(
        "Elections with fixed keys, built from the spec's formulas: the signed manifest (BIP340 "
        "with the given aux), its hash mh = H('manifest', JCS(manifest)), a joint key K = "
        "joint_secret·G (no ceremony here), the sorted credential list and CH = "
        "SHA-256(encode_parts('credential-list', keys…)), the registrar's credential entries, "
        "eh = H('election', GROUP, mh, K, u64(N), CH), the signed open entry, and the proof "
        "contexts eh ‖ credential ‖ u32(0) and eh ‖ credential ‖ u32(0xFFFFFFFF). Entries are "
        "given as JSON values and as their exact canonical bytes (hex).",
        "docs/spec.md §5.2–§5.4, §6.4", [e.case for e in elections().values()])


# -- credential codes (spec §5.3) ------------------------------------------------------------

CODE_PREFIX = "HMP1"


def spec_code(secret: bytes) -> str:
    """HMP1- ‖ base32(secret ‖ H("code-check", secret)[0:2]), no padding, groups of four."""
    b32 = base64.b32encode(secret + hash_parts("code-check", secret)[:2]).decode().rstrip("=")
    return "-".join([CODE_PREFIX] + [b32[i:i + 4] for i in range(0, len(b32), 4)])


B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


def credentials_doc() -> dict[str, Any]:
    cases: list[Case] = []
    secrets_: list[tuple[str, bytes]] = [(f"det-{i}", det_secret(f"code/{i}")) for i in range(4)]
    secrets_ += [("one", scalar_bytes(1)), ("n-1", scalar_bytes(ORDER - 1)),
                 ("leading-zero-bytes", scalar_bytes(det_scalar("code/small") >> 24)),
                 ("yes-no-credential-0", elections()["yes-no"].creds[0][0])]
    for name, s in secrets_:
        q = Point.mul_g(int.from_bytes(s, "big"))
        cases.append({"name": f"code/{name}", "kind": "code", "secret": s.hex(),
                      "check": hash_parts("code-check", s)[:2].hex(), "code": spec_code(s),
                      "public": bip340.public_key(s).hex(),
                      "y_odd": q.encode()[0] == 3})
    base = spec_code(secrets_[0][1])
    s0 = secrets_[0][1].hex()
    body = base.replace("-", "")
    normal = [
        ("lower-case", base.lower()),
        ("mixed-case", "".join(c.lower() if i % 2 else c for i, c in enumerate(base))),
        ("no-dashes", body),
        ("spaces-for-dashes", base.replace("-", " ")),
        ("groups-of-eight", " ".join(body[i:i + 8] for i in range(0, len(body), 8))),
        ("surrounding-spaces", "  " + base + " "),
        ("lower-case-prefix-no-dash", "hmp1" + body[4:].lower()),
    ]
    for name, text in normal:
        cases.append({"name": f"normalise/{name}", "kind": "normalise", "input": text,
                      "code": base, "secret": s0})
    data = body[len(CODE_PREFIX):]  # 55 base32 characters
    assert len(data) == 55 and B32.index(data[-1]) & 7 == 0

    def with_data(d: str) -> str:
        return "-".join([CODE_PREFIX] + [d[i:i + 4] for i in range(0, len(d), 4)])

    def replace(i: int, ch: str) -> str:
        return with_data(data[:i] + ch + data[i + 1:])

    other = B32[(B32.index(data[10]) + 1) % 32]
    last = B32[B32.index(data[-1]) | 1]
    swapped = data[:20] + data[21] + data[20] + data[22:]
    assert swapped != data
    refuse: list[tuple[str, str, str]] = [
        ("bad-checksum-one-character", replace(10, other), "bad_checksum"),
        ("bad-checksum-transposition", with_data(swapped), "bad_checksum"),
        ("bad-checksum-in-check-bytes", replace(53, B32[(B32.index(data[53]) + 1) % 32]),
         "bad_checksum"),
        ("nonzero-pad-bits", with_data(data[:-1] + last), "nonzero_pad_bits"),
        ("nonzero-pad-bits-high", with_data(data[:-1] + B32[B32.index(data[-1]) | 4]),
         "nonzero_pad_bits"),
        ("prefix-HMP2", "HMP2" + base[4:], "wrong_prefix"),
        ("prefix-missing", with_data(data)[len(CODE_PREFIX) + 1:], "wrong_prefix"),
        ("prefix-HMP", "HMP" + base[4:], "wrong_prefix"),
        ("digit-0", replace(7, "0"), "bad_character"),
        ("digit-1", replace(7, "1"), "bad_character"),
        ("digit-8", replace(7, "8"), "bad_character"),
        ("padding-character", with_data(data + "="), "bad_character"),
        ("persian-digit", replace(7, "۲"), "bad_character"),
        ("one-character-missing", with_data(data[:-1]), "wrong_length"),
        ("one-character-extra", with_data(data + "A"), "wrong_length"),
        ("last-group-missing", with_data(data[:-3]), "wrong_length"),
        ("prefix-only", "HMP1", "wrong_length"),
        ("empty", "", "wrong_prefix"),
    ]
    for name, text, reason in refuse:
        cases.append({"name": f"refuse/{name}", "kind": "refuse", "valid": False,
                      "input": text, "reason": reason, "expect_error": "bad_code"})
    for name, k in [("zero", 0), ("n", ORDER), ("2^256-1", 2**256 - 1)]:
        raw = k.to_bytes(32, "big")
        cases.append({"name": f"bad-secret/{name}", "kind": "bad_secret", "valid": False,
                      "input": spec_code(raw), "secret": raw.hex(),
                      "expect_error": "bad_secret",
                      "note": "the code itself parses (checksum and pad bits are right), but "
                              "the 32 bytes are not a BIP340 secret key in [1, n−1]"})
    return document(
        "Voter credential codes: code = 'HMP1-' ‖ base32(secret ‖ H('code-check', secret)[0:2]) "
        "(RFC 4648 alphabet, no padding, 55 characters, groups of four joined by '-'); public = "
        "BIP340 x-only key. kind code: secret → code and public; normalise: input parses to "
        "secret (case, spaces and dashes ignored); refuse: input is refused (expect_error "
        "bad_code; reason says why: bad_checksum, nonzero_pad_bits, wrong_prefix, "
        "bad_character, wrong_length); bad_secret: a well-formed code of 32 bytes that are not "
        "a secret key in [1, n−1].",
        "docs/spec.md §5.3", cases)


# -- ballots (spec §5.5, §5.6, §6.3) ---------------------------------------------------------

class Draws:
    """The fixed stream of random scalars of one ballot: det_scalar(label/rand/k), k = 0, 1, …"""

    def __init__(self, label: str) -> None:
        self.label = label
        self.used: list[int] = []

    def __call__(self) -> int:
        k = det_scalar(f"{self.label}/rand/{len(self.used)}")
        self.used.append(k)
        return k


KEEP = object()


@dataclass
class Built:
    entry: dict[str, Any]  # signed
    bits: list[int]
    nonces: list[int]
    draws: list[int]
    aux: bytes
    preimages: list[bytes]
    total_preimage: bytes | None

    @property
    def data(self) -> bytes:
        return canonical_bytes(self.entry)


def build_ballot(el: VecElection, cred: int, bits: list[int], label: str, *,
                 claims: list[int] | None = None, total_claim: int | None = None,
                 allowed: Any = KEEP, eh: bytes | None = None,
                 signer: bytes | None = None) -> Built:
    """A ballot from the spec (§5.5, §6.3), drawing r, u, (c, v)… in the order of spec §5.5.
    `claims`/`total_claim` make a cheating prover (the real branch is not the plaintext);
    `allowed` overrides the total's allowed set (None: no total proof); `eh` builds the ballot
    for another election hash; `signer` signs with another secret."""
    secret, public = el.creds[cred]
    draw = Draws(f"ballot/{label}")
    k_pub = el.joint_key
    sels, alphas, betas, rs, pres = [], [], [], [], []
    for i, m in enumerate(bits):
        r = draw()
        alpha, beta = Point.mul_g(r), Point.mul_g(m) + k_pub.mul(r)
        real = m if claims is None else claims[i]
        u = draw()
        sims = {}
        for j in (0, 1):
            if j != real:
                cj = draw()
                sims[j] = (cj, draw())
        branches, pre = make_in_set(el.context(public, i, eh), k_pub, alpha, beta, [0, 1], real,
                                    r, u, sims)
        sels.append({"alpha": px(alpha), "beta": px(beta), "proof": branches})
        alphas.append(alpha)
        betas.append(beta)
        rs.append(r)
        pres.append(pre)
    total_set = el.allowed if allowed is KEEP else allowed
    total, tpre = None, None
    if total_set is not None:
        real = sum(bits) if total_claim is None else total_claim
        u = draw()
        sims = {}
        for j in total_set:
            if j != real:
                cj = draw()
                sims[j] = (cj, draw())
        total, tpre = make_in_set(el.context(public, 0xFFFFFFFF, eh), k_pub, Point.sum(alphas),
                                  Point.sum(betas), total_set, real, sum(rs) % ORDER, u, sims)
    body = {"type": "ballot", "election": (eh or el.eh).hex(), "credential": public.hex(),
            "selections": sels, "total_proof": total}
    aux = det_bytes(f"ballot/{label}/aux")
    return Built(signed(body, signer or secret, aux), list(bits), rs, list(draw.used), aux,
                 pres, tpre)


def bits_of(el: VecElection, selected: list[int]) -> list[int]:
    return [1 if i in selected else 0 for i in range(el.stored)]


def valid_ballot_case(el: VecElection, label: str, cred: int, selected: list[int]
                      ) -> tuple[Case, Built]:
    name = f"{el.name}/{label}"
    b = build_ballot(el, cred, bits_of(el, selected), name)
    return {"name": name, "kind": "ballot", "valid": True, "election": el.name,
            "credential_secret": el.creds[cred][0].hex(), "credential": el.creds[cred][1].hex(),
            "selected": selected, "choices": b.bits, "rand": [sx(k) for k in b.draws],
            "aux": b.aux.hex(), "nonces": [sx(r) for r in b.nonces], "entry": b.entry,
            "bytes": b.data.hex(), "signing_message": entry_message(b.entry).hex(),
            "tracking_code": hash_parts("tracking", b.data).hex(),
            "challenge_preimages": {"selections": [p.hex() for p in b.preimages],
                                    "total": None if b.total_preimage is None
                                    else b.total_preimage.hex()}}, b


def bad(el: VecElection, name: str, data: bytes | dict[str, Any], expect: str,
        note: str) -> Case:
    raw = data if isinstance(data, bytes) else canonical_bytes(data)
    return {"name": f"{el.name}/{name}", "kind": "ballot", "valid": False, "election": el.name,
            "bytes": raw.hex(), "expect_error": expect, "note": note}


def resign(el: VecElection, entry: dict[str, Any], cred: int, label: str) -> dict[str, Any]:
    return signed(entry, el.creds[cred][0], det_bytes(f"ballot/{el.name}/{label}/resign"))


VALID_BALLOTS: dict[str, list[tuple[str, int, list[int]]]] = {
    "yes-no": [("cred0-yes", 0, [0]), ("cred1-no", 1, [1]), ("cred2-yes", 2, [0]),
               ("cred0-no-revote", 0, [1]), ("cred3-yes-audited", 3, [0])],
    "yes-no-blank": [("cred0-yes", 0, [0]), ("cred1-no", 1, [1]), ("cred2-blank", 2, [2])],
    "three-choose-0-2": [("cred0-none", 0, []), ("cred1-first", 1, [0]),
                         ("cred2-second-third", 2, [1, 2]), ("cred3-first-third", 3, [0, 2])],
}
AUDITED = ("yes-no", "cred3-yes-audited")


@cache
def ballot_set() -> tuple[list[Case], dict[str, Built]]:
    cases: list[Case] = []
    built: dict[str, Built] = {}
    for ename, items in VALID_BALLOTS.items():
        el = elections()[ename]
        for label, cred, selected in items:
            case, b = valid_ballot_case(el, label, cred, selected)
            cases.append(case)
            built[case["name"]] = b
    # The Benaloh audit of one ballot, and two audits that do not open (V9).
    el = elections()[AUDITED[0]]
    b = built[f"{AUDITED[0]}/{AUDITED[1]}"]
    audit = {"type": "audit", "ballot": b.entry, "choices": b.bits,
             "nonces": [sx(r) for r in b.nonces]}
    cases.append({"name": f"{el.name}/audit", "kind": "audit", "valid": True,
                  "election": el.name, "ballot": f"{AUDITED[0]}/{AUDITED[1]}", "entry": audit,
                  "bytes": hx(audit), "tracking_code": hash_parts("tracking", b.data).hex()})
    other = built["yes-no/cred1-no"]
    cases += [
        {"name": f"{el.name}/audit-choice-flipped", "kind": "audit", "valid": False,
         "election": el.name, "bytes": hx({**audit, "choices": [1 - m for m in b.bits]}),
         "expect_error": "V9", "note": "the stated choice is not what the ciphertext holds"},
        {"name": f"{el.name}/audit-other-nonce", "kind": "audit", "valid": False,
         "election": el.name,
         "bytes": hx({**audit, "nonces": [sx(r) for r in other.nonces]}),
         "expect_error": "V9", "note": "a nonce that does not open the ciphertext"},
    ]
    cases += invalid_ballots(built)
    return cases, built


def invalid_ballots(built: dict[str, Built]) -> list[Case]:
    out: list[Case] = []
    # -- yes/no: structure, signature, the 0/1 proof, canonical bytes
    el = elections()["yes-no"]
    a, a2 = built["yes-no/cred0-yes"], built["yes-no/cred0-no-revote"]
    ea = a.entry
    other_keys = el.keys[:-1]
    eh_other = hash_parts("election", GROUP_DESCRIPTION, el.mh, el.joint_key.encode(),
                          len(other_keys).to_bytes(8, "big"), credential_hash(other_keys))
    out.append(bad(el, "V5/other-election", build_ballot(
        el, 0, [1], "yes-no/bad/other-election", eh=eh_other).entry, "V5",
        "a well-formed ballot, proofs and signature valid, for the election hash of a "
        "credential list without its last key"))
    out.append(bad(el, "V5/two-selections", build_ballot(
        el, 0, [1, 0], "yes-no/bad/two-selections").entry, "V5",
        "2 selections where the election stores 1"))
    out.append(bad(el, "V5/no-selections", resign(el, {**ea, "selections": []}, 0, "empty"),
                   "V5", "0 selections"))
    out.append(bad(el, "V5/total-proof-present", build_ballot(
        el, 0, [1], "yes-no/bad/total-present", allowed=[0, 1]).entry, "V5",
        "a valid total proof over {0, 1}, but this election's total_proof must be null"))
    out.append(bad(el, "V5/total-proof-missing-key", resign(
        el, {k: v for k, v in ea.items() if k != "total_proof"}, 0, "no-total-key"), "V5",
        "the key total_proof must be present (with null)"))
    out.append(bad(el, "V5/extra-key", resign(el, {**ea, "comment": "x"}, 0, "extra"), "V5",
                   "a key that a ballot does not have"))

    def sel0(e: dict[str, Any], **kw: Any) -> dict[str, Any]:
        s = deepcopy(e)
        s["selections"][0].update(kw)
        return s

    out.append(bad(el, "V5/alpha-identity", resign(el, sel0(ea, alpha="00" * 33), 0, "id"),
                   "V5", "alpha is the identity (33 zero bytes): refused while decoding"))
    out.append(bad(el, "V5/beta-off-curve",
                   resign(el, sel0(ea, beta="02" + (5).to_bytes(32, "big").hex()), 0, "off"),
                   "V5", "beta is not a curve point"))
    e = deepcopy(ea)
    e["selections"][0]["proof"][0]["v"] = sx(ORDER)
    out.append(bad(el, "V5/response-equal-to-n", resign(el, e, 0, "v=n"), "V5",
                   "a proof response v = n: refused while decoding (a decoder that reads it "
                   "leniently must still refuse it, in the range check of V7)"))
    e = deepcopy(ea)
    e["selections"][0]["proof"].append(dict(e["selections"][0]["proof"][0]))
    out.append(bad(el, "V5/three-branches", resign(el, e, 0, "3br"), "V5",
                   "a 0/1 proof with 3 branches"))
    upper = {**ea, "credential": ea["credential"].upper()}
    out.append(bad(el, "V5/uppercase-hex", resign(el, upper, 0, "upper"), "V5",
                   "hex must be lowercase (the bytes are canonical JSON: only the field "
                   "decoder refuses this)"))
    out.append(bad(el, "V6/signed-by-another-credential", build_ballot(
        el, 0, [1], "yes-no/bad/other-signer", signer=el.creds[1][0]).entry, "V6",
        "credential 0's ballot signed with credential 1's secret"))
    out.append(bad(el, "V6/selection-replaced-after-signing",
                   {**ea, "selections": a2.entry["selections"]}, "V6",
                   "selection 0 replaced by the same credential's other, valid selection "
                   "(yes → no): every proof holds, only the signature fails"))
    not_a_key = {**ea, "credential": (5).to_bytes(32, "big").hex()}
    out.append(bad(el, "V6/credential-not-a-key", not_a_key, "V6",
                   "credential x = 5 is not the x coordinate of a curve point: the signature "
                   "check must refuse it (not crash)"))
    sig = bytearray(bytes.fromhex(ea["sig"]))
    sig[-1] ^= 1
    out.append(bad(el, "V6/sig-bit-flipped", {**ea, "sig": sig.hex()}, "V6",
                   "the last bit of the signature flipped"))
    out.append(bad(el, "V6/sig-of-unsigned-bytes", {**ea, "sig": bip340.sign(
        el.creds[0][0], hashlib.sha256(canonical_bytes(unsigned(ea))).digest(),
        det_bytes("yes-no/bad/plain-sha")).hex()}, "V6",
        "signed over SHA-256 of the entry instead of H(\"entry-sig\", …)"))
    e = deepcopy(ea)
    br = e["selections"][0]["proof"][1]
    v = sc(br["v"]) ^ 1
    assert v < ORDER
    br["v"] = sx(v)
    out.append(bad(el, "V7/bit-proof-response-bit-flipped", resign(el, e, 0, "flip-v"), "V7",
                   "one bit of a 0/1 proof's response flipped, re-signed: the challenges add up, "
                   "an equation fails"))
    e = deepcopy(ea)
    br = e["selections"][0]["proof"][0]
    br["c"] = sx(sc(br["c"]) ^ 1)
    out.append(bad(el, "V7/bit-proof-challenge-bit-flipped", resign(el, e, 0, "flip-c"), "V7",
                   "one bit of a 0/1 proof's challenge flipped, re-signed: Σc ≠ the hash"))
    e = deepcopy(ea)
    e["selections"][0]["proof"].reverse()
    out.append(bad(el, "V7/branches-swapped", resign(el, e, 0, "swap"), "V7",
                   "the branches of a 0/1 proof in the wrong order"))
    out.append(bad(el, "V7/copied-to-another-credential",
                   resign(el, {**ea, "credential": el.creds[1][1].hex()}, 1, "copy"), "V7",
                   "credential 0's ballot copied to credential 1 and re-signed by it: the "
                   "proofs are bound to credential 0 (Cortier–Smyth)"))
    out.append(bad(el, "V7/selection-encrypts-2", build_ballot(
        el, 0, [2], "yes-no/bad/encrypts-2", claims=[1]).entry, "V7",
        "a ciphertext of 2 with a cheating 0/1 proof (real branch 1): an equation fails"))
    out.append(bad(el, "V7/proof-for-other-ciphertext",
                   resign(el, sel0(ea, proof=a2.entry["selections"][0]["proof"]), 0, "mix"),
                   "V7", "the same credential's proof of another ciphertext"))
    data = a.data
    comma = data.index(b",")
    out.append(bad(el, "not_canonical/space-after-colon", data.replace(b'":', b'": ', 1),
                   "not_canonical", "one space after the first colon"))
    out.append(bad(el, "not_canonical/trailing-newline", data + b"\n", "not_canonical",
                   "a line feed after the object (the record's line separator is not part "
                   "of the entry)"))
    out.append(bad(el, "not_canonical/keys-unsorted",
                   json.dumps(ea, separators=(",", ":")).encode(), "not_canonical",
                   "keys in the builder's order type, election, …, not sorted"))
    out.append(bad(el, "not_canonical/escaped-letter",
                   data.replace(b'"type":"ballot"', b'"type":"\\u0062allot"'), "not_canonical",
                   "\\u0062 for b: parses to the same value, but is not the canonical form"))
    out.append(bad(el, "duplicate_key/credential-twice", data[:comma + 1] + data[1:],
                   "duplicate_key", "\"credential\" twice with the same value"))
    other_sig = '"sig":"' + "00" * 64 + '",'
    at = data.index(b'"sig":')
    out.append(bad(el, "duplicate_key/sig-twice", data[:at] + other_sig.encode() + data[at:],
                   "duplicate_key", "\"sig\" twice: JSON.parse would silently keep the last one"))
    # -- yes/no/blank: the implied last option and the total proof over {0, 1}
    el = elections()["yes-no-blank"]
    y = built["yes-no-blank/cred0-yes"]
    out.append(bad(el, "V5/one-selection", resign(
        el, {**y.entry, "selections": y.entry["selections"][:1]}, 0, "one"), "V5",
        "1 selection where the election stores 2 (the third option is implied)"))
    out.append(bad(el, "V5/three-selections", build_ballot(
        el, 0, [1, 0, 0], "yes-no-blank/bad/three", allowed=[0, 1]).entry, "V5",
        "all 3 options stored, with the implied last one written out"))
    out.append(bad(el, "V5/total-proof-null", build_ballot(
        el, 0, [1, 0], "yes-no-blank/bad/null-total", allowed=None).entry, "V5",
        "total_proof null where a proof over {0, 1} is required"))
    out.append(bad(el, "V5/total-proof-three-branches", build_ballot(
        el, 0, [1, 0], "yes-no-blank/bad/total-012", allowed=[0, 1, 2]).entry, "V5",
        "a total proof over {0, 1, 2}: 3 branches where 2 are required"))
    out.append(bad(el, "V8/yes-and-no", build_ballot(
        el, 0, [1, 1], "yes-no-blank/bad/both", total_claim=1).entry, "V8",
        "both stored options selected: two valid 0/1 proofs, the total 2 is outside {0, 1} and "
        "its proof (real branch 1) fails an equation"))
    out.append(bad(el, "V8/total-proof-of-another-ballot", resign(
        el, {**y.entry, "total_proof": built["yes-no-blank/cred2-blank"].entry["total_proof"]},
        0, "other-total"), "V8", "the total proof of another ballot: its challenge does not "
        "match"))
    # -- three options, choose 0..2: total proof over {0, 1, 2}
    el = elections()["three-choose-0-2"]
    t = built["three-choose-0-2/cred1-first"]
    out.append(bad(el, "V8/all-three-selected", build_ballot(
        el, 0, [1, 1, 1], "three-choose-0-2/bad/all", total_claim=2).entry, "V8",
        "three valid 0/1 proofs; the total 3 is outside {0, 1, 2} and its proof (real branch 2) "
        "fails an equation"))
    e = deepcopy(t.entry)
    e["total_proof"][0], e["total_proof"][2] = e["total_proof"][2], e["total_proof"][0]
    out.append(bad(el, "V8/total-branches-swapped", resign(el, e, 1, "swap-total"), "V8",
                   "total proof branches 0 and 2 swapped"))
    out.append(bad(el, "V5/total-proof-two-branches", build_ballot(
        el, 0, [1, 0, 0], "three-choose-0-2/bad/total-01", allowed=[0, 1]).entry, "V5",
        "a total proof over {0, 1}: 2 branches where 3 are required"))
    e = deepcopy(t.entry)
    e["selections"][2]["proof"][0]["c"] = bump_scalar(e["selections"][2]["proof"][0]["c"])
    out.append(bad(el, "V7/third-selection-challenge+1", resign(el, e, 1, "c+1"), "V7",
                   "selection 2's proof changed"))
    return out


def ballots_doc() -> dict[str, Any]:
    cases, _ = ballot_set()
    return document(
        "Ballots for the elections of election.json (joined by `election`). kind ballot, valid: "
        "credential secret, selected options, the stored 0/1 choices, the fixed random scalars "
        "`rand` in draw order (per stored selection i: r_i, u_i, then c_j, v_j for the one "
        "other value j; then the total proof's u, c_j, v_j for each other allowed j) and the "
        "BIP340 aux; the exact canonical bytes, the signing message, the tracking code "
        "H('tracking', bytes) and each proof's challenge preimage. kind audit: the Benaloh "
        "opening of one ballot. Invalid cases: bytes and expect_error, the check the verifier "
        "reports (V5–V9), or not_canonical / duplicate_key for bytes refused before any check.",
        "docs/spec.md §5.5–§5.6, §6.3–§6.4", cases)


# -- receipts: the RFC 9162 tree and checkpoints (spec §5.7, §8) -----------------------------

CHECKPOINT_TIMES = {6: 1_767_229_200, 9: 1_767_232_800}


def rfc_leaf(d: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + d).digest()


def rfc_node(a: bytes, b: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + a + b).digest()


def split(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def rfc_mth(leaves: list[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = split(len(leaves))
    return rfc_node(rfc_mth(leaves[:k]), rfc_mth(leaves[k:]))


def rfc_path(m: int, leaves: list[bytes]) -> list[bytes]:
    if len(leaves) == 1:
        return []
    k = split(len(leaves))
    if m < k:
        return rfc_path(m, leaves[:k]) + [rfc_mth(leaves[k:])]
    return rfc_path(m - k, leaves[k:]) + [rfc_mth(leaves[:k])]


def rfc_subproof(m: int, leaves: list[bytes], complete: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [rfc_mth(leaves)]
    k = split(n)
    if m <= k:
        return rfc_subproof(m, leaves[:k], complete) + [rfc_mth(leaves[k:])]
    return rfc_subproof(m - k, leaves[k:], False) + [rfc_mth(leaves[:k])]


def make_checkpoint(secret: bytes, election: str, size: int, root: bytes, time: int,
                    aux: bytes, board_key: bytes | None = None) -> dict[str, Any]:
    """The wire form of a checkpoint (spec §8.5), signed with fixed aux."""
    key = board_key or bip340.public_key(secret)
    body = {"board_key": key.hex(), "election": election, "root": root.hex(), "size": size,
            "time": time, "type": "checkpoint"}
    msg = hash_parts("checkpoint", canonical_bytes(body))
    return {**body, "sig": bip340.sign(secret, msg, aux).hex()}


def receipts_doc() -> dict[str, Any]:
    el = elections()["yes-no"]
    _, built = ballot_set()
    cases_, _ = ballot_set()
    audit = next(c for c in cases_ if c["name"] == "yes-no/audit")
    board: list[tuple[str, bytes]] = [
        ("manifest", canonical_bytes(el.manifest)),
        ("credentials", canonical_bytes(el.credential_entries[0])),
        ("credentials-final", canonical_bytes(el.credential_entries[1])),
        ("open", canonical_bytes(el.open_entry)),
        ("ballot yes-no/cred0-yes", built["yes-no/cred0-yes"].data),
        ("ballot yes-no/cred1-no", built["yes-no/cred1-no"].data),
        ("audit yes-no/audit", bytes.fromhex(audit["bytes"])),
        ("ballot yes-no/cred2-yes", built["yes-no/cred2-yes"].data),
        ("ballot yes-no/cred0-no-revote", built["yes-no/cred0-no-revote"].data),
    ]
    data = [d for _, d in board]
    leaves = [rfc_leaf(d) for d in data]
    n = len(leaves)
    cases: list[Case] = [{
        "name": "board/yes-no", "kind": "board", "election": el.name,
        "labels": [lab for lab, _ in board], "entries": [d.hex() for d in data],
        "leaf_hashes": [h.hex() for h in leaves],
        "roots": [rfc_mth(leaves[:s]).hex() for s in range(n + 1)],
    }]
    for size in (6, n):
        for m in range(size):
            cases.append({"name": f"inclusion/{m}-of-{size}", "kind": "inclusion", "size": size,
                          "index": m, "leaf_hash": leaves[m].hex(),
                          "path": [p.hex() for p in rfc_path(m, leaves[:size])],
                          "root": rfc_mth(leaves[:size]).hex()})
    for old in (1, 4, 6, 8):
        cases.append({"name": f"consistency/{old}-to-{n}", "kind": "consistency",
                      "old_size": old, "new_size": n, "old_root": rfc_mth(leaves[:old]).hex(),
                      "new_root": rfc_mth(leaves[:n]).hex(),
                      "proof": [p.hex() for p in rfc_subproof(old, leaves[:n], True)]})
    c6 = next(c for c in cases if c["name"] == f"consistency/6-to-{n}")
    flipped = deepcopy(c6)
    flipped["proof"][1] = hashlib.sha256(b"not a node").hexdigest()
    cases += [
        {**flipped, "name": "consistency/6-to-9-element-replaced", "valid": False,
         "expect_error": "consistency_failed", "note": "proof[1] replaced"},
        {**c6, "name": "consistency/6-to-9-wrong-old-root", "valid": False,
         "old_root": rfc_mth(leaves[:5]).hex(), "expect_error": "consistency_failed",
         "note": "old_root is the root at size 5"},
        {**c6, "name": "consistency/6-to-9-element-dropped", "valid": False,
         "proof": c6["proof"][:-1], "expect_error": "consistency_failed",
         "note": "last proof element dropped"},
    ]
    mh = el.mh.hex()
    checkpoints = {}
    for size in (6, n):
        aux = det_bytes(f"receipts/checkpoint/{size}/aux")
        cp = make_checkpoint(el.board, mh, size, rfc_mth(leaves[:size]), CHECKPOINT_TIMES[size],
                             aux)
        checkpoints[size] = cp
        body = canonical_bytes(unsigned(cp))
        cases.append({"name": f"checkpoint/{size}", "kind": "checkpoint",
                      "board_secret": el.board.hex(), "aux": aux.hex(), "election": mh,
                      "size": size, "root": cp["root"], "time": cp["time"],
                      "board_key": cp["board_key"], "body": body.decode(),
                      "body_hex": body.hex(),
                      "message_preimage": encode_parts("checkpoint", (body,)).hex(),
                      "message": hash_parts("checkpoint", body).hex(), "sig": cp["sig"],
                      "wire": cp, "wire_hex": hx(cp)})

    def receipt(index: int, cp: dict[str, Any], tracking: bytes) -> dict[str, Any]:
        return {"tracking_code": tracking.hex(), "index": index, "leaf_hash": leaves[index].hex(),
                "path": [p.hex() for p in rfc_path(index, leaves[:cp["size"]])],
                "checkpoint": cp}

    t5 = hash_parts("tracking", data[5])
    base = {"name": "receipt/ballot-5-of-9", "kind": "receipt", "valid": True,
            "manifest_hash": mh, "board_key": el.manifest["board_key"], "entry_index": 5,
            "receipt": receipt(5, checkpoints[n], t5)}
    audit_ballot = built["yes-no/cred3-yes-audited"].data
    cases += [
        base,
        {**base, "name": "receipt/ballot-4-of-6", "entry_index": 4,
         "receipt": receipt(4, checkpoints[6], hash_parts("tracking", data[4]))},
        {**base, "name": "receipt/audit-6-of-9", "entry_index": 6,
         "receipt": receipt(6, checkpoints[n], hash_parts("tracking", audit_ballot)),
         "note": "an audit entry: the tracking code is of the inner ballot's canonical bytes, "
                 "the leaf hash of the whole audit entry"},
    ]
    other_secret = det_secret("receipts/other-board")
    aux = det_bytes("receipts/other/aux")
    root9 = bytes.fromhex(checkpoints[n]["root"])
    t9 = CHECKPOINT_TIMES[n]

    def bad_receipt(name: str, expect: str, note: str, **changes: Any) -> Case:
        r = deepcopy(base["receipt"])
        r.update(changes)
        return {**base, "name": f"receipt/{name}", "valid": False, "receipt": r,
                "expect_error": expect, "note": note}

    path = base["receipt"]["path"]
    cp9 = checkpoints[n]
    cases += [
        bad_receipt("tracking-code-of-another-ballot", "tracking_mismatch",
                    "the tracking code of entry 4", tracking_code=hash_parts(
                        "tracking", data[4]).hex()),
        bad_receipt("leaf-hash-of-another-entry", "leaf_mismatch",
                    "the leaf hash of entry 4 (path and index of entry 5)",
                    leaf_hash=leaves[4].hex()),
        bad_receipt("checkpoint-of-another-election", "wrong_election",
                    "signed by the board key, for another election id",
                    checkpoint=make_checkpoint(el.board, hashlib.sha256(b"other").hexdigest(), n,
                                               root9, t9, aux)),
        bad_receipt("checkpoint-signed-by-another-key", "wrong_board_key",
                    "a valid checkpoint of another key that names itself as board_key",
                    checkpoint=make_checkpoint(other_secret, mh, n, root9, t9, aux)),
        bad_receipt("checkpoint-board-key-but-other-signer", "bad_signature",
                    "names the manifest's board key, signed by another key",
                    checkpoint=make_checkpoint(other_secret, mh, n, root9, t9, aux,
                                               board_key=bytes.fromhex(el.manifest["board_key"]))),
        bad_receipt("checkpoint-time-changed", "bad_signature", "time + 1 after signing",
                    checkpoint={**cp9, "time": t9 + 1}),
        bad_receipt("checkpoint-size-and-root-of-6", "bad_signature",
                    "size and root of the size-6 checkpoint with the size-9 signature",
                    checkpoint={**cp9, "size": 6, "root": checkpoints[6]["root"]}),
        bad_receipt("path-element-replaced", "inclusion_failed", "path[1] replaced",
                    path=[path[0], hashlib.sha256(b"not a node").hexdigest(), *path[2:]]),
        bad_receipt("path-elements-swapped", "inclusion_failed", "path[0] and path[1] swapped",
                    path=[path[1], path[0], *path[2:]]),
        bad_receipt("path-element-dropped", "inclusion_failed", "path one element short",
                    path=path[:-1]),
        bad_receipt("path-element-added", "inclusion_failed", "path one element long",
                    path=[*path, path[-1]]),
        bad_receipt("wrong-index", "inclusion_failed", "index 4 with entry 5's leaf and path",
                    index=4),
        bad_receipt("index-not-below-size", "inclusion_failed", "index 9 in a tree of size 9",
                    index=9),
        bad_receipt("path-from-size-6", "inclusion_failed",
                    "entry 5's path in the size-6 tree against the size-9 checkpoint",
                    path=[p.hex() for p in rfc_path(5, leaves[:6])]),
        bad_receipt("checkpoint-uppercase-hex", "bad_checkpoint", "root in upper case",
                    checkpoint={**cp9, "root": cp9["root"].upper()}),
        bad_receipt("checkpoint-size-as-string", "bad_checkpoint", "size \"9\"",
                    checkpoint={**cp9, "size": str(n)}),
        bad_receipt("checkpoint-missing-type", "bad_checkpoint", "no type key",
                    checkpoint={k: v for k, v in cp9.items() if k != "type"}),
    ]
    return document(
        "The board of the yes-no election (manifest, credentials, open, ballots, an audit: "
        "entries need not pass the ledger here) as an RFC 9162 tree: leaf_hash = "
        "SHA-256(00 ‖ entry), node = SHA-256(01 ‖ l ‖ r); roots at every size, inclusion and "
        "consistency proofs, checkpoints signed with fixed aux (body = JCS of the six fields, "
        "message = H('checkpoint', body)), and voter receipts {tracking_code, index, leaf_hash, "
        "path, checkpoint} with the first failing step of the receipt check in expect_error "
        "(docs/vectors.md).",
        "docs/spec.md §5.7, §8.1–§8.5", cases)


# -- witness cosignatures (spec §5.2 "witnesses", §5.7, §8.8) -----------------------------------

COSIGN_TIMES = {6: 1_767_229_260, 9: 1_767_232_860}


def witness_secrets() -> list[bytes]:
    """Witnesses 0, 1, 2 are listed in the witnessed manifest; witness 3 never is."""
    return [det_secret(f"cosignatures/witness/{i}") for i in range(4)]


def cosignature_body(cp: dict[str, Any], witness: bytes, time: int) -> dict[str, Any]:
    """The body a witness signs (§8.8): the checkpoint's 32-byte message, election, size."""
    cp_msg = hash_parts("checkpoint", canonical_bytes(unsigned(cp)))
    return {"checkpoint": cp_msg.hex(), "election": cp["election"], "size": cp["size"],
            "time": time, "type": "cosignature", "witness": witness.hex()}


def sign_cosignature(body: dict[str, Any], secret: bytes, aux: bytes) -> dict[str, Any]:
    msg = hash_parts("cosignature", canonical_bytes(body))
    return {**body, "sig": bip340.sign(secret, msg, aux).hex()}


def first_bad_x() -> bytes:
    """The smallest x below p that is not the x coordinate of a curve point."""
    x = 1
    while pow(x ** 3 + 7, (FIELD - 1) // 2, FIELD) == 1:
        x += 1
    return x.to_bytes(32, "big")


def cosignatures_doc() -> dict[str, Any]:
    el = elections()["yes-no"]
    ws = witness_secrets()
    wk = [bip340.public_key(w) for w in ws]
    policy = {"keys": [k.hex() for k in wk[:3]], "threshold": 2}
    cases: list[Case] = []

    # -- manifests ---------------------------------------------------------------------------
    def witnessed_manifest(witnesses: Any, label: str) -> dict[str, Any]:
        return signed({**unsigned(el.manifest), "witnesses": witnesses}, el.organizer,
                      det_bytes(f"cosignatures/manifest/{label}/aux"))

    manifest = witnessed_manifest(policy, "2-of-3")
    mh = hash_parts("manifest", canonical_bytes(manifest)).hex()
    cases.append({"name": "manifest/witnesses-2-of-3", "kind": "manifest", "valid": True,
                  "organizer_secret": el.organizer.hex(),
                  "aux": det_bytes("cosignatures/manifest/2-of-3/aux").hex(),
                  "manifest": manifest, "manifest_hex": hx(manifest), "manifest_hash": mh,
                  "witnesses": policy})
    cases.append({"name": "manifest/without-witnesses", "kind": "manifest", "valid": True,
                  "manifest": el.manifest, "manifest_hex": hx(el.manifest),
                  "manifest_hash": el.mh.hex(), "witnesses": {"keys": [], "threshold": 0},
                  "note": "the yes-no manifest of election.json: no witnesses field, none "
                          "required"})
    k0, k1, k2 = policy["keys"]
    for name, witnesses, expect in [
        ("threshold-0", {"keys": [k0, k1, k2], "threshold": 0}, "bad_field"),
        ("threshold-above-keys", {"keys": [k0, k1, k2], "threshold": 4}, "bad_field"),
        ("threshold-as-string", {"keys": [k0, k1, k2], "threshold": "2"}, "bad_field"),
        ("threshold-true", {"keys": [k0, k1, k2], "threshold": True}, "bad_field"),
        ("no-keys", {"keys": [], "threshold": 1}, "bad_field"),
        ("65-keys", {"keys": [k0] * 65, "threshold": 1}, "bad_field"),
        ("keys-not-a-list", {"keys": k0, "threshold": 1}, "bad_field"),
        ("key-uppercase-hex", {"keys": [k0.upper(), k1], "threshold": 1}, "bad_encoding"),
        ("key-63-bytes", {"keys": [k0[:-2], k1], "threshold": 1}, "bad_encoding"),
        ("key-not-on-curve", {"keys": [k0, first_bad_x().hex()], "threshold": 1},
         "bad_point"),
        ("key-not-below-p", {"keys": ["ff" * 32], "threshold": 1}, "bad_point"),
        ("keys-repeated", {"keys": [k0, k1, k0], "threshold": 2}, "bad_field"),
        ("extra-field", {"keys": [k0], "threshold": 1, "weights": [1]}, "bad_field"),
        ("missing-threshold", {"keys": [k0]}, "bad_field"),
        ("not-an-object", [k0], "bad_field"),
    ]:
        bad_m = witnessed_manifest(witnesses, name)
        cases.append({"name": f"manifest/{name}", "kind": "manifest", "valid": False,
                      "manifest": bad_m, "expect_error": expect,
                      "note": "signed by the organizer; refused for its witnesses field"})
    # named witnesses: "names", one {"en", "fa"} per key in the order of keys (each 1..200
    # characters); the keys and threshold are checked first, so their errors come first
    names = [{"en": "Witness 1 (Daily Newspaper)", "fa": "گواه ۱ (روزنامه)"},
             {"en": "Witness 2 (Lawyers' Association)", "fa": "گواه ۲ (کانون وکلا)"},
             {"en": "Witness 3", "fa": "گواه ۳"}]
    named_policy = {**policy, "names": names}
    named_m = witnessed_manifest(named_policy, "named")
    cases.append({"name": "manifest/witnesses-named", "kind": "manifest", "valid": True,
                  "organizer_secret": el.organizer.hex(),
                  "aux": det_bytes("cosignatures/manifest/named/aux").hex(),
                  "manifest": named_m, "manifest_hex": hx(named_m),
                  "manifest_hash": hash_parts("manifest", canonical_bytes(named_m)).hex(),
                  "witnesses": named_policy,
                  "note": "the 2-of-3 witnesses, each named in English and Persian"})
    n0, n1, n2 = names
    keys3 = [k0, k1, k2]
    for name, witnesses, expect in [
        ("names-too-few", {"keys": keys3, "threshold": 2, "names": [n0, n1]}, "bad_field"),
        ("names-too-many", {"keys": keys3, "threshold": 2, "names": [n0, n1, n2, n0]},
         "bad_field"),
        ("names-empty-list", {"keys": keys3, "threshold": 2, "names": []}, "bad_field"),
        ("names-not-a-list", {"keys": keys3, "threshold": 2, "names": n0}, "bad_field"),
        ("name-missing-fa", {"keys": keys3, "threshold": 2,
                             "names": [n0, {"en": "Witness 2"}, n2]}, "bad_field"),
        ("name-extra-field", {"keys": keys3, "threshold": 2,
                              "names": [n0, n1, {**n2, "url": "https://example.org"}]},
         "bad_field"),
        ("name-empty", {"keys": keys3, "threshold": 2,
                        "names": [n0, {"en": "", "fa": "گواه ۲"}, n2]}, "bad_field"),
        ("name-201-characters", {"keys": keys3, "threshold": 2,
                                 "names": [n0, n1, {"en": "W" * 201, "fa": "گواه ۳"}]},
         "bad_field"),
        ("name-not-a-string", {"keys": keys3, "threshold": 2,
                               "names": [n0, n1, {"en": "Witness 3", "fa": 3}]}, "bad_field"),
        ("name-a-string", {"keys": keys3, "threshold": 2, "names": [n0, n1, "Witness 3"]},
         "bad_field"),
        ("names-wrong-and-key-not-on-curve",
         {"keys": [k0, first_bad_x().hex()], "threshold": 1, "names": [n0]}, "bad_point"),
        ("names-wrong-and-key-uppercase",
         {"keys": [k0.upper(), k1], "threshold": 1, "names": "none"}, "bad_encoding"),
    ]:
        bad_m = witnessed_manifest(witnesses, name)
        cases.append({"name": f"manifest/{name}", "kind": "manifest", "valid": False,
                      "manifest": bad_m, "expect_error": expect,
                      "note": "signed by the organizer; refused for its witnesses field"})

    # -- the witnessed board and its checkpoints (the receipts board, its manifest replaced) ---
    _, built = ballot_set()
    board = [canonical_bytes(manifest), canonical_bytes(el.credential_entries[0]),
             canonical_bytes(el.credential_entries[1]), canonical_bytes(el.open_entry),
             *(built[k].data for k in ("yes-no/cred0-yes", "yes-no/cred1-no",
                                        "yes-no/cred2-yes", "yes-no/cred0-no-revote",
                                        "yes-no/cred1-no"))]
    leaves = [rfc_leaf(d) for d in board]
    n = len(leaves)
    cases.append({"name": "board/witnessed", "kind": "board", "entries": [d.hex() for d in board],
                  "note": "the receipts.json board with the witnessed manifest as entry 0"})
    cps: dict[int, dict[str, Any]] = {}
    for size in (6, n):
        aux = det_bytes(f"cosignatures/checkpoint/{size}/aux")
        cps[size] = make_checkpoint(el.board, mh, size, rfc_mth(leaves[:size]),
                                    CHECKPOINT_TIMES[size], aux)
        cases.append({"name": f"checkpoint/{size}", "kind": "checkpoint",
                      "board_key": cps[size]["board_key"], "election": mh, "size": size,
                      "aux": aux.hex(), "wire": cps[size], "wire_hex": hx(cps[size]),
                      "message": hash_parts("checkpoint",
                                            canonical_bytes(unsigned(cps[size]))).hex()})

    # -- valid cosignatures ------------------------------------------------------------------
    made: dict[tuple[int, int], dict[str, Any]] = {}
    for size, w in ((n, 0), (n, 1), (n, 2), (6, 0), (n, 3)):
        aux = det_bytes(f"cosignatures/{size}/witness-{w}/aux")
        body = cosignature_body(cps[size], wk[w], COSIGN_TIMES[size] + w)
        wire = sign_cosignature(body, ws[w], aux)
        made[(size, w)] = wire
        raw = canonical_bytes(body)
        cases.append({
            "name": f"cosignature/witness-{w}-of-{size}", "kind": "cosignature", "valid": True,
            "witness_secret": ws[w].hex(), "aux": aux.hex(), "checkpoint": cps[size],
            "checkpoint_message": body["checkpoint"], "witness": wk[w].hex(),
            "time": body["time"], "body": raw.decode(), "body_hex": raw.hex(),
            "message_preimage": encode_parts("cosignature", (raw,)).hex(),
            "message": hash_parts("cosignature", raw).hex(), "sig": wire["sig"],
            "wire": wire, "wire_hex": hx(wire),
            **({"note": "witness 3 is listed in no manifest: valid as a signature, never "
                        "counted"} if w == 3 else {})})

    # -- cosignatures that do not verify -----------------------------------------------------
    c9 = made[(n, 0)]
    other_cp6 = hash_parts("checkpoint", canonical_bytes(unsigned(cps[6]))).hex()

    def resigned(name: str, **changes: Any) -> dict[str, Any]:
        body = {**unsigned(c9), **changes}
        return sign_cosignature(body, ws[0], det_bytes(f"cosignatures/bad/{name}/aux"))

    sig = bytes.fromhex(c9["sig"])
    for name, wire, against, expect, note in [
        ("of-checkpoint-6-checked-against-9", made[(6, 0)], cps[n], "wrong_checkpoint",
         "a valid cosignature of the size-6 checkpoint"),
        ("message-of-checkpoint-6", resigned("message-6", checkpoint=other_cp6), cps[n],
         "wrong_checkpoint", "size 9, the size-6 checkpoint's message, signed by the witness"),
        ("size-changed", resigned("size", size=6), cps[n], "wrong_checkpoint",
         "the size-9 message with size 6, signed by the witness"),
        ("election-changed", resigned("election", election=hashlib.sha256(b"other").hexdigest()),
         cps[n], "wrong_checkpoint", "another election id, signed by the witness"),
        ("sig-bit-flipped", {**c9, "sig": (bytes([sig[0] ^ 1]) + sig[1:]).hex()}, cps[n],
         "bad_signature", "first signature byte xor 1"),
        ("time-changed-after-signing", {**c9, "time": c9["time"] + 1}, cps[n], "bad_signature",
         "time + 1 after signing"),
        ("signed-by-another-witness",
         sign_cosignature(unsigned(c9), ws[3], det_bytes("cosignatures/bad/other/aux")), cps[n],
         "bad_signature", "names witness 0, signed by witness 3"),
        ("witness-not-a-key", {**c9, "witness": first_bad_x().hex()}, cps[n], "bad_signature",
         "the witness field is no curve x coordinate"),
    ]:
        cases.append({"name": f"cosignature/{name}", "kind": "cosignature", "valid": False,
                      "checkpoint": against, "wire": wire, "wire_hex": hx(wire),
                      "expect_error": expect, "note": note})

    # -- wire forms that do not parse --------------------------------------------------------
    def wire_case(name: str, data: bytes, expect: str, note: str) -> Case:
        return {"name": f"cosignature-wire/{name}", "kind": "cosignature-wire", "valid": False,
                "wire_hex": data.hex(), "expect_error": expect, "note": note}

    cases += [
        wire_case("missing-sig", canonical_bytes(unsigned(c9)), "bad_cosignature", "no sig"),
        wire_case("extra-key", canonical_bytes({**c9, "board_key": cps[n]["board_key"]}),
                  "bad_cosignature", "an eighth key"),
        wire_case("type-checkpoint", canonical_bytes({**c9, "type": "checkpoint"}),
                  "bad_cosignature", 'type "checkpoint"'),
        wire_case("witness-uppercase", canonical_bytes({**c9, "witness": c9["witness"].upper()}),
                  "bad_cosignature", "witness key in upper case"),
        wire_case("sig-63-bytes", canonical_bytes({**c9, "sig": c9["sig"][:-2]}),
                  "bad_cosignature", "sig one byte short"),
        wire_case("checkpoint-31-bytes", canonical_bytes({**c9, "checkpoint":
                                                          c9["checkpoint"][2:]}),
                  "bad_cosignature", "checkpoint message one byte short"),
        wire_case("size-as-string", canonical_bytes({**c9, "size": "9"}), "bad_cosignature",
                  'size "9"'),
        wire_case("size-negative", canonical_bytes({**c9, "size": -1}), "bad_cosignature",
                  "size -1"),
        wire_case("size-true", canonical_bytes({**c9, "size": True}), "bad_cosignature",
                  "size true"),
        wire_case("time-2^53", canonical_bytes({**c9, "time": 1 << 52}).replace(
            b"4503599627370496", b"9007199254740992"), "not_canonical",
            "time 2^53: beyond the integers JSON carries exactly"),
        wire_case("not-an-object", canonical_bytes([c9]), "bad_cosignature", "a list"),
        wire_case("whitespace", canonical_bytes(c9).replace(b'","', b'", "', 1),
                  "not_canonical", "a space after a comma"),
        wire_case("keys-out-of-order", b"{" + b",".join(
            json.dumps(k).encode() + b":" + json.dumps(c9[k]).encode()
            for k in sorted(c9, reverse=True)) + b"}", "not_canonical", "keys in reverse order"),
    ]

    # -- who counts: WitnessPolicy.valid_cosigners and require -------------------------------
    forged = {**made[(n, 1)], "sig": c9["sig"]}
    again = sign_cosignature({**unsigned(c9), "time": c9["time"] + 60}, ws[0],
                             det_bytes("cosignatures/again/aux"))

    def policy_case(name: str, pol: dict[str, Any], css: list[dict[str, Any]],
                    cosigners: list[int], note: str) -> Case:
        ok_ = len(cosigners) >= pol["threshold"]
        keys = sorted(wk[w] for w in cosigners)
        return {"name": f"policy/{name}", "kind": "policy", "policy": pol, "checkpoint": cps[n],
                "cosignatures": css, "cosigners": [k.hex() for k in keys],
                "valid": ok_, **({} if ok_ else {"expect_error": "not_witnessed"}),
                "note": note}

    no_witnesses = {"keys": [], "threshold": 0}
    cases += [
        policy_case("2-of-3", policy, [made[(n, 0)], made[(n, 2)]], [0, 2], "threshold met"),
        policy_case("3-of-3", policy, [made[(n, 2)], made[(n, 1)], made[(n, 0)]], [0, 1, 2],
                    "any order; cosigners sorted by key"),
        policy_case("1-of-3", policy, [made[(n, 1)]], [1], "one short of the threshold"),
        policy_case("valid-and-forged", policy, [made[(n, 0)], forged], [0],
                    "witness 1's cosignature with witness 0's signature does not count"),
        policy_case("valid-and-unlisted", policy, [made[(n, 0)], made[(n, 3)]], [0],
                    "witness 3 is not listed"),
        policy_case("same-witness-twice", policy, [made[(n, 0)], again], [0],
                    "two valid cosignatures by witness 0 count once"),
        policy_case("of-another-checkpoint", policy, [made[(6, 0)], made[(n, 1)]], [1],
                    "witness 0 cosigned the size-6 checkpoint only"),
        policy_case("none", policy, [], [], "no cosignature"),
        policy_case("all-valid-plus-forged", policy,
                    [made[(n, 0)], made[(n, 1)], {**made[(n, 2)], "time": 1}], [0, 1],
                    "an invalid cosignature beside enough valid ones does not matter"),
        policy_case("no-witnesses-listed", no_witnesses, [], [],
                    "a manifest without witnesses: every checkpoint is witnessed"),
        policy_case("no-witnesses-listed-ignores-cosignatures", no_witnesses, [made[(n, 0)]], [],
                    "nobody is listed, so nobody counts; none are required"),
    ]

    # -- receipts of the witnessed election (spec §5.7) --------------------------------------
    index = 5
    t5 = hash_parts("tracking", board[index])

    def receipt(cosigs: list[dict[str, Any]] | None, **changes: Any) -> dict[str, Any]:
        r: dict[str, Any] = {"tracking_code": t5.hex(), "index": index,
                             "leaf_hash": leaves[index].hex(),
                             "path": [p.hex() for p in rfc_path(index, leaves[:n])],
                             "checkpoint": cps[n]}
        if cosigs is not None:
            r["cosignatures"] = cosigs
        return {**r, **changes}

    def receipt_case(name: str, r: dict[str, Any], cosigners: list[int], note: str,
                     expect: str | None = None) -> Case:
        if expect is None and len(cosigners) < 2:
            expect = "not_witnessed"
        return {"name": f"receipt/{name}", "kind": "receipt", "manifest_hash": mh,
                "board_key": cps[n]["board_key"], "witnesses": policy,
                "entry_index": index, "receipt": r,
                "cosigners": [k.hex() for k in sorted(wk[w] for w in cosigners)],
                "valid": expect is None, **({} if expect is None else {"expect_error": expect}),
                "note": note}

    path = receipt(None)["path"]
    cases += [
        receipt_case("witnessed-2-of-3", receipt([made[(n, 0)], made[(n, 2)]]), [0, 2],
                     "entry 5 of the witnessed board, checkpoint 9 cosigned by witnesses 0, 2"),
        receipt_case("witnessed-3-of-3", receipt([made[(n, w)] for w in (0, 1, 2)]), [0, 1, 2],
                     "every witness"),
        receipt_case("one-cosignature", receipt([made[(n, 1)]]), [1],
                     "1 of the 2 required: not witnessed (the booth keeps waiting)"),
        receipt_case("no-cosignatures-field", receipt(None), [],
                     "a receipt without cosignatures in an election that requires them"),
        receipt_case("second-cosignature-forged", receipt([made[(n, 0)], forged]), [0],
                     "the forged one does not count"),
        receipt_case("unlisted-witness", receipt([made[(n, 0)], made[(n, 3)]]), [0],
                     "witness 3 is not in the manifest"),
        receipt_case("cosignatures-of-checkpoint-6",
                     receipt([made[(6, 0)], made[(n, 1)]]), [1],
                     "witness 0 cosigned an older checkpoint, not the receipt's"),
        receipt_case("same-witness-twice", receipt([made[(n, 0)], again]), [0],
                     "one witness counts once"),
        receipt_case("two-valid-and-one-forged",
                     receipt([made[(n, 0)], made[(n, 1)], {**made[(n, 2)], "time": 1}]),
                     [0, 1], "enough valid cosignatures; the invalid one is not counted"),
        receipt_case("malformed-cosignature",
                     receipt([made[(n, 0)], made[(n, 1)], {**made[(n, 2)], "size": "9"}]),
                     [], "a cosignature of the wrong form: the receipt is malformed",
                     "bad_cosignature"),
        receipt_case("cosignatures-not-a-list", receipt(None, cosignatures=made[(n, 0)]),
                     [], "cosignatures must be a list", "bad_cosignature"),
        receipt_case("path-element-replaced-though-cosigned",
                     receipt([made[(n, 0)], made[(n, 2)]],
                             path=[path[0], hashlib.sha256(b"not a node").hexdigest(),
                                   *path[2:]]),
                     [], "cosignatures do not make a bad inclusion proof good",
                     "inclusion_failed"),
    ]
    return document(
        "Witness cosignatures of checkpoints (spec §8.8): body = JCS {checkpoint: the "
        "checkpoint's 32-byte message, election, size, time, type: 'cosignature', witness}, "
        "message = H('cosignature', body), BIP340 with fixed aux. A manifest with the optional "
        "'witnesses' field {keys, threshold, optional names: one {en, fa} per key} (§5.2) and "
        "its refusals; the yes-no receipts board "
        "with that manifest as entry 0, its checkpoints, valid and refused cosignatures, who "
        "counts towards the threshold (one valid cosignature per listed witness), and receipts "
        "whose checkpoint needs the threshold of cosignatures (§5.7) (docs/vectors.md).",
        "docs/spec.md §5.2, §5.7, §8.8", cases)


# -- output ----------------------------------------------------------------------------------

BUILDERS: dict[str, Callable[[], dict[str, Any]]] = {
    "hashing.json": hashing_doc,
    "points.json": points_doc,
    "elgamal.json": elgamal_doc,
    "proofs.json": proofs_doc,
    "canonical.json": canonical_doc,
    "election.json": election_doc,
    "credentials.json": credentials_doc,
    "ballots.json": ballots_doc,
    "receipts.json": receipts_doc,
    "cosignatures.json": cosignatures_doc,
}


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def build() -> dict[str, str]:
    """File name → exact file text."""
    return {name: render(fn()) for name, fn in BUILDERS.items()}


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for name, text in build().items():
        path = HERE / name
        old = path.read_text(encoding="utf-8") if path.exists() else None
        if old != text:
            stale.append(name)
            if not check:
                path.write_text(text, encoding="utf-8")
    if check and stale:
        print("stale vectors:", ", ".join(stale), file=sys.stderr)
        return 1
    print(("would change: " if check else "wrote: ") + (", ".join(stale) or "nothing"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
