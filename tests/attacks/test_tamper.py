"""Tamper suite: change one thing in a real record, re-seal the log as a malicious board operator
could (new Merkle tree, every checkpoint re-signed with the board key, so V15 passes), and
check that `verify_record` fails at the check that owns the broken rule, at the right entry.

Who tampers is part of each case:
  board            the board operator alone (board key only): cannot re-sign any other entry
  board+organizer  the operator colluding with the organizer (re-signs organizer entries)
  board+voter      the operator with a voter's device (re-signs that voter's ballot)
Every entry is re-canonicalized (RFC 8785) after the change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from hamaporsi.crypto import bip340
from hamaporsi.crypto.group import ORDER, Point, scalar_bytes
from hamaporsi.protocol.ballot import encrypt_ballot
from hamaporsi.protocol.canonical import canonical_bytes
from hamaporsi.protocol.ledger import Ledger
from hamaporsi.protocol.merkle import TreeBuilder, leaf_hash
from hamaporsi.protocol.signing import sign_entry
from hamaporsi.protocol.tally import tally_entry

if TYPE_CHECKING:  # the fixtures' classes (tests/attacks/conftest.py), for annotations only
    from conftest import Demo, Workspace

Entries = list[dict[str, Any]]

# -- small helpers ------------------------------------------------------------------------------


def bump(v: str) -> str:
    """Another valid value of the same wire kind: point + G, scalar + 1, signature bit flip."""
    if len(v) == 66:
        return (Point.decode(bytes.fromhex(v)) + Point.G).encode().hex()
    if len(v) == 64:
        return scalar_bytes((int(v, 16) + 1) % ORDER).hex()
    if len(v) == 128:
        return v[:-1] + "0123456789abcdef"[("0123456789abcdef".index(v[-1]) + 1) % 16]
    raise ValueError(f"do not know how to bump {v!r}")


def bump_at(obj: Any, path: tuple[Any, ...]) -> None:
    for p in path[:-1]:
        obj = obj[p]
    obj[path[-1]] = bump(obj[path[-1]])


def by_organizer(e: dict[str, Any], d: Demo) -> dict[str, Any]:
    return sign_entry(e, d.organizer_secret)


def by_voter(e: dict[str, Any], d: Demo) -> dict[str, Any]:
    return sign_entry(e, d.voter_secrets[e["credential"]])


def fresh_ballot(d: Demo, credential: str, choice: int = 0) -> dict[str, Any]:
    """A valid new ballot from a listed voter's device."""
    return encrypt_ballot(d.ctx, d.voter_secrets[credential], bytes.fromhex(credential),
                          [choice]).entry


def replay_to(entries: Entries, stop: int) -> Ledger:
    led = Ledger()
    for e in entries[:stop]:
        led.ingest(e)
    return led


# -- the cases ----------------------------------------------------------------------------------

Tamper = Callable[[Entries, "Demo"], "int | None"]


@dataclass(frozen=True)
class Case:
    id: str
    who: str
    check: str
    tamper: Tamper


def _edit(kind: str, path: tuple[Any, ...], n: int = 0, resign: Callable | None = None
          ) -> Tamper:
    """Bump the field at `path` of the n-th entry of `kind`, optionally re-signing it."""
    def f(es: Entries, d: Demo) -> int:
        i = d.index(kind, n)
        bump_at(es[i], path)
        if resign is not None:
            es[i] = resign(es[i], d)
        return i
    return f


def _set(kind: str, key: str, fn: Callable[[Any], Any], n: int = 0,
         resign: Callable | None = None) -> Tamper:
    def f(es: Entries, d: Demo) -> int:
        i = d.index(kind, n)
        es[i][key] = fn(es[i][key])
        if resign is not None:
            es[i] = resign(es[i], d)
        return i
    return f


def _ballot_edit(path: tuple[Any, ...], resign: bool) -> Tamper:
    def f(es: Entries, d: Demo) -> int:
        i = d.single_ballot()
        bump_at(es[i], path)
        if resign:
            es[i] = by_voter(es[i], d)
        return i
    return f


def _credential_added(es: Entries, d: Demo) -> int:
    i = d.index("credentials")
    keys = es[i]["keys"] + [bip340.public_key(bip340.generate_secret()).hex()]
    es[i]["keys"] = sorted(keys)
    return i


