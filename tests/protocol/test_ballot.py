"""Encrypted ballots (spec §5.5, §5.6): round trips for each kind of election, and the ways a
ballot is refused — copied, for another election, malformed, a total out of range, a bad audit."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from hamaporsi.crypto import bip340
from hamaporsi.crypto.elgamal import Ciphertext, encrypt
from hamaporsi.crypto.errors import CryptoError
from hamaporsi.crypto.group import ORDER, Point, random_scalar, scalar_bytes
from hamaporsi.crypto.proofs import Batch, prove_in_set
from hamaporsi.protocol import codec
from hamaporsi.protocol.ballot import (BIT, choice_vector, counted_totals, encrypt_ballot,
                                       tracking_code, verify_audit, verify_ballot)
from hamaporsi.protocol.canonical import canonical_bytes, parse_canonical
from hamaporsi.protocol.ceremony import TrusteeKeys
from hamaporsi.protocol.credentials import Credential
from hamaporsi.protocol.election import TOTAL_INDEX, ElectionContext
from hamaporsi.protocol.errors import MalformedInput, ProtocolError, Rejected
from hamaporsi.protocol.manifest import Text, build_manifest, parse_manifest
from hamaporsi.protocol.signing import sign_entry

# -- an election without a ceremony: one joint secret x held by the test ------------------------


class Election:
    def __init__(self, options: int, lo: int, hi: int, *, credentials: int = 3) -> None:
        organizer = bip340.generate_secret()
        trustee = TrusteeKeys.generate()
        unsigned = build_manifest(
            election_id="ballot-test", question=Text(fa="پرسش؟", en="Question?"),
            options=[Text(fa=f"گزینه {i}", en=f"Option {i}") for i in range(options)],
            min_selections=lo, max_selections=hi, opens=1_700_000_000, closes=1_700_086_400,
            organizer_key=bip340.public_key(organizer),
            registrar_key=bip340.public_key(bip340.generate_secret()),
            board_key=bip340.public_key(bip340.generate_secret()),
            trustees=[trustee.public_info("T1")], threshold=1)
        self.manifest = parse_manifest(sign_entry(unsigned, organizer))
        self.x = random_scalar()
        self.creds = [Credential.generate() for _ in range(credentials)]
        self.ctx = self.context(bytes(32))

    def context(self, credential_hash: bytes) -> ElectionContext:
        return ElectionContext.create(self.manifest, Point.mul_g(self.x), len(self.creds),
                                      credential_hash)

    def decrypt(self, ct: Ciphertext, bound: int = 8) -> int:
        t = ct.beta - ct.alpha.mul(self.x)
        return next(m for m in range(bound + 1) if Point.mul_g(m) == t)


def check_of(e: BaseException) -> str | None:
    return getattr(e, "check", None)


CONFIGS = [  # (options, min, max)
    (2, 1, 1), (3, 1, 1), (3, 0, 1), (3, 0, 2), (4, 2, 2), (3, 0, 3)]


def selections(options: int, lo: int, hi: int) -> list[list[int]]:
    return [list(c) for k in range(lo, hi + 1) for c in itertools.combinations(range(options), k)]


@pytest.mark.parametrize("options,lo,hi", CONFIGS, ids=[f"{o}opt-{a}-{b}" for o, a, b in CONFIGS])
def test_round_trip(options: int, lo: int, hi: int) -> None:
    el = Election(options, lo, hi)
    m, ctx = el.manifest, el.ctx
    cred = el.creds[0]
    for sel in selections(options, lo, hi):
        b = encrypt_ballot(ctx, cred.secret, cred.public, sel)
        entry = parse_canonical(b.bytes)  # what the board stores and the verifier reads
        assert (entry["total_proof"] is None) == (m.total_allowed is None)
        ballot = verify_ballot(ctx, entry)
        assert ballot.credential == cred.public
        assert len(ballot.ciphertexts) == m.stored_options
        want = choice_vector(ctx, sel)
        got = [el.decrypt(ct) for ct in counted_totals(ctx, list(ballot.ciphertexts), 1)]
        assert got == want  # the implied last option (exactly-one elections) included
        batch = Batch()
        verify_ballot(ctx, entry, batch)
        assert batch.is_zero()
        opened, tr = verify_audit(ctx, parse_canonical(canonical_bytes(b.audit_entry())))
        assert tr == b.tracking_code == tracking_code(b.bytes)
        assert opened.ciphertexts == ballot.ciphertexts


def test_two_encryptions_of_one_choice_differ() -> None:
    el = Election(3, 1, 1)
    c = el.creds[0]
    a, b = (encrypt_ballot(el.ctx, c.secret, c.public, [1]) for _ in range(2))
    assert a.tracking_code != b.tracking_code
    assert a.entry["selections"][0]["alpha"] != b.entry["selections"][0]["alpha"]


# -- copied ballots (Cortier–Smyth) --------------------------------------------------------------


def test_copy_to_another_credential_fails_signature() -> None:
    el = Election(3, 1, 1)
    a, other = el.creds[:2]
    b = encrypt_ballot(el.ctx, a.secret, a.public, [0]).entry
    copy = {**b, "credential": other.public.hex()}
    with pytest.raises(Rejected) as e:
        verify_ballot(el.ctx, copy)
    assert e.value.check == "V6" and e.value.code == "bad_signature"


@pytest.mark.parametrize("options,lo,hi", [(2, 1, 1), (3, 1, 1), (3, 0, 2)])
def test_copy_resigned_by_another_credential_fails_proofs(options: int, lo: int, hi: int) -> None:
    """The copier owns the second credential and signs the copy: the proofs are bound to the
    first credential through their context, so they fail (V7)."""
    el = Election(options, lo, hi)
    a, other = el.creds[:2]
    b = encrypt_ballot(el.ctx, a.secret, a.public, [0]).entry
    copy = sign_entry({**b, "credential": other.public.hex()}, other.secret)
    with pytest.raises((ProtocolError, CryptoError)) as e:
        verify_ballot(el.ctx, copy)
    assert check_of(e.value) == "V7"
    batch = Batch()  # the batched path: the challenge is recomputed before any batching
    with pytest.raises((ProtocolError, CryptoError)) as e:
        verify_ballot(el.ctx, copy, batch)
    assert check_of(e.value) == "V7"


# -- structure (V5) -------------------------------------------------------------------------------


def test_ballot_for_another_election() -> None:
    el = Election(3, 1, 1)
    c = el.creds[0]
    other_ctx = el.context(b"\x01" * 32)  # same manifest and key, another credential list
    b = encrypt_ballot(other_ctx, c.secret, c.public, [0]).entry
    verify_ballot(other_ctx, b)
    with pytest.raises(Rejected) as e:
        verify_ballot(el.ctx, b)
    assert (e.value.check, e.value.code) == ("V5", "wrong_election")


@pytest.mark.parametrize("change", ["drop", "add"])
def test_wrong_number_of_selections(change: str) -> None:
    el = Election(3, 0, 2)
    c = el.creds[0]
    b = encrypt_ballot(el.ctx, c.secret, c.public, [0]).entry
    sels = list(b["selections"])
    sels = sels[:-1] if change == "drop" else sels + [sels[0]]
    bad = sign_entry({**b, "selections": sels}, c.secret)
    with pytest.raises(Rejected) as e:
        verify_ballot(el.ctx, bad)
    assert (e.value.check, e.value.code) == ("V5", "bad_structure")


def test_total_proof_where_none_is_allowed_and_missing_where_required() -> None:
    none = Election(2, 1, 1)  # one stored selection: no total proof
    c = none.creds[0]
    b = encrypt_ballot(none.ctx, c.secret, c.public, [0]).entry
    other = encrypt_ballot(Election(3, 1, 1).ctx, c.secret, c.public, [0]).entry
    bad = sign_entry({**b, "total_proof": other["total_proof"]}, c.secret)
    with pytest.raises(Rejected) as e:
        verify_ballot(none.ctx, bad)
    assert e.value.check == "V5"
    req = Election(3, 1, 1)
    b = encrypt_ballot(req.ctx, c.secret, c.public, [0]).entry
    with pytest.raises(MalformedInput):
        verify_ballot(req.ctx, sign_entry({**b, "total_proof": None}, c.secret))


@pytest.mark.parametrize("field", ["extra", "missing"])
def test_exact_fields(field: str) -> None:
    el = Election(3, 1, 1)
    c = el.creds[0]
    b = dict(encrypt_ballot(el.ctx, c.secret, c.public, [0]).entry)
    if field == "extra":
        b["note"] = "x"
    else:
        del b["total_proof"]
    with pytest.raises(MalformedInput):
        verify_ballot(el.ctx, sign_entry(b, c.secret))


# -- the selection total (V8) -----------------------------------------------------------------


def forged_ballot(el: Election, cred: Credential, bits: list[int]) -> dict[str, Any]:
    """Valid 0/1 proofs for each selection, and a total proof made as if the total were allowed
    (the prover lies about which branch is real): only the total's equations are false."""
    ctx = el.ctx
    allowed = el.manifest.total_allowed
    assert allowed is not None and sum(bits) not in allowed
    sels, cts, rs = [], [], []
    for i, bit in enumerate(bits):
        ct, r = encrypt(ctx.joint_key, bit)
        p = prove_in_set(ctx.proof_context(cred.public, i), ctx.joint_key, ct, bit, r, BIT)
        sels.append({"alpha": ct.alpha.encode().hex(), "beta": ct.beta.encode().hex(),
                     "proof": codec.in_set_to_json(p)})
        cts.append(ct)
        rs.append(r)
    claim = min(allowed, key=lambda a: abs(a - sum(bits)))
    tp = prove_in_set(ctx.proof_context(cred.public, TOTAL_INDEX), ctx.joint_key,
                      Ciphertext.sum(cts), claim, sum(rs) % ORDER, allowed)
    return sign_entry({"type": "ballot", "election": ctx.hash.hex(),
                       "credential": cred.public.hex(), "selections": sels,
                       "total_proof": codec.in_set_to_json(tp)}, cred.secret)


