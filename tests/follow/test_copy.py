"""The verified copy against a malicious board: every checkpoint is taken only after all of its
checks pass, each refusal names its reason, and a refused checkpoint stores nothing."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from starlette.requests import Request
from starlette.responses import Response

from hamaporsi.crypto import bip340
from hamaporsi.follow.copy import PENDING, VerifiedCopy
from hamaporsi.follow.errors import (BadResponse, CopyCorrupted, ForkDetected, Refused,
                                     TooLarge, Truncated)
from hamaporsi.follow.evidence import EQUIVOCATION, INCONSISTENT, check_evidence
from hamaporsi.follow.http import Limits
from hamaporsi.follow.remote import BoardClient
from hamaporsi.protocol import merkle
from hamaporsi.protocol.checkpoint import Checkpoint, sign_checkpoint
from hamaporsi.protocol.merkle import leaf_hash

from follow.helpers import Record, body, genuine_proof
from follow.fakeboard import FakeBoard, View

Fake = Callable[[View], tuple[FakeBoard, str]]
Client = Callable[[str], BoardClient]


def state(c: VerifiedCopy) -> tuple[int, int | None, list[int]]:
    """What a refusal must leave unchanged: entries stored, latest size, checkpoint sizes."""
    latest = c.store.latest_checkpoint()
    return c.store.size(), None if latest is None else latest.size, c.sizes()


def followed(tmp_path: Path, record: Record, fake: Fake, client: Client, *sizes: int
             ) -> tuple[VerifiedCopy, FakeBoard, BoardClient]:
    """A copy that accepted a fake board's checkpoints at `sizes`, one by one."""
    board, url = fake(record.view(*sizes))
    b = client(url)
    c = VerifiedCopy.open(tmp_path / "copy")
    for cp in board.view.checkpoints:
        c.sync(b, [cp])
    return c, board, b


def refused(c: VerifiedCopy, b: BoardClient, cps: list[Checkpoint], code: str) -> Refused:
    before = state(c)
    with pytest.raises(Refused) as e:
        c.sync(b, cps)
    assert e.value.code == code, e.value
    assert state(c) == before
    assert not (c.journal is not None and c.journal.exists())
    return e.value


def test_follows_a_board_checkpoint_by_checkpoint(tmp_path: Path, record: Record, fake: Fake,
                                                 client: Client) -> None:
    c, board, b = followed(tmp_path, record, fake, client, 14, 20, 33)
    assert c.size == 33 and c.latest == board.view.head
    assert [d for _, d in c.store.entries()] == list(record.entries[:33])
    assert c.root_at(20) == board.view.checkpoints[1].root
    c.close()
    again = VerifiedCopy.open(tmp_path / "copy")  # resumable: picks up where it was
    assert again.latest == board.view.head and again.size == 33
    board.view = record.view(14, 20, 33, 38)
    synced = again.sync(b, [board.view.head])
    assert synced.entries == 5 and again.size == 38
    assert any("consistency" in r and "from=33&to=38" in r for r in board.view.requests)
    again.close()


