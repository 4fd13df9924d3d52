"""The board behind the server: one `ElectionBoard` on one thread (a database connection and the
ledger are single-threaded), with the caches that make reads cheap. The event loop awaits
`call(fn)`; every method below whose name has no leading `a` runs on that thread.

Other processes may append to the same board while the server runs (the organizer, registrar
and trustees use the CLI; other server processes cast and sign): every read first catches up
with them (`ElectionBoard.sync`), trusting what the store holds (spec §8.6.4)."""

from __future__ import annotations

import asyncio
import bisect
import json
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from ..board.election_board import ElectionBoard
from ..board.errors import CheckpointError, StoreCorrupted
from ..board.open import describe, open_store
from ..crypto.errors import InvalidProof
from ..protocol.ballot import tracking_code
from ..protocol.canonical import canonical_bytes, parse_canonical
from ..protocol.checkpoint import Checkpoint
from ..protocol.cosignature import Cosignature, verify_cosignature
from ..protocol.errors import ProtocolError
from ..protocol.ledger import BallotFacts, Ledger, MemoryIndex
from ..protocol.merkle import consistency_proof, inclusion_proof
from .cadence import Cadence
from .config import ServerConfig
from .errors import ApiError
from .merkle_cache import SubtreeCache
from .verifier import ContextBytes
from .witnessed import Witnessed

log = logging.getLogger("hamaporsi.server")
R = TypeVar("R")

PUBLIC_PHASE = {"manifest": "setup", "ceremony": "setup", "credentials": "setup",
                "credentials-final": "setup", "voting": "voting", "closed": "closed",
                "tallied": "closed", "done": "done"}
"""The ledger's phases (spec §1) as the API names them."""

MAX_ENTRIES = 1000
"""Most entries one GET /api/board/entries returns."""
PAGE_BYTES = 4 << 20
"""… and at most this many bytes of entries, but always at least one (an entry is ≤ 1 MiB):
a page of credential chunks (660 KiB each at 10,000 keys) would otherwise weigh 660 MB."""
MAX_CHECKPOINTS = 1000


@dataclass(frozen=True, slots=True)
class View:
    """What the event loop may read without a round trip: replaced whole, never changed."""

    phase: str
    opens: int
    closes: int
    voting_open: bool


@dataclass(frozen=True, slots=True)
class Turnout:
    """The ledger's counters at a signed checkpoint's size: what /api/results publishes, so
    that turnout moves once per checkpoint, never once per ballot (docs/security.md W3)."""

    size: int
    ballots: int
    audits: int
    voters: int


def turnout_of(entries: Any, size: int) -> Turnout:
    """Count ballots, audits and voters (credentials with a ballot) among stored entries."""
    ballots = audits = 0
    voters: set[str] = set()
    for _, data in entries:
        e = json.loads(data)
        if e.get("type") == "ballot":
            ballots += 1
            voters.add(e["credential"])
        elif e.get("type") == "audit":
            audits += 1
    return Turnout(size, ballots, audits, len(voters))


def dumps(obj: Any) -> bytes:
    """Response JSON: RFC 8785, so that an embedded entry keeps its exact bytes."""
    return canonical_bytes(obj)


