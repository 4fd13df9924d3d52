"""The election context once voting opens (spec §5.4): manifest, joint key and credential list,
bound together in the election hash that every ballot proof and signature covers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..crypto.group import GROUP_DESCRIPTION, Point
from ..crypto.hashing import hash_parts, u32
from . import codec
from .errors import Rejected
from .manifest import Manifest
from .signing import sign_entry

TOTAL_INDEX = 0xFFFFFFFF
"""The option index used in the context of a ballot's selection-total proof."""


def election_hash(manifest_hash: bytes, joint_key: Point, credential_count: int,
                  credential_hash: bytes) -> bytes:
    """H("election", group, manifest hash, K, count, credential-list hash) (spec §5.4)."""
    return hash_parts("election", GROUP_DESCRIPTION, manifest_hash, joint_key.encode(),
                      credential_count.to_bytes(8, "big"), credential_hash)


@dataclass(frozen=True, slots=True)
class ElectionContext:
    """Everything a ballot is checked against; the same values on the voter's side and the
    verifier's."""

    manifest: Manifest
    manifest_hash: bytes
    joint_key: Point
    credential_count: int
    credential_hash: bytes
    hash: bytes

    @staticmethod
    def create(manifest: Manifest, joint_key: Point, credential_count: int,
               credential_hash: bytes) -> ElectionContext:
        mh = manifest.hash
        return ElectionContext(manifest, mh, joint_key, credential_count, credential_hash,
                               election_hash(mh, joint_key, credential_count, credential_hash))

    def proof_context(self, credential: bytes, index: int) -> bytes:
        """election hash ‖ credential ‖ u32(option index or TOTAL_INDEX): fixed width (§6.4)."""
        return self.hash + credential + u32(index)

    def open_entry(self, organizer_secret: bytes) -> dict[str, Any]:
        """The organizer's signed `open` entry that starts voting (spec §5.4)."""
        return sign_entry({"type": "open", "manifest": self.manifest_hash.hex(),
                           "election": self.hash.hex(),
                           "joint_key": self.joint_key.encode().hex(),
                           "credential_count": self.credential_count,
                           "credential_hash": self.credential_hash.hex()}, organizer_secret)

    def to_json(self) -> dict[str, Any]:
        """What a voter's device needs besides the manifest (served by the board)."""
        return {"election": self.hash.hex(), "joint_key": self.joint_key.encode().hex(),
                "credential_count": self.credential_count,
                "credential_hash": self.credential_hash.hex()}


def check_open_entry(ctx: ElectionContext, entry: dict[str, Any]) -> None:
    """V4: the `open` entry states exactly the recomputed context."""
    o = codec.obj(entry, "open", {"type", "manifest", "election", "joint_key",
                                  "credential_count", "credential_hash", "sig"})
    want = ctx.open_entry(b"\x01" * 32)
    for k in ("manifest", "election", "joint_key", "credential_count", "credential_hash"):
        if not codec.same(o[k], want[k]):
            raise Rejected(f"open.{k} does not match the ceremony and credential list",
                           code="bad_open", check="V4")
