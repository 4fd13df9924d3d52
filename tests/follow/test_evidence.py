"""Evidence files (spec §8.8.6): what proves a fork, and everything that must not pass for one."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from hamaporsi.cli.main import main
from hamaporsi.crypto import bip340
from hamaporsi.follow.errors import InvalidEvidence
from hamaporsi.follow.evidence import EQUIVOCATION, INCONSISTENT, Evidence, check_evidence
from hamaporsi.protocol import merkle
from hamaporsi.protocol.checkpoint import sign_checkpoint

SECRET = bip340.generate_secret()
KEY = bip340.public_key(SECRET)
E = "ee" * 32
A = [bytes([i]) * 3 for i in range(20)]
B = A[:4] + [b"other"] + A[5:]  # differs at entry 4


def leaves(entries: list[bytes]) -> list[bytes]:
    return [merkle.leaf_hash(e) for e in entries]


def cp(entries: list[bytes], size: int, t: int = 1, secret: bytes = SECRET, election: str = E):
    return sign_checkpoint(secret, election, size, merkle.root(leaves(entries[:size])), t)


def inconsistent(m: int, n: int) -> Evidence:
    """A at size m, B at size n (B's log differs from A's at entry 4)."""
    lb = leaves(B)
    return Evidence(INCONSISTENT, "test", cp(A, m), cp(B, n), merkle.root(lb[:m]),
                    tuple(merkle.consistency_proof(lb, m, n)))


def test_equivocation() -> None:
    ev = Evidence(EQUIVOCATION, "test", cp(A, 10), cp(B, 10, t=2))
    check_evidence(ev, KEY)
    assert Evidence.from_json(json.loads(json.dumps(ev.to_json()))) == ev
    with pytest.raises(InvalidEvidence, match="same root"):
        check_evidence(Evidence(EQUIVOCATION, "t", cp(A, 10), cp(A, 10, t=2)), KEY)
    with pytest.raises(InvalidEvidence, match="needs one size"):
        check_evidence(Evidence(EQUIVOCATION, "t", cp(A, 10), cp(B, 11)), KEY)


@pytest.mark.parametrize("m,n", [(5, 20), (8, 20), (6, 7), (16, 17), (5, 6)])
def test_inconsistent(m: int, n: int) -> None:
    ev = inconsistent(m, n)
    check_evidence(ev, KEY)
    assert Evidence.from_json(json.loads(json.dumps(ev.to_json()))) == ev


def test_a_consistent_pair_is_not_evidence() -> None:
    la = leaves(A)
    ev = Evidence(INCONSISTENT, "t", cp(A, 4), cp(B, 12), merkle.root(la[:4]),
                  tuple(merkle.consistency_proof(leaves(B), 4, 12)))  # B extends A up to 4
    with pytest.raises(InvalidEvidence, match="consistent"):
        check_evidence(ev, KEY)


def test_a_made_up_prefix_root_does_not_pass() -> None:
    ev = inconsistent(8, 20)
    with pytest.raises(InvalidEvidence, match="does not show prefix_root"):
        check_evidence(replace(ev, prefix_root=b"\x07" * 32), KEY)
    with pytest.raises(InvalidEvidence, match="does not show prefix_root"):
        check_evidence(replace(ev, proof=ev.proof[:-1]), KEY)
    ev = inconsistent(5, 20)
    with pytest.raises(InvalidEvidence, match="does not show prefix_root"):
        check_evidence(replace(ev, proof=(b"\x01" * 32,) + ev.proof[1:]), KEY)


def test_signatures_and_elections() -> None:
    other = bip340.generate_secret()
    with pytest.raises(InvalidEvidence, match="second checkpoint .* not signed"):
        check_evidence(Evidence(EQUIVOCATION, "t", cp(A, 10), cp(B, 10, secret=other)), KEY)
    with pytest.raises(InvalidEvidence, match="first checkpoint .* not signed"):
        check_evidence(inconsistent(5, 20), bip340.public_key(other))
    forged = replace(cp(B, 10), signature=bytes(64))
    with pytest.raises(InvalidEvidence, match="not signed"):
        check_evidence(Evidence(EQUIVOCATION, "t", cp(A, 10), forged), KEY)
    with pytest.raises(InvalidEvidence, match="different elections"):
        check_evidence(Evidence(EQUIVOCATION, "t", cp(A, 10), cp(B, 10, election="dd" * 32)),
                       KEY)


def test_size_order_and_empty_prefix() -> None:
    ev = inconsistent(5, 20)
    with pytest.raises(InvalidEvidence, match="first size below"):
        check_evidence(replace(ev, first=ev.second, second=ev.first), KEY)
    bogus0 = sign_checkpoint(SECRET, E, 0, b"\x05" * 32, 1)  # a size-0 checkpoint with a root
    check_evidence(Evidence(INCONSISTENT, "t", bogus0, cp(B, 3), merkle.EMPTY_ROOT, ()), KEY)
    with pytest.raises(InvalidEvidence, match="empty tree"):
        check_evidence(Evidence(INCONSISTENT, "t", bogus0, cp(B, 3), b"\x09" * 32, ()), KEY)


def test_from_json_is_strict() -> None:
    good = inconsistent(5, 20).to_json()
    for bad, reason in (({**good, "extra": 1}, "keys must be exactly"),
                        ({**good, "type": "fork"}, "type one of"),
                        ({**good, "checkpoints": good["checkpoints"][:1]}, "two checkpoints"),
                        ({**good, "election": "dd" * 32}, "election"),
                        ({**good, "prefix_root": "XY"}, "prefix_root"),
                        ({**good, "proof": ["00"]}, r"proof\[0\]"),
                        ({**good, "reason": 5}, "reason")):
        with pytest.raises(InvalidEvidence, match=reason):
            Evidence.from_json(bad)


def test_check_evidence_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "evidence-1.json"
    f.write_text(json.dumps(inconsistent(8, 20).to_json()))
    assert main(["witness", "check-evidence", str(f), "--board-key", KEY.hex()]) == 0
    assert "VALID EVIDENCE" in capsys.readouterr().out
    other = bip340.public_key(bip340.generate_secret()).hex()
    assert main(["witness", "check-evidence", str(f), "--board-key", other]) == 1
    assert "NOT EVIDENCE" in capsys.readouterr().out
    f.write_text(json.dumps(Evidence(EQUIVOCATION, "t", cp(A, 10), cp(A, 10, t=2)).to_json()))
    assert main(["witness", "check-evidence", str(f), "--board-key", KEY.hex()]) == 1
    assert main(["witness", "check-evidence", str(f), "--board-key", "zz"]) == 2
    f.write_text("{not json")
    assert main(["witness", "check-evidence", str(f), "--board-key", KEY.hex()]) == 2


def test_a_witness_writes_its_evidence_durably(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The evidence file was renamed into place without fsync of it or of its directory: a
    power loss right after a fork was found could lose it, and the witness would run on."""
    import os

    from hamaporsi.follow.remote import BoardClient
    from hamaporsi.follow.witness import Witness

    synced: list[str] = []
    real = os.fsync

    def fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real(fd)

    with BoardClient("http://127.0.0.1:9") as board:
        w = Witness(tmp_path / "w", bip340.generate_secret(), board)
        try:
            monkeypatch.setattr(os, "fsync", fsync)
            path = w.record(inconsistent(6, 9))
        finally:
            w.close()
    assert path.name == "evidence-1.json"
    assert str(path) + ".tmp" in synced  # the file's bytes, before the rename
    assert str(tmp_path / "w") in synced  # the rename itself
    check_evidence(Evidence.from_json(json.loads(path.read_text())), KEY)
