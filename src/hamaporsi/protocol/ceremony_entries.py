"""Key-ceremony wire format (spec §7.1): contexts and hashed bytes, trustee key files, and the
strict, stateless parsing of dkg-commit, dkg-reveal, dkg-shares, dkg-complaint and joint-key
entries (steps 1–4 of §7.1.5: format, manifest, indices, signature)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..crypto import bip340, vss
from ..crypto.errors import CryptoError, InvalidProof
from ..crypto.group import ORDER, Point, random_scalar, scalar_bytes
from ..crypto.hashing import hash_parts, u32
from ..crypto.proofs import EqualityProof, SchnorrProof
from ..crypto.share_encryption import open_share
from . import codec
from .canonical import canonical_bytes
from .errors import MalformedInput, Rejected
from .manifest import Manifest, TrusteeInfo
from .signing import verify_entry

COMMIT = "dkg-commit"
REVEAL = "dkg-reveal"
SHARES = "dkg-shares"
COMPLAINT = "dkg-complaint"
JOINT_KEY = "joint-key"
CEREMONY_TYPES = frozenset({COMMIT, REVEAL, SHARES, COMPLAINT, JOINT_KEY})

CHECK_DKG = "V2"
"""Check id of every trustee entry of the ceremony (spec §7.1.5)."""
CHECK_JOINT = "V3"
"""Check id of the organizer's joint-key entry (spec §7.1.4)."""


class CeremonyFailed(Rejected):
    """Fewer than k trustees qualified (or a degenerate joint key): no joint key exists (§7.1.4)."""

    code = "ceremony_failed"


# -- contexts and hashed bytes (spec §7.1.1) -------------------------------------------------

def pok_context(mh: bytes, dealer: int, j: int) -> bytes:
    """Context of the PoK of dealer i's coefficient j: mh ‖ u32(i) ‖ u32(j) (§7.1.1)."""
    return mh + u32(dealer) + u32(j)


def share_context(mh: bytes, dealer: int, recipient: int) -> bytes:
    """Context of the share sent by dealer i to trustee j: mh ‖ u32(i) ‖ u32(j) (§7.1.1)."""
    return mh + u32(dealer) + u32(recipient)


def complaint_context(mh: bytes, accuser: int, dealer: int) -> bytes:
    """Context of j's complaint proof against i: mh ‖ u32(j) ‖ u32(i) ‖ "complaint" (§7.1.1)."""
    return mh + u32(accuser) + u32(dealer) + b"complaint"


def reveal_payload(coefficients: list[Point], proofs: list[SchnorrProof]) -> dict[str, Any]:
    """The JSON payload of a reveal that its commit digest covers (§7.1.2)."""
    return {"coefficients": [a.encode().hex() for a in coefficients],
            "proofs": [codec.pok_to_json(p) for p in proofs]}


def reveal_digest(mh: bytes, dealer: int, payload: Mapping[str, Any]) -> bytes:
    """H("dkg-digest", mh, u32(i), canonical_bytes({coefficients, proofs})) (§7.1.2)."""
    body = {"coefficients": payload["coefficients"], "proofs": payload["proofs"]}
    return hash_parts("dkg-digest", mh, u32(dealer), canonical_bytes(body))


def decrypt_share(manifest: Manifest, dealer: int, recipient: int, eph: Point, ct: bytes,
                  shared: Point) -> int | None:
    """f_i(j) opened with S = d_j·E, or None if the 32 bytes are not a scalar below n (§7.1.3)."""
    raw = open_share(share_context(manifest.hash, dealer, recipient),
                     manifest.trustees[recipient - 1].encryption_key, eph, shared, ct)
    s = int.from_bytes(raw, "big")
    return s if s < ORDER else None


def share_matches(coefficients: tuple[Point, ...], recipient: int, share: int | None) -> bool:
    """Feldman check f_i(j)·G = Σ_m j^m·A_im; False for a missing share (§7.1.3)."""
    if share is None:
        return False
    try:
        vss.verify_share(list(coefficients), recipient, share, check=CHECK_DKG, what="share")
    except InvalidProof:
        return False
    return True


# -- trustee key file (spec §7.1.1) ----------------------------------------------------------

