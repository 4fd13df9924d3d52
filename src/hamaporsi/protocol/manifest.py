"""The referendum definition (spec §5.2): question and options in Persian and English, how
many options a voter selects, the voting period, the role keys and the trustees. Its hash enters
the election hash and through it every proof."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..crypto.group import Point
from ..crypto.hashing import hash_parts
from . import codec
from .canonical import canonical_bytes
from .cosignature import WitnessPolicy
from .errors import MalformedInput
from .signing import verify_entry
from .text import Text as Text  # re-exported: Text lived here before witness names needed it

SPEC_VERSION = "hamaporsi/v1"
MAX_OPTIONS = 32
MAX_TRUSTEES = 64
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


@dataclass(frozen=True, slots=True)
class TrusteeInfo:
    """A trustee as the manifest names it: display name, BIP340 signing key, encryption key."""

    name: str
    signing_key: bytes
    encryption_key: Point

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "signing_key": self.signing_key.hex(),
                "encryption_key": self.encryption_key.encode().hex()}

    @staticmethod
    def from_json(v: Any, field: str) -> TrusteeInfo:
        o = codec.obj(v, field, {"name", "signing_key", "encryption_key"})
        return TrusteeInfo(codec.text(o["name"], f"{field}.name", 200),
                           codec.hex_bytes(o["signing_key"], 32, f"{field}.signing_key"),
                           codec.point(o["encryption_key"], f"{field}.encryption_key"))


@dataclass(frozen=True, slots=True)
class Manifest:
    """The signed referendum definition; `entry` is the exact record entry it was read from."""

    election_id: str
    question: Text
    options: tuple[Text, ...]
    min_selections: int
    max_selections: int
    opens: int
    closes: int
    organizer_key: bytes
    registrar_key: bytes
    board_key: bytes
    trustees: tuple[TrusteeInfo, ...]
    threshold: int
    entry: dict[str, Any]
    booth: bytes | None = None
    """SHA-256 of the booth bundle the organizer published (spec §5.2), if stated."""
    witnesses: WitnessPolicy = WitnessPolicy()
    """Who cosigns checkpoints and how many must (spec §5.2, §8.8); empty: none required."""

    @property
    def hash(self) -> bytes:
        """H("manifest", canonical entry bytes, signature included) (spec §5.2)."""
        return hash_parts("manifest", canonical_bytes(self.entry))

    @property
    def implied_last(self) -> bool:
        """With exactly one selection, the last option's ciphertext is derived (spec §5.4)."""
        return self.min_selections == self.max_selections == 1

    @property
    def stored_options(self) -> int:
        """How many ciphertexts a ballot carries."""
        return len(self.options) - 1 if self.implied_last else len(self.options)

    @property
    def total_allowed(self) -> tuple[int, ...] | None:
        """Allowed totals of the stored selections, or None when no total proof is needed."""
        if self.implied_last:
            return None if self.stored_options == 1 else (0, 1)
        if self.min_selections == 0 and self.max_selections >= self.stored_options:
            return None
        return tuple(range(self.min_selections, self.max_selections + 1))

    @property
    def blank_allowed(self) -> bool:
        return self.min_selections == 0


def build_manifest(*, election_id: str, question: Text, options: list[Text],
                   min_selections: int, max_selections: int, opens: int, closes: int,
                   organizer_key: bytes, registrar_key: bytes, board_key: bytes,
                   trustees: list[TrusteeInfo], threshold: int,
                   booth: bytes | None = None,
                   witnesses: WitnessPolicy | None = None) -> dict[str, Any]:
    """The unsigned manifest entry; sign it with the organizer key and parse it back. `booth`:
    the booth bundle's hash (spec §5.2), `witnesses`: the checkpoint witnesses and their
    threshold (§8.8); each stated only when given."""
    out: dict[str, Any] = {
        "type": "manifest", "spec": SPEC_VERSION, "election_id": election_id,
        "question": question.to_json(), "options": [o.to_json() for o in options],
        "min_selections": min_selections, "max_selections": max_selections,
        "opens": opens, "closes": closes,
        "organizer_key": organizer_key.hex(), "registrar_key": registrar_key.hex(),
        "board_key": board_key.hex(),
        "trustees": [t.to_json() for t in trustees], "threshold": threshold,
    }
    if booth is not None:
        if not isinstance(booth, bytes) or len(booth) != 32:
            raise ValueError("booth must be a 32-byte SHA-256 digest")
        out["booth"] = booth.hex()
    if witnesses is not None and witnesses.keys:
        out["witnesses"] = witnesses.to_json()
    return out


MANIFEST_KEYS = {"type", "spec", "election_id", "question", "options", "min_selections",
                 "max_selections", "opens", "closes", "organizer_key", "registrar_key",
                 "board_key", "trustees", "threshold", "sig"}
OPTIONAL_KEYS = frozenset({"booth", "witnesses"})


def parse_manifest(entry: Any) -> Manifest:
    """Check every field and the organizer's signature (check V1)."""
    o = codec.obj(entry, "manifest", MANIFEST_KEYS, OPTIONAL_KEYS)
    if o["type"] != "manifest" or o["spec"] != SPEC_VERSION:
        raise MalformedInput(f"manifest: type/spec must be manifest/{SPEC_VERSION}",
                             code="bad_field")
    eid = o["election_id"]
    if not isinstance(eid, str) or not _SLUG.fullmatch(eid):
        raise MalformedInput("manifest.election_id: lowercase letters, digits and '-'",
                             code="bad_field")
    options = tuple(Text.from_json(x, f"manifest.options[{i}]")
                    for i, x in enumerate(codec.array(o["options"], "manifest.options", 2,
                                                      MAX_OPTIONS)))
    lo = codec.integer(o["min_selections"], "manifest.min_selections", 0, len(options))
    hi = codec.integer(o["max_selections"], "manifest.max_selections", max(lo, 1), len(options))
    opens = codec.integer(o["opens"], "manifest.opens")
    closes = codec.integer(o["closes"], "manifest.closes", opens + 1)
    trustees = tuple(TrusteeInfo.from_json(x, f"manifest.trustees[{i}]")
                     for i, x in enumerate(codec.array(o["trustees"], "manifest.trustees", 1,
                                                       MAX_TRUSTEES)))
    if len({t.signing_key for t in trustees}) != len(trustees) or \
            len({t.encryption_key for t in trustees}) != len(trustees):
        raise MalformedInput("manifest.trustees: keys must be distinct", code="bad_field")
    m = Manifest(
        election_id=eid, question=Text.from_json(o["question"], "manifest.question"),
        options=options, min_selections=lo, max_selections=hi, opens=opens, closes=closes,
        organizer_key=codec.hex_bytes(o["organizer_key"], 32, "manifest.organizer_key"),
        registrar_key=codec.hex_bytes(o["registrar_key"], 32, "manifest.registrar_key"),
        board_key=codec.hex_bytes(o["board_key"], 32, "manifest.board_key"),
        trustees=trustees,
        threshold=codec.integer(o["threshold"], "manifest.threshold", 1, len(trustees)),
        entry=dict(o),
        booth=codec.hex_bytes(o["booth"], 32, "manifest.booth") if "booth" in o else None,
        witnesses=WitnessPolicy.from_json(o["witnesses"]) if "witnesses" in o
        else WitnessPolicy())
    verify_entry(m.entry, m.organizer_key, check="V1", what="manifest")
    return m
