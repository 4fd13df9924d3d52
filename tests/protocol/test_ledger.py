"""The rules of the record (spec §8.3, §9) as the board applies them: an `ElectionBoard` over a
real SQLite store, driven entry by entry; a refused entry raises with its check id and leaves
both the log and the ledger unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hamaporsi.crypto.elgamal import Ciphertext, encrypt
from hamaporsi.crypto.errors import CryptoError
from hamaporsi.crypto.group import random_scalar
from hamaporsi.crypto.proofs import prove_in_set
from hamaporsi.protocol import codec
from hamaporsi.protocol.ballot import BIT, counted_totals, encrypt_ballot
from hamaporsi.protocol.canonical import parse_canonical
from hamaporsi.protocol.credentials import Credential
from hamaporsi.protocol.election import TOTAL_INDEX, ElectionContext
from hamaporsi.protocol.errors import MalformedInput, ProtocolError, Rejected
from hamaporsi.protocol.ledger import Ledger
from hamaporsi.protocol.signing import sign_entry
from hamaporsi.protocol.tally import combine, decryption_entry, result_entry, tally_entry
from hamaporsi.verify.index import DiskIndex


from support.election import Election


@pytest.fixture
def el(tmp_path: Path) -> Iterator[Election]:
    e = Election(tmp_path / "board.sqlite")
    yield e
    e.store.close()


@pytest.fixture
def voting(el: Election) -> Election:
    el.open()
    return el


def refused(el: Election, data: bytes | dict[str, Any], check: str,
            code: str | None = None) -> ProtocolError | CryptoError:
    """Submit, expect a refusal with `check`, and that nothing was stored or counted."""
    led = el.eb.ledger
    before = (el.size, el.store.size(), led.ballots, led.audits, led.superseded,
              led.index.voters(), led.phase, led.entries)
    with pytest.raises((ProtocolError, CryptoError)) as e:
        if isinstance(data, bytes):
            el.eb.submit_bytes(data)
        else:
            el.eb.submit(data)
    assert getattr(e.value, "check", None) == check, e.value
    if code is not None:
        assert e.value.code == code  # type: ignore[union-attr]
    after = (el.size, el.store.size(), led.ballots, led.audits, led.superseded,
             led.index.voters(), led.phase, led.entries)
    assert after == before
    return e.value


# -- eligibility and uniqueness (V10, V11) -----------------------------------------------------


def test_unknown_credential(voting: Election) -> None:
    stranger = Credential.generate()
    b = encrypt_ballot(voting.ctx, stranger.secret, stranger.public, [0])
    refused(voting, b.bytes, "V10", "unknown_credential")
    voting.cast(0, [0])  # the board still takes valid ballots afterwards
    assert voting.eb.ledger.ballots == 1


def test_exact_duplicate_ballot(voting: Election) -> None:
    b = voting.cast(0, [1])
    refused(voting, b.bytes, "V11", "duplicate")


def test_audited_ballot_then_cast(voting: Election) -> None:
    b = voting.ballot(1, [2])
    voting.eb.submit(b.audit_entry())
    assert voting.eb.ledger.audits == 1
    refused(voting, b.bytes, "V11", "duplicate")


def test_cast_ballot_then_audited(voting: Election) -> None:
    b = voting.cast(1, [2])
    refused(voting, b.audit_entry(), "V11", "duplicate")


def test_audit_replayed(voting: Election) -> None:
    a = voting.ballot(2, [0]).audit_entry()
    voting.eb.submit(a)
    refused(voting, a, "V11", "duplicate")


def test_nonce_reuse_inside_a_ballot(voting: Election) -> None:
    """Two selections with one nonce: valid proofs, equal αs; refused as nonce reuse (V11)."""
    m, ctx, c = voting.manifest, voting.ctx, voting.creds[0]
    assert m.stored_options == 2 and m.total_allowed == (0, 1)
    r = random_scalar()
    sels, cts = [], []
    for i, bit in enumerate([0, 0]):
        ct, _ = encrypt(ctx.joint_key, bit, r)
        p = prove_in_set(ctx.proof_context(c.public, i), ctx.joint_key, ct, bit, r, BIT)
        sels.append({"alpha": ct.alpha.encode().hex(), "beta": ct.beta.encode().hex(),
                     "proof": codec.in_set_to_json(p)})
        cts.append(ct)
    tp = prove_in_set(ctx.proof_context(c.public, TOTAL_INDEX), ctx.joint_key,
                      Ciphertext.sum(cts), 0, 2 * r, (0, 1))
    e = sign_entry({"type": "ballot", "election": ctx.hash.hex(), "credential": c.public.hex(),
                    "selections": sels, "total_proof": codec.in_set_to_json(tp)}, c.secret)
    err = refused(voting, e, "V11", "duplicate")
    assert "nonce" in str(err)


# -- re-voting (V12) -------------------------------------------------------------------------------


def test_revote_last_ballot_counts(voting: Election) -> None:
    voting.cast(0, [0])
    voting.cast(1, [2])
    voting.cast(0, [1])  # voter 0 changes their mind
    voting.cast(2, [1])
    voting.cast(1, [0])  # and so does voter 1
    led = voting.eb.ledger
    assert (led.ballots, led.superseded, led.index.voters()) == (5, 2, 3)
    counts = voting.finish()
    assert counts == [1, 2, 0]
    assert led.phase == "done" and led.result is not None
    assert led.result["voted"] == 3 and led.result["eligible"] == 4
    assert led.result["blank"] == 0


def test_revote_many_times(voting: Election) -> None:
    for choice in [0, 1, 2, 0, 2]:
        voting.cast(3, [choice])
    assert voting.finish() == [0, 0, 1]


def test_tally_counting_a_superseded_ballot_is_refused(voting: Election) -> None:
    voting.cast(0, [0])
    voting.cast(0, [1])
    voting.close()
    all_stored = voting.eb.ledger.all_sum  # every ballot, the superseded one included
    assert all_stored is not None
    wrong = tally_entry(voting.ctx, counted_totals(voting.ctx, all_stored, 1), 1,
                        voting.organizer)
    refused(voting, wrong, "V12", "bad_tally")
    voting.tally()  # the right one is accepted


def test_tally_with_wrong_counted(voting: Election) -> None:
    voting.cast(0, [0])
    voting.cast(1, [0])
    voting.close()
    led = voting.eb.ledger
    refused(voting, tally_entry(voting.ctx, led.counted_totals(), 3, voting.organizer), "V12",
            "bad_tally")


# -- phases (V16) ---------------------------------------------------------------------------------


def test_ballot_before_open(el: Election) -> None:
    b = el.ballot(0, [0])
    refused(el, b.bytes, "V16", "wrong_phase")
    refused(el, b.audit_entry(), "V16", "wrong_phase")
    el.open()
    el.eb.submit_bytes(b.bytes)  # the same ballot is fine once voting is open


def test_ballot_after_close(voting: Election) -> None:
    voting.cast(0, [0])
    voting.close()
    refused(voting, voting.ballot(1, [1]).bytes, "V16", "wrong_phase")
    refused(voting, voting.ballot(1, [1]).audit_entry(), "V16", "wrong_phase")


def test_ballot_after_result(voting: Election) -> None:
    voting.cast(0, [0])
    voting.finish()
    refused(voting, voting.ballot(1, [1]).bytes, "V16", "wrong_phase")


def test_close_must_state_the_ballot_count(voting: Election) -> None:
    voting.cast(0, [0])
    voting.cast(0, [2])
    refused(voting, voting.close_entry(1), "V16", "bad_close")  # voters, not ballots, is wrong
    refused(voting, sign_entry(voting.close_entry(), voting.registrar), "V16", "bad_signature")
    voting.close()


def test_tally_before_close_and_result_before_tally(voting: Election) -> None:
    voting.cast(0, [0])
    led = voting.eb.ledger
    refused(voting, tally_entry(voting.ctx, led.counted_totals(), 1, voting.organizer), "V16",
            "wrong_phase")
    refused(voting, voting.close_entry() | {"type": "result"}, "V16", "wrong_phase")


def test_second_open_and_second_close(voting: Election) -> None:
    refused(voting, voting.ctx.open_entry(voting.organizer), "V16", "wrong_phase")
    voting.close()
    refused(voting, voting.close_entry(), "V16", "wrong_phase")


# -- election binding (V5) ----------------------------------------------------------------------


def test_ballot_for_another_election(voting: Election) -> None:
    ctx = voting.ctx
    other = ElectionContext.create(ctx.manifest, ctx.joint_key, ctx.credential_count,
                                   b"\x07" * 32)
    c = voting.creds[0]
    b = encrypt_ballot(other, c.secret, c.public, [0])
    refused(voting, b.bytes, "V5", "wrong_election")


# -- decryption and result (V13, V14) ------------------------------------------------------------


def test_trustee_may_publish_shares_once(voting: Election) -> None:
    voting.cast(0, [1])
    voting.close()
    voting.tally()
    voting.decrypt([2])
    led = voting.eb.ledger
    assert led.tally is not None
    again = decryption_entry(voting.ctx, led.tally, 2, voting.shares[2],
                             voting.tkeys[1].signing_secret)
    refused(voting, again, "V13", "duplicate")


def test_decryption_signed_by_another_trustee(voting: Election) -> None:
    voting.cast(0, [1])
    voting.close()
    voting.tally()
    led = voting.eb.ledger
    assert led.tally is not None
    e = decryption_entry(voting.ctx, led.tally, 1, voting.shares[1],
                         voting.tkeys[2].signing_secret)
    refused(voting, e, "V13", "bad_signature")


def test_result_with_wrong_numbers(voting: Election) -> None:
    voting.cast(0, [1])
    voting.cast(1, [1])
    voting.cast(2, [2])
    voting.close()
    voting.tally()
    voting.decrypt([1, 3])
    led = voting.eb.ledger
    assert led.tally is not None
    counts = combine(voting.ctx, led.tally, led.shares)
    assert counts == [0, 2, 1]
    for bad in ({"counts": [1, 1, 1]}, {"voted": 4}, {"eligible": 3}, {"blank": 1}):
        e = result_entry(voting.ctx, counts, 3, [1, 3], voting.organizer)
        refused(voting, sign_entry({**e, **bad}, voting.organizer), "V14", "bad_result")
    voting.eb.submit(result_entry(voting.ctx, counts, 3, [1, 3], voting.organizer))


def test_result_needs_k_shares(voting: Election) -> None:
    voting.cast(0, [0])
    voting.close()
    voting.tally()
    voting.decrypt([3])
    refused(voting, result_entry(voting.ctx, [1, 0, 0], 1, [3], voting.organizer), "V14",
            "too_few_shares")


# -- the ledger is the same with the verifier's disk index --------------------------------------


def test_replay_with_disk_index(voting: Election, tmp_path: Path) -> None:
    voting.cast(0, [0])
    voting.cast(1, [1])
    voting.eb.submit(voting.ballot(2, [2]).audit_entry())
    voting.cast(1, [2])
    counts = voting.finish()
    idx = DiskIndex(str(tmp_path / "index.sqlite"))
    try:
        led = Ledger(index=idx)
        for i, data in voting.store.entries():
            led.ingest(parse_canonical(data), i)
        assert (led.phase, led.ballots, led.audits, led.superseded, idx.voters()) == \
            ("done", 3, 1, 1, 2)
        assert led.result is not None and led.result["counts"] == counts == [1, 0, 1]
    finally:
        idx.close()


def test_rejected_is_a_protocol_error() -> None:
    assert issubclass(Rejected, ProtocolError)


@pytest.mark.parametrize("kind", ["credentials_final", "Manifest", "dkg_commit", "need", ""])
def test_entry_type_must_be_spelled_exactly(kind: str) -> None:
    """Only the exact type names of spec §1 dispatch; near-spellings are unknown types."""
    led = Ledger()
    with pytest.raises(MalformedInput) as e:
        led.ingest({"type": kind})
    assert "unknown entry type" in str(e.value)


def test_json_booleans_are_not_integers(tmp_path: Path) -> None:
    """`true` is not `1` in the record (Python's True == 1 is): a close, a result or an open
    entry that states a count as a boolean is refused, as a verifier in any language would."""
    el = Election(tmp_path / "b.sqlite", voters=1)
    el.open()
    el.cast(0, [0])
    with pytest.raises(Rejected) as e:
        el.eb.submit(sign_entry({**el.close_entry(), "ballots": True}, el.organizer))
    assert e.value.check == "V16"
    el.close()
    el.tally()
    el.decrypt([1, 2])
    led = el.eb.ledger
    assert led.tally is not None
    counts = combine(el.ctx, led.tally, led.shares)
    assert counts == [1, 0, 0]
    good = result_entry(el.ctx, counts, 1, [1, 2], el.organizer)
    for field, value in (("counts", [True, False, False]), ("voted", True),
                         ("eligible", True), ("trustees", [True, 2])):
        with pytest.raises(Rejected) as e:
            el.eb.submit(sign_entry({**good, field: value}, el.organizer))
        assert e.value.check == "V14" and field in str(e.value)
    el.eb.submit(good)
    el.store.close()


def test_credentials_chunk_number_must_be_an_integer(tmp_path: Path) -> None:
    el = Election(tmp_path / "b.sqlite", voters=1)
    led = Ledger()
    entries = [parse_canonical(d) for _, d in el.store.entries(0, el.store.size())]
    for e in entries:
        if e["type"] == "credentials":
            with pytest.raises(Rejected):
                led.ingest(sign_entry({**e, "chunk": False}, el.registrar))
        led.ingest(e)
    el.store.close()


# -- trusting the board's own store (spec §8.6.4) and savepoints ------------------------------------


def ledger_state(led: Ledger) -> tuple[Any, ...]:
    """Everything the voting phase keeps, comparable."""
    from hamaporsi.protocol.ledger import MemoryIndex
    idx = led.index
    assert isinstance(idx, MemoryIndex)
    sums = tuple(tuple(c.encode() for c in s or ()) for s in (led.all_sum, led.superseded_sum))
    return (led.phase, led.entries, led.ballots, led.audits, led.superseded, sums,
            dict(idx._unique), dict(idx._last), dict(idx._replaced), led.result)


def voted(el: Election) -> Election:
    """Ballots, a re-vote and an audit on an exactly-one-of-three board (a total proof too)."""
    el.cast(0, [0])
    el.cast(1, [2])
    el.eb.submit(el.ballot(2, [1]).audit_entry())
    el.cast(0, [1])
    return el


def test_stored_facts_equal_the_verified_facts(voting: Election) -> None:
    from hamaporsi.protocol.ledger import stored_facts
    b = voting.ballot(0, [2])
    a = voting.ballot(1, [0]).audit_entry()
    for kind, entry, data in (("ballot", b.entry, b.bytes), ("ballot", b.entry, None),
                              ("audit", a, None)):
        want = voting.eb.ledger.check_alone(entry)
        assert stored_facts(kind, entry, data) == want


def test_ballot_values_are_read_without_checking(voting: Election) -> None:
    """Values are read, not checked: a wrong proof passes, a malformed field does not."""
    from hamaporsi.protocol.ballot import ballot_values
    from support.server import tampered_proof
    bad = parse_canonical(tampered_proof(voting))
    assert ballot_values(bad).credential == voting.creds[0].public
    sel0 = bad["selections"][0]
    with pytest.raises(MalformedInput):
        ballot_values({**bad, "selections": [{**sel0, "alpha": sel0["alpha"][:-2]}]})
    with pytest.raises(MalformedInput):
        ballot_values({**bad, "extra": 1})


def test_trusted_replay_gives_the_same_ledger(voting: Election) -> None:
    voted(voting)
    voting.close()
    voting.tally()
    full, trusted = Ledger(), Ledger()
    for i, data in voting.store.entries():
        full.ingest(parse_canonical(data), i)
        trusted.ingest_trusted(parse_canonical(data), i, data)
    assert ledger_state(trusted) == ledger_state(full) == ledger_state(voting.eb.ledger)
    assert trusted.tally is not None and full.tally is not None
    assert trusted.phase == "tallied" and trusted.ballots == 3 and trusted.audits == 1


def test_opening_a_board_does_not_recheck_proofs(voting: Election,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from hamaporsi.board.election_board import ElectionBoard
    from hamaporsi.protocol import ledger as ledger_mod
    voted(voting)
    voting.close()
    voting.tally()  # checked against the sums the trusted catch-up adds in batches
    want = ledger_state(voting.eb.ledger)

    def no_proof_checks(*_: Any, **__: Any) -> Any:
        raise AssertionError("a stored ballot's proofs were checked again")

    monkeypatch.setattr(ledger_mod, "verify_ballot", no_proof_checks)
    monkeypatch.setattr(ledger_mod, "verify_audit", no_proof_checks)
    eb = ElectionBoard(voting.store, voting.board_secret, voting.manifest.hash.hex())
    assert ledger_state(eb.ledger) == want and eb.ledger.phase == "tallied"
    with pytest.raises(AssertionError, match="checked again"):  # the full replay does check
        ElectionBoard(voting.store, voting.board_secret, voting.manifest.hash.hex(),
                      trust_store=False)


def test_rollback_returns_to_the_savepoint_exactly(voting: Election) -> None:
    voting.cast(0, [0])
    led = voting.eb.ledger
    before = ledger_state(led)
    sp = led.savepoint()
    n = voting.size
    for i, entry in enumerate([voting.ballot(0, [1]).entry, voting.ballot(3, [2]).entry,
                               voting.ballot(1, [2]).audit_entry()]):
        facts = led.check_alone(entry)
        assert facts is not None
        led.apply_checked(facts, n + i)
    assert (led.ballots, led.audits, led.superseded) == (3, 1, 1)
    led.rollback(sp)
    led.release()
    assert ledger_state(led) == before
    voting.cast(0, [2])  # and the board goes on from there
    assert (led.ballots, led.superseded) == (2, 1)


def test_savepoints_need_the_memory_index(tmp_path: Path) -> None:
    idx = DiskIndex(str(tmp_path / "index.sqlite"))
    try:
        with pytest.raises(TypeError):
            Ledger(index=idx).savepoint()
    finally:
        idx.close()
