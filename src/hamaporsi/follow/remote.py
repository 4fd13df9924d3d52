"""Typed clients of what a follower reads over HTTP: a board's read API (docs/api.md) and
another witness's feed (spec §8.8.5). Every answer is checked for shape before it is returned:
checkpoints and cosignatures are parsed strictly, hashes are 32 bytes, entries come back as the
exact bytes the board sent (not re-encoded), and sizes and counts match what was asked."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Self

import httpx

from ..protocol.checkpoint import MAX_INT, Checkpoint
from ..protocol.cosignature import Cosignature
from ..protocol.errors import MalformedInput
from .errors import BadResponse, InvalidEvidence
from .evidence import Evidence
from .http import Answer, Http, Limits, describe_refusal

MAX_PAGE = 1000
"""Entries per GET /api/board/entries (the server's limit)."""
MAX_PROOF = 64
"""Hashes in a consistency proof of a tree of at most 2^53 entries (2·53 bound; 64 is ample
for any size a board can reach and caps what a malicious answer can make us hash)."""

_WS = re.compile(r"[ \t\n\r]*")
_HEX = frozenset("0123456789abcdef")


def _ws(text: str, i: int) -> int:
    m = _WS.match(text, i)
    assert m is not None
    return m.end()


def _hash(v: object, what: str) -> bytes:
    if not isinstance(v, str) or len(v) != 64 or not set(v) <= _HEX:
        raise BadResponse(f"{what}: not 64 lowercase hex digits")
    return bytes.fromhex(v)


def _int(v: object, what: str) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= MAX_INT:
        raise BadResponse(f"{what}: not an integer in [0, 2^53-1]")
    return v


def _obj(v: object, keys: set[str], what: str) -> dict[str, Any]:
    if not isinstance(v, dict) or set(v) != keys:
        got = sorted(v)[:8] if isinstance(v, dict) else type(v).__name__
        raise BadResponse(f"{what}: expected an object with keys {sorted(keys)}, got {got}")
    return v


def parse_checkpoint(v: object, what: str) -> Checkpoint:
    """A checkpoint's wire form, strictly (spec §8.5.5); BadResponse naming the flaw."""
    try:
        return Checkpoint.from_json(v)
    except MalformedInput as e:
        raise BadResponse(f"{what}: {e}") from None


def parse_cosignature(v: object, what: str) -> Cosignature:
    """A cosignature's wire form, strictly (spec §8.8.1); BadResponse naming the flaw."""
    try:
        return Cosignature.from_json(v)
    except MalformedInput as e:
        raise BadResponse(f"{what}: {e}") from None


def split_entries(body: bytes, what: str = "entries") -> tuple[int, list[bytes]]:
    """The `start` and the raw bytes of each element of `entries` in an answer
    `{"entries": [...], "start": s}`, each exactly as sent (so that its canonical form can be
    checked, not assumed). Whitespace around the envelope is tolerated; the envelope's keys
    must be exactly these two."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadResponse(f"{what}: the answer is not UTF-8") from None
    dec = json.JSONDecoder()
    found: dict[str, Any] = {}
    items: list[bytes] = []
    try:
        i = _ws(text, 0)
        if text[i] != "{":
            raise BadResponse(f"{what}: expected a JSON object")
        i = _ws(text, i + 1)
        while text[i] != "}":
            key, i = dec.raw_decode(text, i)
            if not isinstance(key, str) or key in found:
                raise BadResponse(f"{what}: bad or repeated key {str(key)[:20]!r}")
            i = _ws(text, i)
            if text[i] != ":":
                raise BadResponse(f"{what}: expected ':' at character {i}")
            i = _ws(text, i + 1)
            if key == "entries":
                if text[i] != "[":
                    raise BadResponse(f"{what}: entries is not an array")
                i = _ws(text, i + 1)
                while text[i] != "]":
                    j = i
                    _, i = dec.raw_decode(text, i)
                    items.append(text[j:i].encode("utf-8"))
                    i = _ws(text, i)
                    if text[i] == ",":
                        i = _ws(text, i + 1)
                    elif text[i] != "]":
                        raise BadResponse(f"{what}: expected ',' or ']' at character {i}")
                found[key] = True
                i += 1
            else:
                found[key], i = dec.raw_decode(text, i)
            i = _ws(text, i)
            if text[i] == ",":
                i = _ws(text, i + 1)
            elif text[i] != "}":
                raise BadResponse(f"{what}: expected ',' or '}}' at character {i}")
        if _ws(text, i + 1) != len(text):
            raise BadResponse(f"{what}: data after the JSON object")
    except BadResponse:
        raise
    except (IndexError, ValueError) as e:
        raise BadResponse(f"{what}: malformed JSON (cut short?): {e}") from None
    except RecursionError:
        raise BadResponse(f"{what}: JSON nested too deeply") from None
    if set(found) != {"entries", "start"}:
        raise BadResponse(f"{what}: expected keys ['entries', 'start'], got {sorted(found)}")
    return _int(found["start"], f"{what}: start"), items


@dataclass(frozen=True, slots=True)
class Cosigned:
    """GET /api/board/cosignatures?size=N: the board's checkpoint of that size and the
    cosignatures it holds (parsed; `malformed` counts those that did not parse)."""

    checkpoint: Checkpoint
    cosignatures: tuple[Cosignature, ...]
    malformed: int


@dataclass(frozen=True, slots=True)
class Posted:
    """The board's answer to a POSTed cosignature: `stored` True (201, new) or False (200,
    already had it); None with `refusal` (status, code, detail) when it refused."""

    stored: bool | None
    refusal: str = ""


class _Client:
    """One HTTP peer at `base_url` (its `Http` with the retry policy and caps of `limits`)."""

    def __init__(self, base_url: str, limits: Limits | None = None, *,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.http = Http(base_url, limits, transport=transport)
        self.url = self.http.base_url

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class BoardClient(_Client):
    """The read API of one board (plus POST /api/board/cosignatures), typed and checked."""

    def election(self) -> dict[str, Any]:
        """GET /api/election as served (unchecked: the copy trusts only the board's entry 0)."""
        o = self.http.get_json("/api/election")
        if not isinstance(o, dict):
            raise BadResponse("GET /api/election: not a JSON object")
        return o

    def checkpoint(self) -> Checkpoint:
        """GET /api/board/checkpoint: the latest signed checkpoint (NotFound if none yet)."""
        return parse_checkpoint(self.http.get_json("/api/board/checkpoint"), "checkpoint")

    def checkpoints(self, limit: int = 1000, after: int | None = None) -> list[Checkpoint]:
        """GET /api/board/checkpoints, in increasing size: the newest `limit`, or with
        `after` the first `limit` of size > after (a page of every checkpoint)."""
        params = {"limit": limit} if after is None else {"limit": limit, "after": after}
        o = _obj(self.http.get_json("/api/board/checkpoints", params), {"checkpoints"},
                 "checkpoints")
        raw = o["checkpoints"]
        if not isinstance(raw, list) or len(raw) > limit:
            raise BadResponse(f"checkpoints: expected a list of at most {limit}")
        cps = [parse_checkpoint(c, f"checkpoints[{i}]") for i, c in enumerate(raw)]
        if after is None:
            cps.reverse()
        order = "newest first" if after is None else "oldest first"
        if any(a.size >= b.size for a, b in zip(cps, cps[1:])):
            raise BadResponse(f"checkpoints: sizes are not strictly in order ({order})")
        if after is not None and cps and cps[0].size <= after:
            raise BadResponse(f"checkpoints: asked for sizes after {after}, got {cps[0].size}")
        return cps

    def checkpoints_after(self, after: int, page: int = 1000, *,
                          below: int) -> list[Checkpoint]:
        """Every checkpoint of size in (`after`, `below`), in increasing size, a page at a
        time; paging stops at the first page reaching `below`, so a board answering endless
        full pages cannot keep the caller asking (and holding the answers) forever."""
        out: list[Checkpoint] = []
        while True:
            got = self.checkpoints(page, after=after)
            keep = [c for c in got if c.size < below]
            out.extend(keep)
            if len(got) < page or len(keep) < len(got):
                return out
            after = got[-1].size

    def entries(self, start: int, end: int) -> list[bytes]:
        """Entries [start, start + k) for some 1 ≤ k ≤ end − start (at most MAX_PAGE; the board
        stops a page early at its byte budget) as the exact bytes sent; BadResponse if none or
        too many came back."""
        if not 0 <= start <= end or end - start > MAX_PAGE:
            raise ValueError(f"bad entries page [{start}, {end})")
        body = self.http.get_ok("/api/board/entries", {"start": start, "end": end},
                                cap=self.http.limits.entries_cap, what="entries")
        got_start, items = split_entries(body)
        if got_start != start:
            raise BadResponse(f"entries: asked from {start}, the answer starts at {got_start}")
        if len(items) > end - start or (not items and end > start):
            raise BadResponse(f"entries: asked for [{start}, {end}), got {len(items)} entries")
        return items

    def entry_pages(self, start: int, end: int, page: int = MAX_PAGE) -> Iterator[list[bytes]]:
        """Entries [start, end) in pages of at most `page` (shorter where the board cut one at
        its byte budget)."""
        lo = start
        while lo < end:
            got = self.entries(lo, min(lo + page, end))
            yield got
            lo += len(got)

    def consistency(self, old: int, new: int) -> list[bytes]:
        """GET /api/board/proofs/consistency: the RFC 9162 proof from size `old` to `new`."""
        o = _obj(self.http.get_json("/api/board/proofs/consistency", {"from": old, "to": new}),
                 {"from", "to", "proof"}, "consistency proof")
        if _int(o["from"], "consistency: from") != old or _int(o["to"], "consistency: to") != new:
            raise BadResponse(f"consistency: asked for {old}→{new}, got {o['from']}→{o['to']}")
        return _hashes(o["proof"], "consistency: proof")

    def cosignatures(self, size: int) -> Cosigned:
        """GET /api/board/cosignatures?size=N (NotFound if the board has no such checkpoint)."""
        o = _obj(self.http.get_json("/api/board/cosignatures", {"size": size}),
                 {"size", "checkpoint", "cosignatures"}, "cosignatures")
        if _int(o["size"], "cosignatures: size") != size:
            raise BadResponse(f"cosignatures: asked for size {size}, got {o['size']}")
        cp = parse_checkpoint(o["checkpoint"], "cosignatures: checkpoint")
        if cp.size != size:
            raise BadResponse(f"cosignatures: the checkpoint is of size {cp.size}, not {size}")
        raw = o["cosignatures"]
        if not isinstance(raw, list):
            raise BadResponse("cosignatures: not a list")
        out: list[Cosignature] = []
        bad = 0
        for c in raw:
            try:
                out.append(Cosignature.from_json(c))
            except MalformedInput:
                bad += 1
        return Cosigned(cp, tuple(out), bad)

    def post_cosignature(self, cs: Cosignature) -> Posted:
        """POST /api/board/cosignatures with the canonical bytes of `cs`."""
        a: Answer = self.http.post("/api/board/cosignatures", cs.to_bytes())
        if a.status in (200, 201):
            return Posted(a.status == 201)
        return Posted(None, describe_refusal(a))


def _hashes(v: object, what: str) -> list[bytes]:
    if not isinstance(v, list) or len(v) > MAX_PROOF:
        raise BadResponse(f"{what}: expected a list of at most {MAX_PROOF} hashes")
    return [_hash(h, f"{what}[{i}]") for i, h in enumerate(v)]


@dataclass(frozen=True, slots=True)
class FeedHead:
    """GET /witness of a peer: its key, its election, and its latest cosigned checkpoint."""

    witness: bytes
    election: str | None
    checkpoint: Checkpoint | None
    cosignature: Cosignature | None


@dataclass(frozen=True, slots=True)
class PrefixProof:
    """GET /witness/consistency of a peer: the root of its copy at `old` and the RFC 9162
    consistency proof from there to `new` in its copy."""

    old: int
    new: int
    prefix_root: bytes
    proof: tuple[bytes, ...]


class WitnessClient(_Client):
    """Another witness's feed (`hamaporsi witness run --listen`, spec §8.8.5)."""

    def head(self) -> FeedHead:
        o = _obj(self.http.get_json("/witness"), {"witness", "election", "latest"}, "witness")
        key = _hash(o["witness"], "witness: witness")
        if o["election"] is None and o["latest"] is None:
            return FeedHead(key, None, None, None)
        election = _hash(o["election"], "witness: election").hex()
        latest = o["latest"]
        if latest is None:
            return FeedHead(key, election, None, None)
        pair = _obj(latest, {"checkpoint", "cosignature"}, "witness: latest")
        return FeedHead(key, election, parse_checkpoint(pair["checkpoint"], "witness: checkpoint"),
                        parse_cosignature(pair["cosignature"], "witness: cosignature"))

    def evidence(self) -> list[Evidence]:
        """GET /witness/evidence: the evidence of a fork the peer found (each parsed
        strictly; whether it proves anything is for the caller to check)."""
        o = _obj(self.http.get_json("/witness/evidence"), {"evidence"}, "witness evidence")
        raw = o["evidence"]
        if not isinstance(raw, list) or len(raw) > 64:
            raise BadResponse("witness evidence: expected a list of at most 64")
        try:
            return [Evidence.from_json(e) for e in raw]
        except InvalidEvidence as e:
            raise BadResponse(f"witness evidence: {e}") from None

    def prefix_proof(self, old: int, new: int) -> PrefixProof:
        o = _obj(self.http.get_json("/witness/consistency", {"from": old, "to": new}),
                 {"from", "to", "prefix_root", "proof"}, "witness consistency")
        if _int(o["from"], "from") != old or _int(o["to"], "to") != new:
            raise BadResponse(f"witness consistency: asked {old}→{new}, got {o['from']}→{o['to']}")
        return PrefixProof(old, new, _hash(o["prefix_root"], "witness consistency: prefix_root"),
                           tuple(_hashes(o["proof"], "witness consistency: proof")))
