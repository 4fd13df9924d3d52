"""Signed checkpoints: the board's BIP340 signature on (election, size, root, time) (spec §8.4).

    body    = RFC 8785 JSON {"board_key","election","root","size","time","type":"checkpoint"}
    message = hash_parts("checkpoint", body)        (SHA-256, tag "hamaporsi/v1/checkpoint")
    sig     = BIP340 Sign(board_secret, message)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from ..crypto import bip340
from ..crypto.errors import CryptoError, InvalidProof
from .canonical import parse_canonical
from .fields import MAX_INT as MAX_INT  # re-exported: the bound sizes and times share
from .fields import SignedStatement, StatementFields

TYPE = "checkpoint"
HASH_TAG = "checkpoint"
CHECK = "V-checkpoint"
BODY_KEYS = frozenset({"board_key", "election", "root", "size", "time", "type"})
JSON_KEYS = BODY_KEYS | {"sig"}
_FIELDS = StatementFields("checkpoint", "bad_checkpoint")
_malformed = _FIELDS.malformed
_require_int, _require_bytes, _require_hex = (
    _FIELDS.require_int, _FIELDS.require_bytes, _FIELDS.require_hex)


@dataclass(frozen=True, slots=True)
class Checkpoint(SignedStatement):
    """A signed statement that the board's log had `size` entries with Merkle root `root`."""

    hash_tag: ClassVar[str] = HASH_TAG

    election_id: str
    size: int
    root: bytes
    timestamp: int
    board_key: bytes
    signature: bytes

    def __post_init__(self) -> None:
        _require_hex("election", self.election_id, 32)
        _require_int("size", self.size)
        _require_bytes("root", self.root, 32)
        _require_int("time", self.timestamp)
        _require_bytes("board_key", self.board_key, bip340.PUBLIC_KEY_BYTES)
        _require_bytes("sig", self.signature, bip340.SIGNATURE_BYTES)

    def body(self) -> dict[str, Any]:
        """The signed fields as a JSON object."""
        return {"board_key": self.board_key.hex(), "election": self.election_id,
                "root": self.root.hex(), "size": self.size, "time": self.timestamp, "type": TYPE}


    @classmethod
    def from_json(cls, obj: object) -> Checkpoint:
        """Parse the wire form strictly; MalformedInput on any deviation (keys, hex, ranges)."""
        obj = _FIELDS.require_object(obj, JSON_KEYS)
        return cls._from_body(obj, _FIELDS.hex_bytes("sig", obj["sig"], bip340.SIGNATURE_BYTES))

    @classmethod
    def from_body_bytes(cls, body: bytes, signature: bytes) -> Checkpoint:
        """Rebuild a checkpoint from stored canonical body bytes and its signature."""
        obj = parse_canonical(body)
        if not isinstance(obj, dict) or set(obj) != BODY_KEYS:
            raise _malformed(f"body keys must be exactly {sorted(BODY_KEYS)}")
        return cls._from_body(obj, signature)

    @classmethod
    def _from_body(cls, obj: dict[str, Any], signature: bytes) -> Checkpoint:
        if obj["type"] != TYPE:
            raise _malformed(f'type must be "{TYPE}"')
        return cls(
            election_id=_require_hex("election", obj["election"], 32),
            size=_require_int("size", obj["size"]),
            root=_FIELDS.hex_bytes("root", obj["root"], 32),
            timestamp=_require_int("time", obj["time"]),
            board_key=_FIELDS.hex_bytes("board_key", obj["board_key"], bip340.PUBLIC_KEY_BYTES),
            signature=signature,
        )


def sign_checkpoint(secret: bytes, election_id: str, size: int, root: bytes,
                    timestamp: int) -> Checkpoint:
    """Sign (election_id, size, root, timestamp) with the board's BIP340 secret key."""
    unsigned = Checkpoint(election_id, size, root, timestamp, bip340.public_key(secret),
                          bytes(bip340.SIGNATURE_BYTES))
    sig = bip340.sign(secret, unsigned.message())
    return Checkpoint(election_id, size, root, timestamp, unsigned.board_key, sig)


def verify_checkpoint(cp: Checkpoint, expected_board_key: bytes, *, check: str = CHECK) -> None:
    """Return if `cp` is signed by `expected_board_key`; raise InvalidProof(check, …) otherwise."""
    if cp.board_key != expected_board_key:
        raise InvalidProof(check, "checkpoint names a board key other than the expected one")
    try:
        bip340.verify(cp.board_key, cp.message(), cp.signature)
    except CryptoError as e:
        raise InvalidProof(check, f"checkpoint signature: {e}") from e
