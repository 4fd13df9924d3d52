"""Check V-witness (spec §9.2): the witnesses' cosignatures in the record's cosignatures.jsonl.

Every line must be one canonical cosignature (spec §8.8), in strictly increasing (size,
witness) order (so at most one per witness and checkpoint), by a witness the manifest lists,
of a checkpoint of checkpoints.jsonl (same size, same signed message), with a valid BIP340
signature. For a complete record the last checkpoint, the one covering every entry, must have
at least the manifest's threshold of valid cosignatures. A missing file holds no cosignatures.
The file is read line by line against the checkpoints already checked by V15 (both are sorted
by size), so it costs one pass and one signature check per line, in the main process."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..crypto.errors import CryptoError
from ..protocol.checkpoint import Checkpoint
from ..protocol.cosignature import CHECK, Cosignature, WitnessPolicy, verify_cosignature
from ..protocol.errors import ProtocolError
from .report import Failure

COSIGNATURES = "cosignatures.jsonl"
MAX_LINE_BYTES = 4096
"""Longest accepted line: a cosignature is about 450 bytes of canonical JSON."""


class WitnessCheckFailed(Exception):
    """A cosignature line, or the threshold, failed V-witness; `failure` names it."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(str(failure))
        self.failure = failure


@dataclass(frozen=True, slots=True)
class WitnessSummary:
    """What V-witness established: lines checked, and who cosigned the last checkpoint."""

    lines: int
    last_size: int
    last_cosigners: int
    listed: int
    threshold: int
    names: tuple[str, ...] = ()  # the manifest's English names of those cosigners, if any

    def describe(self) -> str:
        """One line for the report, e.g. "last checkpoint cosigned by 2 of 3 witnesses, 2
        required" (then ": NAME, NAME" when the manifest names its witnesses)."""
        if not self.listed:
            return "the manifest names no witnesses; none required"
        return (f"last checkpoint cosigned by {self.last_cosigners} of {self.listed} witnesses, "
                f"{self.threshold} required" + (": " + ", ".join(self.names) if self.names
                                                else ""))


def _fail(line: int | None, reason: str) -> WitnessCheckFailed:
    where = f"{COSIGNATURES} line {line}: " if line is not None else ""
    return WitnessCheckFailed(Failure(CHECK, None, where + reason))


def _lines(f: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """(1-based line number, line without its newline); never holds more than one line."""
    for n, line in enumerate(iter(lambda: f.readline(MAX_LINE_BYTES + 1), b""), 1):
        if not line.endswith(b"\n"):
            if len(line) > MAX_LINE_BYTES:
                raise _fail(n, f"longer than {MAX_LINE_BYTES} bytes")
            raise _fail(n, "truncated (no newline at the end of the file)")
        yield n, line[:-1]


def check_witnesses(record: Path, policy: WitnessPolicy, checkpoints: Sequence[Checkpoint],
                    *, require_threshold: bool) -> WitnessSummary:
    """Check every line of `record`/cosignatures.jsonl against `checkpoints` (the record's
    checkpoints, increasing size, already verified) and, with `require_threshold`, that the
    last checkpoint has at least `policy.threshold` valid cosignatures (spec §8.8.3).
    Raises WitnessCheckFailed naming the line and the reason."""
    path = record / COSIGNATURES
    last = checkpoints[-1] if checkpoints else None
    listed = set(policy.keys)
    on_last: list[Cosignature] = []
    lines = 0
    if path.exists():
        with open(path, "rb") as f:
            pos = 0  # checkpoints[pos] is the first checkpoint not below the previous size
            prev: tuple[int, bytes] | None = None
            for n, data in _lines(f):
                lines = n
                try:
                    cs = Cosignature.from_bytes(data)
                except ProtocolError as e:
                    raise _fail(n, str(e)) from e
                who = cs.witness.hex()[:16] + "…"
                key = (cs.size, cs.witness)
                if prev is not None and key == prev:
                    raise _fail(n, f"second cosignature by witness {who} of the checkpoint of "
                                   f"size {cs.size}")
                if prev is not None and key < prev:
                    raise _fail(n, "not in (size, witness) order")
                prev = key
                if cs.witness not in listed:
                    raise _fail(n, f"witness {who} is not listed in the manifest")
                while pos < len(checkpoints) and checkpoints[pos].size < cs.size:
                    pos += 1
                if pos == len(checkpoints) or checkpoints[pos].size != cs.size:
                    raise _fail(n, f"cosignature of a checkpoint of size {cs.size}, which is not "
                                   "in checkpoints.jsonl")
                try:
                    verify_cosignature(cs, checkpoints[pos])
                except CryptoError as e:
                    raise _fail(n, getattr(e, "reason", str(e))) from e
                if checkpoints[pos] is last:
                    on_last.append(cs)
    names = tuple(policy.labels(cs.witness for cs in on_last)) if policy.names else ()
    summary = WitnessSummary(lines, last.size if last else 0, len(on_last), len(policy.keys),
                             policy.threshold, names)
    if require_threshold and last is not None:
        try:
            policy.require(last, on_last)
        except CryptoError as e:
            raise _fail(None, f"the last checkpoint (size {last.size}, covering the whole "
                              f"record) has {len(on_last)} valid witness cosignatures; the "
                              f"election requires {policy.threshold}") from e
    return summary
