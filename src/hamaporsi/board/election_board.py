"""One election's public board (spec §8.3): every entry is parsed strictly, checked against the
record so far by the `Ledger`, and only then appended to the Merkle log. A refused entry leaves
both the log and the ledger as they were."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..protocol.canonical import canonical_bytes, parse_canonical
from ..protocol.errors import ProtocolError, Rejected
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
    """The ledger rules in front of a Merkle log; replays the stored log on open and catches up
    with other writers before each check, under the store's write lock."""

    def __init__(self, store: BoardStore, board_secret: bytes, election_id: str, *,
                 clock: Callable[[], float] = time.time) -> None:
        self.board = Board(store, board_secret, election_id, clock=clock)
        self.clock = clock
        self.ledger = Ledger()
        self._catch_up(store.size())

    def _catch_up(self, size: int) -> None:
        """Apply entries that other writers appended since we last looked."""
        store = self.board.store
        for idx, data in store.entries(self.ledger.entries, size):
            self.ledger.ingest(parse_canonical(data), idx)

    def sync(self) -> int:
        """Catch up the log's tree and the ledger with entries other processes appended (the
        CLI writing the same file while a server runs); return the log's size."""
        size = self.board.sync()
        self._catch_up(size)
        return size

    def _check_period(self, entry: Any) -> None:
        """Ballots and audits only within the manifest's voting period, by the board's clock."""
        m = self.ledger.manifest
        if m is None or not isinstance(entry, dict) or entry.get("type") not in ("ballot",
                                                                                  "audit"):
            return
        now = self.clock()
        if now < m.opens:
            raise Rejected("voting has not opened yet", code="not_open", check="V16")
        if now > m.closes:
            raise Rejected("the voting period is over", code="voting_closed", check="V16")

    def submit_bytes(self, data: bytes) -> tuple[int, BallotFacts | None]:
        """Check `data` (exact canonical bytes) and append it; raises and stores nothing if bad.

        A ballot's signature and proofs are checked first, without the lock; the rules that
        depend on the record run inside the store's write transaction, after catching up with
        entries other processes appended, so two writers never both pass a uniqueness check."""
        entry = parse_canonical(data)
        facts = self.ledger.check_alone(entry)  # signatures and proofs, before the lock
        out: list[BallotFacts | None] = []

        def check(index: int) -> None:
            self._catch_up(index)
            self._check_period(entry)
            if facts is None:
                out.append(self.ledger.ingest(entry, index))
            else:
                self.ledger.apply_checked(facts, index)
                out.append(facts)

        try:
            rec = self.board.append_checked(data, check)
        except BaseException:
            if out:  # the ledger took the entry but the store did not: start again from disk
                self.ledger = Ledger()
                self._catch_up(self.board.store.size())
            raise
        return rec.index, out[0]

    def submit_verified(self, items: Sequence[tuple[bytes, BallotFacts]]
                        ) -> list[int | ProtocolError]:
        """Group commit of ballots and audits whose signature and proofs were already checked
        (`Ledger.check_alone` on exactly these bytes, e.g. in worker processes; the caller
        vouches for that). One write transaction and one durable commit for the whole batch;
        each item is applied (period, V10–V12) or refused on its own. Returns per item its
        index, or the refusal (and then nothing of it is stored)."""
        refused: dict[int, ProtocolError] = {}
        applied = False

        def check(i: int, index: int) -> bool:
            nonlocal applied
            if self.ledger.entries != index:
                self._catch_up(index)
            facts = items[i][1]
            try:
                self._check_period({"type": facts.kind})
                self.ledger.apply_checked(facts, index)
            except ProtocolError as e:
                refused[i] = e
                return False
            applied = True
            return True

        try:
            receipts = self.board.append_each_checked([data for data, _ in items], check)
        except BaseException:
            if applied:  # the ledger took entries the store did not: start again from disk
                self.ledger = Ledger()
                self._catch_up(self.board.store.size())
            raise
        return [refused[i] if r is None else r.index for i, r in enumerate(receipts)]

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
