"""The key ceremony (spec §7.1): honest runs, cheating trustees, refused entries, wire format."""

from __future__ import annotations

import hashlib
import itertools
import json
import struct
from dataclasses import dataclass
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hamaporsi.crypto import bip340, vss
from hamaporsi.crypto.group import ORDER, Point, scalar_bytes
from hamaporsi.crypto.proofs import prove_knowledge
from hamaporsi.crypto.share_encryption import encrypt_share
from hamaporsi.protocol.canonical import canonical_bytes
from hamaporsi.protocol.ceremony import (Ceremony, CeremonyFailed, Cheat, TrusteeKeys,
                                         TrusteeSession, complaint_context, pok_context,
                                         reveal_digest, run_ceremony, share_context)
from hamaporsi.protocol.ceremony_entries import parse_joint_key, reveal_payload
from hamaporsi.protocol.errors import MalformedInput, ProtocolError, Rejected
from hamaporsi.protocol.manifest import Manifest, Text, build_manifest, parse_manifest
from hamaporsi.protocol.signing import sign_entry

# -- fixtures and helpers ---------------------------------------------------------------------


@dataclass
class Setup:
    m: Manifest
    keys: list[TrusteeKeys]
    org: bytes

    @property
    def n(self) -> int:
        return len(self.keys)

    def sessions(self) -> list[TrusteeSession]:
        return [TrusteeSession.start(self.m, k) for k in self.keys]


def make_setup(n: int, k: int, eid: str = "ceremony-test", keys: list[TrusteeKeys] | None = None,
               org: bytes | None = None) -> Setup:
    org = org or bip340.generate_secret()
    keys = keys or [TrusteeKeys.generate() for _ in range(n)]
    other = bip340.public_key(bip340.generate_secret())
    body = build_manifest(
        election_id=eid, question=Text("آیا موافقید؟", "Do you agree?"),
        options=[Text("بله", "Yes"), Text("خیر", "No")], min_selections=1, max_selections=1,
        opens=1000, closes=2000, organizer_key=bip340.public_key(org), registrar_key=other,
        board_key=other, trustees=[t.public_info(f"trustee {i}") for i, t in enumerate(keys, 1)],
        threshold=k)
    return Setup(parse_manifest(sign_entry(body, org)), keys, org)


def resign(entry: dict[str, Any], secret: bytes) -> dict[str, Any]:
    return sign_entry(entry, secret)


def snapshot(c: Ceremony) -> dict[str, Any]:
    return {k: dict(v) if isinstance(v, dict) else v for k, v in vars(c).items()}


def expect_rejected(c: Ceremony, entry: Any, check: str, code: str) -> Rejected:
    before = snapshot(c)
    with pytest.raises(Rejected) as e:
        c.ingest(entry)
    assert (e.value.check, e.value.code) == (check, code), e.value
    assert snapshot(c) == before
    return e.value


def expect_malformed(c: Ceremony, entry: Any, field: str | None = None) -> MalformedInput:
    before = snapshot(c)
    with pytest.raises(MalformedInput) as e:
        c.ingest(entry)
    if field is not None:
        assert field in str(e.value), e.value
    assert snapshot(c) == before
    return e.value


def through(s: Setup, phase: str) -> tuple[Ceremony, list[TrusteeSession]]:
    """An honest ceremony advanced through `phase` (commit, reveal or shares)."""
    c, sess = Ceremony(s.m), s.sessions()
    for p in ("commit", "reveal", "shares"):
        for t in sess:
            c.ingest({"commit": t.commit_entry, "reveal": t.reveal_entry,
                      "shares": lambda t=t: t.shares_entry(s.m)}[p]())
        if p == phase:
            return c, sess
    raise AssertionError(phase)


def interpolate(shares: dict[int, int]) -> int:
    idx = list(shares)
    return sum(vss.lagrange_at_zero(j, idx) * s for j, s in shares.items()) % ORDER


def constants(entries: list[dict[str, Any]], q: tuple[int, ...]) -> Point:
    return Point.sum(Point.decode(bytes.fromhex(e["coefficients"][0])) for e in entries
                     if e["type"] == "dkg-reveal" and e["trustee"] in q)


