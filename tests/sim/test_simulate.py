"""`hamaporsi simulate` (issue 5): a valid record whose expected result the verifier finds;
the plan depends on the seed only (not on the number of processes); the credential list is
sorted correctly when merged from runs on disk; bad settings are refused."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from hamaporsi.cli.main import main
from hamaporsi.protocol.canonical import parse_canonical
from hamaporsi.sim import credentials as sim_credentials
from hamaporsi.sim.generate import SimConfig, SimulationError, simulate
from hamaporsi.sim.voters import BLOCK, Rates, credential_secret, plan_block, public_keys
from hamaporsi.verify.runner import verify_record

RATES = Rates(abstain=0.2, audit=0.1, revote=0.15)


def _entries(out: Path) -> list[dict]:
    return [parse_canonical(x) for x in (out / "entries.jsonl").read_bytes().split(b"\n")[:-1]]


def test_record_verifies_with_the_expected_result(tmp_path: Path) -> None:
    s = simulate(SimConfig(voters=160, out=tmp_path / "r", workers=1, rates=RATES, seed=3,
                           options=3, checkpoint_every=25))
    rep = verify_record(tmp_path / "r", workers=1)
    assert rep.ok, rep.failure
    assert rep.result is not None
    assert rep.result["counts"] == s["counts"] and sum(s["counts"]) == s["voted"]
    assert (rep.result["voted"], rep.result["eligible"]) == (s["voted"], 160)
    assert rep.checks["V5"].items == s["ballots"] == s["voted"] + s["revotes"]
    assert rep.checks["V9"].items == s["audits"] > 0
    assert rep.checks["V15"].items == s["checkpoints"] >= 160 // 25
    assert s["abstained"] == 160 - s["voted"] > 0
    assert json.loads((tmp_path / "r" / "simulation.json").read_text()) == s
    kinds = [e["type"] for e in _entries(tmp_path / "r")]
    assert kinds.count("audit") == s["audits"] and kinds.count("ballot") == s["ballots"]
    assert kinds[-4:] == ["tally", "decryption", "decryption", "result"]


def test_plan_does_not_depend_on_the_processes(tmp_path: Path) -> None:
    a = simulate(SimConfig(voters=1200, out=tmp_path / "a", workers=1, rates=RATES, seed=9))
    b = simulate(SimConfig(voters=1200, out=tmp_path / "b", workers=2, rates=RATES, seed=9))
    for k in ("counts", "ballots", "audits", "revotes", "voted", "entries"):
        assert a[k] == b[k], k
    final = [next(e for e in _entries(p) if e["type"] == "credentials-final")
             for p in (tmp_path / "a", tmp_path / "b")]
    assert final[0]["hash"] == final[1]["hash"]  # same credentials: derived from the seed
    simulate(SimConfig(voters=1200, out=tmp_path / "c", workers=2, rates=RATES, seed=10))
    assert next(e for e in _entries(tmp_path / "c")
                if e["type"] == "credentials-final")["hash"] != final[0]["hash"]
    assert verify_record(tmp_path / "b", workers=2).ok


def test_revotes_come_after_other_voters_and_the_last_cast_counts() -> None:
    casts = plan_block(seed=1, block=0, voters=BLOCK, options=2,
                       rates=Rates(abstain=0.0, audit=0.0, revote=0.3))
    seen: dict[int, int] = {}
    for pos, c in enumerate(casts):
        if c.voter in seen:
            assert pos - seen[c.voter] > 1  # someone else voted in between
            assert c.counts
        seen.setdefault(c.voter, pos)
    revoters = [v for v in seen if sum(c.voter == v for c in casts) == 2]
    assert revoters and all(not casts[seen[v]].counts for v in revoters)
    assert len(seen) == BLOCK  # nobody abstained


def test_credential_list_merged_from_runs_on_disk(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    rnd = random.Random(5)
    keys = [rnd.randbytes(32) for _ in range(1000)]
    blocks = [b"".join(keys[i:i + 37]) for i in range(0, 1000, 37)]
    merged = list(sim_credentials.sorted_keys(iter(blocks), str(tmp_path), run=100))
    assert merged == sorted(keys)
    assert list(tmp_path.iterdir()) == []  # the runs are temporary files, gone after
    one = simulate(SimConfig(voters=90, out=tmp_path / "one", workers=1, seed=4))
    monkeypatch.setattr(sim_credentials, "RUN", 7)
    monkeypatch.setattr(sim_credentials, "CHUNK", 20)  # several credential entries
    many = simulate(SimConfig(voters=90, out=tmp_path / "many", workers=1, seed=4))
    chunks = [e for e in _entries(tmp_path / "many") if e["type"] == "credentials"]
    assert len(chunks) == 5
    assert many["counts"] == one["counts"]
    assert verify_record(tmp_path / "many", workers=1).ok


def test_public_keys_are_the_derived_secrets_keys() -> None:
    from hamaporsi.crypto import bip340
    packed = public_keys(7, 10, 3)
    assert [packed[i:i + 32] for i in (0, 32, 64)] == \
        [bip340.public_key(credential_secret(7, v)) for v in (10, 11, 12)]
    assert credential_secret(7, 10) != credential_secret(8, 10)


@pytest.mark.parametrize("kw", [dict(voters=0), dict(options=1), dict(options=9),
                                dict(threshold=4), dict(workers=0), dict(checkpoint_every=0),
                                dict(rates=Rates(revote=1.5)), dict(rates=Rates(audit=-0.1))])
def test_bad_settings_are_refused(tmp_path: Path, kw: dict) -> None:
    cfg = {"voters": 10, "out": tmp_path / "r", **kw}
    with pytest.raises(SimulationError):
        simulate(SimConfig(**cfg))
    assert not (tmp_path / "r" / "entries.jsonl").exists()


def test_existing_record_is_not_overwritten_without_force(tmp_path: Path) -> None:
    out = tmp_path / "r"
    simulate(SimConfig(voters=5, out=out, workers=1))
    before = (out / "entries.jsonl").read_bytes()
    with pytest.raises(SimulationError, match="--force"):
        simulate(SimConfig(voters=5, out=out, workers=1))
    assert (out / "entries.jsonl").read_bytes() == before
    simulate(SimConfig(voters=6, out=out, workers=1, force=True))
    assert (out / "entries.jsonl").read_bytes() != before


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r"
    assert main(["simulate", "--voters", "40", "--out", str(out), "--workers", "1",
                 "--seed", "2", "--revote-rate", "0.2", "--audit-rate", "0.1"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["voters"] == 40 and summary["rates"]["revote"] == 0.2
    assert main(["simulate", "--voters", "40", "--out", str(out)]) == 2  # exists
    assert "--force" in capsys.readouterr().err
    assert main(["simulate", "--voters", "40", "--out", str(tmp_path / "x"),
                 "--abstain-rate", "2"]) == 2
    assert main(["verify", str(out), "--workers", "1", "--no-state",
                 "--expect-election", summary["manifest"]]) == 0
