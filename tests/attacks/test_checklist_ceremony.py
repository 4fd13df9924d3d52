"""Security checklist §2, key ceremony (`../shared/research/security.md`): what
tests/protocol/test_ceremony.py and tests/crypto/test_vss.py did not already cover.

- Rogue key: even if the last trustee knew the others' constant terms when it committed, its
  rogue constant term K' − Σ A_j0 comes without a proof of knowledge; a forged or borrowed
  proof is refused (`bad_proof`) and the ceremony is unchanged.
- Degree and threshold: the top commitment may not be the identity (the polynomial has degree
  exactly k − 1), and over 1 000 random sharings no k − 1 shares reconstruct the secret
  (tests/protocol/test_ceremony.py checks the same on each honest ceremony it runs).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hamaporsi.crypto import bip340, vss
from hamaporsi.crypto.group import ORDER, Point, random_scalar
from hamaporsi.crypto.proofs import SchnorrProof
from hamaporsi.protocol.ceremony import Ceremony, TrusteeKeys, TrusteeSession, reveal_digest
from hamaporsi.protocol.ceremony_entries import reveal_payload
from hamaporsi.protocol.errors import MalformedInput, Rejected
from hamaporsi.protocol.manifest import Manifest, Text, build_manifest, parse_manifest
from hamaporsi.protocol.signing import sign_entry


def _setup(n: int, k: int) -> tuple[Manifest, list[TrusteeKeys], bytes]:
    org = bip340.generate_secret()
    keys = [TrusteeKeys.generate() for _ in range(n)]
    body = build_manifest(
        election_id="checklist-ceremony", question=Text("آیا موافقید؟", "Do you agree?"),
        options=[Text("بله", "Yes"), Text("خیر", "No")], min_selections=1, max_selections=1,
        opens=1000, closes=2000, organizer_key=bip340.public_key(org),
        registrar_key=bip340.public_key(org), board_key=bip340.public_key(org),
        trustees=[t.public_info(f"trustee {i}") for i, t in enumerate(keys, 1)], threshold=k)
    return parse_manifest(sign_entry(body, org)), keys, org


def _state(c: Ceremony) -> dict[str, Any]:
    return {k: dict(v) if isinstance(v, dict) else v for k, v in vars(c).items()}


def _commit_and_reveal(m: Manifest, keys: list[TrusteeKeys], i: int,
                       payload: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Trustee i's correctly signed commit and reveal of `payload` (whatever it holds)."""
    secret = keys[i - 1].signing_secret
    commit = sign_entry({"type": "dkg-commit", "manifest": m.hash.hex(), "trustee": i,
                         "digest": reveal_digest(m.hash, i, payload).hex()}, secret)
    reveal = sign_entry({"type": "dkg-reveal", "manifest": m.hash.hex(), "trustee": i,
                         **payload}, secret)
    return commit, reveal


def _forged(big_x: Point) -> SchnorrProof:
    """The only 'proof' possible without the discrete log: pick c and v, solve for h."""
    c, v = random_scalar(), random_scalar()
    return SchnorrProof(Point.mul_g(v) - big_x.mul(c), c, v)


@pytest.mark.parametrize("proof", ["forged", "own-honest-proof", "other-trustees-proof"])
def test_rogue_constant_term_without_knowledge_is_refused(proof: str) -> None:
    """Trustee 3 aims the joint key at a key X it chose: A_30 = X − A_10 − A_20. It cannot
    prove knowledge of log A_30. (Commit-before-reveal already stops it from seeing A_10 and
    A_20 in time; this test grants it that knowledge and checks the PoK alone.)"""
    m, keys, _ = _setup(3, 2)
    sess = [TrusteeSession.start(m, k) for k in keys]
    target = Point.mul_g(random_scalar())
    rogue = target - sess[0].commitments[0] - sess[1].commitments[0]
    coeffs = [rogue, *sess[2].commitments[1:]]
    p0 = {"forged": _forged(rogue), "own-honest-proof": sess[2].proofs[0],
          "other-trustees-proof": sess[0].proofs[0]}[proof]
    payload = reveal_payload(coeffs, [p0, *sess[2].proofs[1:]])
    commit3, reveal3 = _commit_and_reveal(m, keys, 3, payload)
    c = Ceremony(m)
    for e in (sess[0].commit_entry(), sess[1].commit_entry(), commit3,
              sess[0].reveal_entry(), sess[1].reveal_entry()):
        c.ingest(e)
    assert Point.sum([rogue, sess[0].commitments[0], sess[1].commitments[0]]) == target
    before = _state(c)
    with pytest.raises(Rejected) as e:
        c.ingest(reveal3)
    assert (e.value.check, e.value.code) == ("V2", "bad_proof")
    assert "trustee 3, coefficient 0" in str(e.value)
    assert _state(c) == before and 3 not in c.qualified


@pytest.mark.parametrize("position", ["top", "middle"])
def test_identity_coefficient_commitment_is_refused(position: str) -> None:
    """An identity top commitment would mean degree < k − 1: fewer than k shares decrypt."""
    m, keys, _ = _setup(3, 3)
    sess = [TrusteeSession.start(m, k) for k in keys]
    t = sess[0]
    coeffs = list(t.commitments)
    j = 2 if position == "top" else 1
    payload = reveal_payload(coeffs, list(t.proofs))
    payload["coefficients"][j] = "00" * 33
    commit, reveal = _commit_and_reveal(m, keys, 1, payload)
    c = Ceremony(m)
    for e in (commit, sess[1].commit_entry(), sess[2].commit_entry()):
        c.ingest(e)
    before = _state(c)
    with pytest.raises(MalformedInput, match=rf"coefficients\[{j}\]: the identity"):
        c.ingest(reveal)
    assert _state(c) == before


def _interpolate(points: dict[int, int]) -> int:
    idx = list(points)
    return sum(vss.lagrange_at_zero(i, idx) * y for i, y in points.items()) % ORDER


@settings(max_examples=250, deadline=None)
@given(st.data())
def test_fewer_than_k_shares_never_reconstruct(data: st.DataObject) -> None:
    """Over 1 000 random sharings (250 drawn shapes × 4), the k − 1 shares a coalition holds
    never interpolate to the secret, and one more share always does (a degree bug — a line
    instead of degree k − 1, a zero top coefficient — would break the first)."""
    k = data.draw(st.integers(2, 7), label="k")
    n = data.draw(st.integers(k, 9), label="n")
    holders = data.draw(st.lists(st.integers(1, n), min_size=k - 1, max_size=k - 1,
                                 unique=True), label="coalition")
    extra = next(i for i in range(1, n + 1) if i not in holders)
    for _ in range(4):
        coeffs = vss.random_polynomial(k)
        assert len(coeffs) == k and coeffs[-1] != 0
        shares = {i: vss.evaluate(coeffs, i) for i in holders}
        assert _interpolate(shares) != coeffs[0]
        assert _interpolate({**shares, extra: vss.evaluate(coeffs, extra)}) == coeffs[0]
