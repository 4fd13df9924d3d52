"""The tally through the verifier's parallel path (issue 5, item 4): equal to the sequential
sum of a plain `Ledger` and to the record's tally entry, however it is run; refused for a record
that is not closed or does not verify."""

from __future__ import annotations

from pathlib import Path

import pytest

from hamaporsi.protocol.canonical import parse_canonical
from hamaporsi.protocol.ledger import Ledger
from hamaporsi.protocol.tally import parse_tally
from hamaporsi.verify.backends import Parallel
from hamaporsi.verify.tally import TallyError, aggregate_tally

from support.simrecord import ballot_indices, lines, reseal, tamper_proof, write_lines


def sequential(record: Path) -> tuple[Ledger, list]:
    led = Ledger()
    for i, line in enumerate(lines(record)):
        led.ingest(parse_canonical(line), i)
        if led.phase == "closed":
            break
    return led, led.counted_totals()


@pytest.mark.parametrize("parallel,shard_bytes", [(Parallel(workers=1), None),
                                                  (Parallel(workers=1), 2000),
                                                  (Parallel(workers=2), 5000)])
def test_parallel_tally_equals_the_sequential_sum(sim_record: Path, parallel: Parallel,
                                                  shard_bytes: int | None) -> None:
    led, totals = sequential(sim_record)
    sums = aggregate_tally(sim_record, parallel=parallel, shard_bytes=shard_bytes)
    assert sums.totals == totals
    assert (sums.counted, sums.ballots, sums.superseded, sums.audits) == \
        (led.index.voters(), led.ballots, led.superseded, led.audits)
    assert sums.superseded > 0 and sums.audits > 0
    entry = next(parse_canonical(x) for x in lines(sim_record) if b'"type":"tally"' in x)
    tally = parse_tally(led.context, entry)  # type: ignore[arg-type]
    assert list(tally.ciphertexts) == sums.totals and tally.counted == sums.counted


def test_record_that_ends_at_close_can_be_tallied(record: Path) -> None:
    close = ballot_indices(record, "close")[0]
    write_lines(record, lines(record)[:close + 1])
    reseal(record)
    led, totals = sequential(record)
    assert aggregate_tally(record, parallel=Parallel(workers=2), shard_bytes=4000).totals == \
        totals


def test_record_still_open_is_refused(record: Path) -> None:
    close = ballot_indices(record, "close")[0]
    write_lines(record, lines(record)[:close])
    reseal(record)
    with pytest.raises(TallyError, match="not closed"):
        aggregate_tally(record, parallel=Parallel(workers=1))


def test_bad_ballot_is_refused_not_summed(record: Path) -> None:
    i = ballot_indices(record)[9]
    tamper_proof(record, i)
    with pytest.raises(TallyError) as e:
        aggregate_tally(record, parallel=Parallel(workers=2), shard_bytes=3000)
    assert e.value.report.failure is not None and e.value.report.failure.entry == i


# -- the organizer's `tally sum` ----------------------------------------------------------------

def _closed_board(tmp_path: Path) -> tuple[Path, Path]:
    import json

    from support.election import Election
    el = Election(tmp_path / "board.sqlite", voters=4)
    el.open()
    for voter, choice in [(0, [0]), (1, [1]), (2, [2]), (0, [1])]:  # voter 0 votes again
        el.cast(voter, choice)
    el.close()
    el.store.close()
    el.write_board_key()
    org = tmp_path / "organizer.json"
    org.write_text(json.dumps({"role": "organizer", "secret_key": el.organizer.hex()}))
    return tmp_path / "board.sqlite", org


def test_tally_sum_posts_the_parallel_sum(tmp_path: Path) -> None:
    from hamaporsi.board.sqlite import SQLiteStore
    from hamaporsi.cli.main import main
    board, org = _closed_board(tmp_path)
    assert main(["tally", "sum", "--board", str(board), "--organizer", str(org),
                 "--workers", "2"]) == 0
    store = SQLiteStore(board)
    try:
        entries = [parse_canonical(d) for _, d in store.entries(0, store.size())]
    finally:
        store.close()
    led = Ledger()
    for i, e in enumerate(entries):
        led.ingest(e, i)  # the posted tally passes the ledger's own check (V12)
    assert led.phase == "tallied" and led.tally is not None
    assert led.tally.counted == 3 and led.superseded == 1


def test_tally_sum_refuses_a_sum_the_board_disagrees_with(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    from hamaporsi.cli.main import main
    from hamaporsi.verify import tally as vt
    board, org = _closed_board(tmp_path)
    real = vt.aggregate_tally

    def off_by_one(*a: object, **k: object) -> vt.TallySums:
        s = real(*a, **k)  # type: ignore[arg-type]
        return vt.TallySums(s.totals, s.counted + 1, s.ballots, s.superseded, s.audits,
                            s.report)

    monkeypatch.setattr(vt, "aggregate_tally", off_by_one)
    assert main(["tally", "sum", "--board", str(board), "--organizer", str(org),
                 "--workers", "1"]) == 2
    assert "disagree" in capsys.readouterr().err