def assert_sound(s: Setup, entries: list[dict[str, Any]], shares: dict[int, int]) -> Ceremony:
    """Replay; K = Σ_{Q} A_i0; any k shares give K's secret, k−1 do not; P_j = s_j·G."""
    c = Ceremony.replay(s.m, entries)
    q, k = c.qualified, s.m.threshold
    assert c.closed and set(shares) == set(q)
    assert c.joint_key == constants(entries, q)
    for sub in itertools.combinations(q, k):
        assert Point.mul_g(interpolate({j: shares[j] for j in sub})) == c.joint_key
    for sub in itertools.combinations(q, k - 1):
        if sub:
            assert Point.mul_g(interpolate({j: shares[j] for j in sub})) != c.joint_key
    for j in q:
        assert c.public_shares[j] == Point.mul_g(shares[j])
    return c


# -- honest ceremonies (§7.1.2–§7.1.4) -------------------------------------------------------

@pytest.mark.parametrize("n,k", [(1, 1), (3, 2), (5, 3)])
def test_honest_ceremony(n: int, k: int) -> None:
    s = make_setup(n, k)
    entries, shares = run_ceremony(s.m, s.keys, s.org)
    assert [e["type"] for e in entries] == \
        ["dkg-commit"] * n + ["dkg-reveal"] * n + ["dkg-shares"] * n + ["joint-key"]
    c = assert_sound(s, entries, shares)
    assert c.qualified == tuple(range(1, n + 1)) and c.disqualified == {}
    assert entries[-1]["qualified"] == list(range(1, n + 1))
    assert c.check_joint_key(entries[-1]).joint_key == c.joint_key


def test_joint_secret_is_sum_of_constant_terms() -> None:
    s = make_setup(4, 3)
    c, sess = through(s, "shares")
    c.ingest(c.result_entry(s.org))
    secret = sum(t.polynomial[0] for t in sess) % ORDER
    assert c.joint_key == Point.mul_g(secret)
    got = {t.index: t.secret_share(c) for t in sess}
    for t in sess:
        assert got[t.index] == sum(vss.evaluate(list(u.polynomial), t.index) for u in sess) % ORDER
    assert interpolate({j: got[j] for j in (1, 3, 4)}) == secret


def test_phases_as_separate_invocations_with_state_files() -> None:
    s = make_setup(3, 2)
    key_files = [json.dumps(k.to_json()) for k in s.keys]
    states = [json.dumps(TrusteeSession.start(s.m, k).to_json()) for k in s.keys]

    def load(i: int) -> TrusteeSession:
        keys = TrusteeKeys.from_json(json.loads(key_files[i]))
        return TrusteeSession.from_json(json.loads(states[i]), keys)

    c = Ceremony(s.m)
    for phase in range(3):
        for i in range(3):
            t = load(i)
            c.ingest([t.commit_entry, t.reveal_entry, lambda: t.shares_entry(s.m)][phase]())
    for i in range(3):
        assert load(i).process_shares(c) == []
    c.ingest(c.result_entry(s.org))
    shares = {i + 1: load(i).secret_share(c) for i in range(3)}
    assert Point.mul_g(interpolate({1: shares[1], 3: shares[3]})) == c.joint_key


def test_state_file_holds_polynomial_not_keys() -> None:
    s = make_setup(2, 2)
    t = TrusteeSession.start(s.m, s.keys[0])
    state = t.to_json()
    assert s.keys[0].signing_secret.hex() not in json.dumps(state)
    assert TrusteeSession.from_json(state, s.keys[0]) == t
    assert "polynomial" not in repr(t) and str(t.polynomial[0]) not in repr(t)
    with pytest.raises(MalformedInput, match="another trustee"):
        TrusteeSession.from_json(state, s.keys[1])
    bad = {**state, "coefficients": [scalar_bytes(ORDER - 1).hex()[:-2] + "zz"] * 2}
    with pytest.raises(MalformedInput, match=r"coefficients\[0\]"):
        TrusteeSession.from_json(bad, s.keys[0])


def test_session_refuses_foreign_keys_and_manifest() -> None:
    s, other = make_setup(2, 1), make_setup(2, 1, eid="other")
    with pytest.raises(ValueError):
        TrusteeSession.start(s.m, TrusteeKeys.generate())
    mixed = TrusteeKeys(s.keys[0].signing_secret, s.keys[1].encryption_secret)
    with pytest.raises(ValueError):
        TrusteeSession.start(s.m, mixed)
    with pytest.raises(ValueError, match="another manifest"):
        TrusteeSession.start(s.m, s.keys[0]).shares_entry(other.m)


