"""Simulated records for tests, and what an attacker (or a test) does to them:
rewrite entries and re-seal the log with the board key, which a simulated election derives
from its seed (`sim.voters.role_secret`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hamaporsi.crypto import bip340
from hamaporsi.crypto.group import ORDER, scalar_bytes
from hamaporsi.protocol.canonical import canonical_bytes, parse_canonical
from hamaporsi.protocol.checkpoint import Checkpoint, sign_checkpoint
from hamaporsi.protocol.manifest import parse_manifest
from hamaporsi.protocol.merkle import TreeBuilder, leaf_hash
from hamaporsi.protocol.signing import sign_entry
from hamaporsi.sim.voters import credential_secret, role_secret
from hamaporsi.verify.report import Report

SEED = 20260805
VOTERS = 300


def lines(record: Path) -> list[bytes]:
    return (record / "entries.jsonl").read_bytes().split(b"\n")[:-1]


def write_lines(record: Path, new: list[bytes]) -> None:
    (record / "entries.jsonl").write_bytes(b"".join(x + b"\n" for x in new))


def checkpoints(record: Path) -> list[Checkpoint]:
    return [Checkpoint.from_json(parse_canonical(x)) for x in
            (record / "checkpoints.jsonl").read_bytes().split(b"\n")[:-1]]


def reseal(record: Path, seed: int = SEED) -> None:
    """Re-sign the checkpoints (same sizes, clipped to the record; the last covers every entry)
    over the entries as they are now, as a board operator could."""
    ls = lines(record)
    sizes = sorted({min(c.size, len(ls)) for c in checkpoints(record)} | {len(ls)})
    election = parse_manifest(parse_canonical(ls[0])).hash.hex()
    tree, out, secret = TreeBuilder(), [], role_secret(seed, "board")
    for i, line in enumerate(ls, 1):
        tree.append(leaf_hash(line))
        if i in sizes:
            cp = sign_checkpoint(secret, election, i, tree.root(), 1_800_000_000)
            out.append(canonical_bytes(cp.to_json()))
    (record / "checkpoints.jsonl").write_bytes(b"".join(x + b"\n" for x in out))


def ballot_indices(record: Path, kind: str = "ballot") -> list[int]:
    return [i for i, x in enumerate(lines(record)) if x.startswith(b'{"credential"') and
            kind == "ballot" or kind != "ballot" and f'"type":"{kind}"'.encode() in x]


def voter_secret(credential_hex: str, seed: int = SEED, voters: int = VOTERS) -> bytes:
    for v in range(voters):
        s = credential_secret(seed, v)
        if bip340.public_key(s).hex() == credential_hex:
            return s
    raise KeyError(credential_hex)


def tamper_proof(record: Path, idx: int, *, reseal_log: bool = True) -> None:
    """Change the response of the first branch of the first selection proof of ballot `idx`,
    re-signed by the voter (so the signature holds and the proof fails, V7)."""
    ls = lines(record)
    e: dict[str, Any] = parse_canonical(ls[idx])
    assert e["type"] == "ballot"
    br = e["selections"][0]["proof"][0]
    br["v"] = scalar_bytes((int(br["v"], 16) + 1) % ORDER).hex()
    del e["sig"]
    ls[idx] = canonical_bytes(sign_entry(e, voter_secret(e["credential"])))
    write_lines(record, ls)
    if reseal_log:
        reseal(record)


def verdict(rep: Report) -> tuple[Any, ...]:
    """Everything a report says about the record (not how long it took or where it ran)."""
    f = rep.failure
    return (rep.ok, None if f is None else (f.check, f.entry, f.reason), rep.entries,
            rep.election, None if rep.result is None else canonical_bytes(rep.result),
            tuple((c.id, c.items, c.ok) for c in rep.checks.values()))
