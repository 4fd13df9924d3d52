"""One small demo referendum for the whole session, and a workspace per test that copies its
record, lets the test rewrite entries, and re-seals the log as a malicious board operator could.

The operator model: whoever runs the board holds the board's signing key, so they can rewrite
entries.jsonl and re-sign every checkpoint over the new Merkle tree (V15 then passes). They do
not hold the organizer's, registrar's, trustees' or voters' keys. Some tests widen the coalition
(organizer, or a voter whose printed code is in voters/codes.txt) and say so.
"""

from __future__ import annotations

import copy
import io
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from hamaporsi.cli.demo import DemoConfig, run_demo
from hamaporsi.crypto.hashing import hash_parts
from hamaporsi.protocol.canonical import canonical_bytes, parse_canonical
from hamaporsi.protocol.checkpoint import Checkpoint, sign_checkpoint
from hamaporsi.protocol.credentials import Credential
from hamaporsi.protocol.election import ElectionContext
from hamaporsi.protocol.ledger import Ledger
from hamaporsi.protocol.merkle import TreeBuilder, leaf_hash
from hamaporsi.verify.report import Report
from hamaporsi.verify.runner import verify_record

VOTERS, TRUSTEES, THRESHOLD, SEED = 40, 3, 2, 20240601


@dataclass
class Demo:
    """The untouched demo: its record, the keys the tests may use, and parsed entries."""

    out: Path
    record: Path
    board_secret: bytes
    organizer_secret: bytes
    entries: list[dict[str, Any]]
    checkpoints: list[Checkpoint]
    voter_secrets: dict[str, bytes]  # credential (hex) -> secret, from voters/codes.txt
    ctx: ElectionContext
    stats: dict[str, Any] = field(default_factory=dict)

    def indices(self, kind: str) -> list[int]:
        return [i for i, e in enumerate(self.entries) if e["type"] == kind]

    def index(self, kind: str, n: int = 0) -> int:
        return self.indices(kind)[n]

    def revote_pair(self) -> tuple[int, int]:
        """Two ballots of the same credential (first and second cast)."""
        seen: dict[str, int] = {}
        for i in self.indices("ballot"):
            c = self.entries[i]["credential"]
            if c in seen:
                return seen[c], i
            seen[c] = i
        raise AssertionError("the demo has no re-vote")

    def single_ballot(self) -> int:
        """A ballot whose credential cast only this one ballot."""
        creds = [self.entries[i]["credential"] for i in self.indices("ballot")]
        for i in self.indices("ballot"):
            if creds.count(self.entries[i]["credential"]) == 1:
                return i
        raise AssertionError("every voter re-voted")

    def non_voter(self) -> str:
        """A listed credential that never cast a ballot (hex), or any other listed one."""
        cast = {self.entries[i]["credential"] for i in self.indices("ballot")}
        listed = self.entries[self.index("credentials")]["keys"]
        free = [k for k in listed if k not in cast]
        return free[0] if free else listed[-1]


def manifest_hash(entries: list[dict[str, Any]]) -> str:
    """The election id checkpoints name: H("manifest", JCS(manifest entry))."""
    return hash_parts("manifest", canonical_bytes(entries[0])).hex()


def seal(lines: list[bytes], secret: bytes, election_id: str, sizes: list[int],
         times: list[int]) -> list[Checkpoint]:
    """Sign one checkpoint per size over the Merkle tree of `lines` (what the operator does)."""
    tree = TreeBuilder()
    roots = {0: tree.root()}
    for line in lines:
        tree.append(leaf_hash(line))
        roots[tree.size] = tree.root()
    return [sign_checkpoint(secret, election_id, s, roots[s], t) for s, t in zip(sizes, times)]


class Workspace:
    """A private copy of the demo record for one test."""

    def __init__(self, demo: Demo, path: Path) -> None:
        self.demo = demo
        self.record = path / "record"
        shutil.copytree(demo.record, self.record)

    @property
    def entries_path(self) -> Path:
        return self.record / "entries.jsonl"

    @property
    def checkpoints_path(self) -> Path:
        return self.record / "checkpoints.jsonl"

    def entries(self) -> list[dict[str, Any]]:
        """A deep copy of the demo's entries, to tamper with."""
        return copy.deepcopy(self.demo.entries)

    def lines(self) -> list[bytes]:
        return self.entries_path.read_bytes().split(b"\n")[:-1]

    def write_lines(self, lines: list[bytes]) -> None:
        self.entries_path.write_bytes(b"".join(x + b"\n" for x in lines))

    def write_checkpoints(self, cps: list[Checkpoint]) -> None:
        self.checkpoints_path.write_bytes(
            b"".join(canonical_bytes(c.to_json()) + b"\n" for c in cps))

    def write(self, entries: list[dict[str, Any]], *, reseal: bool = True,
              board_secret: bytes | None = None) -> None:
        """Write the entries, each re-canonicalized (RFC 8785); by default re-seal the log:
        the original checkpoint sizes (clipped to the new length, the last one covering every
        entry) re-signed over the new tree, naming the election of the (possibly new) manifest."""
        lines = [canonical_bytes(e) for e in entries]
        self.write_lines(lines)
        if reseal:
            self.reseal(lines, board_secret or self.demo.board_secret,
                        election_id=manifest_hash(entries))

    def reseal(self, lines: list[bytes], secret: bytes, *, election_id: str | None = None) -> None:
        n = len(lines)
        old = self.demo.checkpoints
        sizes = sorted({min(c.size, n) for c in old} | {n})
        last_time = old[-1].timestamp
        times = [next((c.timestamp for c in old if c.size == s), last_time) for s in sizes]
        eid = election_id or old[0].election_id
        self.write_checkpoints(seal(lines, secret, eid, sizes, times))

    def verify(self, workers: int = 1, **kw: Any) -> Report:
        return verify_record(self.record, workers=workers, **kw)


def _voter_secrets(out: Path) -> dict[str, bytes]:
    creds = [Credential.from_code(line) for line in
             (out / "voters" / "codes.txt").read_text("ascii").split()]
    return {c.public.hex(): c.secret for c in creds}


def _context(entries: list[dict[str, Any]]) -> ElectionContext:
    led = Ledger()
    for e in entries:
        led.ingest(e)
        if e["type"] == "open":
            break
    assert led.context is not None
    return led.context


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    out = tmp_path_factory.mktemp("attack-demo") / "demo"
    cfg = DemoConfig(voters=VOTERS, trustees=TRUSTEES, threshold=THRESHOLD, out=out, seed=SEED,
                     workers=1, revote_rate=0.15, audit_rate=0.1)
    assert run_demo(cfg, Console(file=io.StringIO(), width=200)) == 0
    record = out / "record"
    entries = [parse_canonical(x) for x in (record / "entries.jsonl").read_bytes().split(b"\n")[:-1]]
    cps = [Checkpoint.from_json(parse_canonical(x))
           for x in (record / "checkpoints.jsonl").read_bytes().split(b"\n")[:-1]]
    d = Demo(out, record, cfg.stats["board_secret"], cfg.stats["organizer_secret"], entries,
             cps, _voter_secrets(out), _context(entries), dict(cfg.stats))
    # the shape the tamper suite relies on
    assert d.indices("audit") and d.indices("ballot") and len(cps) >= 2
    d.revote_pair()
    d.single_ballot()
    assert [e["type"] for e in entries[-4:]] == ["tally", "decryption", "decryption", "result"]
    return d


@pytest.fixture
def ws(demo: Demo, tmp_path: Path) -> Workspace:
    return Workspace(demo, tmp_path)