def test_trustee_keys_file() -> None:
    k = TrusteeKeys.generate()
    assert TrusteeKeys.from_json(json.loads(json.dumps(k.to_json()))) == k
    assert k.signing_secret.hex() not in repr(k) and str(k.encryption_secret) not in repr(k)
    info = k.public_info("Ada")
    assert info.signing_key == bip340.public_key(k.signing_secret)
    assert info.encryption_key == Point.mul_g(k.encryption_secret)
    good = k.to_json()
    for bad, field in [({**good, "extra": "x"}, "unexpected"),
                       ({"signing_secret": good["signing_secret"]}, "missing"),
                       ({**good, "encryption_secret": scalar_bytes(ORDER - 1).hex().upper()},
                        "encryption_secret"),
                       ({**good, "encryption_secret": "ff" * 32}, "encryption_secret"),
                       ({**good, "encryption_secret": "00" * 32}, "encryption secret"),
                       ({**good, "signing_secret": "00" * 32}, "trustee keys")]:
        with pytest.raises(MalformedInput, match=field):
            TrusteeKeys.from_json(bad)


# -- cheating and complaints (§7.1.3) --------------------------------------------------------

def test_bad_share_disqualifies_dealer_and_ceremony_completes() -> None:
    s = make_setup(5, 3)
    entries, shares = run_ceremony(s.m, s.keys, s.org, Cheat(bad_shares=((2, 4),)))
    complaints = [e for e in entries if e["type"] == "dkg-complaint"]
    assert [(e["trustee"], e["against"]) for e in complaints] == [(4, 2)]
    c = assert_sound(s, entries, shares)
    assert c.qualified == (1, 3, 4, 5)
    assert "upheld" in c.disqualified[2] and list(c.disqualified) == [2]


def test_share_that_is_not_a_scalar_disqualifies_dealer() -> None:
    s = make_setup(3, 2)
    c, sess = through(s, "reveal")
    d = sess[0]
    body = {"type": "dkg-shares", "manifest": s.m.hash.hex(), "trustee": 1, "shares": []}
    for j in (2, 3):
        val = ORDER + 5 if j == 3 else vss.evaluate(list(d.polynomial), j)
        eph, ct = encrypt_share(share_context(s.m.hash, 1, j),
                                s.m.trustees[j - 1].encryption_key, val)
        body["shares"].append({"to": j, "eph": eph.encode().hex(), "ct": ct.hex()})
    c.ingest(resign(body, s.keys[0].signing_secret))
    for t in sess[1:]:
        c.ingest(t.shares_entry(s.m))
    assert sess[1].process_shares(c) == []
    [complaint] = sess[2].process_shares(c)
    c.ingest(complaint)
    assert c.disqualified == {1: "complaint by trustee 3 upheld: its share is not a scalar "
                                 "below n"}
    assert sess[2].process_shares(c) == []  # no second complaint


def test_too_many_cheaters_fails_the_ceremony() -> None:
    s = make_setup(3, 2)
    with pytest.raises(CeremonyFailed) as e:
        run_ceremony(s.m, s.keys, s.org, Cheat(bad_shares=((1, 2), (2, 3))))
    assert e.value.check == "V3" and "only 1 trustees qualified" in str(e.value)


def test_false_complaint_disqualifies_accuser() -> None:
    s = make_setup(4, 2)
    entries, shares = run_ceremony(s.m, s.keys, s.org, Cheat(false_complaints=((3, 1),)))
    c = assert_sound(s, entries, shares)
    assert c.disqualified == {3: "false complaint against trustee 1: the share is valid"}
    assert c.qualified == (1, 2, 4)


def test_forged_complaint_is_void_and_disqualifies_accuser() -> None:
    s = make_setup(4, 2)
    entries, shares = run_ceremony(s.m, s.keys, s.org, Cheat(forged_complaints=((2, 4),)))
    c = assert_sound(s, entries, shares)
    assert list(c.disqualified) == [2] and c.disqualified[2].startswith("void complaint")


def test_complaint_proof_replayed_against_another_dealer_is_void() -> None:
    s = make_setup(3, 2)
    c, sess = through(s, "shares")
    honest = sess[2].complaint_entry(c, 1)
    replay = resign({**honest, "against": 2}, s.keys[2].signing_secret)
    c.ingest(replay)
    assert c.disqualified == {3: "void complaint against trustee 2: the proof does not verify"}


def test_complaint_proof_by_another_trustee_is_void() -> None:
    """Trustee 2 cannot complain with trustee 3's S and proof (bound to D_3 and context j=3)."""
    s = make_setup(3, 2)
    c, sess = through(s, "shares")
    theirs = sess[2].complaint_entry(c, 1)
    mine = resign({**theirs, "trustee": 2}, s.keys[1].signing_secret)
    c.ingest(mine)
    assert list(c.disqualified) == [2] and "void" in c.disqualified[2]