def _credential_removed(es: Entries, d: Demo) -> int:
    i = d.index("credentials")
    del es[i]["keys"][3]
    return i


def _copied_to_other_credential(resign: bool) -> Tamper:
    def f(es: Entries, d: Demo) -> int:
        i = d.single_ballot()
        cp = {**es[i], "credential": d.non_voter()}
        es.insert(i + 1, by_voter(cp, d) if resign else cp)
        return i + 1
    return f


def _replayed_next(es: Entries, d: Demo) -> int:
    i = d.single_ballot()
    es.insert(i + 1, dict(es[i]))
    return i + 1


def _replayed_before_close(es: Entries, d: Demo) -> int:
    i, c = d.index("ballot"), d.index("close")
    es.insert(c, dict(es[i]))
    return c


def _ballot_deleted(es: Entries, d: Demo) -> int:
    del es[d.single_ballot()]
    return d.index("close") - 1


def _revote_swapped(es: Entries, d: Demo) -> int:
    a, b = d.revote_pair()
    es[a], es[b] = es[b], es[a]
    return d.index("tally")


def _audit_choice(es: Entries, d: Demo) -> int:
    i = d.index("audit")
    es[i]["choices"][0] ^= 1
    return i


def _audited_then_cast(es: Entries, d: Demo) -> int:
    i = d.index("audit")
    es.insert(i + 1, dict(es[i]["ballot"]))
    return i + 1


def _audit_replayed(es: Entries, d: Demo) -> int:
    i = d.index("audit")
    es.insert(i + 1, dict(es[i]))
    return i + 1


def _cast_then_audited(es: Entries, d: Demo) -> int:
    """A voter's device casts a ballot and later publishes its opening: the audit must fail
    uniqueness (an opened ballot can never count)."""
    cred = d.non_voter()
    b = encrypt_ballot(d.ctx, d.voter_secrets[cred], bytes.fromhex(cred), [1])
    c = d.index("close")
    es.insert(c, b.entry)
    es.insert(c + 1, b.audit_entry())
    return c + 1


def _ballot_after_close(es: Entries, d: Demo) -> int:
    c = d.index("close")
    es.insert(c + 1, fresh_ballot(d, d.non_voter()))
    return c + 1


def _ballot_after_result(es: Entries, d: Demo) -> int:
    es.append(fresh_ballot(d, d.non_voter()))
    return len(es) - 1


def _last_removed(es: Entries, d: Demo) -> None:
    es.pop()


def _tally_and_after_removed(es: Entries, d: Demo) -> None:
    del es[d.index("tally"):]


def _result_counts_moved(es: Entries, d: Demo) -> int:
    i = d.index("result")
    c = es[i]["counts"]
    j = 0 if c[0] > 0 else 1
    c[j] -= 1
    c[1 - j] += 1  # same total: only the distribution is a lie
    es[i] = by_organizer(es[i], d)
    return i


def _recompute_close_and_tally(es: Entries, d: Demo) -> None:
    """What an organizer in the coalition does after the operator changed the ballots: restate
    the close count and the tally so that V16 and V12 pass; the trustees' shares were made for
    the real tally and cannot follow."""
    c = next(i for i, e in enumerate(es) if e["type"] == "close")
    led = replay_to(es, c)
    es[c] = by_organizer({**es[c], "ballots": led.ballots}, d)
    led.ingest(es[c])
    es[c + 1] = tally_entry(d.ctx, led.counted_totals(), led.index.voters(), d.organizer_secret)


def _deleted_and_retallied(es: Entries, d: Demo) -> int:
    del es[d.single_ballot()]
    _recompute_close_and_tally(es, d)
    return d.index("decryption") - 1


def _swapped_and_retallied(es: Entries, d: Demo) -> int:
    a, b = d.revote_pair()
    es[a], es[b] = es[b], es[a]
    _recompute_close_and_tally(es, d)
    return d.index("decryption")


