"""The sharded verifier (spec §9.1): the verdict does not depend on how the record is cut into
shards or where they run; a failure inside a shard names its entry; dropped, truncated or
changed lines fail."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hamaporsi.protocol.canonical import parse_canonical
from hamaporsi.protocol.merkle import leaf_hash
from hamaporsi.verify import shard
from hamaporsi.verify.runner import verify_record

from support.simrecord import ballot_indices, lines, reseal, tamper_proof, verdict, write_lines

CUTS = [dict(workers=1), dict(workers=1, shard_bytes=700), dict(workers=1, shard_bytes=2500),
        dict(workers=2, shard_bytes=7000)]


def test_simulated_record_verifies_with_its_expected_result(sim_record: Path) -> None:
    summary = json.loads((sim_record / "simulation.json").read_text())
    rep = verify_record(sim_record, workers=1)
    assert rep.ok, rep.failure
    assert rep.result is not None
    assert (rep.result["counts"], rep.result["voted"], rep.result["eligible"]) == \
        (summary["counts"], summary["voted"], summary["eligible"])
    assert rep.entries == summary["entries"]
    assert rep.checks["V5"].items == summary["ballots"]
    assert rep.checks["V9"].items == summary["audits"] > 0
    assert summary["revotes"] > 0


def test_verdict_is_the_same_for_every_cut(sim_record: Path) -> None:
    got = {verdict(verify_record(sim_record, **kw)) for kw in CUTS}  # type: ignore[arg-type]
    assert len(got) == 1
    assert next(iter(got))[0] is True


def test_tampered_ballot_in_the_middle_of_a_shard_is_named(record: Path) -> None:
    ballots = ballot_indices(record)
    i = ballots[len(ballots) // 2]
    tamper_proof(record, i)
    reps = [verify_record(record, **kw) for kw in CUTS]  # type: ignore[arg-type]
    for rep in reps:
        assert rep.failure is not None
        assert (rep.failure.check, rep.failure.entry) == ("V7", i), rep.failure
    assert len({verdict(r) for r in reps}) == 1


def test_tampered_ballot_without_reseal_fails_at_the_next_checkpoint(record: Path) -> None:
    """The signed checkpoint after the change is checked before the change itself is blamed."""
    i = ballot_indices(record)[10]
    tamper_proof(record, i, reseal_log=False)
    for kw in CUTS:
        rep = verify_record(record, **kw)  # type: ignore[arg-type]
        assert rep.failure is not None and rep.failure.check == "V15", rep.failure
        assert rep.failure.entry is not None and rep.failure.entry > i
        assert "Merkle root" in rep.failure.reason


def test_dropped_line_fails(record: Path) -> None:
    ls = lines(record)
    i = ballot_indices(record)[20]
    del ls[i]
    write_lines(record, ls)
    rep = verify_record(record, workers=2, shard_bytes=5000)
    assert rep.failure is not None and rep.failure.check == "V15"
    reseal(record)  # the operator re-seals: the close still states the ballots cast
    close = ballot_indices(record, "close")[0]
    for kw in CUTS:
        rep = verify_record(record, **kw)  # type: ignore[arg-type]
        assert rep.failure is not None
        assert (rep.failure.check, rep.failure.entry) == ("V16", close), rep.failure


def test_duplicated_line_fails_as_a_replay(record: Path) -> None:
    ls = lines(record)
    i = ballot_indices(record)[5]
    ls.insert(i + 30, ls[i])
    write_lines(record, ls)
    reseal(record)
    for kw in CUTS:
        rep = verify_record(record, **kw)  # type: ignore[arg-type]
        assert rep.failure is not None
        assert (rep.failure.check, rep.failure.entry) == ("V11", i + 30), rep.failure


def test_truncated_last_line_fails(record: Path) -> None:
    data = (record / "entries.jsonl").read_bytes()
    (record / "entries.jsonl").write_bytes(data[:-1])
    for kw in CUTS:
        rep = verify_record(record, **kw)  # type: ignore[arg-type]
        assert rep.failure is not None and rep.failure.check == "V15", rep.failure
        assert "truncated" in rep.failure.reason


def test_read_shard_owns_the_lines_that_start_in_its_range(sim_record: Path) -> None:
    path = str(sim_record / "entries.jsonl")
    ls = lines(sim_record)
    size = (sim_record / "entries.jsonl").stat().st_size
    for step in (333, 999, 4096, size):
        got: list[bytes] = []
        end_prev = 0
        for start in range(0, size, step):
            begin, part, end, err = shard.read_shard(path, start, min(start + step, size))
            assert err is None
            if part:
                assert begin == end_prev  # contiguous: no line read twice or skipped
                end_prev = end
            got += part
        assert got == ls


def test_shard_returns_every_leaf_even_past_a_failure(record: Path) -> None:
    from hamaporsi.protocol.ledger import Ledger
    led = Ledger()
    ls = lines(record)
    for i, line in enumerate(ls):
        led.ingest(parse_canonical(line), i)
        if led.phase == "voting":
            break
    start = sum(len(x) + 1 for x in ls[:i + 1])
    b = ballot_indices(record)[3]
    tamper_proof(record, b, reseal_log=False)
    ls = lines(record)
    res = shard.verify_shard(led.context, shard.ShardSpec(0, str(record / "entries.jsonl"),  # type: ignore[arg-type]
                                                          start, start + 20000, aligned=True))
    errors = [it for it in res.chunk.items if it[0] == "error"]
    assert errors and errors[0][1] == b - (i + 1)
    assert res.leaves == b"".join(leaf_hash(x) for x in ls[i + 1:i + 1 + res.lines])
    assert res.lines > b - i


@pytest.mark.parametrize("bad", [0, -5])
def test_workers_must_be_positive_in_the_cli(sim_record: Path, bad: int) -> None:
    from hamaporsi.cli.main import main
    assert main(["verify", str(sim_record), "--workers", str(bad), "--no-state"]) == 2


def test_index_cache_size_changes_nothing_but_speed(record: Path) -> None:
    tamper_proof(record, ballot_indices(record)[30])
    got = {verdict(verify_record(record, workers=1, shard_bytes=4000, index_cache_mib=mib))
           for mib in (1, 64)}
    assert len(got) == 1 and next(iter(got))[1][0] == "V7"


def test_index_cache_must_be_positive_in_the_cli(sim_record: Path) -> None:
    from hamaporsi.cli.main import main
    assert main(["verify", str(sim_record), "--index-cache", "0", "--no-state"]) == 2
    assert main(["verify", str(sim_record), "--index-cache", "16", "--no-state",
                 "--workers", "1"]) == 0