def test_unchallenged_bad_share_blocks_secret_share() -> None:
    s = make_setup(3, 2)
    c, sess = Ceremony(s.m), s.sessions()
    for t in sess:
        c.ingest(t.commit_entry())
    for t in sess:
        c.ingest(t.reveal_entry())
    for t in sess:
        c.ingest(t.shares_entry(s.m, corrupt_for=frozenset({2} if t.index == 1 else ())))
    assert sess[1].received_share(c, 1) is None and sess[1].received_share(c, 3) is not None
    with pytest.raises(ValueError, match="trustee 1 is invalid"):
        sess[1].secret_share(c)
    assert len(sess[1].process_shares(c)) == 1


def test_silent_dealers_are_disqualified() -> None:
    s = make_setup(4, 2)
    entries, shares = run_ceremony(s.m, s.keys, s.org, Cheat(silent=(3,)))
    c = assert_sound(s, entries, shares)
    assert c.disqualified == {3: "silent dealer: no dkg-shares"}
    c2, sess = through(s, "commit")
    for t in sess[:3]:
        c2.ingest(t.reveal_entry())
    assert c2.disqualified == {t: "silent dealer: no dkg-shares" for t in (1, 2, 3)} | \
        {4: "silent dealer: no valid dkg-reveal"}
    with pytest.raises(CeremonyFailed):
        c2.result_entry(s.org)


# -- refused entries (§7.1.5) ----------------------------------------------------------------

def test_reveal_only_after_every_commit() -> None:
    s = make_setup(3, 2)
    c, sess = Ceremony(s.m), s.sessions()
    c.ingest(sess[0].commit_entry())
    c.ingest(sess[1].commit_entry())
    e = expect_rejected(c, sess[0].reveal_entry(), "V2", "commits_incomplete")
    assert "[3]" in str(e)
    c.ingest(sess[2].commit_entry())
    c.ingest(sess[0].reveal_entry())


def test_reveal_must_match_commit() -> None:
    s = make_setup(3, 2)
    c, sess = through(s, "commit")
    other = TrusteeSession.start(s.m, s.keys[1])  # a fresh polynomial after seeing the commits
    expect_rejected(c, other.reveal_entry(), "V2", "digest_mismatch")
    c.ingest(sess[1].reveal_entry())


def _commit_for(s: Setup, i: int, payload: dict[str, Any]) -> dict[str, Any]:
    return resign({"type": "dkg-commit", "manifest": s.m.hash.hex(), "trustee": i,
                   "digest": reveal_digest(s.m.hash, i, payload).hex()},
                  s.keys[i - 1].signing_secret)


def _reveal_for(s: Setup, i: int, payload: dict[str, Any]) -> dict[str, Any]:
    return resign({"type": "dkg-reveal", "manifest": s.m.hash.hex(), "trustee": i, **payload},
                  s.keys[i - 1].signing_secret)


def test_pok_copied_from_another_trustee_is_rejected() -> None:
    s = make_setup(3, 2)
    sess = s.sessions()
    copied = reveal_payload(sess[0].commitments, list(sess[0].proofs))
    c = Ceremony(s.m)
    c.ingest(sess[0].commit_entry())
    c.ingest(_commit_for(s, 2, copied))
    c.ingest(sess[2].commit_entry())
    e = expect_rejected(c, _reveal_for(s, 2, copied), "V2", "bad_proof")
    assert "coefficient 0" in str(e)


def test_pok_copied_from_another_election_is_rejected() -> None:
    a = make_setup(2, 2)
    b = make_setup(2, 2, eid="another-election", keys=a.keys, org=a.org)
    t = TrusteeSession.start(a.m, a.keys[0])
    payload = reveal_payload(t.commitments, list(t.proofs))
    c = Ceremony(b.m)
    c.ingest(_commit_for(b, 1, payload))
    c.ingest(TrusteeSession.start(b.m, b.keys[1]).commit_entry())
    expect_rejected(c, _reveal_for(b, 1, payload), "V2", "bad_proof")