SEL, TOT = "selections", "total_proof"
BALLOT_FIELDS = [  # (path, check when the voter's device re-signs it)
    ((SEL, 0, "alpha"), "V7"),
    ((SEL, 1, "beta"), "V7"),
    ((SEL, 0, "proof", 0, "a"), "V7"),
    ((SEL, 0, "proof", 1, "b"), "V7"),
    ((SEL, 1, "proof", 0, "c"), "V7"),
    ((SEL, 0, "proof", 1, "v"), "V7"),
    ((TOT, 0, "a"), "V8"),
    ((TOT, 1, "b"), "V8"),
    ((TOT, 1, "c"), "V8"),
    ((TOT, 0, "v"), "V8"),
]


def _path_id(p: tuple[Any, ...]) -> str:
    return ".".join(str(x) for x in p)


CASES: list[Case] = [
    # setup: every entry is signed by someone other than the operator
    Case("manifest.question", "board", "V1",
         _set("manifest", "question", lambda q: {**q, "en": q["en"] + " (amended)"})),
    Case("manifest.threshold", "board", "V1", _set("manifest", "threshold", lambda t: t + 1)),
    Case("manifest.closes", "board", "V1", _set("manifest", "closes", lambda t: t + 3600)),
    Case("dkg-commit.digest", "board", "V2", _edit("dkg-commit", ("digest",), 1)),
    Case("dkg-reveal.coefficient", "board", "V2", _edit("dkg-reveal", ("coefficients", 1))),
    Case("dkg-reveal.proof.response", "board", "V2",
         _edit("dkg-reveal", ("proofs", 0, "v"), 2)),
    Case("dkg-shares.ct", "board", "V2", _edit("dkg-shares", ("shares", 0, "ct"), 1)),
    Case("joint-key.key", "board", "V3", _edit("joint-key", ("joint_key",))),
    Case("joint-key.public_share", "board", "V3", _edit("joint-key", ("public_shares", 1))),
    Case("credentials.added", "board", "V4", _credential_added),
    Case("credentials.removed", "board", "V4", _credential_removed),
    Case("credentials-final.count", "board", "V4",
         _set("credentials-final", "count", lambda n: n + 1)),
    Case("open.election", "board", "V4", _edit("open", ("election",))),
    Case("open.credential_count", "board", "V4",
         _set("open", "credential_count", lambda n: n - 1)),
    # ballots: the operator cannot re-sign (V6); a voter's own device can, and then the proofs
    # are what fail (V7 for a selection, V8 for the total)
    *(Case(f"ballot.{_path_id(p)}", "board", "V6", _ballot_edit(p, False))
      for p, _ in BALLOT_FIELDS),
    *(Case(f"ballot.{_path_id(p)}", "board+voter", chk, _ballot_edit(p, True))
      for p, chk in BALLOT_FIELDS),
    Case("ballot.election", "board", "V5", _ballot_edit(("election",), False)),
    Case("ballot.election", "board+voter", "V5", _ballot_edit(("election",), True)),
    Case("ballot.sig", "board", "V6", _ballot_edit(("sig",), False)),
    Case("ballot.copied-to-credential", "board", "V6", _copied_to_other_credential(False)),
    Case("ballot.copied-to-credential", "board+voter", "V7", _copied_to_other_credential(True)),
    Case("ballot.replayed-next", "board", "V11", _replayed_next),
    Case("ballot.replayed-before-close", "board", "V11", _replayed_before_close),
    Case("ballot.deleted", "board", "V16", _ballot_deleted),
    Case("ballot.revote-order-swapped", "board", "V12", _revote_swapped),
    Case("audit.nonce", "board", "V9", _edit("audit", ("nonces", 0))),
    Case("audit.choice", "board", "V9", _audit_choice),
    Case("audit.ballot-also-cast", "board", "V11", _audited_then_cast),
    Case("audit.replayed", "board", "V11", _audit_replayed),
    Case("audit.of-cast-ballot", "board+voter", "V11", _cast_then_audited),
    Case("ballot.after-close", "board+voter", "V16", _ballot_after_close),
    Case("ballot.after-result", "board+voter", "V16", _ballot_after_result),
    # close, tally, decryption, result
    Case("close.ballots", "board", "V16", _set("close", "ballots", lambda n: n - 1)),
    Case("tally.ciphertext", "board", "V12", _edit("tally", ("ciphertexts", 0, "beta"))),
    Case("decryption.m", "board", "V13", _edit("decryption", ("shares", 0, "m"))),
    Case("decryption.proof", "board", "V13", _edit("decryption", ("shares", 1, "proof", "c"), 1)),
    Case("result.counts", "board", "V14", _set("result", "counts", lambda c: [c[0] + 1, *c[1:]])),
    Case("result.voted", "board", "V14", _set("result", "voted", lambda n: n + 1)),
    Case("result.eligible", "board", "V14", _set("result", "eligible", lambda n: n + 1)),
    Case("end.result-removed", "board", "V16", _last_removed),
    Case("end.tally-and-after-removed", "board", "V16", _tally_and_after_removed),
    # the organizer joins: signatures pass, the recomputations must catch it
    Case("joint-key.key", "board+organizer", "V3",
         _edit("joint-key", ("joint_key",), resign=by_organizer)),
    Case("open.election", "board+organizer", "V4",
         _edit("open", ("election",), resign=by_organizer)),
    Case("close.ballots", "board+organizer", "V16",
         _set("close", "ballots", lambda n: n + 1, resign=by_organizer)),
    Case("tally.ciphertext", "board+organizer", "V12",
         _edit("tally", ("ciphertexts", 1, "alpha"), resign=by_organizer)),
    Case("tally.counted", "board+organizer", "V12",
         _set("tally", "counted", lambda n: n - 1, resign=by_organizer)),
    Case("result.counts", "board+organizer", "V14", _result_counts_moved),
    Case("result.blank", "board+organizer", "V14",
         _set("result", "blank", lambda n: n + 1, resign=by_organizer)),
    Case("result.voted", "board+organizer", "V14",
         _set("result", "voted", lambda n: n - 1, resign=by_organizer)),
    Case("result.eligible", "board+organizer", "V14",
         _set("result", "eligible", lambda n: n - 1, resign=by_organizer)),
    Case("result.trustees", "board+organizer", "V14",
         _set("result", "trustees", lambda t: [t[0] % 3 + 1, *t[1:]][::-1],
              resign=by_organizer)),
    Case("ballot.deleted+retallied", "board+organizer", "V13", _deleted_and_retallied),
    Case("ballot.revote-swapped+retallied", "board+organizer", "V13", _swapped_and_retallied),
]

