"""Tally, threshold decryption and combination (spec §7.2–§7.4): any k of n trustees give the
same counts, a bad share is refused (V13), zero and empty tallies decode to 0 through the
identity point, and fewer than k shares cannot produce a result (V14)."""

from __future__ import annotations

import itertools
from functools import cache

import pytest

from hamaporsi.crypto import bip340
from hamaporsi.crypto.elgamal import Ciphertext, encrypt
from hamaporsi.crypto.group import Point
from hamaporsi.protocol.ballot import counted_totals
from hamaporsi.protocol.ceremony import Ceremony, TrusteeKeys, run_ceremony
from hamaporsi.protocol.election import ElectionContext
from hamaporsi.protocol.errors import Rejected
from hamaporsi.protocol.manifest import Text, build_manifest, parse_manifest
from hamaporsi.protocol.signing import sign_entry
from hamaporsi.protocol.tally import (Tally, combine, decryption_entry, parse_tally,
                                      tally_entry, verify_decryption)

IDENTITY_HEX = "00" * 33


class Trustees:
    """An exactly-one-of-3 election with n trustees and threshold k, keys from a real ceremony."""

    def __init__(self, n: int, k: int) -> None:
        self.organizer = bip340.generate_secret()
        self.keys = [TrusteeKeys.generate() for _ in range(n)]
        unsigned = build_manifest(
            election_id="tally-test", question=Text(fa="پرسش؟", en="Question?"),
            options=[Text(fa=f"گزینه {i}", en=f"Option {i}") for i in range(3)],
            min_selections=1, max_selections=1, opens=1_700_000_000, closes=1_700_086_400,
            organizer_key=bip340.public_key(self.organizer),
            registrar_key=bip340.public_key(bip340.generate_secret()),
            board_key=bip340.public_key(bip340.generate_secret()),
            trustees=[t.public_info(f"T{i}") for i, t in enumerate(self.keys, 1)], threshold=k)
        self.manifest = m = parse_manifest(sign_entry(unsigned, self.organizer))
        entries, self.shares = run_ceremony(m, self.keys, self.organizer)
        cer = Ceremony.replay(m, entries)
        assert cer.qualified == tuple(range(1, n + 1))
        self.public_shares = cer.public_shares
        self.ctx = ElectionContext.create(m, cer.joint_key, 100, b"\x05" * 32)

    def tally(self, choices: list[int]) -> Tally:
        """The tally of one ballot per choice (option index), as the organizer posts it."""
        k = self.ctx.joint_key
        stored = [Ciphertext(Point.IDENTITY, Point.IDENTITY)] * 2
        for c in choices:
            stored = [s + encrypt(k, int(c == i))[0] for i, s in enumerate(stored)]
        totals = counted_totals(self.ctx, stored, len(choices))
        return parse_tally(self.ctx, tally_entry(self.ctx, totals, len(choices), self.organizer))

    def decryption(self, tally: Tally, j: int) -> dict:
        return decryption_entry(self.ctx, tally, j, self.shares[j],
                                self.keys[j - 1].signing_secret)

    def verified_shares(self, tally: Tally, trustees: list[int]) -> dict[int, list[Point]]:
        out = {}
        for j in trustees:
            jj, ms = verify_decryption(self.ctx, tally, self.decryption(tally, j),
                                       self.public_shares)
            assert jj == j
            out[j] = ms
        return out


@cache
def trustees(n: int, k: int) -> Trustees:
    return Trustees(n, k)


PAIRS = [(n, k) for n in range(1, 6) for k in range(1, n + 1)]
CHOICES = [0, 2, 0, 0, 2, 0]  # option 1 gets no vote: its count is 0 from a non-identity α
WANT = [4, 0, 2]


@pytest.mark.parametrize("n,k", PAIRS, ids=[f"{k}-of-{n}" for n, k in PAIRS])
def test_every_k_subset_gives_the_same_counts(n: int, k: int) -> None:
    t = trustees(n, k)
    tally = t.tally(CHOICES)
    assert not tally.ciphertexts[1].alpha.is_identity
    shares = t.verified_shares(tally, list(range(1, n + 1)))
    for subset in itertools.combinations(range(1, n + 1), k):
        assert combine(t.ctx, tally, {j: shares[j] for j in subset}) == WANT, subset
    assert combine(t.ctx, tally, shares) == WANT  # more than k: the first k are used


def test_fewer_than_k_shares() -> None:
    t = trustees(5, 3)
    tally = t.tally(CHOICES)
    shares = t.verified_shares(tally, [2, 5])
    with pytest.raises(Rejected) as e:
        combine(t.ctx, tally, shares)
    assert (e.value.check, e.value.code) == ("V14", "too_few_shares")
    with pytest.raises(Rejected):
        combine(t.ctx, tally, {})


def test_shares_of_wrong_trustees_give_no_count() -> None:
    """Shares filed under the wrong indices interpolate to garbage: no count in [0, B]."""
    t = trustees(3, 2)
    tally = t.tally(CHOICES)
    s = t.verified_shares(tally, [1, 2])
    with pytest.raises(Rejected) as e:
        combine(t.ctx, tally, {1: s[2], 2: s[1]})
    assert (e.value.check, e.value.code) == ("V14", "bad_tally")


