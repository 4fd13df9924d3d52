"""Witness cosignatures of checkpoints (spec §8.8): a witness states, with its own BIP340 key,
that it saw the board's checkpoint and that it is consistent with every earlier one it cosigned.

    body    = RFC 8785 JSON {"checkpoint": hex(checkpoint message), "election", "size",
                             "time", "type": "cosignature", "witness": hex(x-only key)}
    message = hash_parts("cosignature", body)        (SHA-256, tag "hamaporsi/v1/cosignature")
    sig     = BIP340 Sign(witness_secret, message)

"checkpoint" is the 32-byte message the board signed (§8.5.3), which binds the election, size,
root, time and board key; "election" and "size" repeat two of them so that a cosignature can be
filed without its checkpoint. A checkpoint is *witnessed* once `threshold` distinct witnesses
named in the manifest (§5.2 "witnesses") have valid cosignatures of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from ..crypto import bip340
from ..crypto.errors import CryptoError, InvalidProof
from . import codec
from .canonical import canonical_bytes, parse_canonical
from .checkpoint import Checkpoint
from .errors import MalformedInput
from .fields import SignedStatement, StatementFields
from .text import Text

TYPE = "cosignature"
HASH_TAG = "cosignature"
CHECK = "V-witness"
BODY_KEYS = frozenset({"checkpoint", "election", "size", "time", "type", "witness"})
JSON_KEYS = BODY_KEYS | {"sig"}
MAX_WITNESSES = 64
MAX_NAME = 200
_FIELDS = StatementFields("cosignature", "bad_cosignature")
_malformed = _FIELDS.malformed


@dataclass(frozen=True, slots=True)
class Cosignature(SignedStatement):
    """Witness `witness` saw checkpoint `checkpoint` (its 32-byte message) at time `timestamp`."""

    hash_tag: ClassVar[str] = HASH_TAG

    checkpoint: bytes
    election_id: str
    size: int
    timestamp: int
    witness: bytes
    signature: bytes

    def __post_init__(self) -> None:
        _FIELDS.require_bytes("checkpoint", self.checkpoint, 32)
        _FIELDS.require_bytes("witness", self.witness, 32)
        _FIELDS.require_bytes("sig", self.signature, 64)
        _FIELDS.require_hex("election", self.election_id, 32)
        _FIELDS.require_int("size", self.size)
        _FIELDS.require_int("time", self.timestamp)

    def body(self) -> dict[str, Any]:
        return {"checkpoint": self.checkpoint.hex(), "election": self.election_id,
                "size": self.size, "time": self.timestamp, "type": TYPE,
                "witness": self.witness.hex()}

    def to_bytes(self) -> bytes:
        """The wire form as canonical JSON bytes (what stores and records keep)."""
        return canonical_bytes(self.to_json())

    @classmethod
    def from_json(cls, obj: object) -> Cosignature:
        """Parse the wire form strictly; MalformedInput on any deviation."""
        f = _FIELDS
        obj = f.require_object(obj, JSON_KEYS, most_extra=5)
        if obj["type"] != TYPE:
            raise _malformed(f'type must be "{TYPE}"')
        return cls(f.hex_bytes("checkpoint", obj["checkpoint"], 32),
                   f.require_hex("election", obj["election"], 32),
                   f.require_int("size", obj["size"]), f.require_int("time", obj["time"]),
                   f.hex_bytes("witness", obj["witness"], 32), f.hex_bytes("sig", obj["sig"], 64))

    @classmethod
    def from_bytes(cls, data: bytes) -> Cosignature:
        """Parse canonical JSON bytes (MalformedInput if not canonical or not a cosignature)."""
        return cls.from_json(parse_canonical(data))


def cosign(secret: bytes, cp: Checkpoint, timestamp: int) -> Cosignature:
    """The witness's cosignature of `cp` (the caller has checked `cp` first, spec §8.8.2)."""
    unsigned = Cosignature(cp.message(), cp.election_id, cp.size, timestamp,
                           bip340.public_key(secret), bytes(64))
    sig = bip340.sign(secret, unsigned.message())
    return Cosignature(unsigned.checkpoint, cp.election_id, cp.size, timestamp,
                       unsigned.witness, sig)


def verify_cosignature(cs: Cosignature, cp: Checkpoint, *, check: str = CHECK) -> None:
    """Return if `cs` is a valid cosignature of exactly `cp`; InvalidProof otherwise."""
    if (cs.checkpoint != cp.message() or cs.election_id != cp.election_id
            or cs.size != cp.size):
        raise InvalidProof(check, f"cosignature by {cs.witness.hex()[:16]}… is of another "
                                  "checkpoint")
    try:
        bip340.verify(cs.witness, cs.message(), cs.signature)
    except CryptoError as e:
        raise InvalidProof(check, f"cosignature by {cs.witness.hex()[:16]}…: {e}") from e


