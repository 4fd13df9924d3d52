"""Witnesses against a board operator (issue 4; spec §5.2, §8.8, check V-witness of §9.2).

The operator holds the board key: it can re-sign any checkpoint and rewrite the record's files.
It holds no witness key and not the organizer's. An election lists witnesses 0, 1, 2 and needs
2 cosignatures; the honest record has every checkpoint cosigned by witnesses 0 and 1. Whatever
the operator presents, a record whose last checkpoint the witnesses did not cosign fails V-witness:

- a different history (here: the same entries under checkpoints the witnesses never saw, signed
  by the board at other times) keeps the witnesses' cosignatures of the old checkpoints, which
  are of another checkpoint, or drops them and lacks the threshold;
- cosignatures it makes itself: with the witnesses' names but its own key (bad signature), or
  under its own key (not a listed witness), or one witness counted twice;
- the witnesses' cosignatures of older checkpoints do not vouch for the last one;
- the witness list is in the signed manifest: changing it needs the organizer's key (V1), and a
  re-signed manifest is another election that the rest of the record does not match.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hamaporsi.crypto import bip340
from hamaporsi.protocol.canonical import canonical_bytes, parse_canonical
from hamaporsi.protocol.checkpoint import sign_checkpoint
from hamaporsi.protocol.cosignature import Cosignature, cosign
from hamaporsi.protocol.signing import sign_entry
from hamaporsi.verify.report import Report
from hamaporsi.verify.runner import verify_record

from verify.witnessed import (COSIGNATURES, cosign_all, policy, record_checkpoints,
                              witnessed_election, write_cosignatures)


class Record:
    """A private copy of the honest witnessed record, and the operator's key."""

    def __init__(self, src: Path, board_secret: bytes, organizer: bytes, tmp: Path) -> None:
        self.path = tmp / "record"
        shutil.copytree(src, self.path)
        self.board_secret = board_secret
        self.organizer = organizer

    def verify(self) -> Report:
        return verify_record(self.path, workers=1)

    def lines(self) -> list[bytes]:
        return (self.path / COSIGNATURES).read_bytes().split(b"\n")[:-1]

    def resign_checkpoints(self, dt: int = 1) -> None:
        """The operator re-signs every checkpoint (same sizes and roots, other times)."""
        cps = [sign_checkpoint(self.board_secret, c.election_id, c.size, c.root,
                               c.timestamp + dt) for c in record_checkpoints(self.path)]
        (self.path / "checkpoints.jsonl").write_bytes(
            b"".join(canonical_bytes(c.to_json()) + b"\n" for c in cps))


@pytest.fixture(scope="module")
def honest(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes, bytes]:
    tmp = tmp_path_factory.mktemp("witnessed-attack")
    el = witnessed_election(tmp / "board.sqlite", policy(3, 2), voters=5)
    el.open()
    for v, c in enumerate([0, 1, 2, 0]):
        el.cast(v, [c])
        if v % 2:
            el.eb.checkpoint()
    el.finish()
    el.eb.checkpoint()
    rec = el.eb.export(tmp / "record")
    el.store.close()
    write_cosignatures(rec, cosign_all(record_checkpoints(rec), [0, 1]))
    assert verify_record(rec, workers=1).ok
    return rec, el.board_secret, el.organizer


@pytest.fixture
def rec(honest: tuple[Path, bytes, bytes], tmp_path: Path) -> Record:
    return Record(*honest, tmp_path)


def fails_witness(rep: Report, *words: str) -> None:
    assert rep.failure is not None, "the record verified"
    assert rep.failure.check == "V-witness", rep.failure
    for w in words:
        assert w in rep.failure.reason, rep.failure.reason
    # every other check passed: only the witnesses tell this record from an honest one
    assert all(c.ok is not False for cid, c in rep.checks.items() if cid != "V-witness")