def test_reveal_with_wrong_number_of_coefficients_is_rejected() -> None:
    s = make_setup(2, 2)
    sess = s.sessions()
    t = sess[0]
    extra = 12345
    coeffs = t.commitments + [Point.mul_g(extra)]
    proofs = list(t.proofs) + [prove_knowledge(pok_context(s.m.hash, 1, 2), extra, coeffs[2])]
    payload = reveal_payload(coeffs, proofs)
    c = Ceremony(s.m)
    c.ingest(_commit_for(s, 1, payload))
    c.ingest(sess[1].commit_entry())
    expect_rejected(c, _reveal_for(s, 1, payload), "V2", "wrong_count")
    short = reveal_payload(t.commitments[:1], list(t.proofs[:1]))
    c2 = Ceremony(s.m)
    c2.ingest(_commit_for(s, 1, short))
    c2.ingest(sess[1].commit_entry())
    expect_rejected(c2, _reveal_for(s, 1, short), "V2", "wrong_count")


def test_wrong_signatures_are_rejected() -> None:
    s = make_setup(3, 2)
    c, sess = through(s, "shares")
    fresh = Ceremony(s.m)
    commit = sess[0].commit_entry()
    expect_rejected(fresh, resign(commit, s.keys[1].signing_secret), "V2", "bad_signature")
    expect_rejected(fresh, resign(commit, s.org), "V2", "bad_signature")
    tampered = {**commit, "digest": "00" * 32}
    expect_rejected(fresh, tampered, "V2", "bad_signature")
    complaint = sess[2].complaint_entry(c, 1)
    expect_rejected(c, resign(complaint, s.keys[0].signing_secret), "V2", "bad_signature")
    jk = c.result_entry(s.org)
    expect_rejected(c, resign(jk, s.keys[0].signing_secret), "V3", "bad_signature")
    c.ingest(jk)


def test_wrong_manifest_and_unknown_trustee_are_rejected() -> None:
    s = make_setup(3, 2)
    other = make_setup(3, 2, eid="other-election", keys=s.keys, org=s.org)
    c = Ceremony(s.m)
    foreign = TrusteeSession.start(other.m, s.keys[0]).commit_entry()
    expect_rejected(c, foreign, "V2", "wrong_manifest")
    commit = TrusteeSession.start(s.m, s.keys[0]).commit_entry()
    for idx in (0, 4, 2**32 - 1):
        e = expect_rejected(c, resign({**commit, "trustee": idx}, s.keys[0].signing_secret),
                            "V2", "unknown_trustee")
        assert f"no trustee {idx}" in str(e)


def test_duplicates_and_phase_order_are_rejected() -> None:
    s = make_setup(3, 2)
    c, sess = through(s, "commit")
    expect_rejected(c, sess[0].commit_entry(), "V2", "duplicate")
    expect_rejected(c, sess[0].shares_entry(s.m), "V2", "no_reveal")
    for t in sess:
        c.ingest(t.reveal_entry())
    expect_rejected(c, sess[0].reveal_entry(), "V2", "duplicate")
    c.ingest(sess[0].shares_entry(s.m))
    expect_rejected(c, sess[0].shares_entry(s.m), "V2", "duplicate")
    with pytest.raises(ValueError):
        sess[0].complaint_entry(c, 2)  # trustee 2 has sent no shares yet
    forged = resign({**sess[1].complaint_entry(c, 1), "against": 3}, s.keys[1].signing_secret)
    expect_rejected(c, forged, "V2", "no_shares")
    c.ingest(sess[1].shares_entry(s.m))
    c.ingest(sess[2].shares_entry(s.m))
    complaint = sess[1].complaint_entry(c, 1)
    self_c = resign({**complaint, "against": 2}, s.keys[1].signing_secret)
    expect_rejected(c, self_c, "V2", "self_complaint")
    c.ingest(complaint)
    expect_rejected(c, sess[1].complaint_entry(c, 1), "V2", "duplicate")
    jk = c.result_entry(s.org)
    c.ingest(jk)
    expect_rejected(c, jk, "V3", "duplicate")
    expect_malformed(c, {**jk, "extra": 1}, "unexpected ['extra']")  # format is checked first
    expect_rejected(c, sess[2].complaint_entry(c, 1), "V2", "ceremony_closed")
    expect_rejected(c, sess[0].commit_entry(), "V2", "ceremony_closed")


@pytest.mark.parametrize("recipients", [[2], [3, 2], [1, 2, 3], [2, 3, 4], [2, 2]])
def test_shares_must_cover_every_other_trustee_in_order(recipients: list[int]) -> None:
    s = make_setup(3, 2)
    c, sess = through(s, "reveal")
    good = sess[0].shares_entry(s.m)
    item = good["shares"][0]
    bad = resign({**good, "shares": [{**item, "to": j} for j in recipients]},
                 s.keys[0].signing_secret)
    expect_rejected(c, bad, "V2", "bad_recipients")
    c.ingest(good)