@dataclass(frozen=True, slots=True)
class TrusteeKeys:
    """A trustee's local secrets: BIP340 signing secret and encryption secret d (§7.1.1)."""

    signing_secret: bytes = field(repr=False)
    encryption_secret: int = field(repr=False)

    def __post_init__(self) -> None:
        try:
            bip340.public_key(self.signing_secret)
        except CryptoError as e:
            raise ValueError(f"trustee keys: {e}") from None
        if not 0 < self.encryption_secret < ORDER:
            raise ValueError("trustee keys: encryption secret must be in [1, n)")

    @staticmethod
    def generate() -> TrusteeKeys:
        """Fresh keys from the OS CSPRNG (§7.1.1)."""
        return TrusteeKeys(bip340.generate_secret(), random_scalar())

    @property
    def signing_key(self) -> bytes:
        """The 32-byte x-only BIP340 public key."""
        return bip340.public_key(self.signing_secret)

    @property
    def encryption_key(self) -> Point:
        """D = d·G."""
        return Point.mul_g(self.encryption_secret)

    def public_info(self, name: str) -> TrusteeInfo:
        """The manifest's view of this trustee (§7.1.1)."""
        return TrusteeInfo(name, self.signing_key, self.encryption_key)

    def to_json(self) -> dict[str, str]:
        """The key file: {"encryption_secret", "signing_secret"} as lowercase hex (§7.1.1)."""
        return {"encryption_secret": scalar_bytes(self.encryption_secret).hex(),
                "signing_secret": self.signing_secret.hex()}

    @staticmethod
    def from_json(v: Any, field: str = "trustee_keys") -> TrusteeKeys:
        """Parse a key file; MalformedInput names the bad field (§7.1.1)."""
        o = codec.obj(v, field, {"encryption_secret", "signing_secret"})
        d = codec.scalar(o["encryption_secret"], f"{field}.encryption_secret")
        sk = codec.hex_bytes(o["signing_secret"], 32, f"{field}.signing_secret")
        try:
            return TrusteeKeys(sk, d)
        except ValueError as e:
            raise MalformedInput(str(e), code="bad_key") from None


# -- parsed entries (spec §7.1.2–§7.1.4) -----------------------------------------------------

@dataclass(frozen=True, slots=True)
class Commit:
    """A parsed dkg-commit (§7.1.2)."""

    trustee: int
    digest: bytes


@dataclass(frozen=True, slots=True)
class Reveal:
    """A parsed dkg-reveal: commitments A_i0..A_i(k−1), their proofs, its digest (§7.1.2)."""

    trustee: int
    coefficients: tuple[Point, ...]
    proofs: tuple[SchnorrProof, ...]
    digest: bytes


@dataclass(frozen=True, slots=True)
class EncryptedShare:
    """One encrypted share f_i(j): ephemeral point E and 32-byte ciphertext (§7.1.3)."""

    recipient: int
    eph: Point
    ct: bytes


@dataclass(frozen=True, slots=True)
class Shares:
    """A parsed dkg-shares entry: one encrypted share per other trustee, increasing (§7.1.3)."""

    trustee: int
    shares: tuple[EncryptedShare, ...]

    def share_for(self, recipient: int) -> EncryptedShare:
        """The share addressed to `recipient` (KeyError if none)."""
        for s in self.shares:
            if s.recipient == recipient:
                return s
        raise KeyError(recipient)


@dataclass(frozen=True, slots=True)
class Complaint:
    """A parsed dkg-complaint of trustee j (accuser) against dealer i (§7.1.3)."""

    accuser: int
    dealer: int
    shared: Point
    proof: EqualityProof


@dataclass(frozen=True, slots=True)
class JointKey:
    """The outcome: qualified set Q, joint key K, public shares P_j for j in Q (§7.1.4)."""

    qualified: tuple[int, ...]
    joint_key: Point
    public_shares: tuple[Point, ...]

    @property
    def public_share_map(self) -> dict[int, Point]:
        """{j: P_j} for j in Q, as the tally wants it (§7.2)."""
        return dict(zip(self.qualified, self.public_shares, strict=True))

    def to_entry(self, mh: bytes) -> dict[str, Any]:
        """The unsigned joint-key entry (§7.1.4)."""
        return {"type": JOINT_KEY, "manifest": mh.hex(), "qualified": list(self.qualified),
                "joint_key": self.joint_key.encode().hex(),
                "public_shares": [p.encode().hex() for p in self.public_shares]}


# -- parsing (spec §7.1.5 steps 1–4) ---------------------------------------------------------

def _shape(entry: Any, kind: str, keys: set[str]) -> Mapping[str, Any]:
    o = codec.obj(entry, kind, keys | {"type", "manifest", "sig"})
    if o["type"] != kind:
        raise MalformedInput(f"{kind}.type: expected {kind!r}", code="bad_field")
    codec.hex_bytes(o["manifest"], 32, f"{kind}.manifest")
    codec.hex_bytes(o["sig"], 64, f"{kind}.sig")
    return o


def _index(v: Any, field: str) -> int:
    return codec.integer(v, field, 0, 2**32 - 1)


