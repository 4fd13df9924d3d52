"""Check V-witness (spec §9.2): the record's cosignatures.jsonl. Every line a canonical, valid
cosignature by a listed witness of a checkpoint in the record, one per (size, witness), in
order; the last checkpoint cosigned by at least the manifest's threshold."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hamaporsi.crypto import bip340
from hamaporsi.protocol.canonical import canonical_bytes
from hamaporsi.protocol.checkpoint import sign_checkpoint
from hamaporsi.protocol.cosignature import Cosignature, cosign
from hamaporsi.verify.report import Report
from hamaporsi.verify.runner import verify_record
from hamaporsi.verify.tally import TallyError, aggregate_tally
from hamaporsi.verify.witness import check_witnesses

from support.election import Election
from verify.witnessed import (COSIGNATURES, NAMES, WITNESSES, cosign_all, policy,
                              record_checkpoints, witnessed_election, write_cosignatures)


@pytest.fixture(scope="module")
def witnessed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    """A finished election listing witnesses 0, 1, 2 with threshold 2, exported with no
    cosignatures file; and its board secret (to sign other checkpoints)."""
    tmp = tmp_path_factory.mktemp("witnessed")
    el = witnessed_election(tmp / "board.sqlite", policy(3, 2))
    el.open()
    el.cast(0, [0])
    el.cast(1, [1])
    el.eb.checkpoint()
    el.cast(2, [2])
    el.finish()
    el.eb.checkpoint()
    rec = el.eb.export(tmp / "record")
    el.store.close()
    (rec / COSIGNATURES).unlink(missing_ok=True)
    return rec, el.board_secret


@pytest.fixture
def record(witnessed: tuple[Path, bytes], tmp_path: Path) -> Path:
    """A private copy whose cosignatures.jsonl has every checkpoint cosigned by witness 0 and
    the last also by witness 1: valid, exactly at the threshold."""
    rec = tmp_path / "record"
    shutil.copytree(witnessed[0], rec)
    cps = record_checkpoints(rec)
    write_cosignatures(rec, cosign_all(cps, [0]) + cosign_all(cps[-1:], [1]))
    return rec


def lines(rec: Path) -> list[bytes]:
    return (rec / COSIGNATURES).read_bytes().split(b"\n")[:-1]


def put(rec: Path, new: list[bytes]) -> None:
    (rec / COSIGNATURES).write_bytes(b"".join(x + b"\n" for x in new))


def failed(rep: Report, *words: str) -> str:
    assert not rep.ok, "the record verified"
    assert rep.failure is not None and rep.failure.check == "V-witness", rep.failure
    reason = rep.failure.reason
    for w in words:
        assert w in reason, reason
    assert rep.checks["V-witness"].ok is False
    return reason


def test_threshold_met_passes_with_the_counts(record: Path) -> None:
    rep = verify_record(record, workers=1)
    assert rep.ok, rep.failure
    c = rep.checks["V-witness"]
    assert c.ok is True and c.items == len(record_checkpoints(record)) + 1
    assert c.title.endswith("last checkpoint cosigned by 2 of 3 witnesses, 2 required")


def test_every_witness_cosigning_is_counted(record: Path) -> None:
    cps = record_checkpoints(record)
    write_cosignatures(record, cosign_all(cps[-1:], [0, 1, 2]))
    rep = verify_record(record, workers=1)
    assert rep.ok, rep.failure
    assert "cosigned by 3 of 3 witnesses, 2 required" in rep.checks["V-witness"].title


def test_named_witnesses_are_named_in_the_report_line(record: Path) -> None:
    """With names in the manifest, the V-witness line names the last checkpoint's cosigners
    (check_witnesses reads keys and names from the policy; the keys are the record's)."""
    cps = record_checkpoints(record)
    got = check_witnesses(record, policy(3, 2, named=True), cps, require_threshold=True)
    assert got.describe() == ("last checkpoint cosigned by 2 of 3 witnesses, 2 required: "
                              f"{NAMES[0].en}, {NAMES[1].en}")
    plain = check_witnesses(record, policy(3, 2), cps, require_threshold=True)
    assert plain.describe() == "last checkpoint cosigned by 2 of 3 witnesses, 2 required"


def test_below_threshold_fails(record: Path) -> None:
    put(record, [x for x in lines(record)
                 if Cosignature.from_bytes(x).witness != bip340.public_key(WITNESSES[1])])
    failed(verify_record(record, workers=1), "has 1 valid witness cosignatures",
           "requires 2")


def test_missing_file_is_no_cosignature(record: Path) -> None:
    (record / COSIGNATURES).unlink()
    failed(verify_record(record, workers=1), "has 0 valid witness cosignatures")


def test_cosignatures_of_earlier_checkpoints_do_not_count_for_the_last(record: Path) -> None:
    cps = record_checkpoints(record)
    write_cosignatures(record, cosign_all(cps[:-1], [0, 1, 2]) + cosign_all(cps[-1:], [2]))
    failed(verify_record(record, workers=1), f"size {cps[-1].size}", "has 1 valid")


def test_forged_signature_fails_naming_the_line(record: Path) -> None:
    ls = lines(record)
    cs = Cosignature.from_bytes(ls[-1])
    forged = Cosignature(cs.checkpoint, cs.election_id, cs.size, cs.timestamp, cs.witness,
                         bytes([cs.signature[0] ^ 1]) + cs.signature[1:])
    put(record, [*ls[:-1], forged.to_bytes()])
    failed(verify_record(record, workers=1), f"{COSIGNATURES} line {len(ls)}:")


def test_signature_over_another_time_fails(record: Path) -> None:
    ls = lines(record)
    cs = Cosignature.from_bytes(ls[0])
    moved = Cosignature(cs.checkpoint, cs.election_id, cs.size, cs.timestamp + 1, cs.witness,
                        cs.signature)
    put(record, [moved.to_bytes(), *ls[1:]])
    failed(verify_record(record, workers=1), f"{COSIGNATURES} line 1:")


def test_unlisted_witness_fails(record: Path) -> None:
    cps = record_checkpoints(record)
    css = sorted(cosign_all(cps[-1:], [0, 1, 3]), key=lambda c: c.witness)
    write_cosignatures(record, css)
    n = 1 + [c.witness for c in css].index(bip340.public_key(WITNESSES[3]))
    failed(verify_record(record, workers=1), f"line {n}:", "not listed in the manifest")


def test_cosignature_of_a_size_not_in_the_record_fails(
        record: Path, witnessed: tuple[Path, bytes]) -> None:
    cps = record_checkpoints(record)
    other = sign_checkpoint(witnessed[1], cps[0].election_id, cps[0].size + 1, bytes(32),
                            cps[0].timestamp)
    assert other.size not in {c.size for c in cps}
    write_cosignatures(record, [cosign(WITNESSES[2], other, 5),
                                *cosign_all(cps[-1:], [0, 1])])
    failed(verify_record(record, workers=1), "line 1:", f"size {other.size}",
           "not in checkpoints.jsonl")


def test_cosignature_of_another_checkpoint_of_the_same_size_fails(
        record: Path, witnessed: tuple[Path, bytes]) -> None:
    """A split view: the board signed a second checkpoint of the last size (another root);
    a witness cosigned that one, not the one in the record."""
    cps = record_checkpoints(record)
    last = cps[-1]
    fork = sign_checkpoint(witnessed[1], last.election_id, last.size, bytes(32), last.timestamp)
    write_cosignatures(record, [*cosign_all(cps[-1:], [0]), cosign(WITNESSES[1], fork, 9)])
    failed(verify_record(record, workers=1), "another checkpoint")


def test_duplicate_witness_line_fails(record: Path) -> None:
    ls = lines(record)
    cps = record_checkpoints(record)
    again = cosign(WITNESSES[1], cps[-1], 123).to_bytes()  # a second, differently timed one
    put(record, [*ls, again])
    failed(verify_record(record, workers=1), f"line {len(ls) + 1}:",
           "second cosignature by witness")
    put(record, [*ls, ls[-1]])  # the same line twice
    failed(verify_record(record, workers=1), "second cosignature")


def test_lines_out_of_order_fail(record: Path) -> None:
    ls = lines(record)
    put(record, [ls[-1], *ls[:-1]])
    failed(verify_record(record, workers=1), "line 2:", "not in (size, witness) order")


def test_non_canonical_line_fails(record: Path) -> None:
    ls = lines(record)
    spaced = ls[0].replace(b'":', b'": ', 1)
    put(record, [spaced, *ls[1:]])
    failed(verify_record(record, workers=1), "line 1:")
    obj = Cosignature.from_bytes(ls[0]).to_json()
    put(record, [canonical_bytes({**obj, "extra": 1}), *ls[1:]])
    failed(verify_record(record, workers=1), "line 1:", "extra")


def test_truncated_last_line_fails(record: Path) -> None:
    data = (record / COSIGNATURES).read_bytes()
    (record / COSIGNATURES).write_bytes(data[:-1])
    failed(verify_record(record, workers=1), "truncated")
    (record / COSIGNATURES).write_bytes(data[:-40])
    failed(verify_record(record, workers=1), "truncated")


def test_overlong_line_fails_without_reading_it_all(record: Path) -> None:
    (record / COSIGNATURES).write_bytes(b"{" + b" " * 100_000 + b"}\n")
    failed(verify_record(record, workers=1), "line 1:", "longer than")


def test_expect_election_still_pins_the_manifest(record: Path) -> None:
    eid = record_checkpoints(record)[0].election_id
    assert verify_record(record, workers=1, expect_election=eid).ok
    rep = verify_record(record, workers=1, expect_election="00" * 32)
    assert rep.failure is not None and rep.failure.check == "V1"


def test_parallel_workers_give_the_same_verdict(record: Path) -> None:
    rep = verify_record(record, workers=2, shard_bytes=4096)
    assert rep.ok, rep.failure
    assert "2 of 3 witnesses" in rep.checks["V-witness"].title
    (record / COSIGNATURES).unlink()
    assert verify_record(record, workers=2, shard_bytes=4096).failure.check == "V-witness"


def test_tally_sum_of_the_own_board_needs_no_threshold(record: Path) -> None:
    """`tally sum` runs on the organizer's fresh export: its newest checkpoint is not yet
    cosigned, so the threshold is not required there; bad lines still are refused."""
    (record / COSIGNATURES).unlink()
    assert aggregate_tally(record).counted == 3
    put(record, [b"{}"])
    with pytest.raises(TallyError, match="V-witness"):
        aggregate_tally(record)


# -- elections without witnesses ----------------------------------------------------------


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("plain")
    el = Election(tmp / "board.sqlite")
    el.open()
    el.cast(0, [1])
    el.finish()
    el.eb.checkpoint()
    rec = el.eb.export(tmp / "record")
    el.store.close()
    return rec


def test_no_witnesses_named_needs_no_cosignature(plain: Path, tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    shutil.copytree(plain, rec)
    (rec / COSIGNATURES).unlink(missing_ok=True)
    rep = verify_record(rec, workers=1)
    assert rep.ok, rep.failure
    assert rep.checks["V-witness"].items == 0
    assert "names no witnesses" in rep.checks["V-witness"].title
    (rec / COSIGNATURES).write_bytes(b"")
    assert verify_record(rec, workers=1).ok


def test_no_witnesses_named_refuses_any_cosignature(plain: Path, tmp_path: Path) -> None:
    rec = tmp_path / "rec"
    shutil.copytree(plain, rec)
    write_cosignatures(rec, cosign_all(record_checkpoints(rec)[-1:], [0]))
    failed(verify_record(rec, workers=1), "line 1:", "not listed in the manifest")