# -- malformed entries (§7.1.5 step 1) -------------------------------------------------------

_IDENTITY = "00" * 33
_OFF_CURVE = "02" + "00" * 31 + "07"  # x = 7: x³ + 7 = 350 is not a square mod p


def _mutations(s: Setup, c: Ceremony, sess: list[TrusteeSession]) -> list[tuple[dict, str]]:
    reveal, shares = sess[0].reveal_entry(), sess[0].shares_entry(s.m)
    complaint = sess[1].complaint_entry(c, 1)
    commit = sess[0].commit_entry()
    proof0 = reveal["proofs"][0]
    item = shares["shares"][0]
    return [
        ({**commit, "extra": 1}, "unexpected ['extra']"),
        ({k: v for k, v in commit.items() if k != "digest"}, "missing ['digest']"),
        ({k: v for k, v in commit.items() if k != "sig"}, "missing ['sig']"),
        ({**commit, "type": "dkg-reveal"}, "missing ['coefficients', 'proofs']"),
        ({**commit, "digest": commit["digest"].upper()}, "dkg-commit.digest"),
        ({**commit, "digest": commit["digest"][:-2]}, "dkg-commit.digest"),
        ({**commit, "manifest": 7}, "dkg-commit.manifest"),
        ({**commit, "trustee": True}, "dkg-commit.trustee"),
        ({**commit, "trustee": "1"}, "dkg-commit.trustee"),
        ({**commit, "trustee": -1}, "dkg-commit.trustee"),
        ({**commit, "trustee": 2**32}, "dkg-commit.trustee"),
        ({**reveal, "coefficients": [_IDENTITY] + reveal["coefficients"][1:]},
         "coefficients[0]: the identity point is not allowed"),
        ({**reveal, "coefficients": reveal["coefficients"][:1] + [_OFF_CURVE]},
         "coefficients[1]: point is not on secp256k1"),
        ({**reveal, "coefficients": ["04" + reveal["coefficients"][0][2:]]
          + reveal["coefficients"][1:]}, "coefficients[0]: point prefix"),
        ({**reveal, "coefficients": []}, "dkg-reveal.coefficients"),
        ({**reveal, "proofs": [{**proof0, "v": scalar_bytes(ORDER - 1).hex()[:-2] + "ff"}]
          + reveal["proofs"][1:]}, "proofs[0].v: scalar is not below the group order"),
        ({**reveal, "proofs": [{**proof0, "c": "ff" * 32}] + reveal["proofs"][1:]},
         "proofs[0].c: scalar is not below"),
        ({**reveal, "proofs": [{**proof0, "h": _IDENTITY}] + reveal["proofs"][1:]},
         "proofs[0].h"),
        ({**reveal, "proofs": [{**proof0, "x": "00"}] + reveal["proofs"][1:]},
         "proofs[0]: missing [] / unexpected ['x']"),
        ({**shares, "shares": [{**item, "eph": _IDENTITY}] + shares["shares"][1:]},
         "shares[0].eph"),
        ({**shares, "shares": [{**item, "ct": item["ct"] + "00"}] + shares["shares"][1:]},
         "shares[0].ct"),
        ({**shares, "shares": [{**item, "pad": "00"}] + shares["shares"][1:]},
         "shares[0]: missing [] / unexpected ['pad']"),
        ({**shares, "shares": {"2": item}}, "dkg-shares.shares"),
        ({**complaint, "shared": _IDENTITY}, "dkg-complaint.shared"),
        ({**complaint, "proof": {**complaint["proof"], "v": "ff" * 32}}, "proof.v"),
        ({**complaint, "proof": {**complaint["proof"], "b": _OFF_CURVE}}, "proof.b"),
        ({**complaint, "against": None}, "dkg-complaint.against"),
    ]


def test_malformed_entries() -> None:
    s = make_setup(3, 2)
    c, sess = through(s, "shares")
    cases = _mutations(s, c, sess)
    fresh = {"dkg-commit": Ceremony(s.m), "dkg-reveal": through(s, "commit")[0]}
    for entry, field in cases:
        target = fresh.get(entry["type"], c)
        signer = s.keys[(entry.get("trustee") if entry.get("trustee") in (1, 2, 3) else 1) - 1]
        if "sig" in entry:
            entry = resign(entry, signer.signing_secret)
        expect_malformed(target, entry, field)


@pytest.mark.parametrize("entry", [None, [], "dkg-commit", {"type": "ballot"}, {"type": ["x"]},
                                   {"sig": "00"}])