def test_catch_up_over_many_checkpoints_checks_each_root(tmp_path: Path, record: Record,
                                                       fake: Fake, client: Client,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import hamaporsi.follow.copy as copy_mod
    monkeypatch.setattr(copy_mod, "BATCH_ENTRIES", 7)  # several runs, several proofs
    monkeypatch.setattr(copy_mod, "COMMIT_ENTRIES", 3)
    board, url = fake(record.view(14, 16, 21, 25, 30, 38))
    c = VerifiedCopy.open(tmp_path / "copy")
    c.spool_budget = 200  # most entries go through the spool file
    synced = c.sync(client(url), board.view.checkpoints)
    assert [cp.size for cp in synced.checkpoints] == [14, 16, 21, 25, 30, 38]
    assert c.sizes() == [14, 16, 21, 25, 30, 38] and synced.entries == 38
    assert [d for _, d in c.store.entries()] == list(record.entries)


def test_pinned_election(tmp_path: Path, record: Record, fake: Fake, client: Client) -> None:
    _, url = fake(record.view(20))
    c = VerifiedCopy.open(tmp_path / "a", election="ab" * 32)
    e = refused(c, client(url), [record.cp(20)], "wrong_election")
    assert "ab" * 32 in str(e) and record.election in str(e)
    ok = VerifiedCopy.open(tmp_path / "b", election=record.election)
    ok.sync(client(url), [record.cp(20)])
    assert ok.size == 20
    ok.close()
    with pytest.raises(CopyCorrupted, match="pinned"):
        VerifiedCopy.open(tmp_path / "b", election="cd" * 32)


def test_forged_signature_and_other_key(tmp_path: Path, record: Record, fake: Fake,
                                        client: Client) -> None:
    c, _, b = followed(tmp_path, record, fake, client, 14)
    good = record.cp(20, t=1_800_000_000)
    bad_sig = Checkpoint(good.election_id, good.size, good.root, good.timestamp, good.board_key,
                         bytes(a ^ 1 if i == 5 else a for i, a in enumerate(good.signature)))
    e = refused(c, b, [bad_sig], "forged_signature")
    assert "does not verify" in str(e)
    other = sign_checkpoint(bip340.generate_secret(), record.election, 20, good.root,
                            good.timestamp)
    e = refused(c, b, [other], "forged_signature")
    assert other.board_key.hex() in str(e) and "not the manifest's board key" in str(e)


def test_other_election(tmp_path: Path, record: Record, fake: Fake, client: Client) -> None:
    c, _, b = followed(tmp_path, record, fake, client, 14)
    cp = sign_checkpoint(record.secret, "ee" * 32, 20, record.cp(20).root, 1_800_000_000)
    e = refused(c, b, [cp], "wrong_election")
    assert "ee" * 32 in str(e)


def test_truncated_board_is_refused(tmp_path: Path, record: Record, fake: Fake,
                                    client: Client) -> None:
    c, board, b = followed(tmp_path, record, fake, client, 14, 30)
    e = refused(c, b, [record.cp(20, t=1_800_000_000)], "truncated")
    assert "30" in str(e) and e.size == 20


def test_earlier_time_is_out_of_order(tmp_path: Path, record: Record, fake: Fake,
                                      client: Client) -> None:
    c, board, b = followed(tmp_path, record, fake, client, 14, 20)
    board.view = record.view(14, 20, 30)
    early = record.cp(30, t=1_600_000_000)
    e = refused(c, b, [early], "out_of_order")
    assert "earlier" in str(e) and "1600000000" in str(e)


def test_same_size_again_is_nothing_new(tmp_path: Path, record: Record, fake: Fake,
                                        client: Client) -> None:
    c, board, b = followed(tmp_path, record, fake, client, 14, 20)
    resigned = record.cp(20, t=1_900_000_000)  # same root, signed again
    assert c.sync(b, [resigned]).entries == 0
    assert c.latest == board.view.checkpoints[1]


def test_entries_not_hashing_to_the_root(tmp_path: Path, record: Record, fake: Fake,
                                         client: Client) -> None:
    c, board, b = followed(tmp_path, record, fake, client, 14)
    board.view = record.view(14, 30)
    board.view.entries = list(record.swapped(22))  # the checkpoint and proof are genuine
    board.view.overrides["consistency"] = body(genuine_proof(record.entries, 14, 30))
    e = refused(c, b, [board.view.head], "root_mismatch")
    assert "do not hash" in str(e)


def test_a_refused_checkpoint_is_not_fetched_again(tmp_path: Path, record: Record, fake: Fake,
                                                  client: Client) -> None:
    """A board cannot make a follower download the same bad checkpoint's entries every round;
    a new checkpoint is checked afresh."""
    c, board, b = followed(tmp_path, record, fake, client, 14)
    board.view = record.view(14, 30)
    board.view.entries = list(record.swapped(22))
    board.view.overrides["consistency"] = body(genuine_proof(record.entries, 14, 30))
    bad = board.view.head
    refused(c, b, [bad], "root_mismatch")
    fetched = [q for q in board.view.requests if " entries " in q]
    e = refused(c, b, [bad], "root_mismatch")
    assert "refused before" in str(e)
    assert [q for q in board.view.requests if " entries " in q] == fetched  # nothing fetched
    board.view = record.view(14, 30, t=1_700_000_100)  # honest now: another signed checkpoint
    c.sync(b, [board.view.head])
    assert c.size == 30


def test_entry_that_is_not_canonical(tmp_path: Path, record: Record, fake: Fake,
                                     client: Client) -> None:
    c, board, b = followed(tmp_path, record, fake, client, 14)
    entries = list(record.entries)
    entries[17] = entries[17].replace(b'{"', b'{ "', 1)  # still JSON, not RFC 8785
    board.view = View(entries, [record.cp(14), record.cp(30, entries=tuple(entries))])
    e = refused(c, b, [board.view.head], "not_canonical")
    assert "entry 17" in str(e)


def test_duplicate_key_entry_is_not_canonical(tmp_path: Path, record: Record, fake: Fake,
                                              client: Client) -> None:
    c, board, b = followed(tmp_path, record, fake, client, 14)
    entries = list(record.entries)
    entries[15] = b'{"type":"x","type":"x"}'
    board.view = View(entries, [record.cp(14), record.cp(20, entries=tuple(entries))])
    e = refused(c, b, [board.view.head], "not_canonical")
    assert "entry 15" in str(e) and "duplicate" in str(e)


def test_malformed_and_truncated_json(tmp_path: Path, record: Record, fake: Fake,
                                      client: Client) -> None:
    c, board, b = followed(tmp_path, record, fake, client, 14)
    board.view = record.view(14, 30)
    before = state(c)
    full = (b'{"entries":[' + b",".join(record.entries[14:30]) + b'],"start":14}')
    board.view.overrides["entries"] = body(full[: len(full) // 2])
    with pytest.raises(BadResponse, match="malformed JSON"):
        c.sync(b, [board.view.head])
    board.view.overrides["entries"] = body(b'{"entries": "nope", "start": 14}')
    with pytest.raises(BadResponse, match="not an array"):
        c.sync(b, [board.view.head])
    board.view.overrides["entries"] = body(full.replace(b'"start":14', b'"start":15'))
    with pytest.raises(BadResponse, match="starts at 15"):
        c.sync(b, [board.view.head])
    board.view.overrides["entries"] = body(b'{"entries":[],"start":14}')
    with pytest.raises(BadResponse, match="got 0 entries"):
        c.sync(b, [board.view.head])
    board.view.overrides.pop("entries")
    board.view.overrides["consistency"] = body(b'{"from":14,"to":30,"proof":["zz"]}')
    with pytest.raises(BadResponse, match="64 lowercase hex"):
        c.sync(b, [board.view.head])
    assert state(c) == before


def test_body_cut_short_on_the_wire(tmp_path: Path, record: Record, fake: Fake,
                                    client: Client) -> None:
    c, board, b = followed(tmp_path, record, fake, client, 14)
    board.view = record.view(14, 30)

    def cut(_: Request) -> Response:  # announces more bytes than it sends
        return Response(b'{"entries":[', headers={"content-length": "5000"},
                        media_type="application/json")

    board.view.overrides["entries"] = cut
    before = state(c)
    with pytest.raises(Truncated):
        c.sync(b, [board.view.head])
    assert state(c) == before


def test_oversized_answer(tmp_path: Path, record: Record, fake: Fake) -> None:
    board, url = fake(record.view(14))
    small = BoardClient(url, Limits(retries=0, entries_cap=4096, small_cap=4096))
    c = VerifiedCopy.open(tmp_path / "copy")
    with pytest.raises(TooLarge, match="cap of 4,096"):
        c.sync(small, [record.cp(14)])  # the first entries page (14 entries) is ~10 KB
    assert state(c) == (0, None, [])
    board.view.overrides["checkpoint"] = body(b'{"x":"' + b"a" * 5000 + b'"}')
    with pytest.raises(TooLarge):
        small.checkpoint()
    small.close()


def test_wrong_consistency_proof_without_a_fork_is_refused(tmp_path: Path, record: Record,
                                                          fake: Fake, client: Client) -> None:
    c, board, b = followed(tmp_path, record, fake, client, 14)
    board.view = record.view(14, 30)
    h = "11" * 32
    board.view.overrides["consistency"] = body(
        f'{{"from":14,"to":30,"proof":["{h}","{h}"]}}'.encode())
    e = refused(c, b, [board.view.head], "inconsistent_proof")
    assert "a wrong proof, not a fork" in str(e)


def test_fork_over_time_is_evidence(tmp_path: Path, record: Record, fake: Fake,
                                    client: Client) -> None:
    """Size 10 accepted; then a size-20 checkpoint of a log that differs at entry 3."""
    for old in (10, 8):  # 10: the proof alone shows it; 8 (a power of two): from the entries
        c, board, b = followed(tmp_path / str(old), record, fake, client, old)
        forked = _forked(record, 3)
        board.view = View(list(forked), [record.cp(old), record.cp(20, entries=forked,
                                                                  t=1_800_000_000)])
        before = state(c)
        with pytest.raises(ForkDetected) as e:
            c.sync(b, [board.view.head])
        ev = e.value.evidence
        assert ev.kind == INCONSISTENT and (ev.first.size, ev.second.size) == (old, 20)
        assert ev.prefix_root == merkle.root(leaf_hash(x) for x in forked[:old])
        check_evidence(ev, bip340.public_key(record.secret))
        assert state(c) == before
        downloaded = any("entries start=0&end=20" in r for r in board.view.requests)
        assert downloaded == (old == 8)  # a power of two: the proof does not imply its root


def _forked(record: Record, index: int) -> tuple[bytes, ...]:
    """The log with a setup entry replaced by a ballot (the fake board checks nothing)."""
    e = list(record.entries)
    e[index] = record.alt[1]
    return tuple(e)


def test_equal_size_other_root_is_equivocation(tmp_path: Path, record: Record, fake: Fake,
                                               client: Client) -> None:
    c, board, b = followed(tmp_path, record, fake, client, 14, 20)
    other = record.cp(20, entries=record.swapped(16), t=1_800_000_000)
    with pytest.raises(ForkDetected) as e:
        c.sync(b, [other])
    assert e.value.evidence.kind == EQUIVOCATION
    check_evidence(e.value.evidence, bip340.public_key(record.secret))
    smaller = record.cp(18, entries=record.swapped(16), t=1_800_000_000)
    with pytest.raises(ForkDetected) as e:
        c.sync(b, [smaller])  # an older size with another root: also evidence
    assert e.value.evidence.kind == INCONSISTENT
    check_evidence(e.value.evidence, bip340.public_key(record.secret))


def test_listed_intermediate_checkpoint_with_a_wrong_root(tmp_path: Path, record: Record,
                                                          fake: Fake, client: Client) -> None:
    board, url = fake(record.view(14, 20, 30))
    board.view.checkpoints[1] = record.cp(20, entries=record.swapped(16), t=1_700_000_001)
    c = VerifiedCopy.open(tmp_path / "copy")
    with pytest.raises(ForkDetected) as e:
        c.sync(client(url), board.view.checkpoints)
    ev = e.value.evidence
    assert (ev.kind, ev.first.size, ev.second.size) == (INCONSISTENT, 20, 30)
    check_evidence(ev, bip340.public_key(record.secret))
    assert state(c) == (0, None, [])


def test_listed_size_zero_checkpoint_with_a_root_is_checked(tmp_path: Path, record: Record,
                                                            fake: Fake, client: Client) -> None:
    """A board-signed size-0 checkpoint must have the empty tree's root like any other: on a
    fresh copy it was stored unchecked (and the copy then refused to open: CopyCorrupted)."""
    board, url = fake(record.view(14, 20, t=1_700_000_001))
    bogus = sign_checkpoint(record.secret, record.election, 0, leaf_hash(b"x"), 1_700_000_000)
    board.view.checkpoints.insert(0, bogus)
    c = VerifiedCopy.open(tmp_path / "copy")
    with pytest.raises(ForkDetected) as e:
        c.sync(client(url), board.view.checkpoints)
    ev = e.value.evidence
    assert (ev.kind, ev.first.size, ev.second.size) == (INCONSISTENT, 0, 20)
    check_evidence(ev, bip340.public_key(record.secret))
    assert state(c) == (0, None, [])
    c.close()
    VerifiedCopy.open(tmp_path / "copy").close()


def test_listed_old_sizes_cost_one_pass_over_the_copy(tmp_path: Path, record: Record,
                                                      fake: Fake, client: Client,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A board listing many signed checkpoints at old sizes the copy holds no checkpoint of
    (consistent ones: no evidence) made every sync recompute the copy's root at each size
    from all its stored leaves, one pass per checkpoint, every round (up to 1000 per list)."""
    c, board, b = followed(tmp_path, record, fake, client, 38)
    extra = [record.cp(n, t=1_700_000_100 + n) for n in range(15, 37, 2)]
    reads: list[tuple[int, int]] = []
    inner = c.store.leaf_hashes

    def counted(start: int, end: int) -> list[bytes]:
        reads.append((start, end))
        return inner(start, end)

    monkeypatch.setattr(c.store, "leaf_hashes", counted)
    for _ in range(3):
        assert c.sync(b, [*extra, board.view.head]).entries == 0
    assert sum(end - start for start, end in reads) <= 38, reads  # at most one pass
    bad = record.cp(22, t=1_700_000_200, entries=record.swapped(16))
    with pytest.raises(ForkDetected):  # the roots found in one pass are still compared
        c.sync(b, [*extra, bad, board.view.head])
    c.close()


class Flaky:
    """A store whose add_checkpoint fails once after entries were appended (a crash)."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.fail = True

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def add_checkpoint(self, cp: Checkpoint) -> None:
        if self.fail:
            self.fail = False
            raise OSError("simulated crash")
        self.inner.add_checkpoint(cp)  # type: ignore[attr-defined]


def test_crash_between_entries_and_checkpoint_is_finished_on_restart(
        tmp_path: Path, record: Record, fake: Fake, client: Client) -> None:
    from hamaporsi.board.open import open_store
    board, url = fake(record.view(14, 30))
    b = client(url)
    c = VerifiedCopy.open(tmp_path / "copy")
    c.sync(b, [record.cp(14)])
    d = tmp_path / "copy"
    c.close()
    store = Flaky(open_store(d / "board.sqlite"))
    c = VerifiedCopy(store, journal=d / PENDING, spool_dir=d)  # type: ignore[arg-type]
    with pytest.raises(OSError, match="simulated crash"):
        c.sync(b, [board.view.head])
    assert (d / PENDING).exists() and c.store.size() == 30
    c.close()
    (d / PENDING).rename(d / "saved")
    with pytest.raises(CopyCorrupted, match="beyond its latest checkpoint"):
        VerifiedCopy.open(d)
    (d / "saved").rename(d / PENDING)
    again = VerifiedCopy.open(d)
    assert again.pending and again.latest is not None and again.latest.size == 14
    synced = again.sync(b, [])
    assert [cp.size for cp in synced.checkpoints] == [30] and not (d / PENDING).exists()
    assert again.latest == board.view.head
    again.close()
