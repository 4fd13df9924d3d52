"""`ElectionBoard`: strict parsing in front of the ledger and the Merkle log (spec §8.3). Bad bytes
are refused before anything is stored; receipts prove inclusion against a signed checkpoint; the
board replays its store on open; an exported record verifies."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hamaporsi.board.election_board import ElectionBoard
from hamaporsi.board.open import open_store
from hamaporsi.crypto.errors import CryptoError
from hamaporsi.protocol.canonical import MAX_ENTRY_BYTES, canonical_bytes, parse_canonical
from hamaporsi.protocol.checkpoint import Checkpoint, verify_checkpoint
from hamaporsi.protocol.errors import MalformedInput, ProtocolError
from hamaporsi.protocol.merkle import leaf_hash, verify_inclusion
from hamaporsi.protocol.signing import sign_entry
from hamaporsi.protocol.tally import combine, decryption_entry, result_entry, tally_entry


from support.election import Election


def finish(el: Election) -> list[int]:
    """Close, tally, decrypt with the last k trustees (the others absent), publish the result."""
    counts = el.finish(sorted(el.shares)[-el.manifest.threshold:])
    el.eb.checkpoint()
    return counts




def assert_refused_malformed(el: Election, data: bytes, code: str | None = None) -> None:
    size, ballots = el.store.size(), el.eb.ledger.ballots
    with pytest.raises(MalformedInput) as e:
        el.eb.submit_bytes(data)
    if code is not None:
        assert e.value.code == code
    assert (el.store.size(), el.eb.board.size, el.eb.ledger.ballots) == (size, size, ballots)


# -- strict bytes --------------------------------------------------------------------------------


def _variants(b: bytes) -> dict[str, bytes]:
    text = b.decode()
    first_key = text[1:text.index(":")]
    return {
        "leading space": b" " + b,
        "trailing newline": b + b"\n",
        "space after colon": text.replace(":", ": ", 1).encode(),
        "keys reordered": ("{" + text[text.index(",") + 1:-1] + "," + text[1:text.index(",")]
                           + "}").encode(),
        "duplicate key": ("{" + first_key + ":0," + text[1:]).encode(),
        "unicode escape": text.replace('"type"', '"typ\\u0065"').encode(),
        "not utf-8": b[:-1] + b"\xff}",
    }


@pytest.mark.parametrize("variant", ["leading space", "trailing newline", "space after colon",
                                     "keys reordered", "duplicate key", "unicode escape",
                                     "not utf-8"])
def test_non_canonical_bytes_are_refused(el: Election, variant: str) -> None:
    b = el.ballot(0, [1]).bytes
    bad = _variants(b)[variant]
    assert bad != b
    assert_refused_malformed(el, bad)
    el.eb.submit_bytes(b)  # the canonical bytes of the same ballot are taken
    assert el.eb.ledger.ballots == 1


def test_duplicate_key_code(el: Election) -> None:
    b = el.ballot(0, [1]).bytes
    assert_refused_malformed(el, _variants(b)["duplicate key"], "duplicate_key")


def test_oversized_entry(el: Election) -> None:
    b = el.ballot(0, [0]).entry
    big = canonical_bytes({**b, "padding": "x" * MAX_ENTRY_BYTES})
    assert len(big) > MAX_ENTRY_BYTES
    assert_refused_malformed(el, big, "too_large")


def test_unknown_entry_type(el: Election) -> None:
    assert_refused_malformed(el, canonical_bytes({"type": "party", "election": "x"}), "bad_field")
    assert_refused_malformed(el, b"[]", "bad_field")
    assert_refused_malformed(el, b"1.5", "not_canonical")


def test_refused_ballot_stores_nothing(el: Election) -> None:
    c = el.creds[0]
    b = el.ballot(0, [0]).entry
    forged = sign_entry({**b, "credential": el.creds[1].public.hex()}, c.secret)
    size = el.store.size()
    with pytest.raises((ProtocolError, CryptoError)):
        el.eb.submit(forged)
    assert el.store.size() == size and el.eb.ledger.ballots == 0


@pytest.mark.parametrize("when,code", [("before", "not_open"), ("after", "voting_closed")])
def test_ballot_outside_the_voting_period(el: Election, when: str, code: str) -> None:
    """The board's clock, not only the record's phases, bounds voting (V16)."""
    m = el.manifest
    t = m.opens - 1 if when == "before" else m.closes + 1
    eb = ElectionBoard(el.store, el.board_secret, m.hash.hex(), clock=lambda: t)
    size = el.store.size()
    b = el.ballot(0, [0])
    for entry in (b.bytes, canonical_bytes(el.ballot(1, [1]).audit_entry())):
        with pytest.raises(ProtocolError) as e:
            eb.submit_bytes(entry)
        assert (getattr(e.value, "check", None), e.value.code) == ("V16", code)
    assert el.store.size() == size and eb.ledger.ballots == 0
    el.eb.submit_bytes(b.bytes)  # within the period the same ballot is taken


# -- receipts -------------------------------------------------------------------------------------


def check_receipt(el: Election, r: Any, data: bytes) -> None:
    cp = r.checkpoint
    verify_checkpoint(cp, el.manifest.board_key)
    assert cp.election_id == el.manifest.hash.hex()
    assert r.leaf_hash == leaf_hash(data)
    verify_inclusion(r.leaf_hash, r.index, cp.size, list(r.path), cp.root)
    j = r.to_json()
    assert parse_canonical(canonical_bytes(j)) == j
    assert Checkpoint.from_json(j["checkpoint"]) == cp


def test_receipts_prove_inclusion(el: Election) -> None:
    got = []
    for v in range(4):
        b = el.ballot(v, [v % 3])
        idx, facts = el.eb.submit_bytes(b.bytes)
        assert facts is not None and facts.tracking == b.tracking_code
        got.append((idx, b))
    el.eb.checkpoint()
    for idx, b in got:
        r = el.eb.receipt(idx, b.tracking_code)
        assert r.tracking_code == b.tracking_code and r.checkpoint.size == el.eb.board.size
        check_receipt(el, r, b.bytes)
    # a later ballot, before any checkpoint covers it: the board signs a new checkpoint
    b = el.ballot(0, [2])
    idx, _ = el.eb.submit_bytes(b.bytes)
    r = el.eb.receipt(idx, b.tracking_code)
    assert r.checkpoint.size == idx + 1
    check_receipt(el, r, b.bytes)
    # the old receipt still verifies against its own (older) checkpoint
    r0 = el.eb.receipt(got[0][0], got[0][1].tracking_code)
    check_receipt(el, r0, got[0][1].bytes)


def test_receipt_for_wrong_leaf_fails(el: Election) -> None:
    b1, b2 = el.ballot(0, [0]), el.ballot(1, [1])
    i1, _ = el.eb.submit_bytes(b1.bytes)
    el.eb.submit_bytes(b2.bytes)
    r = el.eb.receipt(i1, b1.tracking_code)
    with pytest.raises(CryptoError):
        verify_inclusion(leaf_hash(b2.bytes), r.index, r.checkpoint.size, list(r.path),
                         r.checkpoint.root)


# -- reopening and exporting ----------------------------------------------------------------------


def test_reopen_replays_the_store(el: Election) -> None:
    el.eb.submit_bytes(el.ballot(0, [0]).bytes)
    el.eb.submit(el.ballot(1, [1]).audit_entry())
    b = el.ballot(1, [2])
    el.eb.submit_bytes(b.bytes)
    el.eb.checkpoint()
    size = el.store.size()
    el.store.close()
    el.store = open_store(el.path)
    el.eb = eb = ElectionBoard(el.store, el.board_secret, el.manifest.hash.hex())
    assert eb.board.size == size
    assert (eb.ledger.phase, eb.ledger.ballots, eb.ledger.audits) == ("voting", 2, 1)
    with pytest.raises(ProtocolError) as e:  # the replayed index still knows the ballot
        eb.submit_bytes(b.bytes)
    assert getattr(e.value, "check", None) == "V11"
    assert finish(el) == [1, 0, 1]


@pytest.mark.parametrize("change", ["one selection fewer", "another election"])
def test_reopen_refuses_a_stored_ballot_the_trusted_replay_cannot_count(el: Election,
                                                                         change: str) -> None:
    """Replay trusts a stored ballot's proofs, not its shape: a row someone appended to the store
    behind the board's back with the wrong number of selections (it would silently shorten the
    per-option sums) or naming another election is refused on open (V5), not counted."""
    el.eb.submit_bytes(el.ballot(0, [0]).bytes)
    bad = el.ballot(1, [1]).entry
    if change == "one selection fewer":
        bad = {**bad, "selections": bad["selections"][:-1]}
    else:
        bad = {**bad, "election": "ab" * 32}
    el.store.append(canonical_bytes(bad))
    with pytest.raises(ProtocolError) as e:
        ElectionBoard(el.store, el.board_secret, el.manifest.hash.hex())
    assert getattr(e.value, "check", None) == "V5"


@pytest.mark.parametrize("options,lo,hi,votes,want", [
    (3, 1, 1, [[0], [2], [2], [1]], [1, 1, 2]),
    (2, 1, 1, [[1], [1], [0], [1]], [1, 3]),
    (3, 0, 2, [[], [0, 2], [2], [1, 2]], [1, 1, 3]),
    (4, 2, 2, [[0, 1], [0, 3], [2, 3], [0, 1]], [3, 2, 1, 2]),
], ids=["exactly-one-of-3", "exactly-one-of-2", "up-to-2-of-3", "exactly-2-of-4"])
def test_export_verifies(tmp_path: Path, new_election: Callable[..., Election], options: int,
                        lo: int, hi: int, votes: list[list[int]], want: list[int]) -> None:
    el = new_election(options=options, lo=lo, hi=hi, voters=len(votes))
    el.open()
    for v, sel in enumerate(votes):
        el.eb.submit_bytes(el.ballot(v, sel).bytes)
    assert finish(el) == want
    rep = el.export_and_verify(tmp_path / "record")
    rec = tmp_path / "record"
    assert rep.ok, rep.failure
    assert rep.result is not None and rep.result["counts"] == want
    assert rep.result["blank"] == (len(votes) - sum(want) if hi == 1 else None)
    lines = (rec / "entries.jsonl").read_bytes().split(b"\n")[:-1]
    assert all(canonical_bytes(parse_canonical(x)) == x for x in lines)


# -- two writers on one board ---------------------------------------------------------------------


def test_second_writer_sees_the_first_writers_entries(el: Election) -> None:
    """Two processes' boards over one database: each checks against what the other stored."""
    other = ElectionBoard(open_store(el.path), el.board_secret, el.manifest.hash.hex())
    b = el.ballot(0, [1])
    idx, _ = el.eb.submit_bytes(b.bytes)
    size = el.store.size()
    with pytest.raises(ProtocolError) as e:  # the same ballot through the other writer
        other.submit_bytes(b.bytes)
    assert e.value.check == "V11" and el.store.size() == size
    idx2, _ = other.submit_bytes(el.ballot(0, [2]).bytes)  # a re-vote lands after it
    assert idx2 == idx + 1 and other.ledger.superseded == 1
    other.board.store.close()


def test_result_must_name_the_trustees_whose_shares_decrypt(el: Election) -> None:
    el.eb.submit_bytes(el.ballot(0, [0]).bytes)
    eb, led, ctx = el.eb, el.eb.ledger, el.ctx
    eb.submit(sign_entry({"type": "close", "election": ctx.hash.hex(), "ballots": 1},
                         el.organizer))
    eb.submit(tally_entry(ctx, led.counted_totals(), 1, el.organizer))
    assert led.tally is not None
    for j in sorted(el.shares):
        eb.submit(decryption_entry(ctx, led.tally, j, el.shares[j],
                                   el.tkeys[j - 1].signing_secret))
    counts = combine(ctx, led.tally, led.shares)
    wrong = sorted(el.shares)[-2:]  # valid shares, but not the first k by index
    with pytest.raises(ProtocolError) as e:
        eb.submit(result_entry(ctx, counts, 1, wrong, el.organizer))
    assert e.value.check == "V14" and "trustees" in str(e.value)
    eb.submit(result_entry(ctx, counts, 1, sorted(el.shares)[:2], el.organizer))
