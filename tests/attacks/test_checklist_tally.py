"""Security checklist §5, tally and decryption (`../shared/research/security.md`): what
tests/protocol/test_tally.py, test_ledger.py and tests/crypto/test_vss.py did not already cover.

- The decryption-share proof binds M, α and the trustee index: a valid proof fails when paired
  with another M, another α or another trustee index (same public share), and a trustee's entry
  relabelled to another trustee, or carrying another trustee's shares, is refused by the board.
- Only verified shares are combined: among k + 1 trustees one posts a bad share; the board
  names and refuses it (V13, nothing stored), the other k decrypt, and the result equals the
  honest one and verifies; trustee index 0 or n + 1 is refused.
- Discrete log of the tally: a yes/no election (the "no" count derived, §5.5) decodes 0, 1, 2
  and N ballots, all yes or all no; a count above `counted` fails explicitly.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hamaporsi.crypto.elgamal import Ciphertext, encrypt
from hamaporsi.crypto.errors import CryptoError, InvalidProof
from hamaporsi.crypto.group import Point
from hamaporsi.crypto.hashing import u32
from hamaporsi.crypto.proofs import verify_equal_logs
from hamaporsi.protocol import codec
from hamaporsi.protocol.ballot import counted_totals
from hamaporsi.protocol.election import ElectionContext
from hamaporsi.protocol.errors import MalformedInput, ProtocolError, Rejected
from hamaporsi.protocol.signing import sign_entry
from hamaporsi.protocol.tally import (Tally, combine, decryption_entry, result_entry,
                                      verify_decryption)
from hamaporsi.verify.runner import verify_record

from support.election import Election

VOTES = [[0], [2], [0], [1], [0]]  # voters 0..4
WANT = [3, 1, 1]


@pytest.fixture
def tallied(tmp_path: Path) -> Iterator[Election]:
    """Exactly one of three, 3 trustees, threshold 2; five ballots cast, closed and tallied."""
    el = Election(tmp_path / "board.sqlite", voters=len(VOTES))
    el.open()
    for v, sel in enumerate(VOTES):
        el.cast(v, sel)
    el.close()
    el.tally()
    yield el
    el.store.close()


def _share_context(ctx: ElectionContext, trustee: int, option: int) -> bytes:
    """§6.4: eh ‖ u32(j) ‖ u32(i) ‖ "decrypt" (written from the spec, not imported)."""
    return ctx.hash + u32(trustee) + u32(option) + b"decrypt"


def _entry(el: Election, j: int, signer: int | None = None) -> dict[str, Any]:
    led = el.eb.ledger
    assert led.tally is not None
    return decryption_entry(el.ctx, led.tally, j, el.shares[j],
                            el.tkeys[(signer or j) - 1].signing_secret)


def _state(el: Election) -> tuple[int, tuple[int, ...], str]:
    led = el.eb.ledger
    return el.store.size(), tuple(sorted(led.shares)), led.phase


def _refused(el: Election, entry: dict[str, Any], check: str | None,
             code: str | None = None) -> None:
    before = _state(el)
    with pytest.raises((ProtocolError, CryptoError)) as e:
        el.eb.submit(entry)
    assert getattr(e.value, "check", None) == check, e.value
    if code is not None:
        assert e.value.code == code  # type: ignore[union-attr]
    assert _state(el) == before


# -- the decryption-share proof statement ---------------------------------------------------------


def test_share_proof_fails_with_another_m_alpha_or_trustee_index(tallied: Election) -> None:
    el = tallied
    tally = el.eb.ledger.tally
    assert tally is not None
    public = el.eb.ledger.ceremony.public_shares  # type: ignore[union-attr]
    j, i = 1, 0
    share = _entry(el, j)["shares"][i]
    m = codec.point(share["m"], "m")
    proof = codec.dleq_from_json(share["proof"], "proof")
    alpha = tally.ciphertexts[i].alpha
    m_other_trustee = codec.point(_entry(el, 2)["shares"][i]["m"], "m")

    def check(ctx: bytes, h: Point, y: Point) -> None:
        verify_equal_logs(ctx, h, public[j], y, proof, check="V13", what="share")

    check(_share_context(el.ctx, j, i), alpha, m)  # the genuine statement
    cases = {
        "M + G": (_share_context(el.ctx, j, i), alpha, m + Point.G),
        "another trustee's M": (_share_context(el.ctx, j, i), alpha, m_other_trustee),
        "another α": (_share_context(el.ctx, j, i), tally.ciphertexts[1].alpha, m),
        "α of a fresh ciphertext": (_share_context(el.ctx, j, i),
                                    encrypt(el.ctx.joint_key, 1)[0].alpha, m),
        "trustee index 2": (_share_context(el.ctx, 2, i), alpha, m),
        "trustee index 3": (_share_context(el.ctx, 3, i), alpha, m),
    }
    for name, (ctx, h, y) in cases.items():
        with pytest.raises(InvalidProof):
            check(ctx, h, y)
        assert (ctx, h, y) != (_share_context(el.ctx, j, i), alpha, m), name


def test_board_refuses_relabelled_or_mixed_decryption_entries(tallied: Election) -> None:
    el = tallied
    # trustee 1's entry, relabelled as trustee 2's and signed by trustee 2
    relabelled = sign_entry({**_entry(el, 1), "trustee": 2}, el.tkeys[1].signing_secret)
    _refused(el, relabelled, "V13", "bad_share")
    # trustee 2's proofs with trustee 1's Ms
    mixed = copy.deepcopy(_entry(el, 2))
    for s, other in zip(mixed["shares"], _entry(el, 1)["shares"]):
        s["m"] = other["m"]
    _refused(el, sign_entry(mixed, el.tkeys[1].signing_secret), "V13", "bad_share")
    el.decrypt([2])  # trustee 2's own entry is taken


# -- combine only verified shares -------------------------------------------------------------


def test_bad_share_among_k_plus_one_is_named_and_the_others_decrypt(tallied: Election,
                                                                    tmp_path: Path) -> None:
    el = tallied
    bad = copy.deepcopy(_entry(el, 1))
    m = Point.decode(bytes.fromhex(bad["shares"][2]["m"]))
    bad["shares"][2]["m"] = (m + Point.G).encode().hex()  # one wrong share among three
    before = _state(el)
    with pytest.raises(Rejected) as e:
        el.eb.submit(sign_entry(bad, el.tkeys[0].signing_secret))
    assert (e.value.check, e.value.code) == ("V13", "bad_share")
    assert "trustee 1 option 2" in str(e.value)  # names the trustee and the option
    assert _state(el) == before
    for j in (0, 4):  # no trustee 0, no trustee n + 1
        with pytest.raises(MalformedInput, match="decryption.trustee"):
            el.eb.submit(sign_entry({**_entry(el, 1), "trustee": j}, el.tkeys[0].signing_secret))
        assert _state(el) == before
    el.decrypt([2, 3])
    led = el.eb.ledger
    assert led.tally is not None and sorted(led.shares) == [2, 3]
    counts = combine(el.ctx, led.tally, led.shares)
    assert counts == WANT
    el.eb.submit(result_entry(el.ctx, counts, led.index.voters(), [2, 3], el.organizer))
    el.eb.checkpoint()
    rec = el.eb.export(tmp_path / "record")
    rep = verify_record(rec, workers=1)
    assert rep.ok, rep.failure
    assert rep.result is not None and rep.result["counts"] == WANT
    assert rep.result["trustees"] == [2, 3]


# -- discrete log of a yes/no tally -------------------------------------------------------------


@pytest.fixture(scope="module")
def yes_no(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Election]:
    el = Election(tmp_path_factory.mktemp("yes-no") / "board.sqlite", options=2, voters=1)
    assert el.manifest.stored_options == 1 and el.manifest.implied_last
    yield el
    el.store.close()


def _tally(el: Election, votes: list[int], counted: int) -> Tally:
    stored = Ciphertext(Point.IDENTITY, Point.IDENTITY)
    for v in votes:  # 1 = yes (option 0 stored), 0 = no (the implied option)
        stored = stored + encrypt(el.ctx.joint_key, v)[0]
    return Tally(counted, tuple(counted_totals(el.ctx, [stored], counted)))


def _decrypt(el: Election, tally: Tally) -> list[int]:
    public = el.eb.ledger.ceremony.public_shares  # type: ignore[union-attr]
    shares = {}
    for j in (1, 3):
        e = decryption_entry(el.ctx, tally, j, el.shares[j], el.tkeys[j - 1].signing_secret)
        jj, ms = verify_decryption(el.ctx, tally, e, public)
        shares[jj] = ms
    return combine(el.ctx, tally, shares)


@pytest.mark.parametrize("n", [0, 1, 2, 37])
@pytest.mark.parametrize("all_yes", [True, False], ids=["all-yes", "all-no"])
def test_yes_no_tally_of_n_ballots_decodes(yes_no: Election, n: int, all_yes: bool) -> None:
    tally = _tally(yes_no, [int(all_yes)] * n, n)
    assert _decrypt(yes_no, tally) == ([n, 0] if all_yes else [0, n])
    if all_yes and n:
        with pytest.raises(Rejected) as e:  # n yes votes cannot be found in [0, n − 1]
            _decrypt(yes_no, _tally(yes_no, [1] * n, n - 1))
        assert (e.value.check, e.value.code) == ("V14", "bad_tally")