# a few cases again through the process pool, with small chunks so that the tampered entry is
# in a later chunk than the first
POOL_CASES = {(f"ballot.{_path_id((SEL, 0, 'proof', 1, 'v'))}", "board+voter"),
              (f"ballot.{_path_id((TOT, 0, 'v'))}", "board+voter"),
              ("ballot.replayed-before-close", "board"),
              ("ballot.copied-to-credential", "board+voter"),
              ("ballot.after-close", "board+voter"),
              ("ballot.after-result", "board+voter"),
              ("audit.nonce", "board"),
              ("ballot.revote-order-swapped", "board"),
              ("result.counts", "board+organizer")}


def _params() -> list[Any]:
    out = []
    for c in CASES:
        out.append(pytest.param(c, 1, None, id=f"{c.who}:{c.id}"))
        if (c.id, c.who) in POOL_CASES:
            out.append(pytest.param(c, 2, 7, id=f"{c.who}:{c.id}:workers2"))
    return out


def test_cases_are_unique() -> None:
    ids = [(c.id, c.who) for c in CASES]
    assert len(ids) == len(set(ids))
    assert POOL_CASES <= set(ids)


def test_untouched_record_verifies(ws: Workspace) -> None:
    rep = ws.verify(workers=1)
    assert rep.ok, rep.failure
    assert rep.entries == len(ws.demo.entries)
    assert rep.result is not None and rep.result["counts"] == ws.demo.stats["counts"]


def test_resealed_untouched_record_verifies(ws: Workspace) -> None:
    """The re-sealing itself is faithful: re-signing unchanged entries changes nothing."""
    ws.write(ws.entries())
    assert ws.entries_path.read_bytes() == (ws.demo.record / "entries.jsonl").read_bytes()
    rep = ws.verify(workers=2, chunk=7)
    assert rep.ok, rep.failure


