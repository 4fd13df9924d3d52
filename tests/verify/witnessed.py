"""Elections whose manifest names checkpoint witnesses (spec §5.2, §8.8), for the verifier,
CLI, attack and browser tests: fixed test witness keys, a `support.election.Election` built
with a "witnesses" field, and cosignatures.jsonl written as the board's export writes it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hamaporsi.crypto import bip340
from hamaporsi.crypto.group import ORDER, scalar_bytes
from hamaporsi.protocol.canonical import parse_canonical
from hamaporsi.protocol.checkpoint import Checkpoint
from hamaporsi.protocol.cosignature import Cosignature, WitnessPolicy, cosign
from hamaporsi.protocol.text import Text
from support.election import Election

COSIGNATURES = "cosignatures.jsonl"


def witness_secret(i: int) -> bytes:
    """Test witness i's BIP340 secret (public test data, never a real key)."""
    d = hashlib.sha512(f"hamaporsi test witness {i}".encode()).digest()
    return scalar_bytes(int.from_bytes(d, "big") % ORDER or 1)


WITNESSES = [witness_secret(i) for i in range(4)]
"""Four test witnesses; elections list the first three, the fourth is never listed."""
KEYS = [bip340.public_key(s) for s in WITNESSES]


NAMES = [Text("روزنامهٔ نمونه", "Sample Daily"), Text("کانون وکلای نمونه", "Sample Bar Association"),
         Text("دیده‌بان انتخابات", "Election Watch"), Text("گواه بی‌نام", "Unlisted Witness")]
"""Names for the four test witnesses (manifest "witnesses"."names", spec §5.2)."""


def policy(n: int = 3, threshold: int = 2, *, named: bool = False) -> WitnessPolicy:
    """The first `n` test witnesses, `threshold` required; `named`: with NAMES[:n]."""
    return WitnessPolicy(tuple(KEYS[:n]), threshold, tuple(NAMES[:n]) if named else ())


def witnessed_election(path: Path, p: WitnessPolicy, **kw: Any) -> Election:
    """`Election(path, **kw)` whose manifest names the witnesses of `p`."""
    return Election(path, witnesses=p, **kw)


def record_checkpoints(record: Path) -> list[Checkpoint]:
    return [Checkpoint.from_json(parse_canonical(x)) for x in
            (record / "checkpoints.jsonl").read_bytes().split(b"\n")[:-1]]


def cosignature_lines(css: Iterable[Cosignature]) -> bytes:
    """cosignatures.jsonl: one canonical cosignature per line, by (size, witness)."""
    return b"".join(cs.to_bytes() + b"\n"
                    for cs in sorted(css, key=lambda c: (c.size, c.witness)))


def write_cosignatures(record: Path, css: Iterable[Cosignature]) -> None:
    (record / COSIGNATURES).write_bytes(cosignature_lines(css))


def cosign_all(cps: Iterable[Checkpoint], witnesses: Iterable[int],
               t: int = 1_700_000_000) -> list[Cosignature]:
    """Cosignatures of every checkpoint in `cps` by each test witness in `witnesses`."""
    ws = list(witnesses)
    return [cosign(WITNESSES[w], cp, t + cp.size) for cp in cps for w in ws]
