"""The verifier's batched index look-ups (`DiskIndex.prepare` / `flush`) answer exactly as the
board's `MemoryIndex` does, whatever the batches, including clashes across and within batches,
unknown credentials, re-votes, and a snapshot committed between batches."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from hamaporsi.protocol.ledger import BallotFacts, MemoryIndex
from hamaporsi.verify.index import DiskIndex

CREDS = [bytes([i]) * 32 for i in range(6)]
VALUES = [bytes([100 + i]) * 33 for i in range(12)]


def facts(cred: int, values: list[int]) -> BallotFacts:
    vs = [VALUES[v] for v in values]
    return BallotFacts("ballot", CREDS[cred], vs[0], tuple(vs[1:2]), tuple(vs[2:]), b"c" * 66)


ballot = st.tuples(st.integers(0, 5), st.lists(st.integers(0, 11), min_size=1, max_size=4,
                                                unique=True))


@settings(max_examples=60)
@given(batches=st.lists(st.lists(ballot, max_size=6), max_size=5), durable=st.booleans())
def test_batched_disk_index_agrees_with_memory(tmp_path_factory: object, batches: list,
                                               durable: bool) -> None:
    path = Path(tmp_path_factory.mktemp("idx")) / "i.sqlite"  # type: ignore[attr-defined]
    disk, mem = DiskIndex(str(path), durable=durable), MemoryIndex()
    listed = CREDS[:4]  # credentials 4 and 5 are not on the list
    disk.add_credentials(listed)
    mem.add_credentials(listed)
    idx = 0
    try:
        for batch in batches:
            fs = [facts(c, vs) for c, vs in batch]
            disk.prepare(fs)
            for f in fs:
                assert disk.has_credential(f.credential) == mem.has_credential(f.credential)
                values = [f.tracking, *f.alphas, *f.commitments]
                got, want = disk.claim_all(values, idx), mem.claim_all(values, idx)
                assert got == want
                if want is None:
                    assert disk.set_last(f.credential, idx, f.cts) == \
                        mem.set_last(f.credential, idx, f.cts)
                idx += 1
            disk.flush()
            assert disk.voters() == mem.voters()
            if durable:
                disk.save_state(b"{}")
    finally:
        disk.close()


def test_unprepared_look_ups_still_work(tmp_path: Path) -> None:
    disk = DiskIndex(str(tmp_path / "i.sqlite"))
    disk.add_credentials([CREDS[0]])
    disk.prepare([facts(0, [0, 1])])
    assert disk.claim_all([VALUES[0], VALUES[1]], 0) is None
    assert disk.claim_all([VALUES[5]], 1) is None  # not prepared: goes to the database
    assert disk.claim_all([VALUES[1]], 2) == (VALUES[1], 0)
    assert disk.has_credential(CREDS[0]) and not disk.has_credential(CREDS[3])
    assert disk.set_last(CREDS[2], 3, b"x") is None  # not prepared either
    assert disk.set_last(CREDS[2], 4, b"y") == (3, b"x")
    disk.close()