class BoardService:
    """The election board, its subtree cache and its checkpoint list, on one thread."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self._thread: ThreadPoolExecutor | None = None
        self._eb: ElectionBoard | None = None
        self._cache = SubtreeCache()
        self._cps: list[Checkpoint] = []
        self._turnout = Turnout(0, 0, 0, 0)
        self._counts: dict[int, Turnout] = {}
        self._floor = 0
        self._witnessed: Witnessed | None = None
        self.cadence = Cadence(config.checkpoint_min_entries, config.checkpoint_max_delay)
        self._election: tuple[str, bytes] | None = None
        self.view = View("", 0, 0, False)
        self.booth_hash: bytes | None = None

    # -- event loop side ---------------------------------------------------------------------

    async def call(self, fn: Callable[..., R], *args: Any) -> R:
        """Run `fn(*args)` on the board thread."""
        if self._thread is None:
            raise ApiError.of("unavailable", "the server is not running")
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn, *args)

    async def astart(self) -> None:
        """Start the board thread and open the board on it (again after `astop`)."""
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="hamaporsi-board")
        await self.call(self.open)

    async def astop(self) -> None:
        try:
            await self.call(self.close)
        finally:
            thread, self._thread = self._thread, None
            if thread is not None:
                thread.shutdown(wait=True)

    def has_credential(self, key: bytes) -> bool:
        """Is `key` on the published list? (The set no longer changes once voting is open.)"""
        eb = self._eb
        return eb is not None and eb.ledger.index.has_credential(key)

    def may_hold(self, tracking: bytes) -> bool:
        """Does the ledger, as this process last saw it, hold `tracking`? A cheap hint from
        the event loop (a dictionary look-up); `stored_copy` on the board thread decides."""
        eb = self._eb
        index = eb.ledger.index if eb is not None else None
        return isinstance(index, MemoryIndex) and index.holder(tracking) is not None

    # -- board thread: lifetime and catching up ------------------------------------------------

    @property
    def eb(self) -> ElectionBoard:
        if self._eb is None:
            raise ApiError.of("unavailable", "the board is not open")
        return self._eb

    def open(self) -> None:
        """Open the store, replay the log (trusting its proofs, checking its checkpoints), fill
        the caches."""
        c = self.config
        where = describe(c.url)
        store = open_store(c.url)
        try:
            latest = store.latest_checkpoint()
            self._counts, self._floor = {}, 0 if latest is None else latest.size
            if c.read_only:
                eb = ElectionBoard.read_only(store, clock=c.clock, on_entry=self._note)
            else:
                assert c.election_id is not None
                eb = ElectionBoard(store, c.board_secret, c.election_id, clock=c.clock,
                                   on_entry=self._note)
            m = eb.ledger.manifest
            if m is None:
                raise StoreCorrupted(f"board {where} holds no manifest")
            want = c.election_id or m.hash.hex()
            if m.hash.hex() != want or m.board_key != eb.board.board_key:
                raise StoreCorrupted(f"board {where} is not election {want[:16]}… "
                                     "with this board key")
        except BaseException:
            store.close()
            raise
        self._eb = eb
        self._cps = []
        self._turnout = Turnout(0, 0, 0, 0)
        self._witnessed = Witnessed(m.witnesses) if m.witnesses.threshold > 0 else None
        self.sync()
        log.info("board %s open%s: %d entries, phase %s", where,
                 " read-only" if c.read_only else "", self._cache.size, eb.ledger.phase)

    def close(self) -> None:
        if self._eb is not None:
            self._eb.board.store.close()
            self._eb = None

    @property
    def covered(self) -> int:
        """The size of the latest signed checkpoint (0 before the first): what reads publish."""
        return self._cps[-1].size if self._cps else 0

    def sync(self) -> int:
        """Catch up with other writers: ledger, tree, subtree cache, checkpoints, view.

        Checkpoints are read before the log's size: one that another process signs meanwhile
        waits for the next catch-up rather than outrunning the subtree cache."""
        eb = self.eb
        after = self._cps[-1].size if self._cps else -1
        new = list(eb.board.store.checkpoints(after))
        size = eb.sync()
        self._follow(size)
        new = [cp for cp in new if cp.size <= size]  # read first, so always; never past the cache
        if new:
            turnout = self._turnout_at(new[-1].size)  # may read the store: before any change
            self._cps.extend(new)
            self._turnout = turnout
            self._floor = new[-1].size
            self._counts = {k: v for k, v in self._counts.items() if k >= self._floor}
        self.cadence.seen(size - self.covered)
        return size

    def _note(self, led: Ledger) -> None:
        """After each entry the ledger takes: its counters at that size, for a checkpoint that
        some process may sign there (only beyond the latest checkpoint known)."""
        if led.entries >= self._floor:
            self._counts[led.entries] = Turnout(led.entries, led.ballots, led.audits,
                                                led.index.voters())

    def _turnout_at(self, size: int) -> Turnout:
        """The turnout as of a checkpoint of `size`: the ledger's counters when it is at that
        size, else as noted when it passed it, else (a board opened without the counts)
        counted from the entries."""
        led = self.eb.ledger
        if led.entries == size:
            return Turnout(size, led.ballots, led.audits, led.index.voters())
        got = self._counts.get(size)
        if got is not None:
            return got
        log.info("counting the turnout at size %d from the entries", size)
        return turnout_of(self.eb.board.store.entries(0, size), size)

    def _follow(self, size: int) -> None:
        """Extend the subtree cache to `size` and refresh the view."""
        store = self.eb.board.store
        while self._cache.size < size:
            hi = min(size, self._cache.size + 16384)
            self._cache.extend(store.leaf_hashes(self._cache.size, hi))
        self.cadence.seen(size - self.covered)  # the oldest uncovered entry's wait starts
        led = self.eb.ledger
        if led.phase != self.view.phase:
            m = led.manifest
            assert m is not None
            old = self.view.phase
            self.view = View(led.phase, m.opens, m.closes, led.context is not None)
            if old:
                log.info("board phase is now %s", led.phase)

    def context_bytes(self) -> ContextBytes | None:
        """The election context for verifier workers, once voting has opened (never on a
        read-only board: it takes no ballots)."""
        ctx = self.eb.ledger.context
        if ctx is None or self.config.read_only:
            return None
        return ContextBytes.of(self.eb.board.store.entry(0), ctx)

    # -- board thread: writing -----------------------------------------------------------------

    def submit(self, items: list[tuple[bytes, BallotFacts]]) -> list[int | ProtocolError]:
        """Group commit of verified ballots and audits (`ElectionBoard.submit_verified`); if
        the transaction fails (StoreUnavailable…), nothing is stored and the ledger is as
        before, so the next call simply catches up."""
        out = self.eb.submit_verified(items)
        self._follow(self.eb.board.size)
        return out

    def stored_copy(self, data: bytes, tracking: bytes) -> int | None:
        """The index of an entry with exactly the bytes `data`, if the board holds one (a
        client retrying after a lost answer gets the same receipt, not a refusal)."""
        self.sync()
        return self.eb.stored_copy(data, tracking)

    def checkpoint_if_due(self, force: bool = False) -> Checkpoint | None:
        """Sign a checkpoint of the whole log if the cadence says so (spec §5.7, §8.5.7):
        enough entries wait, or the oldest waited long enough; `force` (at shutdown): if the
        log grew at all. Returns it if this process signed it (None if another process had
        signed one as large meanwhile, or nothing was due)."""
        size = self.sync()
        if self.config.read_only:
            return None
        if size == 0 or (self._cps and self.covered >= size):
            return None
        if not force and not self.cadence.due(size - self.covered):
            return None
        try:
            cp = self.eb.checkpoint()  # or one as large that another server process signed
        except CheckpointError as e:  # the clock went back: wait for it
            log.warning("no checkpoint: %s", e)
            return None
        self.sync()  # takes it (and any other process's before it) into the list
        return cp if cp is self.eb.board.last_signed else None

    # -- board thread: reading (pre-serialised JSON) ----------------------------------------------

    def health_json(self) -> bytes:
        """GET /api/health: a round trip to the database (StoreUnavailable → 503 otherwise).
        It says nothing of the log's size beyond what the checkpoints publish."""
        self.eb.board.store.latest_checkpoint()
        return dumps({"phase": PUBLIC_PHASE[self.eb.ledger.phase],
                      "read_only": self.config.read_only, "status": "ok"})

    def election_json(self) -> bytes:
        """GET /api/election, cached per phase."""
        self.sync()
        led = self.eb.ledger
        if self._election is not None and self._election[0] == led.phase:
            return self._election[1]
        m = led.manifest
        assert m is not None
        body = dumps({
            "election_id": m.hash.hex(), "phase": PUBLIC_PHASE[led.phase], "manifest": m.entry,
            "board_key": self.eb.board.board_key.hex(), "trustees": m.entry["trustees"],
            "context": None if led.context is None else led.context.to_json(),
            "booth": {"hash": None if self.booth_hash is None else self.booth_hash.hex(),
                      "published": None if m.booth is None else m.booth.hex()}})
        self._election = (led.phase, body)
        return body

    def results_json(self) -> bytes:
        """GET /api/results: phase, turnout as of the latest signed checkpoint, and the result
        once published."""
        self.sync()
        led = self.eb.ledger
        res = led.result
        t = self._turnout
        return dumps({
            "phase": PUBLIC_PHASE[led.phase],
            "turnout": {"eligible": None if led.context is None else led.context.credential_count,
                        "voters": t.voters, "ballots": t.ballots, "audits": t.audits},
            "result": None if res is None else {k: res[k] for k in ("counts", "blank", "voted",
                                                                     "eligible", "trustees")}})

    def receipt_json(self, tracking: bytes) -> bytes:
        """GET /api/ballots/{tc}: where the entry is, and its inclusion proof once a signed
        checkpoint covers it (spec §5.7)."""
        self.sync()
        led = self.eb.ledger
        index = led.index
        assert isinstance(index, MemoryIndex)
        idx = index.holder(tracking)
        if idx is None:
            raise ApiError.of("not_found", "no ballot or audit with this tracking code")
        data = self.eb.board.store.entry(idx)
        entry = parse_canonical(data)
        kind = entry["type"]
        ballot = entry if kind == "ballot" else entry["ballot"]
        inner = data if kind == "ballot" else canonical_bytes(ballot, parsed=True)
        if tracking_code(inner) != tracking:  # the value is a ciphertext or proof commitment
            raise ApiError.of("not_found", "no ballot or audit with this tracking code")
        cred = bytes.fromhex(ballot["credential"])
        cp, cosigs = self._receipt_checkpoint()
        included = cp is not None and cp.size > idx
        return dumps({
            "tracking_code": tracking.hex(), "kind": kind, "index": idx,
            "leaf_hash": self._cache.range_root(idx, idx + 1).hex(),
            "superseded": kind == "ballot" and idx < self.covered
            and index.last_before(cred, self.covered) != idx,
            "status": "included" if included else "pending",
            "checkpoint": cp.to_json() if included and cp is not None else None,
            "path": [h.hex() for h in inclusion_proof(self._cache, idx, cp.size)]
            if included and cp is not None else [],
            "cosignatures": [c.to_json() for c in cosigs] if included else []})

    def _receipt_checkpoint(self) -> tuple[Checkpoint | None, list[Cosignature]]:
        """The checkpoint receipts stand on and its cosignatures: the latest signed one, or,
        with a witness threshold k > 0, the latest one that k listed witnesses validly
        cosigned (spec §8.8.3)."""
        w = self._witnessed
        if w is None:
            cp = self._cps[-1] if self._cps else None
            if cp is None:
                return None, []
            stored = self.eb.board.store.cosignatures(cp.size)
            return cp, [Cosignature.from_bytes(d) for d in stored]
        w.refresh(self.eb.board.store, self._cps)
        return w.latest, w.cosignatures

    # -- board thread: witness cosignatures (spec §8.8) ------------------------------------------

    def checkpoint_at(self, size: int) -> Checkpoint | None:
        """The signed checkpoint of exactly `size`, if the board has one."""
        i = bisect.bisect_left(self._cps, size, key=lambda cp: cp.size)
        return self._cps[i] if i < len(self._cps) and self._cps[i].size == size else None

    def add_cosignature(self, data: bytes) -> bool:
        """Check and store a witness's cosignature (canonical bytes); True if new, False if
        that witness already cosigned that size. ApiError for a refusal; nothing stored."""
        try:
            cs = Cosignature.from_bytes(data)
        except ProtocolError as e:
            raise ApiError.of("bad_cosignature", str(e)) from None
        m = self.eb.ledger.manifest
        assert m is not None
        if cs.witness not in m.witnesses.keys:
            raise ApiError.of("unknown_witness", f"witness {cs.witness.hex()[:16]}… is not "
                                                 "among the election's witnesses")
        self.sync()
        cp = self.checkpoint_at(cs.size)
        if cp is None:
            raise ApiError.of("not_found", f"the board has no checkpoint of size {cs.size}")
        try:
            verify_cosignature(cs, cp)
        except InvalidProof as e:
            raise ApiError.of("bad_cosignature", str(e)) from None
        return self.eb.board.store.add_cosignature(cs.size, cs.witness, data)

    def cosignatures_json(self, size: int) -> bytes:
        """GET /api/board/cosignatures?size=N: the checkpoint and every cosignature stored."""
        self.sync()
        cp = self.checkpoint_at(size)
        if cp is None:
            raise ApiError.of("not_found", f"the board has no checkpoint of size {size}")
        stored = self.eb.board.store.cosignatures(size)
        return dumps({"size": size, "checkpoint": cp.to_json(),
                      "cosignatures": [parse_canonical(d) for d in stored]})

    def checkpoint_json(self) -> bytes:
        self.sync()
        if not self._cps:
            raise ApiError.of("no_checkpoint", "the board has signed no checkpoint yet")
        return dumps(self._cps[-1].to_json())

    def checkpoints_json(self, limit: int, after: int | None = None) -> bytes:
        """The newest `limit` checkpoints, newest first; with `after`, the first `limit` of
        size > after, oldest first (so that a mirror can page through all of them)."""
        self.sync()
        if after is None:
            chosen = self._cps[::-1][:limit]
        else:
            lo = bisect.bisect_right(self._cps, after, key=lambda cp: cp.size)
            chosen = self._cps[lo:lo + limit]
        return dumps({"checkpoints": [cp.to_json() for cp in chosen]})

    def entries_json(self, start: int, end: int | None) -> bytes:
        """Entries [start, end) as their exact stored bytes, at most MAX_ENTRIES, and only those
        a signed checkpoint covers: an entry is published with the batch it was signed in, not
        the moment it arrived (docs/security.md W3). Beyond the checkpoint: an empty list.
        The page stops early once it holds PAGE_BYTES (a prefix, at least one entry): clients
        ask again from where it ended."""
        self.sync()
        if end is None:
            end = start + MAX_ENTRIES
        if not 0 <= start <= end:
            raise ApiError.of("bad_request", f"range [{start}, {end}) is empty or reversed")
        if end - start > MAX_ENTRIES:
            raise ApiError.of("bad_request", f"at most {MAX_ENTRIES} entries per request")
        hi = min(end, self.covered)
        rows: list[bytes] = []
        weight = 0
        for _, data in self.eb.board.store.entries(start, hi) if start < hi else ():
            if rows and weight + len(data) > PAGE_BYTES:
                break
            rows.append(data)
            weight += len(data)
        return b'{"entries":[' + b",".join(rows) + b'],"start":' + str(start).encode() + b"}"

    def consistency_json(self, old: int, new: int) -> bytes:
        """RFC 9162 consistency proof between sizes no larger than the latest checkpoint's."""
        self.sync()
        top = self.covered
        if not 0 <= old <= new <= top:
            raise ApiError.of("bad_request", f"need 0 ≤ from ≤ to ≤ {top} (the latest signed "
                                             "checkpoint's size)")
        proof = consistency_proof(self._cache, old, new)
        return dumps({"from": old, "to": new, "proof": [h.hex() for h in proof]})