@pytest.mark.parametrize("case,workers,chunk", _params())
def test_tamper(ws: Workspace, case: Case, workers: int, chunk: int | None) -> None:
    es = ws.entries()
    where = case.tamper(es, ws.demo)
    assert es != ws.demo.entries, "the tamper changed nothing"
    ws.write(es)
    rep = ws.verify(workers=workers, **({"chunk": chunk} if chunk else {}))
    assert not rep.ok, f"{case.who} {case.id}: tampered record verified"
    assert rep.failure is not None
    assert (rep.failure.check, rep.failure.entry) == (case.check, where), rep.failure
    assert rep.checks[case.check].ok is False


# -- tampering the verifier cannot see, and why that is acceptable -------------------------------


def test_reordering_two_voters_is_invisible_to_the_verifier(ws: Workspace) -> None:
    """Order only matters between ballots of one credential; swapping two voters' ballots
    leaves every check true (a voter's receipt would still expose the move)."""
    es = ws.entries()
    a, b = d_two_voters(ws.demo)
    es[a], es[b] = es[b], es[a]
    ws.write(es)
    rep = ws.verify()
    assert rep.ok, rep.failure


def d_two_voters(d: Demo) -> tuple[int, int]:
    """Ballots of two credentials that each cast exactly one ballot."""
    b = d.indices("ballot")
    creds = [d.entries[i]["credential"] for i in b]
    single = [i for i, c in zip(b, creds) if creds.count(c) == 1]
    return single[0], single[-1]


def test_deleted_audit_is_caught_by_an_old_checkpoint_not_by_the_record(ws: Workspace) -> None:
    """An audit does not count, so removing one leaves a consistent record; what exposes the
    operator is equivocation: a checkpoint the voter or a witness kept from before names a
    different root for the same size, under the same board key."""
    es = ws.entries()
    del es[ws.demo.index("audit")]
    ws.write(es)
    assert ws.verify().ok
    old = next(c for c in ws.demo.checkpoints if c.size > ws.demo.index("audit"))
    tree = TreeBuilder()
    for line in ws.lines()[:old.size]:
        tree.append(leaf_hash(line))
    assert tree.root() != old.root  # two signed roots for one size: proof of equivocation


# -- not re-sealed: the board's own integrity check (V15) ----------------------------------------


def test_modified_ballot_without_reseal_fails_merkle(ws: Workspace) -> None:
    es = ws.entries()
    i = ws.demo.single_ballot()
    bump_at(es[i], (SEL, 0, "alpha"))
    ws.write(es, reseal=False)
    rep = ws.verify()
    assert rep.failure is not None and rep.failure.check == "V15"
    cp = next(c for c in ws.demo.checkpoints if c.size > i)
    assert rep.failure.entry == cp.size - 1 and "Merkle root" in rep.failure.reason


@pytest.mark.parametrize("workers", [1, 2])
def test_modified_setup_entry_without_reseal(ws: Workspace, workers: int) -> None:
    """Before `open` the ledger checks an entry before its leaf reaches a checkpoint, so a
    changed manifest is named by its own check (V1) rather than by the board's (V15)."""
    es = ws.entries()
    es[0]["closes"] += 1
    ws.write(es, reseal=False)
    rep = ws.verify(workers=workers)
    assert rep.failure is not None and (rep.failure.check, rep.failure.entry) == ("V1", 0)


def test_last_checkpoint_dropped(ws: Workspace) -> None:
    lines = ws.checkpoints_path.read_bytes().split(b"\n")[:-1]
    ws.checkpoints_path.write_bytes(b"".join(x + b"\n" for x in lines[:-1]))
    rep = ws.verify()
    assert rep.failure is not None and rep.failure.check == "V15"
    assert "not covered" in rep.failure.reason


def test_truncated_last_line(ws: Workspace) -> None:
    data = ws.entries_path.read_bytes()
    ws.entries_path.write_bytes(data[:-20])
    rep = ws.verify()
    assert rep.failure is not None and rep.failure.check == "V15"
    assert "truncated" in rep.failure.reason


def test_missing_final_newline(ws: Workspace) -> None:
    ws.entries_path.write_bytes(ws.entries_path.read_bytes()[:-1])
    rep = ws.verify()
    assert rep.failure is not None and rep.failure.check == "V15"