@dataclass(frozen=True, slots=True)
class WitnessPolicy:
    """Who may cosign and how many must (manifest field "witnesses", spec §5.2). The empty
    policy (no field) requires nothing: every checkpoint counts as witnessed. `names`, if
    given, names each witness (same order as `keys`) in Persian and English for voters."""

    keys: tuple[bytes, ...] = ()
    threshold: int = 0
    names: tuple[Text, ...] = ()

    def __post_init__(self) -> None:
        if len(set(self.keys)) != len(self.keys):
            raise _malformed("witness keys must be distinct")
        if not (0 <= self.threshold <= len(self.keys)) or (self.keys and self.threshold < 1):
            raise _malformed("witness threshold must be in [1, number of witnesses]")
        if self.names and len(self.names) != len(self.keys):
            raise _malformed("witness names must be one per key or none")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"keys": [k.hex() for k in self.keys], "threshold": self.threshold}
        if self.names:
            out["names"] = [n.to_json() for n in self.names]
        return out

    def name_of(self, key: bytes) -> Text | None:
        """The manifest's name for witness `key`, or None (no names, or not a listed key)."""
        if not self.names or key not in self.keys:
            return None
        return self.names[self.keys.index(key)]

    def label(self, key: bytes, lang: str = "en") -> str:
        """How to show witness `key` to a person: its name in `lang`, else a key fingerprint."""
        name = self.name_of(key)
        return name.get(lang) if name is not None else f"{key.hex()[:16]}…"

    def labels(self, witnesses: Iterable[bytes], lang: str = "en") -> list[str]:
        """`label` of each listed key among `witnesses`, in the manifest's order."""
        got = set(witnesses)
        return [self.label(k, lang) for k in self.keys if k in got]

    @classmethod
    def from_json(cls, obj: object) -> WitnessPolicy:
        """Parse the manifest's "witnesses" object: 1..64 distinct valid BIP340 keys, a
        threshold in [1, len(keys)] and optionally "names", one {"en", "fa"} per key."""
        if not isinstance(obj, dict) or not {"keys", "threshold"} <= set(obj) \
                or not set(obj) <= {"keys", "threshold", "names"}:
            raise MalformedInput('manifest.witnesses: expected {"keys", "threshold"} and '
                                 'optionally "names"', code="bad_field")
        raw = obj["keys"]
        if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_WITNESSES:
            raise MalformedInput(f"manifest.witnesses.keys: 1 to {MAX_WITNESSES} keys",
                                 code="bad_field")
        keys = tuple(codec.hex_bytes(k, 32, f"manifest.witnesses.keys[{i}]")
                     for i, k in enumerate(raw))
        for k in keys:
            try:
                bip340.validate_public_key(k)
            except CryptoError as e:
                raise MalformedInput(f"manifest.witnesses.keys: {e}", code="bad_point") from e
        t = obj["threshold"]
        if not isinstance(t, int) or isinstance(t, bool) or not 1 <= t <= len(keys):
            raise MalformedInput("manifest.witnesses.threshold: an integer in [1, keys]",
                                 code="bad_field")
        if len(set(keys)) != len(keys):
            raise MalformedInput("manifest.witnesses.keys must be distinct", code="bad_field")
        names: tuple[Text, ...] = ()
        if "names" in obj:
            raw_names = obj["names"]
            if not isinstance(raw_names, list) or len(raw_names) != len(keys):
                raise MalformedInput(f"manifest.witnesses.names: a list of {len(keys)} names, "
                                     "one per key in the order of keys", code="bad_field")
            names = tuple(Text.from_json(n, f"manifest.witnesses.names[{i}]", MAX_NAME)
                          for i, n in enumerate(raw_names))
        return cls(keys, t, names)

    def valid_cosigners(self, cp: Checkpoint, cosignatures: Iterable[Cosignature]
                        ) -> list[Cosignature]:
        """The cosignatures of `cp` by distinct listed witnesses that verify (one per witness);
        unlisted, invalid and repeated ones are left out, never an error."""
        listed = set(self.keys)
        out: dict[bytes, Cosignature] = {}
        for cs in cosignatures:
            if cs.witness not in listed or cs.witness in out:
                continue
            try:
                verify_cosignature(cs, cp)
            except InvalidProof:
                continue
            out[cs.witness] = cs
        return [out[k] for k in sorted(out)]

    def require(self, cp: Checkpoint, cosignatures: Iterable[Cosignature], *,
                check: str = CHECK) -> list[Cosignature]:
        """The valid cosigners of `cp`; InvalidProof if fewer than `threshold` (spec §8.8.3)."""
        got = self.valid_cosigners(cp, cosignatures)
        if len(got) < self.threshold:
            raise InvalidProof(check, f"checkpoint at size {cp.size} has {len(got)} valid witness "
                                      f"cosignatures; the election requires {self.threshold}")
        return got
