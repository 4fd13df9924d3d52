"""One election's public board (spec §8.3): every entry is parsed strictly, checked against the
record so far by the `Ledger`, and only then appended to the Merkle log. A refused entry leaves
both the log and the ledger as they were, and so does a transaction that fails to commit.

Entries already in the store (written by this board, another server process of the same board,
or the organizer's CLI) are re-read *trusting* their signatures and proofs (spec §8.6.4): the
store is the operator's own, every entry in it passed the full checks before it was stored, and
the public verifier re-checks everything anyway. Opening a national board then costs a parse
per ballot, not a proof check."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..protocol.canonical import canonical_bytes, parse_canonical
from ..protocol.checkpoint import Checkpoint
from ..protocol.errors import ProtocolError, Rejected
from ..protocol.ledger import BallotFacts, Ledger, Savepoint, sum_cts
from ..protocol.manifest import parse_manifest
from ..protocol.merkle import leaf_hash
from .errors import StoreCorrupted
from .log import Board
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


SUM_BATCH = 1024
"""Ballots whose ciphertexts a catch-up adds to the ledger's sum at once."""


class ElectionBoard:
    """The ledger rules in front of a Merkle log; replays the stored log on open and catches up
    with other writers before each check, under the store's write lock.

    `trust_store` (default): entries read back from the store are ingested without re-checking
    ballot proofs (module docstring); False re-checks everything, as the verifier does.
    `on_entry(ledger)` is called after each entry the ledger takes (caught up or applied), e.g.
    to note the turnout at every size. Without `board_secret` (and with the manifest's
    `board_key`) the board cannot sign checkpoints: see `read_only`."""

    def __init__(self, store: BoardStore, board_secret: bytes | None, election_id: str, *,
                 clock: Callable[[], float] = time.time, board_key: bytes | None = None,
                 trust_store: bool = True,
                 on_entry: Callable[[Ledger], None] | None = None) -> None:
        self.board = Board(store, board_secret, election_id, clock=clock, board_key=board_key)
        self.clock = clock
        self.trust_store = trust_store
        self.on_entry = on_entry
        self.ledger = Ledger()
        self._stale = False
        self._catch_up(store.size())

    @classmethod
    def read_only(cls, store: BoardStore, *, clock: Callable[[], float] = time.time,
                  on_entry: Callable[[Ledger], None] | None = None) -> ElectionBoard:
        """A board without its secret (a mirror's copy): the election and the board key come
        from the manifest, entry 0; it takes entries but never signs a checkpoint."""
        if store.size() == 0:
            raise StoreCorrupted("the board holds no manifest")
        m = parse_manifest(parse_canonical(store.entry(0)))
        return cls(store, None, m.hash.hex(), clock=clock, board_key=m.board_key,
                   on_entry=on_entry)

    def _catch_up(self, size: int) -> None:
        """Apply entries that other writers appended since we last looked (trusting them, see
        the module docstring); after a failed commit of a non-ballot entry, from scratch."""
        if self._stale:
            self.ledger, self._stale = Ledger(), False
        store = self.board.store
        led = self.ledger
        unsummed: list[bytes] = []  # ballots' ciphertexts, added to the sum in batches
        try:
            for idx, data in store.entries(led.entries, size):
                if not self.trust_store:
                    led.ingest(parse_canonical(data), idx)
                else:  # stored bytes were checked canonical before they were stored
                    entry = json.loads(data)
                    ballot = entry.get("type") == "ballot"
                    if not ballot and unsummed:  # a tally may read the sum
                        led.add_to_sum(sum_cts(unsummed))
                        unsummed = []
                    facts = led.ingest_trusted(entry, idx, data, add_sum=not ballot)
                    if ballot and facts is not None:
                        unsummed.append(facts.cts)
                        if len(unsummed) >= SUM_BATCH:
                            led.add_to_sum(sum_cts(unsummed))
                            unsummed = []
                if self.on_entry is not None:
                    self.on_entry(led)
        finally:
            if unsummed:
                led.add_to_sum(sum_cts(unsummed))

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
        entries other processes appended, so two writers never both pass a uniqueness check.
        If the transaction fails, a ballot or audit is taken back from the ledger in memory;
        any other entry makes the next catch-up replay the store (trusting it)."""
        entry = parse_canonical(data)
        facts = self.ledger.check_alone(entry)  # signatures and proofs, before the lock
        out: list[BallotFacts | None] = []
        sp: list[Savepoint] = []

        def check(index: int) -> None:
            self._catch_up(index)
            self._check_period(entry)
            if facts is None:
                out.append(self.ledger.ingest(entry, index))
            else:
                sp.append(self.ledger.savepoint())
                self.ledger.apply_checked(facts, index)
                out.append(facts)
            self._seen()

        try:
            rec = self.board.append_checked(data, check)
        except BaseException:
            if sp:
                self.ledger.rollback(sp[0])
            elif out:  # the ledger took an entry the store did not: replay on the next call
                self._stale = True
            raise
        finally:
            if sp:
                self.ledger.release()
        return rec.index, out[0]

    def _seen(self) -> None:
        if self.on_entry is not None:
            self.on_entry(self.ledger)

    def submit_verified(self, items: Sequence[tuple[bytes, BallotFacts]]
                        ) -> list[int | ProtocolError]:
        """Group commit of ballots and audits whose signature and proofs were already checked
        (`Ledger.check_alone` on exactly these bytes, e.g. in worker processes; the caller
        vouches for that). One write transaction and one durable commit for the whole batch;
        each item is applied (period, V10–V12) or refused on its own. Returns per item its
        index, or the refusal (and then nothing of it is stored). If the transaction fails the
        ledger is taken back to where it was before the batch's first item, in memory."""
        refused: dict[int, ProtocolError] = {}
        sp: Savepoint | None = None

        def check(i: int, index: int) -> bool:
            nonlocal sp
            if self.ledger.entries != index:
                self._catch_up(index)  # others' entries are committed: never taken back
            if sp is None:
                sp = self.ledger.savepoint()
            facts = items[i][1]
            try:
                self._check_period({"type": facts.kind})
                self.ledger.apply_checked(facts, index)
            except ProtocolError as e:
                refused[i] = e
                return False
            self._seen()
            return True

        try:
            receipts = self.board.append_each_checked([data for data, _ in items], check)
        except BaseException:
            if sp is not None:
                self.ledger.rollback(sp)
            raise
        finally:
            if sp is not None:
                self.ledger.release()
        return [refused[i] if r is None else r.index for i, r in enumerate(receipts)]

    def stored_copy(self, data: bytes, tracking: bytes) -> int | None:
        """The index of the ballot or audit with exactly these bytes, if the ledger holds one
        under its tracking code (a client's retry after a lost answer)."""
        holder = getattr(self.ledger.index, "holder", None)
        idx = holder(tracking) if holder is not None else None
        if idx is None or idx >= self.ledger.entries:
            return None
        return idx if self.board.store.entry(idx) == data else None

    def submit(self, entry: dict[str, Any]) -> tuple[int, BallotFacts | None]:
        return self.submit_bytes(canonical_bytes(entry))

    def checkpoint(self) -> Checkpoint:
        """Catch up (ledger and tree) and sign a checkpoint of exactly what the ledger holds;
        if another writer signed one as large meanwhile, that one (`Board.checkpoint`)."""
        self.sync()
        cp = self.board.checkpoint(sync=False)
        if cp.size > self.ledger.entries:
            self._catch_up(cp.size)
        return cp

    def receipt(self, index: int, tracking: bytes) -> Receipt:
        cp = self.board.store.latest_checkpoint()
        if cp is None or cp.size <= index:
            cp = self.checkpoint()
        data = self.board.store.entry(index)
        return Receipt(tracking, index, leaf_hash(data),
                       tuple(self.board.inclusion_proof(index, cp.size)), cp)

    def export(self, out: str | Path) -> Path:
        """Write the record: entries.jsonl (the exact stored bytes), checkpoints.jsonl and
        cosignatures.jsonl (one per line, by size then witness key; spec §8.8)."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        store = self.board.store
        with open(out / "entries.jsonl", "wb") as f:
            for _, data in store.entries(0, store.size()):
                f.write(data + b"\n")
        with open(out / "checkpoints.jsonl", "wb") as f:
            for cp in store.checkpoints():
                f.write(canonical_bytes(cp.to_json()) + b"\n")
        with open(out / "cosignatures.jsonl", "wb") as f:
            for _, cs in store.all_cosignatures():
                f.write(cs + b"\n")
        return out
