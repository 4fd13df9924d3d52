"""Regenerate the shared cross-implementation test vectors (see docs/vectors.md).

    .venv/bin/python tests/vectors/generate.py           rewrite the JSON files
    .venv/bin/python tests/vectors/generate.py --check   exit 1 if any file would change

Everything is deterministic: every scalar, proof nonces included, comes from `det_scalar(label)`.
Proofs are assembled here from the equations of spec §6 (the same equations as
hamaporsi.crypto.proofs) with those fixed nonces; only the library's point arithmetic and hash
functions are used, nothing of the curve is reimplemented. tests/vectors/test_vectors.py checks
that the library reproduces, accepts and rejects every case, and that this script reproduces
the files byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable
from copy import deepcopy
from pathlib import Path
from typing import Any

from hamaporsi.crypto.group import FIELD, ORDER, Point, scalar_bytes
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


# -- output ----------------------------------------------------------------------------------

BUILDERS: dict[str, Callable[[], dict[str, Any]]] = {
    "hashing.json": hashing_doc,
    "points.json": points_doc,
    "elgamal.json": elgamal_doc,
    "proofs.json": proofs_doc,
    "canonical.json": canonical_doc,
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