def test_count_above_counted_is_refused() -> None:
    """A tally whose `counted` understates the ballots cannot be decoded in [0, counted]."""
    t = trustees(3, 2)
    real = t.tally(CHOICES)
    tally = Tally(1, real.ciphertexts)
    shares = t.verified_shares(tally, [1, 3])
    with pytest.raises(Rejected) as e:
        combine(t.ctx, tally, shares)
    assert (e.value.check, e.value.code) == ("V14", "bad_tally")


# -- bad shares (V13) ----------------------------------------------------------------------------


def _resign(t: Trustees, e: dict, j: int) -> dict:
    return sign_entry(e, t.keys[j - 1].signing_secret)


def test_wrong_m_is_refused() -> None:
    t = trustees(3, 2)
    tally = t.tally(CHOICES)
    e = t.decryption(tally, 2)
    m = Point.decode(bytes.fromhex(e["shares"][1]["m"]))
    e["shares"][1] = {**e["shares"][1], "m": (m + Point.G).encode().hex()}
    with pytest.raises(Rejected) as err:
        verify_decryption(t.ctx, tally, _resign(t, e, 2), t.public_shares)
    assert (err.value.check, err.value.code) == ("V13", "bad_share")


def test_share_made_with_another_trustees_secret() -> None:
    """Trustee 3 posts shares computed with trustee 1's secret: they do not match P₃."""
    t = trustees(3, 2)
    tally = t.tally(CHOICES)
    e = decryption_entry(t.ctx, tally, 3, t.shares[1], t.keys[2].signing_secret)
    with pytest.raises(Rejected) as err:
        verify_decryption(t.ctx, tally, e, t.public_shares)
    assert err.value.check == "V13"


def test_proof_moved_between_options() -> None:
    t = trustees(3, 2)
    tally = t.tally(CHOICES)
    e = t.decryption(tally, 1)
    s = e["shares"]
    s[0], s[2] = {**s[0], "proof": s[2]["proof"]}, {**s[2], "proof": s[0]["proof"]}
    with pytest.raises(Rejected) as err:
        verify_decryption(t.ctx, tally, _resign(t, e, 1), t.public_shares)
    assert err.value.check == "V13"


def test_share_for_another_tally() -> None:
    t = trustees(3, 2)
    tally, other = t.tally(CHOICES), t.tally(CHOICES)
    with pytest.raises(Rejected) as err:
        verify_decryption(t.ctx, tally, t.decryption(other, 1), t.public_shares)
    assert err.value.check == "V13"


def test_unqualified_or_unknown_trustee() -> None:
    t = trustees(3, 2)
    tally = t.tally(CHOICES)
    public = dict(t.public_shares)
    del public[2]  # as if trustee 2 had been disqualified in the ceremony
    with pytest.raises(Rejected) as err:
        verify_decryption(t.ctx, tally, t.decryption(tally, 2), public)
    assert (err.value.check, err.value.code) == ("V13", "not_qualified")


# -- zero and the identity -----------------------------------------------------------------------


def test_empty_tally_decodes_to_zero() -> None:
    """No ballot at all: every tally ciphertext is the identity (wire: 33 zero bytes), every share
    is the identity with a null proof, and every count is 0."""
    t = trustees(3, 2)
    tally = t.tally([])
    assert tally.counted == 0
    assert all(c.alpha.is_identity and c.beta.is_identity for c in tally.ciphertexts)
    entry = tally_entry(t.ctx, list(tally.ciphertexts), 0, t.organizer)
    assert {c["alpha"] for c in entry["ciphertexts"]} == {IDENTITY_HEX}
    e = t.decryption(tally, 3)
    assert all(s == {"m": IDENTITY_HEX, "proof": None} for s in e["shares"])
    shares = t.verified_shares(tally, [1, 3])
    assert combine(t.ctx, tally, shares) == [0, 0, 0]


def test_identity_alpha_needs_identity_share_and_no_proof() -> None:
    t = trustees(3, 2)
    tally = t.tally([])
    good = t.decryption(tally, 1)
    some_proof = t.decryption(t.tally(CHOICES), 1)["shares"][0]["proof"]
    for bad_share in ({"m": Point.G.encode().hex(), "proof": None},
                      {"m": IDENTITY_HEX, "proof": some_proof}):
        e = {**good, "shares": [bad_share, *good["shares"][1:]]}
        with pytest.raises(Rejected) as err:
            verify_decryption(t.ctx, tally, _resign(t, e, 1), t.public_shares)
        assert (err.value.check, err.value.code) == ("V13", "bad_share")


def test_unanimous_tally() -> None:
    """Every ballot for the first option: the other two counts are 0, the last one derived."""
    t = trustees(2, 2)
    tally = t.tally([0, 0, 0])
    assert combine(t.ctx, tally, t.verified_shares(tally, [1, 2])) == [3, 0, 0]
    tally = t.tally([2, 2])
    assert combine(t.ctx, tally, t.verified_shares(tally, [1, 2])) == [0, 0, 2]