@pytest.mark.parametrize("options,lo,hi,bits", [
    (3, 1, 1, [1, 1]),        # exactly one of three: two stored selections both 1
    (3, 0, 2, [1, 1, 1]),     # at most two: all three
    (4, 2, 2, [1, 0, 0, 0]),  # exactly two: only one
    (4, 2, 2, [1, 1, 1, 0]),  # exactly two: three
])
def test_total_outside_allowed_range(options: int, lo: int, hi: int, bits: list[int]) -> None:
    el = Election(options, lo, hi)
    bad = forged_ballot(el, el.creds[0], bits)
    with pytest.raises((ProtocolError, CryptoError)) as e:
        verify_ballot(el.ctx, bad)
    assert check_of(e.value) == "V8"
    batch = Batch()  # batched (the verifier's workers): the equations are only collected...
    verify_ballot(el.ctx, bad, batch)
    assert not batch.is_zero()  # ...and the batch then fails


def test_total_proof_challenge_tampered_is_v8() -> None:
    el = Election(3, 0, 2)
    c = el.creds[0]
    b = encrypt_ballot(el.ctx, c.secret, c.public, [0, 2]).entry
    tp = [dict(x) for x in b["total_proof"]]
    tp[0]["c"] = scalar_bytes((int(tp[0]["c"], 16) + 1) % ORDER).hex()
    with pytest.raises((ProtocolError, CryptoError)) as e:
        verify_ballot(el.ctx, sign_entry({**b, "total_proof": tp}, c.secret))
    assert check_of(e.value) == "V8"