def test_honest_record_is_witnessed(rec: Record) -> None:
    rep = rec.verify()
    assert rep.ok, rep.failure
    assert "cosigned by 2 of 3 witnesses, 2 required" in rep.checks["V-witness"].title


def test_checkpoints_the_witnesses_never_saw_keep_no_cosignature(rec: Record) -> None:
    rec.resign_checkpoints()
    fails_witness(rec.verify(), "line 1:", "another checkpoint")
    (rec.path / COSIGNATURES).unlink()  # dropping them leaves the last one unwitnessed
    fails_witness(rec.verify(), "0 valid witness cosignatures", "requires 2")


def test_cosignatures_relabelled_to_the_new_checkpoints_do_not_verify(rec: Record) -> None:
    rec.resign_checkpoints()
    new = {c.size: c for c in record_checkpoints(rec.path)}
    moved = []
    for x in rec.lines():
        cs = Cosignature.from_bytes(x)
        moved.append(Cosignature(new[cs.size].message(), cs.election_id, cs.size, cs.timestamp,
                                 cs.witness, cs.signature))
    write_cosignatures(rec.path, moved)
    fails_witness(rec.verify(), "line 1:", "signature")


def test_operator_cannot_sign_for_a_witness(rec: Record) -> None:
    last = record_checkpoints(rec.path)[-1]
    keep = [Cosignature.from_bytes(x) for x in rec.lines()]
    keep = [c for c in keep if c.size != last.size]
    mine = cosign(rec.board_secret, last, 5)
    posing = [Cosignature(mine.checkpoint, mine.election_id, mine.size, mine.timestamp, k,
                          mine.signature) for k in policy(3, 2).keys[:2]]
    write_cosignatures(rec.path, keep + posing)
    fails_witness(rec.verify(), "signature")
    write_cosignatures(rec.path, keep + [mine, *cosign_all([last], [0])])
    fails_witness(rec.verify(), "not listed in the manifest")


def test_one_witness_cannot_count_twice(rec: Record) -> None:
    last = record_checkpoints(rec.path)[-1]
    keep = [Cosignature.from_bytes(x) for x in rec.lines()]
    keep = [c for c in keep if c.size != last.size]
    twice = cosign_all([last], [0]) + cosign_all([last], [0], t=1_800_000_000)
    (rec.path / COSIGNATURES).write_bytes(b"".join(
        c.to_bytes() + b"\n" for c in sorted(keep, key=lambda c: (c.size, c.witness)) + twice))
    fails_witness(rec.verify(), "second cosignature by witness")


def test_older_cosignatures_do_not_vouch_for_the_last_checkpoint(rec: Record) -> None:
    last = record_checkpoints(rec.path)[-1]
    older = [Cosignature.from_bytes(x) for x in rec.lines()]
    write_cosignatures(rec.path, [c for c in older if c.size != last.size])
    fails_witness(rec.verify(), f"size {last.size}", "0 valid witness cosignatures")


def test_the_witness_list_is_the_organizers(rec: Record) -> None:
    entries = (rec.path / "entries.jsonl").read_bytes().split(b"\n")[:-1]
    manifest = parse_canonical(entries[0])
    me = bip340.public_key(rec.board_secret)
    manifest["witnesses"] = {"keys": [me.hex()], "threshold": 1}  # the operator as witness
    (rec.path / "entries.jsonl").write_bytes(
        b"".join(x + b"\n" for x in [canonical_bytes(manifest), *entries[1:]]))
    rep = rec.verify()
    assert rep.failure is not None and rep.failure.check == "V1", rep.failure
    # with the organizer's key too, it is another election: the rest of the record disagrees
    resigned = sign_entry({k: v for k, v in manifest.items() if k != "sig"}, rec.organizer)
    (rec.path / "entries.jsonl").write_bytes(
        b"".join(x + b"\n" for x in [canonical_bytes(resigned), *entries[1:]]))
    rep = rec.verify()
    assert rep.failure is not None and rep.failure.check != "V-witness", rep.failure
