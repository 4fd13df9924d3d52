"""Security checklist §1, crypto core (`../shared/research/security.md`): what tests/crypto and
the tamper suite did not already cover.

- Strong Fiat–Shamir: a proof made for election A fails in election B, for every proof type
  (ceremony PoK, complaint, ballot selection, ballot total, decryption share), and the group
  description (curve name and generator) is bound into every ballot proof through `eh` (§3.4).
- RNG and nonce reuse: with a constant or re-seeded RNG two ballots share an α, and both the
  board and the verifier refuse the second (V11); 10⁴ fresh encryptions never repeat α, and
  2 500 proofs never repeat a commitment.
- Point validation on the cast path: an off-curve point, the identity, x ≥ p, a foreign prefix
  or upper-case hex in any point of a ballot is refused by `ElectionBoard.submit_bytes`, and
  nothing is stored; the verifier refuses the same ballot in a record.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from hamaporsi.crypto import bip340
from hamaporsi.crypto.elgamal import Ciphertext, encrypt
from hamaporsi.crypto.errors import CryptoError, EncodingError, InvalidProof
from hamaporsi.crypto.group import FIELD, Point, random_scalar
from hamaporsi.crypto.hashing import u32
from hamaporsi.crypto.proofs import (prove_equal_logs, prove_in_set, prove_knowledge,
                                     verify_equal_logs, verify_in_set, verify_knowledge)
from hamaporsi.crypto.share_encryption import shared_point
from hamaporsi.protocol import codec
from hamaporsi.protocol.ballot import BIT, encrypt_ballot, verify_ballot
from hamaporsi.protocol.ceremony import (Ceremony, TrusteeKeys, complaint_context, pok_context,
                                         run_ceremony)
from hamaporsi.protocol.election import TOTAL_INDEX, ElectionContext
from hamaporsi.protocol.errors import MalformedInput, ProtocolError, Rejected
from hamaporsi.protocol.manifest import Manifest, Text, build_manifest, parse_manifest
from hamaporsi.protocol.signing import sign_entry
from hamaporsi.protocol.tally import Tally, decryption_entry, verify_decryption

from support.election import Election

if TYPE_CHECKING:  # the attack fixtures (tests/attacks/conftest.py), for annotations only
    from conftest import Workspace

# -- two elections that differ only in their manifest (so in mh and eh) --------------------------


def _manifest(eid: str, keys: list[TrusteeKeys], organizer: bytes) -> Manifest:
    unsigned = build_manifest(
        election_id=eid, question=Text(fa="پرسش؟", en="Question?"),
        options=[Text(fa=f"گزینه {i}", en=f"Option {i}") for i in range(3)],
        min_selections=1, max_selections=1, opens=1_700_000_000, closes=1_700_086_400,
        organizer_key=bip340.public_key(organizer),
        registrar_key=bip340.public_key(organizer), board_key=bip340.public_key(organizer),
        trustees=[k.public_info(f"T{i}") for i, k in enumerate(keys, 1)], threshold=2)
    return parse_manifest(sign_entry(unsigned, organizer))


@dataclass
class TwoElections:
    """Election A (with a real ceremony) and election B: same trustees, same joint key, same
    credential list; only the manifest differs. Whatever A's proofs state is also true in B, so
    only the binding of each proof to its election can make it fail there."""

    a: Manifest
    b: Manifest
    keys: list[TrusteeKeys]
    ctx_a: ElectionContext
    ctx_b: ElectionContext
    shares: dict[int, int]
    public_shares: dict[int, Point]
    voter_secret: bytes
    voter: bytes


@pytest.fixture(scope="module")
def two() -> TwoElections:
    org = bip340.generate_secret()
    keys = [TrusteeKeys.generate() for _ in range(3)]
    a, b = _manifest("election-a", keys, org), _manifest("election-b", keys, org)
    entries, shares = run_ceremony(a, keys, org)
    cer = Ceremony.replay(a, entries)
    ch = bytes(range(32))
    ctx_a = ElectionContext.create(a, cer.joint_key, 10, ch)
    ctx_b = ElectionContext.create(b, cer.joint_key, 10, ch)
    assert a.hash != b.hash and ctx_a.hash != ctx_b.hash
    secret = bip340.generate_secret()
    return TwoElections(a, b, keys, ctx_a, ctx_b, shares, cer.public_shares, secret,
                        bip340.public_key(secret))


def _share_context(ctx: ElectionContext, trustee: int, option: int) -> bytes:
    """§6.4: eh ‖ u32(j) ‖ u32(i) ‖ "decrypt" (written from the spec, not imported)."""
    return ctx.hash + u32(trustee) + u32(option) + b"decrypt"


Verify = Callable[[bytes], None]


def _pok(t: TwoElections) -> tuple[Verify, bytes, bytes]:
    x = random_scalar()
    big_x = Point.mul_g(x)
    proof = prove_knowledge(pok_context(t.a.hash, 2, 1), x, big_x)
    return (lambda ctx: verify_knowledge(ctx, big_x, proof, check="V2", what="pok"),
            pok_context(t.a.hash, 2, 1), pok_context(t.b.hash, 2, 1))


def _complaint(t: TwoElections) -> tuple[Verify, bytes, bytes]:
    d = t.keys[1].encryption_secret  # trustee 2 complains against dealer 1
    eph = Point.mul_g(random_scalar())
    s = shared_point(d, eph)
    big_d = t.keys[1].encryption_key
    proof = prove_equal_logs(complaint_context(t.a.hash, 2, 1), d, eph, big_d, s)
    return (lambda ctx: verify_equal_logs(ctx, eph, big_d, s, proof, check="V2", what="complaint"),
            complaint_context(t.a.hash, 2, 1), complaint_context(t.b.hash, 2, 1))


def _ballot_parts(t: TwoElections) -> tuple[list[Ciphertext], list[Any], Any]:
    e = encrypt_ballot(t.ctx_a, t.voter_secret, t.voter, [1]).entry
    cts = [Ciphertext(codec.point(s["alpha"], "a"), codec.point(s["beta"], "b"))
           for s in e["selections"]]
    proofs = [codec.in_set_from_json(s["proof"], "p", 2) for s in e["selections"]]
    return cts, proofs, codec.in_set_from_json(e["total_proof"], "t", 2)


def _selection(t: TwoElections) -> tuple[Verify, bytes, bytes]:
    cts, proofs, _ = _ballot_parts(t)
    k = t.ctx_a.joint_key
    return (lambda ctx: verify_in_set(ctx, k, cts[1], proofs[1], BIT, check="V7", what="sel"),
            t.ctx_a.proof_context(t.voter, 1), t.ctx_b.proof_context(t.voter, 1))


def _total(t: TwoElections) -> tuple[Verify, bytes, bytes]:
    cts, _, total = _ballot_parts(t)
    k, tot = t.ctx_a.joint_key, Ciphertext.sum(cts)
    allowed = t.a.total_allowed
    assert allowed == (0, 1)
    return (lambda ctx: verify_in_set(ctx, k, tot, total, allowed, check="V8", what="total"),
            t.ctx_a.proof_context(t.voter, TOTAL_INDEX),
            t.ctx_b.proof_context(t.voter, TOTAL_INDEX))


def _decryption(t: TwoElections) -> tuple[Verify, bytes, bytes]:
    ct, _ = encrypt(t.ctx_a.joint_key, 1)
    j, s = 3, t.shares[3]
    m = ct.alpha.mul(s)
    proof = prove_equal_logs(_share_context(t.ctx_a, j, 0), s, ct.alpha, t.public_shares[j], m)
    return (lambda ctx: verify_equal_logs(ctx, ct.alpha, t.public_shares[j], m, proof,
                                          check="V13", what="share"),
            _share_context(t.ctx_a, j, 0), _share_context(t.ctx_b, j, 0))


PROOF_KINDS = {"ceremony-pok": _pok, "complaint": _complaint, "ballot-selection": _selection,
               "ballot-total": _total, "decryption-share": _decryption}


@pytest.mark.parametrize("kind", list(PROOF_KINDS))
def test_proof_made_for_election_a_fails_in_election_b(two: TwoElections, kind: str) -> None:
    verify, ctx_a, ctx_b = PROOF_KINDS[kind](two)
    verify(ctx_a)  # valid where it was made (with the context bytes the spec defines)
    assert ctx_a != ctx_b and len(ctx_a) == len(ctx_b)
    with pytest.raises(InvalidProof, match="challenge"):
        verify(ctx_b)


def test_ballot_relabelled_to_another_election_fails_its_proofs(two: TwoElections) -> None:
    """The voter's own device moves its ballot to election B and re-signs it: V5 and V6 pass,
    the proofs (bound to eh of A) fail."""
    e = encrypt_ballot(two.ctx_a, two.voter_secret, two.voter, [0]).entry
    verify_ballot(two.ctx_a, e)
    moved = sign_entry({**e, "election": two.ctx_b.hash.hex()}, two.voter_secret)
    with pytest.raises((ProtocolError, CryptoError)) as err:
        verify_ballot(two.ctx_b, moved)
    assert getattr(err.value, "check", None) == "V7"


def test_decryption_relabelled_to_another_election_fails_its_proofs(two: TwoElections) -> None:
    """Same tally, same trustee, same public share: only the context (eh) differs."""
    ct, _ = encrypt(two.ctx_a.joint_key, 1)
    tally = Tally(1, (ct, ct, ct))
    j = 2
    e = decryption_entry(two.ctx_a, tally, j, two.shares[j], two.keys[j - 1].signing_secret)
    verify_decryption(two.ctx_a, tally, e, two.public_shares)
    moved = sign_entry({**e, "election": two.ctx_b.hash.hex()}, two.keys[j - 1].signing_secret)
    with pytest.raises(Rejected) as err:
        verify_decryption(two.ctx_b, tally, moved, two.public_shares)
    assert (err.value.check, err.value.code) == ("V13", "bad_share")


@pytest.mark.parametrize("group", [b"secp256r1" + Point.G.encode(),
                                   b"secp256k1" + Point.mul_g(2).encode()],
                         ids=["other-curve-name", "other-generator"])
def test_group_description_is_bound_into_ballot_proofs(two: TwoElections, group: bytes,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """GROUP (§3.4) enters eh, hence every proof: a ballot made under another group
    description fails here even when relabelled and re-signed."""
    from hamaporsi.protocol import election
    monkeypatch.setattr(election, "GROUP_DESCRIPTION", group)
    other = ElectionContext.create(two.a, two.ctx_a.joint_key, two.ctx_a.credential_count,
                                   two.ctx_a.credential_hash)
    monkeypatch.undo()
    again = ElectionContext.create(two.a, two.ctx_a.joint_key, two.ctx_a.credential_count,
                                   two.ctx_a.credential_hash)
    assert other.hash != two.ctx_a.hash == again.hash
    e = encrypt_ballot(other, two.voter_secret, two.voter, [2]).entry
    verify_ballot(other, e)
    moved = sign_entry({**e, "election": two.ctx_a.hash.hex()}, two.voter_secret)
    with pytest.raises((ProtocolError, CryptoError)) as err:
        verify_ballot(two.ctx_a, moved)
    assert getattr(err.value, "check", None) == "V7"


# -- RNG and nonce reuse (V11) -------------------------------------------------------------------


@pytest.fixture
def yes_no(tmp_path: Path) -> Iterator[Election]:
    """A yes/no election (one stored ciphertext per ballot), voting open."""
    e = Election(tmp_path / "board.sqlite", options=2, voters=3)
    e.open()
    yield e
    e.store.close()


def _stored(el: Election) -> tuple[int, int, int]:
    led = el.eb.ledger
    return el.store.size(), led.ballots, led.audits


def test_constant_rng_is_caught_in_the_first_ballot(
        yes_no: Election, monkeypatch: pytest.MonkeyPatch) -> None:
    """A constant RNG makes α = r·G equal to the real branch's commitment u·G: the very first
    ballot is refused, and a second one would repeat its α."""
    monkeypatch.setattr(secrets, "randbelow", lambda n: 41)  # random_scalar() is now always 42
    b1, b2 = yes_no.ballot(0, [0]), yes_no.ballot(1, [1])
    monkeypatch.undo()
    a1, a2 = (b.entry["selections"][0]["alpha"] for b in (b1, b2))
    assert a1 == a2 == Point.mul_g(42).encode().hex()
    before = _stored(yes_no)
    for b in (b1, b2):
        with pytest.raises(Rejected) as e:
            yes_no.eb.submit_bytes(b.bytes)
        assert (e.value.check, e.value.code) == ("V11", "duplicate")
        assert "repeats within the ballot" in str(e.value)
    assert _stored(yes_no) == before


def test_reused_proof_nonce_with_fresh_r_is_refused(yes_no: Election) -> None:
    """Fresh encryption nonces but a repeated proof nonce u: the real branch's commitment
    a = u·G repeats across ballots and would reveal both votes (V11)."""
    def rand_for(r: int) -> Callable[[], int]:
        draws = iter([r, 42, 7, 9])  # r, then the proof's u, c, v
        return lambda: next(draws)

    c0, c1 = yes_no.creds[0], yes_no.creds[1]
    b1 = encrypt_ballot(yes_no.ctx, c0.secret, c0.public, [0], rand=rand_for(1001))
    b2 = encrypt_ballot(yes_no.ctx, c1.secret, c1.public, [0], rand=rand_for(2002))
    idx, _ = yes_no.eb.submit_bytes(b1.bytes)
    before = _stored(yes_no)
    with pytest.raises(Rejected) as e:
        yes_no.eb.submit_bytes(b2.bytes)
    assert (e.value.check, e.value.code) == ("V11", "duplicate")
    assert "proof commitment" in str(e.value) and f"repeats entry {idx}" in str(e.value)
    assert _stored(yes_no) == before


def _reseeded(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    """An RNG seeded with the same value on every run (SJCL seeded from the clock): every
    ballot draws the same sequence of scalars."""
    rng = random.Random(seed)
    monkeypatch.setattr(secrets, "randbelow", lambda n: rng.randrange(n))


@pytest.mark.parametrize("workers,chunk", [(1, 1000), (2, 1)])
def test_reseeded_rng_two_ballots_share_alpha_and_the_verifier_refuses_the_second(
        ws: Workspace, monkeypatch: pytest.MonkeyPatch, workers: int, chunk: int) -> None:
    """Board + voters with a broken RNG: two listed voters' ballots (different choices) share
    their first α; the record fails V11 at the second, in one worker or across chunks."""
    d = ws.demo
    cred_a, cred_b = sorted(d.voter_secrets)[:2]
    ballots = []
    for cred, choice in ((cred_a, 0), (cred_b, 1)):
        _reseeded(monkeypatch, 1234)
        ballots.append(encrypt_ballot(d.ctx, d.voter_secrets[cred], bytes.fromhex(cred),
                                      [choice]).entry)
    monkeypatch.undo()
    s1, s2 = (b["selections"] for b in ballots)
    assert s1[0]["alpha"] == s2[0]["alpha"] and s1[0]["beta"] != s2[0]["beta"]
    assert s1[0]["alpha"] != s1[1]["alpha"]  # not a repeat inside one ballot
    es = ws.entries()
    c = d.index("close")
    es[c:c] = ballots
    ws.write(es)
    rep = ws.verify(workers=workers, chunk=chunk)
    assert rep.failure is not None
    assert (rep.failure.check, rep.failure.entry) == ("V11", c + 1), rep.failure
    assert f"repeats entry {c}" in rep.failure.reason


def test_no_alpha_or_commitment_repeats_over_10k_encryptions() -> None:
    k = Point.mul_g(random_scalar())
    alphas = {encrypt(k, i & 1)[0].alpha.encode() for i in range(10_000)}
    assert len(alphas) == 10_000
    commitments: set[bytes] = set()
    for i in range(2_500):
        ct, r = encrypt(k, i & 1)
        p = prove_in_set(b"ctx", k, ct, i & 1, r, BIT)
        commitments.update(x.encode() for br in p.branches for x in (br.a, br.b))
    assert len(commitments) == 10_000
    assert not commitments & alphas


# -- point validation on the cast path -----------------------------------------------------------

def _is_x(x: int) -> bool:
    y2 = (pow(x, 3, FIELD) + 7) % FIELD
    return pow(y2, (FIELD - 1) // 2, FIELD) == 1


_VALID_X = next(x for x in range(1, 100) if _is_x(x))
_INVALID_X = next(x for x in range(1, 100) if not _is_x(x))
BAD_POINTS = {
    "identity": "00" * 33,
    "off-curve": "02" + _INVALID_X.to_bytes(32, "big").hex(),
    "x-not-below-p": "03" + (FIELD + _VALID_X).to_bytes(32, "big").hex(),  # ≡ a valid x mod p
    "prefix-04": "04" + _VALID_X.to_bytes(32, "big").hex(),
    "prefix-05": "05" + _VALID_X.to_bytes(32, "big").hex(),
    "upper-case-hex": Point.mul_g(7).encode().hex().upper(),
    "66-hex-but-64": Point.mul_g(7).encode().hex()[:64],
}
POINT_FIELDS = [("selections", 0, "alpha"), ("selections", 1, "beta"),
                ("selections", 0, "proof", 0, "a"), ("selections", 1, "proof", 1, "b"),
                ("total_proof", 0, "a"), ("total_proof", 1, "b")]


def test_the_bad_points_really_are_bad() -> None:
    for name, hexed in BAD_POINTS.items():
        with pytest.raises((EncodingError, MalformedInput, ValueError)):
            codec.point(hexed, name)
    with pytest.raises(EncodingError):
        Point.decode(bytes.fromhex(BAD_POINTS["x-not-below-p"]))
    assert Point.decode(bytes([3]) + _VALID_X.to_bytes(32, "big")).encode()[1:] == \
        _VALID_X.to_bytes(32, "big")  # the same x reduced mod p is a point: no reduction here


def _put(entry: dict[str, Any], path: tuple[Any, ...], value: str) -> None:
    obj: Any = entry
    for p in path[:-1]:
        obj = obj[p]
    obj[path[-1]] = value




@pytest.mark.parametrize("bad", list(BAD_POINTS))
def test_bad_point_in_a_cast_ballot_is_refused_and_nothing_stored(el: Election,
                                                                 bad: str) -> None:
    """The voter's device is the attacker: it signs the ballot with the bad point in it."""
    import copy
    good = el.ballot(0, [1])
    for path in POINT_FIELDS:
        e = copy.deepcopy(good.entry)
        _put(e, path, BAD_POINTS[bad])
        e = sign_entry(e, el.creds[0].secret)
        before = _stored(el)
        with pytest.raises(MalformedInput) as err:
            el.eb.submit(e)
        assert err.value.code in ("bad_point", "bad_encoding"), (path, err.value)
        assert f"ballot.{path[0]}" in str(err.value)  # the error names the field
        assert _stored(el) == before
    el.eb.submit_bytes(good.bytes)  # the untouched ballot is still taken
    assert el.eb.ledger.ballots == 1


@pytest.mark.parametrize("bad", ["identity", "off-curve", "x-not-below-p"])
def test_bad_point_in_a_recorded_ballot_fails_the_verifier(ws: Workspace, bad: str) -> None:
    d = ws.demo
    cred = sorted(d.voter_secrets)[0]
    e = encrypt_ballot(d.ctx, d.voter_secrets[cred], bytes.fromhex(cred), [0]).entry
    e["selections"][0]["alpha"] = BAD_POINTS[bad]
    e = sign_entry(e, d.voter_secrets[cred])
    es = ws.entries()
    c = d.index("close")
    es.insert(c, e)
    ws.write(es)
    rep = ws.verify()
    assert rep.failure is not None and rep.failure.entry == c, rep.failure
    assert rep.failure.check == "V5" and "selections[0].alpha" in rep.failure.reason