@pytest.mark.parametrize("options,lo,hi,selected", [
    (3, 1, 1, []), (3, 1, 1, [0, 1]), (3, 0, 2, [0, 1, 2]), (4, 2, 2, [3]), (3, 0, 1, [0, 0]),
    (3, 0, 1, [3]), (3, 0, 1, [-1])])
def test_choice_vector_refuses(options: int, lo: int, hi: int, selected: list[int]) -> None:
    el = Election(options, lo, hi)
    with pytest.raises(ValueError):
        choice_vector(el.ctx, selected)
    c = el.creds[0]
    with pytest.raises(ValueError):
        encrypt_ballot(el.ctx, c.secret, c.public, selected)


def test_choice_vector() -> None:
    el = Election(4, 0, 3)
    assert choice_vector(el.ctx, []) == [0, 0, 0, 0]
    assert choice_vector(el.ctx, [3, 1]) == [0, 1, 0, 1]


# -- audits (V9) ------------------------------------------------------------------------------


@pytest.mark.parametrize("what", ["choice", "nonce", "swap"])
def test_audit_opening_wrong(what: str) -> None:
    el = Election(3, 0, 2)
    c = el.creds[0]
    b = encrypt_ballot(el.ctx, c.secret, c.public, [1])
    a = b.audit_entry()
    if what == "choice":
        a["choices"] = [1, 0, 0]  # claims option 0 instead of option 1
    elif what == "nonce":
        a["nonces"][2] = scalar_bytes(random_scalar()).hex()
    else:
        a["nonces"][0], a["nonces"][1] = a["nonces"][1], a["nonces"][0]
    with pytest.raises(Rejected) as e:
        verify_audit(el.ctx, a)
    assert (e.value.check, e.value.code) == ("V9", "bad_audit")


