"""Evidence that a board forked (spec §8.8.6): two checkpoints signed by the board's key that
cannot both be true. Anyone can check an evidence file with the board key alone.

    equivocation  both of one size, different roots
    inconsistent  sizes m < n; `proof` is an RFC 9162 consistency proof from (m, prefix_root)
                  to (n, root of the second) — so the second's tree has prefix_root at size m —
                  and prefix_root differs from the first checkpoint's root

For `inconsistent`, the proof binds prefix_root to the second checkpoint's tree (a different
prefix would need a SHA-256 collision), so the board's log at size n does not extend its log at
size m: no honest board signs both.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..crypto.errors import CryptoError, InvalidProof
from ..protocol.checkpoint import Checkpoint, verify_checkpoint
from ..protocol.errors import MalformedInput
from ..protocol.merkle import EMPTY_ROOT, verify_consistency
from .errors import InvalidEvidence

EQUIVOCATION = "equivocation"
INCONSISTENT = "inconsistent"
KINDS = (EQUIVOCATION, INCONSISTENT)
MAX_PROOF = 128
MAX_REASON = 1000
CHECK = "V-evidence"
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True, slots=True)
class Evidence:
    """Two board-signed checkpoints that cannot both be true, with what shows it."""

    kind: str
    reason: str
    first: Checkpoint
    second: Checkpoint
    prefix_root: bytes | None = None
    """inconsistent: the root of the second checkpoint's tree at the first's size."""
    proof: tuple[bytes, ...] = ()
    """inconsistent: the consistency proof from (first.size, prefix_root) to the second."""

    @property
    def election_id(self) -> str:
        return self.first.election_id

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.kind, "election": self.election_id,
                               "reason": self.reason,
                               "checkpoints": [self.first.to_json(), self.second.to_json()]}
        if self.kind == INCONSISTENT:
            assert self.prefix_root is not None
            out["prefix_root"] = self.prefix_root.hex()
            out["proof"] = [h.hex() for h in self.proof]
        return out

    def describe(self) -> str:
        """One loud line naming both checkpoints."""
        a, b = self.first, self.second
        x = self.prefix_root.hex() if self.prefix_root is not None else "?"
        what = ("two different roots for the same size" if self.kind == EQUIVOCATION
                else f"the size-{b.size} tree has root {x} at size {a.size}")
        return (f"FORK: the board signed two incompatible checkpoints ({self.kind}): size "
                f"{a.size} root {a.root.hex()} and size {b.size} root {b.root.hex()}; {what}. "
                f"{self.reason}")

    @classmethod
    def from_json(cls, obj: object) -> Evidence:
        """Parse an evidence file's JSON strictly; InvalidEvidence on any deviation."""
        if not isinstance(obj, dict) or obj.get("type") not in KINDS:
            raise InvalidEvidence(f"evidence: an object with type one of {list(KINDS)}")
        kind = obj["type"]
        keys = {"type", "election", "reason", "checkpoints"}
        if kind == INCONSISTENT:
            keys |= {"prefix_root", "proof"}
        if set(obj) != keys:
            raise InvalidEvidence(f"evidence ({kind}): keys must be exactly {sorted(keys)}")
        reason = obj["reason"]
        if not isinstance(reason, str) or len(reason) > MAX_REASON:
            raise InvalidEvidence(f"evidence: reason must be a string of at most {MAX_REASON}")
        cps = obj["checkpoints"]
        if not isinstance(cps, list) or len(cps) != 2:
            raise InvalidEvidence("evidence: checkpoints must be a list of two checkpoints")
        try:
            first, second = (Checkpoint.from_json(c) for c in cps)
        except MalformedInput as e:
            raise InvalidEvidence(f"evidence: {e}") from None
        if obj["election"] != first.election_id:
            raise InvalidEvidence("evidence: election is not the checkpoints' election")
        if kind == EQUIVOCATION:
            return cls(kind, reason, first, second)
        return cls(kind, reason, first, second, _hex32(obj["prefix_root"], "prefix_root"),
                   _proof(obj["proof"]))


def _hex32(v: object, what: str) -> bytes:
    if not isinstance(v, str) or len(v) != 64 or not set(v) <= _HEX:
        raise InvalidEvidence(f"evidence: {what} must be 64 lowercase hex digits")
    return bytes.fromhex(v)


def _proof(v: object) -> tuple[bytes, ...]:
    if not isinstance(v, list) or len(v) > MAX_PROOF:
        raise InvalidEvidence(f"evidence: proof must be a list of at most {MAX_PROOF} hashes")
    return tuple(_hex32(h, f"proof[{i}]") for i, h in enumerate(v))


def check_evidence(ev: Evidence, board_key: bytes) -> None:
    """Return if `ev` proves that the board with `board_key` signed two incompatible
    checkpoints (spec §8.8.6); InvalidEvidence naming the first flaw otherwise."""
    a, b = ev.first, ev.second
    for name, cp in (("first", a), ("second", b)):
        try:
            verify_checkpoint(cp, board_key, check=CHECK)
        except CryptoError as e:
            raise InvalidEvidence(f"the {name} checkpoint (size {cp.size}) is not signed by "
                                  f"board key {board_key.hex()[:16]}…: {e}") from None
    if a.election_id != b.election_id:
        raise InvalidEvidence("the two checkpoints are of different elections: a board may "
                              "sign both")
    if ev.kind == EQUIVOCATION:
        if a.size != b.size:
            raise InvalidEvidence(f"equivocation needs one size; got {a.size} and {b.size}")
        if a.root == b.root:
            raise InvalidEvidence(f"both checkpoints of size {a.size} have the same root: no "
                                  "equivocation")
        return
    x = ev.prefix_root
    if ev.kind != INCONSISTENT or x is None:
        raise InvalidEvidence(f"unknown evidence type {ev.kind!r}")
    if not a.size < b.size:
        raise InvalidEvidence(f"inconsistent needs the first size below the second; got "
                              f"{a.size} and {b.size}")
    if a.size == 0 and x != EMPTY_ROOT:
        raise InvalidEvidence("the prefix of size 0 must be the empty tree's root")
    if x == a.root:
        raise InvalidEvidence(f"the second checkpoint's tree has the first's root at size "
                              f"{a.size}: the two are consistent")
    try:
        verify_consistency(a.size, b.size, x, b.root, list(ev.proof), check=CHECK)
    except InvalidProof as e:
        raise InvalidEvidence(f"the proof does not show prefix_root inside the size-{b.size} "
                              f"tree: {e.reason}") from None


def save_evidence(directory: Path, ev: Evidence) -> Path:
    """Write `ev` as `directory`/evidence-<n>.json (n one above the highest there) durably:
    a temporary file, fsync, rename, fsync of the directory, so that a crash or power loss
    right after a fork is found cannot lose it (while it exists a witness refuses to run)."""
    n = 1 + max((int(p.stem[len("evidence-"):]) for p in directory.glob("evidence-*.json")
                 if p.stem[len("evidence-"):].isdigit()), default=0)
    path = directory / f"evidence-{n}.json"
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(json.dumps(ev.to_json(), indent=2, sort_keys=True) + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return path
