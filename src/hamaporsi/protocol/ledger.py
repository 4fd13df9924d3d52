"""The rules of the record, applied entry by entry in board order (spec §8.3, §9).

`Ledger` is the one state machine that both the board (to accept or refuse an entry before
storing it) and the verifier (to re-check a whole record) run. The heavy, independent part of a
ballot — signature and proofs — is `ballot.verify_ballot`, which the verifier runs in worker
processes; `apply_ballot` then applies the cross-entry rules: eligibility, uniqueness and the
re-vote rule. Cross-entry state lives behind `Index` so the verifier can keep it on disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from ..crypto.elgamal import Ciphertext
from ..crypto.errors import CryptoError, InvalidProof
from ..crypto.group import Point
from . import codec
from .ballot import (Ballot, ballot_values, counted_totals, tracking_code, verify_audit,
                     verify_ballot)
from .canonical import canonical_bytes
from .ceremony import Ceremony
from .credentials import CredentialListHasher, parse_chunk_keys
from .election import ElectionContext, check_open_entry
from .errors import MalformedInput, Rejected
from .manifest import Manifest, parse_manifest
from .signing import verify_entry
from .tally import Tally, combine, parse_tally, shares_used, verify_decryption

PHASES = ("manifest", "ceremony", "credentials", "credentials-final", "voting", "closed",
          "tallied", "done")
"""The phases of a record in order (spec §1); `Ledger.phase` is always one of them."""

ENTRY_TYPES = frozenset({"manifest", "dkg-commit", "dkg-reveal", "dkg-shares", "dkg-complaint",
                         "joint-key", "credentials", "credentials-final", "open", "ballot",
                         "audit", "close", "tally", "decryption", "result"})
"""Every entry "type" of spec §1, spelled exactly."""


class Index(Protocol):
    """Cross-entry state of the voting phase; in memory for the board, on disk for the
    verifier (so the verifier's memory stays flat)."""

    def add_credentials(self, keys: list[bytes]) -> None: ...
    def has_credential(self, key: bytes) -> bool: ...
    def claim_all(self, values: list[bytes], index: int) -> tuple[bytes, int] | None:
        """Record values that must be unique as held by entry `index`, or return the first one
        already held and its holder. The in-memory index changes nothing then; the verifier's
        disk index may keep some of the values, as verification stops at the first failure."""
    def set_last(self, credential: bytes, index: int, cts: bytes) -> tuple[int, bytes] | None:
        """Make `index` the credential's counting ballot; return the one it replaces."""
    def voters(self) -> int: ...


class MemoryIndex:
    """`Index` in dictionaries: fine for a board of a few million entries."""

    def __init__(self) -> None:
        self._creds: set[bytes] = set()
        self._unique: dict[bytes, int] = {}
        self._last: dict[bytes, tuple[int, bytes]] = {}
        self._replaced: dict[int, int] = {}
        """A re-vote's entry → the entry of the ballot it replaced (only re-votes have one)."""

    def add_credentials(self, keys: list[bytes]) -> None:
        self._creds.update(keys)

    def has_credential(self, key: bytes) -> bool:
        return key in self._creds

    def claim_all(self, values: list[bytes], index: int) -> tuple[bytes, int] | None:
        for v in values:
            if v in self._unique:
                return v, self._unique[v]
        for v in values:
            self._unique[v] = index
        return None

    def set_last(self, credential: bytes, index: int, cts: bytes) -> tuple[int, bytes] | None:
        prev = self._last.get(credential)
        self._last[credential] = (index, cts)
        if prev is not None:
            self._replaced[index] = prev[0]
        return prev

    def voters(self) -> int:
        return len(self._last)

    def holder(self, value: bytes) -> int | None:
        """The entry that claimed `value` (a tracking code, α or proof commitment), if any."""
        return self._unique.get(value)

    def last(self, credential: bytes) -> int | None:
        """The entry of the credential's counting ballot, if it has one."""
        got = self._last.get(credential)
        return None if got is None else got[0]

    def last_before(self, credential: bytes, size: int) -> int | None:
        """The credential's counting ballot among entries [0, size): what a reader of the log
        up to a checkpoint of that size sees (a later re-vote is not public before then)."""
        i = self.last(credential)
        while i is not None and i >= size:
            i = self._replaced.get(i)
        return i

    def unclaim(self, values: list[bytes]) -> None:
        """Take back a successful `claim_all` (a savepoint's rollback)."""
        for v in values:
            self._unique.pop(v, None)

    def restore_last(self, credential: bytes, prev: tuple[int, bytes] | None) -> None:
        """Take back a `set_last` that returned `prev` (a savepoint's rollback)."""
        current = self._last.get(credential)
        if current is not None:
            self._replaced.pop(current[0], None)
        if prev is None:
            self._last.pop(credential, None)
        else:
            self._last[credential] = prev


def encode_cts(cts: tuple[Ciphertext, ...]) -> bytes:
    return b"".join(c.encode() for c in cts)


def sum_cts(many: list[bytes]) -> list[Ciphertext]:
    """Per option, the sum of the encoded ciphertexts of many ballots (one point combination per
    option and coordinate, not one per ballot)."""
    decoded = [decode_cts(b) for b in many]
    return [Ciphertext.sum([cts[i] for cts in decoded]) for i in range(len(decoded[0]))]


def decode_cts(b: bytes) -> list[Ciphertext]:
    return [Ciphertext(Point.decode(b[i:i + 33]), Point.decode(b[i + 33:i + 66]))
            for i in range(0, len(b), 66)]


@dataclass(frozen=True, slots=True)
class BallotFacts:
    """What the cross-entry rules need of a verified ballot or audit (small, picklable)."""

    kind: str  # "ballot" or "audit"
    credential: bytes
    tracking: bytes
    alphas: tuple[bytes, ...]
    commitments: tuple[bytes, ...]
    cts: bytes


def ballot_facts(kind: str, ballot: Ballot, tracking: bytes) -> BallotFacts:
    return BallotFacts(kind, ballot.credential, tracking,
                       tuple(c.alpha.encode() for c in ballot.ciphertexts), ballot.commitments,
                       encode_cts(ballot.ciphertexts))


def stored_facts(kind: str, entry: Any, data: bytes | None = None) -> BallotFacts:
    """The facts of a ballot or audit that a board already verified and stored, read without
    checking a signature or proof (`ballot_values`); `data`: the ballot's exact bytes, if at
    hand (else re-encoded). Only for entries of a store the caller trusts (spec §8.6.4)."""
    if kind == "audit":
        o = codec.obj(entry, "audit", {"type", "ballot", "choices", "nonces"})
        inner = o["ballot"]
        tracking = tracking_code(canonical_bytes(inner, parsed=True))
    else:
        inner = entry
        tracking = tracking_code(data if data is not None else
                                 canonical_bytes(entry, parsed=True))
    v = ballot_values(inner)
    return BallotFacts(kind, v.credential, tracking, v.alphas, v.commitments,
                       b"".join(a + b for a, b in zip(v.alphas, v.betas)))


@dataclass(frozen=True, slots=True)
class Savepoint:
    """The ledger's voting-phase state before a batch of `apply_checked` calls: `rollback`
    returns to it, in memory, when the store's transaction fails (spec §8.6.3)."""

    entries: int
    ballots: int
    audits: int
    superseded: int
    all_sum: list[Ciphertext] | None
    superseded_sum: list[Ciphertext] | None
    journal: int


_Change = tuple[list[bytes], bytes | None, tuple[int, bytes] | None]
"""One applied ballot or audit's index changes: the claimed values, and for a ballot its
credential and the counting ballot it replaced."""


def _as_rejected(e: CryptoError) -> Rejected:
    """A crypto failure as the protocol's error (callers see one family: ProtocolError)."""
    code = "bad_proof" if isinstance(e, InvalidProof) else "bad_encoding"
    return Rejected(getattr(e, "reason", str(e)), code=code, check=getattr(e, "check", None))


def _unique_values(f: BallotFacts) -> list[tuple[bytes, str]]:
    """The values of a ballot that no other ballot or audit may repeat (V11), with names."""
    return [(f.tracking, "tracking code"),
            *((a, f"ciphertext α {i}") for i, a in enumerate(f.alphas)),
            *((a, f"proof commitment {i}") for i, a in enumerate(f.commitments))]


@dataclass
class Ledger:
    """Applies entries in order; raises Rejected/MalformedInput and changes nothing on a bad one."""

    index: Index = field(default_factory=MemoryIndex)
    phase: str = "manifest"
    manifest: Manifest | None = None
    ceremony: Ceremony | None = None
    context: ElectionContext | None = None
    cred_hasher: CredentialListHasher = field(default_factory=CredentialListHasher)
    cred_chunks: int = 0
    ballots: int = 0
    audits: int = 0
    superseded: int = 0
    all_sum: list[Ciphertext] | None = None  # Σ stored ciphertexts of every ballot
    superseded_sum: list[Ciphertext] | None = None  # Σ of the ballots a re-vote replaced
    tally: Tally | None = None
    shares: dict[int, list[Point]] = field(default_factory=dict)
    result: dict[str, Any] | None = None
    entries: int = 0
    _journal: list[_Change] | None = field(default=None, repr=False, compare=False)

    # -- dispatch -----------------------------------------------------------------------------

    def ingest(self, entry: Any, index: int | None = None) -> BallotFacts | None:
        """Check and apply one entry (parsed canonical JSON)."""
        if not isinstance(entry, dict) or not isinstance(entry.get("type"), str):
            raise MalformedInput("entry must be an object with a string 'type'", code="bad_field")
        t = entry["type"]
        if t not in ENTRY_TYPES:
            raise MalformedInput(f"unknown entry type {t!r}", code="bad_field")
        handler = getattr(self, "_on_" + t.replace("-", "_"))
        idx = self.entries if index is None else index
        try:
            out = handler(entry, idx)
        except CryptoError as e:  # callers see one error family: ProtocolError
            raise _as_rejected(e) from e
        self.entries = idx + 1
        return out

    def ingest_trusted(self, entry: Any, index: int | None = None,
                       data: bytes | None = None, *, add_sum: bool = True
                       ) -> BallotFacts | None:
        """`ingest` for an entry that a board already checked and stored (spec §8.6.4): a
        ballot's or audit's signature and proofs are not checked again (`stored_facts`), only
        the cross-entry rules run; every other entry goes through `ingest`. `data`: the entry's
        exact bytes, if at hand; `add_sum=False`: the caller adds a ballot's ciphertexts
        (`facts.cts`) itself, in a batch, before anything reads the sums. Never for entries
        from anyone but the board's own store."""
        kind = entry.get("type") if isinstance(entry, dict) else None
        if kind not in ("ballot", "audit"):
            return self.ingest(entry, index)
        idx = self.entries if index is None else index
        self._need("voting", what=str(kind))
        facts = stored_facts(str(kind), entry, data)
        self._check_shape(entry["ballot"] if kind == "audit" else entry, facts)
        self.apply_ballot(facts, idx, add_sum)
        self.entries = idx + 1
        return facts

    def _check_shape(self, ballot: dict[str, Any], facts: BallotFacts) -> None:
        """What trust does not cover (V5, as `parse_ballot`): this election, and one
        ciphertext per stored option, without which the per-option sums would go wrong."""
        ctx = self.context
        assert ctx is not None
        if ballot.get("election") != ctx.hash.hex():
            raise Rejected("stored ballot is for another election", code="wrong_election",
                           check="V5")
        if len(facts.alphas) != ctx.manifest.stored_options:
            raise Rejected(f"stored ballot must carry {ctx.manifest.stored_options} encrypted "
                           "selections", code="bad_structure", check="V5")

    # -- savepoints -----------------------------------------------------------------------------

    def savepoint(self) -> Savepoint:
        """Start recording `apply_checked`/`apply_ballot` changes so that `rollback` can take
        them back (only ballots and audits: other entries change state a savepoint does not
        keep). Needs the in-memory index. End with `rollback` or `release`."""
        if not isinstance(self.index, MemoryIndex):
            raise TypeError("savepoints need the in-memory index")
        if self._journal is None:
            self._journal = []
        return Savepoint(self.entries, self.ballots, self.audits, self.superseded,
                         self.all_sum, self.superseded_sum, len(self._journal))

    def rollback(self, sp: Savepoint) -> None:
        """Return to `sp`: undo every ballot and audit applied since, newest first."""
        assert self._journal is not None and isinstance(self.index, MemoryIndex)
        while len(self._journal) > sp.journal:
            values, cred, prev = self._journal.pop()
            if cred is not None:
                self.index.restore_last(cred, prev)
            self.index.unclaim(values)
        self.entries, self.ballots, self.audits = sp.entries, sp.ballots, sp.audits
        self.superseded, self.all_sum = sp.superseded, sp.all_sum
        self.superseded_sum = sp.superseded_sum

    def release(self) -> None:
        """Stop recording (the batch committed, or was rolled back)."""
        self._journal = None

    def _need(self, *phases: str, what: str) -> None:
        assert all(p in PHASES for p in phases)
        if self.phase not in phases:
            raise Rejected(f"{what} is not allowed in phase '{self.phase}'", code="wrong_phase",
                           check="V16")

    # -- setup --------------------------------------------------------------------------------

    def _on_manifest(self, entry: dict[str, Any], idx: int) -> None:
        self._need("manifest", what="manifest")
        m = parse_manifest(entry)
        self.manifest, self.ceremony, self.phase = m, Ceremony(m), "ceremony"

    def _ceremony_entry(self, entry: dict[str, Any], idx: int) -> None:
        self._need("ceremony", what=entry["type"])
        assert self.ceremony is not None
        self.ceremony.ingest(entry)

    _on_dkg_commit = _on_dkg_reveal = _on_dkg_shares = _on_dkg_complaint = _ceremony_entry

    def _on_joint_key(self, entry: dict[str, Any], idx: int) -> None:
        self._need("ceremony", what="joint-key")
        assert self.ceremony is not None
        self.ceremony.ingest(entry)
        self.phase = "credentials"

    def _on_credentials(self, entry: dict[str, Any], idx: int) -> None:
        self._need("credentials", what="credentials")
        m = self.manifest
        assert m is not None
        keys = parse_chunk_keys(entry)
        self._check_manifest_ref(entry, "credentials")
        if not codec.same(entry["chunk"], self.cred_chunks):
            raise Rejected(f"credentials chunk {entry['chunk']} out of order",
                           code="bad_credentials", check="V4")
        verify_entry(entry, m.registrar_key, check="V4", what="credentials")
        self.cred_hasher.extend(keys)
        self.index.add_credentials(keys)
        self.cred_chunks += 1

    def _on_credentials_final(self, entry: dict[str, Any], idx: int) -> None:
        self._need("credentials", what="credentials-final")
        m = self.manifest
        assert m is not None
        o = codec.obj(entry, "credentials-final",
                      {"type", "manifest", "chunks", "count", "hash", "sig"})
        self._check_manifest_ref(entry, "credentials-final")
        verify_entry(entry, m.registrar_key, check="V4", what="credentials-final")
        want = (self.cred_chunks, self.cred_hasher.count, self.cred_hasher.digest().hex())
        if not all(codec.same(a, b) for a, b in zip((o["chunks"], o["count"], o["hash"]), want)):
            raise Rejected("credentials-final does not match the published chunks",
                           code="bad_credentials", check="V4")
        self.phase = "credentials-final"

    def opening_context(self) -> ElectionContext:
        """The context the `open` entry must state, from the record so far (§5.4): the
        organizer signs it, the ledger checks it, nobody else computes it."""
        self._need("credentials-final", what="open")
        m, c = self.manifest, self.ceremony
        assert m is not None and c is not None
        return ElectionContext.create(m, c.joint_key, self.cred_hasher.count,
                                      self.cred_hasher.digest())

    def _on_open(self, entry: dict[str, Any], idx: int) -> None:
        ctx = self.opening_context()
        m = ctx.manifest
        verify_entry(entry, m.organizer_key, check="V4", what="open")
        check_open_entry(ctx, entry)
        self.context, self.phase = ctx, "voting"
        self.all_sum = [Ciphertext(Point.IDENTITY, Point.IDENTITY)] * m.stored_options
        self.superseded_sum = list(self.all_sum)

    def _check_manifest_ref(self, entry: dict[str, Any], what: str) -> None:
        assert self.manifest is not None
        if entry.get("manifest") != self.manifest.hash.hex():
            raise Rejected(f"{what} refers to another manifest", code="wrong_election",
                           check="V4")

    # -- voting ---------------------------------------------------------------------------------

    def check_alone(self, entry: Any) -> BallotFacts | None:
        """The checks of a ballot or audit that need only the election context (V5–V9): what
        a board can run before it takes its write lock. None for any other entry, or before
        voting opens."""
        kind = entry.get("type") if isinstance(entry, dict) else None
        if self.context is None or kind not in ("ballot", "audit"):
            return None
        try:
            if kind == "ballot":
                b = verify_ballot(self.context, entry)
                return ballot_facts("ballot", b, tracking_code(canonical_bytes(entry,
                                                                               parsed=True)))
            b, tracking = verify_audit(self.context, entry)
            return ballot_facts("audit", b, tracking)
        except CryptoError as e:
            raise _as_rejected(e) from e

    def apply_checked(self, facts: BallotFacts, idx: int) -> None:
        """Apply a ballot or audit that passed `check_alone` as entry `idx` (V10–V12, V16)."""
        self.apply_ballot(facts, idx)
        self.entries = idx + 1

    def _on_ballot(self, entry: dict[str, Any], idx: int) -> BallotFacts:
        self._need("voting", what="ballot")
        facts = self.check_alone(entry)
        assert facts is not None
        self.apply_ballot(facts, idx)
        return facts

    _on_audit = _on_ballot

    def apply_ballot(self, f: BallotFacts, idx: int, add_sum: bool = True) -> None:
        """Cross-entry rules for a ballot or audit whose proofs were checked: V10 eligibility,
        V11 uniqueness, V12 the re-vote rule; `add_sum=False` when the caller adds the
        ballot's ciphertexts itself (in a chunk). A refusal changes nothing in the ledger."""
        self._need("voting", what=f.kind)
        if not self.index.has_credential(f.credential):
            raise Rejected("credential is not on the published list", code="unknown_credential",
                           check="V10")
        named = _unique_values(f)
        values = [v for v, _ in named]
        if len(set(values)) != len(values):
            raise Rejected("a ciphertext α or proof commitment repeats within the ballot "
                           "(nonce reuse)", code="duplicate", check="V11")
        clash = self.index.claim_all(values, idx)
        if clash is not None:
            what = next(w for v, w in named if v == clash[0])
            raise Rejected(f"{what} repeats entry {clash[1]} (a replayed, copied or audited "
                           "ballot, or a reused nonce)", code="duplicate", check="V11")
        if f.kind == "audit":
            if self._journal is not None:
                self._journal.append((values, None, None))
            self.audits += 1
            return
        self.ballots += 1
        prev = self.index.set_last(f.credential, idx, f.cts)
        if self._journal is not None:
            self._journal.append((values, f.credential, prev))
        assert self.context is not None and self.all_sum is not None
        if add_sum:
            self.add_to_sum(decode_cts(f.cts))
        if prev is not None:
            self.superseded += 1
            assert self.superseded_sum is not None
            self.superseded_sum = [a + b for a, b in zip(self.superseded_sum,
                                                         decode_cts(prev[1]))]

    def add_to_sum(self, partial: list[Ciphertext]) -> None:
        """Fold a sum of stored ciphertexts (one ballot's, or a worker's chunk) into the total."""
        assert self.all_sum is not None
        self.all_sum = [a + b for a, b in zip(self.all_sum, partial)]

    def _on_close(self, entry: dict[str, Any], idx: int) -> None:
        self._need("voting", what="close")
        m = self.manifest
        assert m is not None and self.context is not None
        codec.obj(entry, "close", {"type", "election", "ballots", "sig"})
        verify_entry(entry, m.organizer_key, check="V16", what="close")
        if not (codec.same(entry["election"], self.context.hash.hex())
                and codec.same(entry["ballots"], self.ballots)):
            raise Rejected("close does not state this election and its ballot count",
                           code="bad_close", check="V16")
        self.phase = "closed"

    # -- tally ----------------------------------------------------------------------------------

    def counted_totals(self) -> list[Ciphertext]:
        """Σ over the last ballot of each credential = Σ all ballots − Σ superseded (V12)."""
        assert self.all_sum is not None and self.superseded_sum is not None
        assert self.context is not None
        stored = [Ciphertext(a.alpha - s.alpha, a.beta - s.beta)
                  for a, s in zip(self.all_sum, self.superseded_sum)]
        return counted_totals(self.context, stored, self.index.voters())

    def _on_tally(self, entry: dict[str, Any], idx: int) -> None:
        self._need("closed", what="tally")
        assert self.manifest is not None and self.context is not None
        verify_entry(entry, self.manifest.organizer_key, check="V12", what="tally")
        t = parse_tally(self.context, entry)
        want = self.counted_totals()
        if t.counted != self.index.voters():
            raise Rejected(f"tally counts {t.counted} ballots; the record has "
                           f"{self.index.voters()} counting ballots", code="bad_tally",
                           check="V12")
        for i, (got, exp) in enumerate(zip(t.ciphertexts, want)):
            if got != exp:
                raise Rejected(f"tally ciphertext of option {i} is not the sum of the counting "
                               "ballots", code="bad_tally", check="V12")
        self.tally, self.phase = t, "tallied"

    def _on_decryption(self, entry: dict[str, Any], idx: int) -> None:
        self._need("tallied", what="decryption")
        assert self.manifest is not None and self.context is not None
        assert self.tally is not None and self.ceremony is not None
        j = entry.get("trustee")
        if isinstance(j, int) and not isinstance(j, bool) and 1 <= j <= len(self.manifest.trustees):
            verify_entry(entry, self.manifest.trustees[j - 1].signing_key, check="V13",
                         what=f"decryption of trustee {j}")
        j, ms = verify_decryption(self.context, self.tally, entry, self.ceremony.public_shares)
        if j in self.shares:
            raise Rejected(f"trustee {j} already published decryption shares", code="duplicate",
                           check="V13")
        self.shares[j] = ms

    def _on_result(self, entry: dict[str, Any], idx: int) -> None:
        self._need("tallied", what="result")
        assert self.manifest is not None and self.context is not None and self.tally is not None
        verify_entry(entry, self.manifest.organizer_key, check="V14", what="result")
        o = codec.obj(entry, "result", {"type", "election", "counts", "blank", "voted",
                                        "eligible", "trustees", "sig"})
        counts = combine(self.context, self.tally, self.shares)
        voted = self.index.voters()
        blank = voted - sum(counts) if self.manifest.max_selections == 1 else None
        want = {"election": self.context.hash.hex(), "counts": counts, "blank": blank,
                "voted": voted, "eligible": self.context.credential_count,
                "trustees": shares_used(self.context, self.shares)}
        for k, v in want.items():
            if not codec.same(o[k], v):
                raise Rejected(f"result.{k} is {o[k]!r}; the record gives {v!r}",
                               code="bad_result", check="V14")
        self.result, self.phase = dict(o), "done"