def test_non_ceremony_input_is_malformed(entry: Any) -> None:
    expect_malformed(Ceremony(make_setup(1, 1).m), entry)


def test_joint_key_format() -> None:
    s = make_setup(3, 2)
    c, _ = through(s, "shares")
    jk = c.result_entry(s.org)
    q, ps = jk["qualified"], jk["public_shares"]
    for bad, field in [({**jk, "qualified": [2, 1, 3], "public_shares": [ps[1], ps[0], ps[2]]},
                        "strictly increasing"),
                       ({**jk, "qualified": [1, 1, 3]}, "strictly increasing"),
                       ({**jk, "public_shares": ps[:2]}, "public_shares"),
                       ({**jk, "joint_key": _IDENTITY}, "joint_key"),
                       ({**jk, "qualified": []}, "qualified"),
                       ({**jk, "extra": []}, "unexpected")]:
        expect_malformed(c, resign(bad, s.org), field)
    expect_rejected(c, resign({**jk, "qualified": [1, 2, 4]}, s.org), "V3", "unknown_trustee")
    assert q == [1, 2, 3]


# -- the joint key (§7.1.4, check V3) --------------------------------------------------------

def test_joint_key_entry_must_match_recomputation() -> None:
    s = make_setup(4, 2)
    c, sess = through(s, "shares")
    c.ingest(sess[3].complaint_entry(c, 1))  # false complaint: trustee 4 is disqualified
    jk = c.result_entry(s.org)
    assert jk["qualified"] == [1, 2, 3]
    ps = jk["public_shares"]
    other = Point.mul_g(99).encode().hex()
    wrong = [
        ({**jk, "joint_key": other}, "joint_key"),
        ({**jk, "joint_key": ps[0]}, "joint_key"),
        ({**jk, "public_shares": [ps[0], other, ps[2]]}, "public_shares"),
        ({**jk, "public_shares": [ps[1], ps[0], ps[2]]}, "public_shares"),
        ({**jk, "qualified": [1, 2, 3, 4], "public_shares": ps + [other]}, "qualified"),
        ({**jk, "qualified": [1, 2], "public_shares": ps[:2]}, "qualified"),
    ]
    for bad, field in wrong:
        e = expect_rejected(c, resign(bad, s.org), "V3", "joint_key_mismatch")
        assert f"joint-key.{field}" in str(e)
        with pytest.raises(Rejected):
            c.check_joint_key(resign(bad, s.org))
    c.ingest(jk)
    assert parse_joint_key(jk, s.m).public_share_map == c.public_shares
    assert set(c.public_shares) == {1, 2, 3}


def test_joint_key_for_a_failed_ceremony_is_refused() -> None:
    s = make_setup(3, 3)
    c, sess = through(s, "shares")
    jk = c.result_entry(s.org)
    c.ingest(sess[2].complaint_entry(c, 1))  # false: trustee 3 out, 2 < k = 3 remain
    with pytest.raises(CeremonyFailed) as e:
        c.ingest(jk)
    assert e.value.check == "V3" and not c.closed


# -- exact bytes (§7.1.1) --------------------------------------------------------------------

def _h(tag: str, *parts: bytes) -> bytes:
    u = struct.Struct(">I").pack
    t = b"hamaporsi/v1/" + tag.encode()
    return hashlib.sha256(u(len(t)) + t + b"".join(u(len(p)) + p for p in parts)).digest()


def test_contexts_and_digest_bytes() -> None:
    mh = bytes(range(32))
    assert pok_context(mh, 2, 1) == mh + b"\0\0\0\x02\0\0\0\x01"
    assert share_context(mh, 3, 5) == mh + b"\0\0\0\x03\0\0\0\x05"
    assert complaint_context(mh, 5, 3) == mh + b"\0\0\0\x05\0\0\0\x03complaint"
    s = make_setup(2, 2)
    t = TrusteeSession.start(s.m, s.keys[1])
    commit, reveal = t.commit_entry(), t.reveal_entry()
    payload = json.dumps({"coefficients": reveal["coefficients"], "proofs": reveal["proofs"]},
                         sort_keys=True, separators=(",", ":")).encode()
    assert payload == canonical_bytes({"coefficients": reveal["coefficients"],
                                       "proofs": reveal["proofs"]})
    assert commit["digest"] == _h("dkg-digest", s.m.hash, b"\0\0\0\x02", payload).hex()
    assert set(reveal["proofs"][0]) == {"h", "c", "v"}


# -- properties (hypothesis) -----------------------------------------------------------------