@pytest.mark.parametrize("workers", [1, 2])
def test_forged_checkpoint_signature(ws: Workspace, workers: int) -> None:
    cps = list(ws.demo.checkpoints)
    j = cps[-1].to_json()
    j["sig"] = bump(j["sig"])
    lines = [canonical_bytes(c.to_json()) for c in cps[:-1]] + [canonical_bytes(j)]
    ws.checkpoints_path.write_bytes(b"".join(x + b"\n" for x in lines))
    rep = ws.verify(workers=workers)
    assert rep.failure is not None and rep.failure.check == "V15"
    assert rep.failure.entry == cps[-1].size - 1 and "signature" in rep.failure.reason


def test_checkpoints_signed_with_another_board_key(ws: Workspace) -> None:
    ws.write(ws.entries(), board_secret=bip340.generate_secret())
    rep = ws.verify()
    assert rep.failure is not None and rep.failure.check == "V15"
    assert "board key" in rep.failure.reason


def test_operator_installs_own_board_key_in_manifest(ws: Workspace) -> None:
    """The operator cannot swap the board key the manifest names: the organizer signed it."""
    es = ws.entries()
    secret = bip340.generate_secret()
    es[0]["board_key"] = bip340.public_key(secret).hex()
    ws.write(es, board_secret=secret)
    rep = ws.verify()
    assert rep.failure is not None and (rep.failure.check, rep.failure.entry) == ("V1", 0)


def test_checkpoint_for_another_election(ws: Workspace) -> None:
    ws.reseal(ws.lines(), ws.demo.board_secret, election_id="ab" * 32)
    rep = ws.verify()
    assert rep.failure is not None and rep.failure.check == "V15"
    assert "another election" in rep.failure.reason


def test_entries_removed_from_end_without_reseal(ws: Workspace) -> None:
    ws.write_lines(ws.lines()[:-1])
    rep = ws.verify()
    assert rep.failure is not None and rep.failure.check == "V15"
    assert "beyond" in rep.failure.reason


def test_checkpoints_out_of_order(ws: Workspace) -> None:
    lines = ws.checkpoints_path.read_bytes().split(b"\n")[:-1]
    lines[0], lines[1] = lines[1], lines[0]
    ws.checkpoints_path.write_bytes(b"".join(x + b"\n" for x in lines))
    rep = ws.verify()
    assert rep.failure is not None and rep.failure.check == "V15"


@pytest.mark.parametrize("content", [b"", None])
def test_no_checkpoints(ws: Workspace, content: bytes | None) -> None:
    if content is None:
        ws.checkpoints_path.unlink()
    else:
        ws.checkpoints_path.write_bytes(content)
    rep = ws.verify()
    assert rep.failure is not None and rep.failure.check == "V15"


# -- the verdict does not depend on how the verifier cuts the record into chunks ---------------

CHUNKING_CASES = [("ballot.after-result", "board+voter"), ("ballot.revote-order-swapped", "board"),
                  ("ballot.total_proof.0.v", "board+voter"),
                  ("ballot.replayed-before-close", "board")]


@pytest.mark.parametrize("key", [None, *CHUNKING_CASES],
                         ids=lambda k: "untouched" if k is None else f"{k[1]}:{k[0]}")
def test_verdict_independent_of_chunking(ws: Workspace, key: tuple[str, str] | None) -> None:
    """Regression: the workers summed every ballot of a chunk, so a ballot after `close` that
    shared a chunk with the tally made the verifier blame the honest tally (V12) — or not,
    depending on where the chunk boundaries fell."""
    es = ws.entries()
    if key is not None:
        next(c for c in CASES if (c.id, c.who) == key).tamper(es, ws.demo)
    ws.write(es)
    verdicts = set()
    for workers, chunk in [(1, 1), (1, 2), (1, 3), (1, 5), (1, 8), (1, 13), (1, 1000), (2, 4)]:
        rep = ws.verify(workers=workers, chunk=chunk)
        f = rep.failure
        verdicts.add(None if f is None else (f.check, f.entry))
        if f is None:
            assert rep.result is not None and rep.result["counts"] == ws.demo.stats["counts"]
    assert len(verdicts) == 1, verdicts
    assert (verdicts.pop() is None) == (key is None)
