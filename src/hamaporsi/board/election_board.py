"""One election's public board (spec §8.3): every entry is parsed strictly, checked against the
record so far by the `Ledger`, and only then appended to the Merkle log. A refused entry leaves
both the log and the ledger as they were."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..protocol.canonical import canonical_bytes, parse_canonical
from ..protocol.ledger import BallotFacts, Ledger
from ..protocol.checkpoint import Checkpoint
from .log import Board
from ..protocol.merkle import leaf_hash
from .store import BoardStore


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a voter keeps (spec §5.7): tracking code, leaf index, inclusion proof and the signed
    checkpoint the proof is against."""

    tracking_code: bytes
    index: int
    leaf_hash: bytes
    path: tuple[bytes, ...]
    checkpoint: Checkpoint

    def to_json(self) -> dict[str, Any]:
        return {"tracking_code": self.tracking_code.hex(), "index": self.index,
                "leaf_hash": self.leaf_hash.hex(), "path": [p.hex() for p in self.path],
                "checkpoint": self.checkpoint.to_json()}


class ElectionBoard:
    """The ledger rules in front of a Merkle log; replays the stored log on open."""

    def __init__(self, store: BoardStore, board_secret: bytes, election_id: str) -> None:
        self.board = Board(store, board_secret, election_id)
        self.ledger = Ledger()
        for idx, data in store.entries(0, store.size()):
            self.ledger.ingest(parse_canonical(data), idx)

    def submit_bytes(self, data: bytes) -> tuple[int, BallotFacts | None]:
        """Check `data` (exact canonical bytes) and append it; raises and stores nothing if bad."""
        entry = parse_canonical(data)
        facts = self.ledger.ingest(entry, self.board.size)
        rec = self.board.append(data)
        return rec.index, facts

    def submit(self, entry: dict[str, Any]) -> tuple[int, BallotFacts | None]:
        return self.submit_bytes(canonical_bytes(entry))

    def checkpoint(self) -> Checkpoint:
        return self.board.checkpoint()

    def receipt(self, index: int, tracking: bytes) -> Receipt:
        cp = self.board.store.latest_checkpoint()
        if cp is None or cp.size <= index:
            cp = self.board.checkpoint()
        data = self.board.store.entry(index)
        return Receipt(tracking, index, leaf_hash(data),
                       tuple(self.board.inclusion_proof(index, cp.size)), cp)

    def export(self, out: str | Path) -> Path:
        """Write the record: entries.jsonl (the exact stored bytes) and checkpoints.jsonl."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        store = self.board.store
        with open(out / "entries.jsonl", "wb") as f:
            for _, data in store.entries(0, store.size()):
                f.write(data + b"\n")
        with open(out / "checkpoints.jsonl", "wb") as f:
            for cp in store.checkpoints():
                f.write(canonical_bytes(cp.to_json()) + b"\n")
        return out