def test_audit_of_a_bad_ballot_fails_its_ballot_check() -> None:
    el = Election(3, 1, 1)
    a, other = el.creds[:2]
    b = encrypt_ballot(el.ctx, a.secret, a.public, [0])
    audit = b.audit_entry()
    audit["ballot"] = {**audit["ballot"], "credential": other.public.hex()}
    with pytest.raises(Rejected) as e:
        verify_audit(el.ctx, audit)
    assert e.value.check == "V6"


def test_audit_choices_must_be_bits() -> None:
    el = Election(3, 0, 2)
    c = el.creds[0]
    a = encrypt_ballot(el.ctx, c.secret, c.public, [1]).audit_entry()
    a["choices"] = [0, 2, 0]
    with pytest.raises(MalformedInput):
        verify_audit(el.ctx, a)


def test_every_one_character_typo_in_a_credential_code_is_caught() -> None:
    """Changing any character of a printed code to any other base32 letter is refused, the
    last character included (its unused low bits must be zero: one spelling per code). The
    16-bit check lets a random typo through with probability 2^-16, so the code is fixed."""
    from hamaporsi.protocol.credentials import Credential

    secret = bytes(range(1, 33))
    code = Credential(secret, bip340.public_key(secret)).code
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    assert Credential.from_code(code.lower().replace("-", " ")).code == code
    for pos, ch in enumerate(code):
        if ch == "-" or pos < 5:
            continue
        for other in alphabet.replace(ch, ""):
            typo = code[:pos] + other + code[pos + 1:]
            with pytest.raises(MalformedInput):
                Credential.from_code(typo)


def _code_with(*letters: str) -> str:
    """A valid code (fixed secret) whose data part contains every one of `letters`."""
    from hamaporsi.protocol.credentials import Credential

    for k in range(1, 256):
        secret = bytes([k]) * 32
        code = Credential(secret, bip340.public_key(secret)).code
        if all(ch in code[5:] for ch in letters):
            return code
    raise AssertionError("no such code")


@pytest.mark.parametrize("mangle", [lambda c: c[:5] + c[5:].replace("S", "\u017f", 1),
                                    lambda c: c[:5] + c[5:].replace("I", "\u0131", 1),
                                    lambda c: c + "\u00a0"])
def test_credential_code_is_ascii_only(mangle: Any) -> None:
    """Unicode case folding (ſ→S, ı→I) must not turn a non-code into a code."""
    from hamaporsi.protocol.credentials import Credential

    code = _code_with("S", "I")
    assert Credential.from_code(code.lower()).code == code  # the unmangled code is fine
    with pytest.raises(MalformedInput):
        Credential.from_code(mangle(code))


def test_credential_code_ignores_windows_line_endings() -> None:
    from hamaporsi.protocol.credentials import Credential

    c = Credential.generate()
    assert Credential.from_code(c.code + "\r\n").secret == c.secret
