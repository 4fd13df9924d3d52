"""Resumable verification (spec §9.4): a run killed with SIGKILL resumes from its last snapshot
and reports exactly what an uninterrupted run reports; a snapshot is used only for the record
it was taken of, so a record changed after the interruption is verified again and fails."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from hamaporsi.verify.index import DiskIndex
from hamaporsi.verify.runner import verify_record
from hamaporsi.verify.state import INDEX, Snapshot

from support.simrecord import ballot_indices, lines, tamper_proof, verdict, write_lines

KILLER = """
import os, signal, sys
from hamaporsi.verify.runner import verify_record
record, state, kill_at = sys.argv[1], sys.argv[2], int(sys.argv[3])
def progress(entries, read):
    if entries >= kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
verify_record(record, workers=1, state=state, snapshot_seconds=0, shard_bytes=3000,
              progress=progress)
print("not killed")
"""


def kill_mid_run(record: Path, state: Path, at: int) -> Snapshot:
    """Run the verifier in a subprocess and SIGKILL it once `at` entries are verified; return
    the snapshot it left."""
    p = subprocess.run([sys.executable, "-c", KILLER, str(record), str(state), str(at)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == -signal.SIGKILL, (p.returncode, p.stdout, p.stderr)
    idx = DiskIndex(str(state / INDEX), durable=True)
    try:
        raw = idx.load_state()
    finally:
        idx.close()
    assert raw is not None
    snap = Snapshot.decode(raw)
    assert snap is not None
    return snap


def test_killed_run_resumes_with_the_same_report(sim_record: Path, tmp_path: Path) -> None:
    full = verify_record(sim_record, workers=1)
    assert full.ok
    state = tmp_path / "state"
    mid = full.entries // 2
    snap = kill_mid_run(sim_record, state, mid)
    first_ballot = ballot_indices(sim_record)[0]
    assert first_ballot < snap.size <= mid  # the snapshot is of the voting phase
    resumed = verify_record(sim_record, workers=2, state=state, shard_bytes=5000)
    assert resumed.resumed_from == snap.size
    assert verdict(resumed) == verdict(full)
    assert not (state / INDEX).exists()  # a completed run leaves no state behind


def test_fresh_ignores_the_snapshot(sim_record: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    kill_mid_run(sim_record, state, 150)
    rep = verify_record(sim_record, workers=1, state=state, resume=False)
    assert rep.ok and rep.resumed_from is None


def test_record_tampered_in_the_verified_part_after_the_kill_fails(record: Path,
                                                                   tmp_path: Path) -> None:
    state = tmp_path / "state"
    snap = kill_mid_run(record, state, 200)
    i = next(b for b in reversed(ballot_indices(record)) if b < snap.size - 1)
    tamper_proof(record, i)  # re-signed by the voter and re-sealed by the board
    rep = verify_record(record, workers=1, state=state)
    assert rep.resumed_from is None  # the prefix no longer matches: started over
    assert rep.failure is not None and (rep.failure.check, rep.failure.entry) == ("V7", i)


def test_record_tampered_after_the_snapshot_fails(record: Path, tmp_path: Path) -> None:
    """A change past the snapshot (entries only, same length): the snapshot is used, and the
    resumed run fails at the first checkpoint over the change."""
    state = tmp_path / "state"
    snap = kill_mid_run(record, state, 120)
    i = next(b for b in ballot_indices(record) if b > snap.size + 5)
    tamper_proof(record, i, reseal_log=False)
    rep = verify_record(record, workers=1, state=state)
    assert rep.resumed_from == snap.size
    assert rep.failure is not None and rep.failure.check == "V15", rep.failure
    assert rep.failure.entry is not None and rep.failure.entry >= i


def test_record_tampered_and_resealed_after_the_snapshot_fails(record: Path,
                                                               tmp_path: Path) -> None:
    state = tmp_path / "state"
    snap = kill_mid_run(record, state, 120)
    i = next(b for b in ballot_indices(record) if b > snap.size + 5)
    tamper_proof(record, i)
    rep = verify_record(record, workers=1, state=state)
    assert rep.resumed_from is None  # new checkpoints: not the record of the snapshot
    assert rep.failure is not None and (rep.failure.check, rep.failure.entry) == ("V7", i)


def test_entries_changed_without_new_checkpoints_are_caught(record: Path,
                                                            tmp_path: Path) -> None:
    """Only entries.jsonl changes (same length, same checkpoints file): the re-hashed prefix
    does not match the snapshot's root, so the run starts over and fails at the change."""
    state = tmp_path / "state"
    snap = kill_mid_run(record, state, 200)
    ls = lines(record)
    i = next(b for b in reversed(ballot_indices(record)) if b < snap.size - 1)
    j = next(b for b in ballot_indices(record) if b < i and len(ls[b]) == len(ls[i]))
    ls[i], ls[j] = ls[j], ls[i]  # swap two ballots: same bytes in total
    write_lines(record, ls)
    rep = verify_record(record, workers=1, state=state)
    assert rep.resumed_from is None
    assert rep.failure is not None and rep.failure.check == "V15"


def test_snapshot_of_another_format_is_ignored(sim_record: Path, tmp_path: Path) -> None:
    state = tmp_path / "state"
    kill_mid_run(sim_record, state, 150)
    idx = DiskIndex(str(state / INDEX), durable=True)
    idx.save_state(b'{"format": 999}')
    idx.close()
    rep = verify_record(sim_record, workers=1, state=state)
    assert rep.ok and rep.resumed_from is None


@pytest.mark.parametrize("kill_at", [40, 260])
def test_resume_at_different_points(sim_record: Path, tmp_path: Path, kill_at: int) -> None:
    full = verify_record(sim_record, workers=1)
    state = tmp_path / "state"
    kill_mid_run(sim_record, state, kill_at)
    assert verdict(verify_record(sim_record, workers=1, state=state)) == verdict(full)


def test_cli_keeps_state_in_the_given_directory_and_removes_it(sim_record: Path,
                                                               tmp_path: Path) -> None:
    state = tmp_path / "cli-state"
    env = {**os.environ, "COLUMNS": "120"}
    p = subprocess.run([sys.executable, "-m", "hamaporsi.cli.main", "verify", str(sim_record),
                        "--workers", "1", "--state", str(state)], capture_output=True,
                       text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "VALID" in p.stdout
    assert state.is_dir() and not (state / INDEX).exists()


def test_two_runs_cannot_share_a_state_directory(sim_record: Path, tmp_path: Path) -> None:
    import fcntl

    from hamaporsi.verify.state import LOCK, StateBusy
    state = tmp_path / "state"
    state.mkdir()
    with open(state / LOCK, "a") as f:  # another run holds it
        fcntl.flock(f, fcntl.LOCK_EX)
        with pytest.raises(StateBusy):
            verify_record(sim_record, workers=1, state=state)
    assert verify_record(sim_record, workers=1, state=state).ok


def test_cli_default_state_dir_unwritable_means_no_state(sim_record: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    from hamaporsi.cli.main import main
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")  # the cache "directory" is a file: it cannot be made
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert main(["verify", str(sim_record), "--workers", "1"]) == 0
    assert "no resumable state" in capsys.readouterr().err


def test_cli_default_state_is_under_the_cache_home(sim_record: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from hamaporsi.cli.main import main
    from hamaporsi.verify.state import default_state_dir
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    d = default_state_dir(sim_record)
    assert d.is_relative_to(tmp_path / "cache") and not d.is_relative_to(sim_record)
    assert main(["verify", str(sim_record), "--workers", "1"]) == 0
    assert d.is_dir() and not (d / INDEX).exists()
