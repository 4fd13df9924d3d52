"""Security checklist §3, ballots and casting (`../shared/research/security.md`): what
tests/protocol/test_ballot.py, test_ledger.py and the tamper suite did not already cover.

- Re-randomised copies (α·r′G, β·r′K) keeping the old proofs: refused by the board whoever signs
  them (V6 unsigned, V7 re-signed by the voter or by a copier's credential), and by the verifier.
- The ballot signature covers every byte: any one character changed anywhere in a ballot (any
  field, the election hash included) or any key added, removed or reordered invalidates it.
- Server stuffing: a ballot or an audit by a credential that is not on the published list fails
  the verifier (V10); no credential can be added once voting is open.
- Re-voting: two concurrent casts by one credential through two board processes are serialised;
  the later one in board order counts, and the verifier recomputes the same result.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from hamaporsi.board.election_board import ElectionBoard
from hamaporsi.board.sqlite import SQLiteStore
from hamaporsi.crypto.errors import CryptoError
from hamaporsi.crypto.group import Point, random_scalar
from hamaporsi.protocol.ballot import encrypt_ballot
from hamaporsi.protocol.credentials import Credential, credential_entries
from hamaporsi.protocol.errors import ProtocolError, Rejected
from hamaporsi.protocol.signing import sign_entry, verify_entry

from support.election import Election

if TYPE_CHECKING:  # the attack fixtures (tests/attacks/conftest.py), for annotations only
    from conftest import Workspace




def _state(el: Election) -> tuple[int, int, int, int]:
    led = el.eb.ledger
    return el.store.size(), led.ballots, led.audits, led.superseded


def _refused(el: Election, entry: dict[str, Any], check: str) -> None:
    before = _state(el)
    with pytest.raises((ProtocolError, CryptoError)) as e:
        el.eb.submit(entry)
    assert getattr(e.value, "check", None) == check, e.value
    assert _state(el) == before


def rerandomised(entry: dict[str, Any], k: Point) -> dict[str, Any]:
    """Each (α, β) → (α + r′·G, β + r′·K): the same votes, new ciphertexts, the old proofs."""
    out = copy.deepcopy(entry)
    for s in out["selections"]:
        r = random_scalar()
        s["alpha"] = (Point.decode(bytes.fromhex(s["alpha"])) + Point.mul_g(r)).encode().hex()
        s["beta"] = (Point.decode(bytes.fromhex(s["beta"])) + k.mul(r)).encode().hex()
    return out


# -- re-randomised copies --------------------------------------------------------------------------


@pytest.mark.parametrize("who,check", [("unsigned", "V6"), ("same-voter-resigns", "V7"),
                                       ("copier-resigns", "V7")])
def test_rerandomised_copy_with_old_proofs_is_refused(el: Election, who: str,
                                                       check: str) -> None:
    original = el.cast(0, [1])
    copy_ = rerandomised(original.entry, el.ctx.joint_key)
    assert copy_["selections"][0]["alpha"] != original.entry["selections"][0]["alpha"]
    if who == "same-voter-resigns":
        copy_ = sign_entry(copy_, el.creds[0].secret)
    elif who == "copier-resigns":
        copy_ = sign_entry({**copy_, "credential": el.creds[1].public.hex()},
                           el.creds[1].secret)
    _refused(el, copy_, check)


def test_rerandomised_copy_in_the_record_fails_the_verifier(ws: Workspace) -> None:
    """Board + a voter who copies another voter's ballot, re-randomised, under their own
    credential: the old proofs are bound to the first credential and to the old (α, β)."""
    d = ws.demo
    es = ws.entries()
    victim = es[d.single_ballot()]
    copier = d.non_voter()
    copy_ = rerandomised(victim, d.ctx.joint_key)
    copy_ = sign_entry({**copy_, "credential": copier}, d.voter_secrets[copier])
    c = d.index("close")
    es.insert(c, copy_)
    ws.write(es)
    rep = ws.verify()
    assert rep.failure is not None and (rep.failure.check, rep.failure.entry) == ("V7", c)


# -- the signature covers every byte -----------------------------------------------------------


def _leaves(v: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    if isinstance(v, dict):
        for k, x in v.items():
            yield from _leaves(x, path + (k,))
    elif isinstance(v, list):
        for i, x in enumerate(v):
            yield from _leaves(x, path + (i,))
    elif isinstance(v, str):
        yield path, v


def _with(entry: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(entry)
    obj: Any = out
    for p in path[:-1]:
        obj = obj[p]
    obj[path[-1]] = value
    return out


def test_changing_any_character_of_a_ballot_invalidates_its_signature(el: Election) -> None:
    e = el.ballot(2, [0]).entry
    cred = el.creds[2].public
    verify_entry(e, cred, check="V6", what="ballot")
    changed = 0
    for path, s in _leaves(e):
        if path == ("sig",):
            continue
        for pos in range(len(s)):
            ch = s[pos]
            other = "0" if ch != "0" else "1"
            bad = _with(e, path, s[:pos] + other + s[pos + 1:])
            with pytest.raises(Rejected) as err:
                verify_entry(bad, cred, check="V6", what="ballot")
            assert (err.value.check, err.value.code) == ("V6", "bad_signature")
            changed += 1
    assert changed > 25 * 64  # every hex digit of every point, scalar, hash and key
    structural = [
        {k: v for k, v in e.items() if k != "total_proof"},
        {**e, "total_proof": None},
        {**e, "note": ""},
        {**e, "selections": e["selections"][::-1]},
        {**e, "selections": e["selections"][:1]},
        {**e, "election": el.ctx.manifest_hash.hex()},  # the manifest hash instead of eh
    ]
    for bad in structural:
        with pytest.raises(Rejected):
            verify_entry(bad, cred, check="V6", what="ballot")


# -- server stuffing (V10) and a fixed credential list -----------------------------------------


@pytest.mark.parametrize("kind", ["ballot", "audit"])
def test_ballot_by_an_unlisted_credential_fails_the_verifier(ws: Workspace, kind: str) -> None:
    """The board operator makes its own credential and stuffs a ballot (or an audit): every
    proof and the signature are valid, the credential is not on the published list."""
    d = ws.demo
    stranger = Credential.generate()
    b = encrypt_ballot(d.ctx, stranger.secret, stranger.public, [0])
    es = ws.entries()
    c = d.index("close")
    es.insert(c, b.entry if kind == "ballot" else b.audit_entry())
    ws.write(es)
    rep = ws.verify()
    assert rep.failure is not None and (rep.failure.check, rep.failure.entry) == ("V10", c)


def test_no_credential_can_be_added_after_open(el: Election) -> None:
    """Even the registrar cannot extend the list once the open entry fixed its hash."""
    extra = Credential.generate()
    chunk, final = credential_entries(el.manifest.hash, [extra.public], el.registrar)
    _refused(el, sign_entry({**chunk, "chunk": 1}, el.registrar), "V16")
    _refused(el, final, "V16")
    b = encrypt_ballot(el.ctx, extra.secret, extra.public, [0])
    _refused(el, b.entry, "V10")


# -- re-voting: the last ballot in board order counts ------------------------------------------


def test_two_concurrent_casts_by_one_credential_last_in_board_order_counts(
        tmp_path: Path) -> None:
    el = Election(tmp_path / "board.sqlite", voters=3)
    try:
        el.open()
        el.cast(1, [2])
        mh = el.manifest.hash.hex()
        ballots = {0: el.ballot(0, [0]), 1: el.ballot(0, [1])}  # voter 0, two devices
        start = threading.Barrier(2)
        got: dict[int, int] = {}
        errors: list[BaseException] = []

        def cast(which: int) -> None:
            try:
                store = SQLiteStore(el.path)  # one store per thread, as a second process would
                try:
                    eb = ElectionBoard(store, el.board_secret, mh)
                    start.wait()
                    got[which], _ = eb.submit_bytes(ballots[which].bytes)
                finally:
                    store.close()
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)

        threads = [threading.Thread(target=cast, args=(w,)) for w in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        n = el.store.size()
        assert sorted(got.values()) == [n - 2, n - 1]  # both stored, one after the other
        later = max(got, key=got.__getitem__)
        el.eb = ElectionBoard(el.store, el.board_secret, mh)  # catch up from the file
        led = el.eb.ledger
        assert (led.ballots, led.superseded, led.index.voters()) == (3, 1, 2)
        counts = el.finish()
        want = [0, 0, 1]
        want[later] += 1  # ballot `later` chose option `later`
        assert counts == want
    except BaseException:
        el.store.close()
        raise
    rep = el.export_and_verify(tmp_path / "record")
    assert rep.ok, rep.failure
    assert rep.result is not None and rep.result["counts"] == want