def _authenticate(o: Mapping[str, Any], kind: str, manifest: Manifest, indices: dict[str, int],
                  signer: bytes | None, check: str) -> None:
    """Steps 2–4: manifest hash, trustee indices in 1..n, signature (trustee's or organizer's)."""
    if bytes.fromhex(o["manifest"]) != manifest.hash:
        raise Rejected(f"{kind}: entry is for another manifest", code="wrong_manifest",
                       check=check)
    n = len(manifest.trustees)
    for name, i in indices.items():
        if not 1 <= i <= n:
            raise Rejected(f"{kind}.{name}: no trustee {i} (the manifest has {n})",
                           code="unknown_trustee", check=check)
    if signer is None:
        signer = manifest.trustees[indices["trustee"] - 1].signing_key
    verify_entry(dict(o), signer, check=check, what=kind)


def parse_commit(entry: Any, manifest: Manifest) -> Commit:
    """Decode and authenticate a dkg-commit (§7.1.2)."""
    o = _shape(entry, COMMIT, {"trustee", "digest"})
    i = _index(o["trustee"], f"{COMMIT}.trustee")
    digest = codec.hex_bytes(o["digest"], 32, f"{COMMIT}.digest")
    _authenticate(o, COMMIT, manifest, {"trustee": i}, None, CHECK_DKG)
    return Commit(i, digest)


def parse_reveal(entry: Any, manifest: Manifest) -> Reveal:
    """Decode and authenticate a dkg-reveal; the caller checks digest and proofs (§7.1.2)."""
    o = _shape(entry, REVEAL, {"trustee", "coefficients", "proofs"})
    i = _index(o["trustee"], f"{REVEAL}.trustee")
    coeffs = tuple(codec.point(a, f"{REVEAL}.coefficients[{j}]") for j, a in
                   enumerate(codec.array(o["coefficients"], f"{REVEAL}.coefficients", 1, 64)))
    proofs = tuple(codec.pok_from_json(p, f"{REVEAL}.proofs[{j}]") for j, p in
                   enumerate(codec.array(o["proofs"], f"{REVEAL}.proofs", 1, 64)))
    _authenticate(o, REVEAL, manifest, {"trustee": i}, None, CHECK_DKG)
    return Reveal(i, coeffs, proofs, reveal_digest(manifest.hash, i, o))


def parse_shares(entry: Any, manifest: Manifest) -> Shares:
    """Decode and authenticate a dkg-shares entry; recipients are checked by the caller (§7.1.3)."""
    o = _shape(entry, SHARES, {"trustee", "shares"})
    i = _index(o["trustee"], f"{SHARES}.trustee")
    out = []
    for j, s in enumerate(codec.array(o["shares"], f"{SHARES}.shares", 0, 64)):
        f = f"{SHARES}.shares[{j}]"
        so = codec.obj(s, f, {"to", "eph", "ct"})
        out.append(EncryptedShare(_index(so["to"], f"{f}.to"), codec.point(so["eph"], f"{f}.eph"),
                                  codec.hex_bytes(so["ct"], 32, f"{f}.ct")))
    _authenticate(o, SHARES, manifest, {"trustee": i}, None, CHECK_DKG)
    return Shares(i, tuple(out))


def parse_complaint(entry: Any, manifest: Manifest) -> Complaint:
    """Decode and authenticate a dkg-complaint, signed by the accuser (§7.1.3)."""
    o = _shape(entry, COMPLAINT, {"trustee", "against", "shared", "proof"})
    j = _index(o["trustee"], f"{COMPLAINT}.trustee")
    i = _index(o["against"], f"{COMPLAINT}.against")
    shared = codec.point(o["shared"], f"{COMPLAINT}.shared")
    proof = codec.dleq_from_json(o["proof"], f"{COMPLAINT}.proof")
    _authenticate(o, COMPLAINT, manifest, {"trustee": j, "against": i}, None, CHECK_DKG)
    return Complaint(j, i, shared, proof)


def parse_joint_key(entry: Any, manifest: Manifest) -> JointKey:
    """Decode and authenticate a joint-key entry; the V3 recomputation is separate (§7.1.4)."""
    o = _shape(entry, JOINT_KEY, {"qualified", "joint_key", "public_shares"})
    q = [_index(v, f"{JOINT_KEY}.qualified[{x}]") for x, v in
         enumerate(codec.array(o["qualified"], f"{JOINT_KEY}.qualified", 1, 64))]
    if any(a >= b for a, b in zip(q, q[1:], strict=False)):
        raise MalformedInput(f"{JOINT_KEY}.qualified: must be strictly increasing",
                             code="bad_field")
    key = codec.point(o["joint_key"], f"{JOINT_KEY}.joint_key")
    shares = [codec.point(p, f"{JOINT_KEY}.public_shares[{x}]") for x, p in
              enumerate(codec.array(o["public_shares"], f"{JOINT_KEY}.public_shares",
                                    len(q), len(q)))]
    _authenticate(o, JOINT_KEY, manifest, {f"qualified[{x}]": v for x, v in enumerate(q)},
                  manifest.organizer_key, CHECK_JOINT)
    return JointKey(tuple(q), key, tuple(shares))