@st.composite
def _scenarios(draw: st.DrawFn) -> tuple[int, int, Cheat]:
    n = draw(st.integers(1, 5))
    k = draw(st.integers(1, n))
    pairs = [(i, j) for i in range(1, n + 1) for j in range(1, n + 1) if i != j]
    bad = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=3)) if pairs else []
    free = [(j, i) for (j, i) in pairs if (i, j) not in bad]
    false = draw(st.lists(st.sampled_from(free), unique=True, max_size=2)) if free else []
    return n, k, Cheat(bad_shares=tuple(bad), false_complaints=tuple(false))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_scenarios())
def test_exactly_the_cheaters_are_disqualified(scenario: tuple[int, int, Cheat]) -> None:
    n, k, cheat = scenario
    s = make_setup(n, k)
    cheaters = {i for i, _ in cheat.bad_shares} | {j for j, _ in cheat.false_complaints}
    if n - len(cheaters) < k:
        with pytest.raises(CeremonyFailed):
            run_ceremony(s.m, s.keys, s.org, cheat)
        return
    entries, shares = run_ceremony(s.m, s.keys, s.org, cheat)
    c = Ceremony.replay(s.m, entries)
    assert set(c.disqualified) == cheaters
    assert set(c.qualified) == set(range(1, n + 1)) - cheaters
    q = c.qualified
    assert c.joint_key == constants(entries, q)
    assert Point.mul_g(interpolate({j: shares[j] for j in q[-k:]})) == c.joint_key
    complaints = [e for e in entries if e["type"] == "dkg-complaint"]
    assert len(complaints) >= len(cheaters)


@cache
def _honest_record() -> tuple[Setup, tuple[dict[str, Any], ...]]:
    s = make_setup(3, 2)
    sess = s.sessions()
    c = Ceremony(s.m)
    entries = [t.commit_entry() for t in sess] + [t.reveal_entry() for t in sess] + \
        [t.shares_entry(s.m) for t in sess]
    for e in entries:
        c.ingest(e)
    entries.append(sess[1].complaint_entry(c, 1))  # a (false) complaint, to fuzz that type too
    c.ingest(entries[-1])
    entries.append(c.result_entry(s.org))
    return s, tuple(entries)


_json = st.recursive(st.none() | st.booleans() | st.integers(-2**40, 2**40) |
                     st.text(max_size=8) | st.sampled_from(["00" * 32, "00" * 33, _IDENTITY,
                                                            "ff" * 32, "02" + "11" * 32]),
                     lambda x: st.lists(x, max_size=3) | st.dictionaries(st.text(max_size=3), x,
                                                                          max_size=3),
                     max_leaves=6)


def _leaf_paths(v: Any, path: tuple = ()) -> list[tuple]:
    out = [path]
    if isinstance(v, dict):
        for k in v:
            out += _leaf_paths(v[k], path + (k,))
    elif isinstance(v, list):
        for i, x in enumerate(v):
            out += _leaf_paths(x, path + (i,))
    return out


def _replace(v: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    if isinstance(v, dict):
        return {**v, path[0]: _replace(v[path[0]], path[1:], new)}
    return [(_replace(x, path[1:], new) if i == path[0] else x) for i, x in enumerate(v)]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_changed_entry_is_refused_and_changes_nothing(data: st.DataObject) -> None:
    s, entries = _honest_record()
    at = data.draw(st.integers(0, len(entries) - 1))
    target = entries[at]
    path = data.draw(st.sampled_from(_leaf_paths(target)))
    mutated = _replace(target, path, data.draw(_json))
    c = Ceremony.replay(s.m, list(entries[:at]))
    if json.dumps(mutated, sort_keys=True) == json.dumps(target, sort_keys=True):  # True ≠ 1
        c.ingest(mutated)
        return
    before = snapshot(c)
    with pytest.raises(ProtocolError):
        c.ingest(mutated)
    assert snapshot(c) == before
    c.ingest(target)


def test_tampered_state_file_is_caught_by_the_public_share_check() -> None:
    s = make_setup(2, 2)
    c, sess = through(s, "shares")
    c.ingest(c.result_entry(s.org))
    state = sess[0].to_json()
    state["coefficients"][0] = scalar_bytes(sess[0].polynomial[0] + 1).hex()
    tampered = TrusteeSession.from_json(state, s.keys[0])
    with pytest.raises(ValueError, match="does not match the public share"):
        tampered.secret_share(c)
    assert Point.mul_g(sess[0].secret_share(c)) == c.public_shares[1]
