"""One trustee's side of the key ceremony (spec §7.1.6): its secret polynomial, the entries it
signs, the complaints it raises and its secret share; persisted as a JSON state file so that
each phase can run as a separate invocation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..crypto import vss
from ..crypto.group import ORDER, Point, scalar_bytes
from ..crypto.proofs import SchnorrProof, prove_equal_logs, prove_knowledge
from ..crypto.share_encryption import encrypt_share, shared_point
from . import codec
from .ceremony_entries import (COMMIT, COMPLAINT, REVEAL, SHARES, TrusteeKeys, complaint_context,
                               decrypt_share, pok_context, reveal_digest, reveal_payload,
                               share_context, share_matches)
from .errors import MalformedInput
from .manifest import Manifest
from .signing import sign_entry

if TYPE_CHECKING:
    from .ceremony import Ceremony


@dataclass(frozen=True, slots=True)
class TrusteeSession:
    """One trustee's side of the ceremony; its polynomial is secret, kept as JSON (§7.1.6)."""

    manifest_hash: bytes
    index: int
    keys: TrusteeKeys = field(repr=False)
    polynomial: tuple[int, ...] = field(repr=False)
    proofs: tuple[SchnorrProof, ...]

    @staticmethod
    def start(manifest: Manifest, keys: TrusteeKeys) -> TrusteeSession:
        """A fresh degree-(k−1) polynomial and its proofs for the trustee whose keys these are."""
        mine = [i for i, t in enumerate(manifest.trustees, 1)
                if t.signing_key == keys.signing_key]
        if not mine or manifest.trustees[mine[0] - 1].encryption_key != keys.encryption_key:
            raise ValueError("these keys are not a trustee's keys in this manifest")
        i, mh = mine[0], manifest.hash
        poly = tuple(vss.random_polynomial(manifest.threshold))
        proofs = tuple(prove_knowledge(pok_context(mh, i, j), a, Point.mul_g(a))
                       for j, a in enumerate(poly))
        return TrusteeSession(mh, i, keys, poly, proofs)

    @property
    def commitments(self) -> list[Point]:
        return vss.commitments(list(self.polynomial))

    def _entry(self, kind: str, **fields: Any) -> dict[str, Any]:
        body = {"type": kind, "manifest": self.manifest_hash.hex(), "trustee": self.index}
        return sign_entry({**body, **fields}, self.keys.signing_secret)

    def commit_entry(self) -> dict[str, Any]:
        """Phase 1: the digest of the reveal payload (§7.1.2)."""
        payload = reveal_payload(self.commitments, list(self.proofs))
        return self._entry(COMMIT, digest=reveal_digest(self.manifest_hash, self.index,
                                                        payload).hex())

    def reveal_entry(self) -> dict[str, Any]:
        """Phase 2: commitments and proofs of knowledge (§7.1.2)."""
        return self._entry(REVEAL, **reveal_payload(self.commitments, list(self.proofs)))

    def shares_entry(self, manifest: Manifest, *,
                     corrupt_for: frozenset[int] = frozenset()) -> dict[str, Any]:
        """Phase 3: f_i(j) encrypted to each other trustee; `corrupt_for`: tests only (§7.1.3)."""
        self._same(manifest)
        out = []
        for j, t in enumerate(manifest.trustees, 1):
            if j == self.index:
                continue
            s = (vss.evaluate(list(self.polynomial), j) + (j in corrupt_for)) % ORDER
            eph, ct = encrypt_share(share_context(self.manifest_hash, self.index, j),
                                    t.encryption_key, s)
            out.append({"to": j, "eph": eph.encode().hex(), "ct": ct.hex()})
        return self._entry(SHARES, shares=out)

    def _same(self, manifest: Manifest) -> None:
        if manifest.hash != self.manifest_hash:
            raise ValueError("this session belongs to another manifest")

    def received_share(self, ceremony: Ceremony, dealer: int) -> int | None:
        """f_i(self) decrypted and checked against A_i, or None if invalid (§7.1.3)."""
        es = ceremony.encrypted_share(dealer, self.index)
        comms = ceremony.coefficients(dealer)
        if es is None or comms is None:
            raise ValueError(f"trustee {dealer} has no reveal and shares on the record")
        s = decrypt_share(ceremony.manifest, dealer, self.index, es.eph, es.ct,
                  shared_point(self.keys.encryption_secret, es.eph))
        return s if share_matches(comms, self.index, s) else None

    def complaint_entry(self, ceremony: Ceremony, dealer: int) -> dict[str, Any]:
        """Phase 4: S = d_j·E with a proof that log_G D_j = log_E S (§7.1.3)."""
        es = ceremony.encrypted_share(dealer, self.index)
        if es is None:
            raise ValueError(f"trustee {dealer} has sent no shares")
        d = self.keys.encryption_secret
        s = shared_point(d, es.eph)
        proof = prove_equal_logs(complaint_context(self.manifest_hash, self.index, dealer), d,
                                 es.eph, self.keys.encryption_key, s)
        return self._entry(COMPLAINT, against=dealer, shared=s.encode().hex(),
                           proof=codec.dleq_to_json(proof))

    def process_shares(self, ceremony: Ceremony) -> list[dict[str, Any]]:
        """Phase 4: complaints against each dealer whose share to us is bad (§7.1.3)."""
        self._same(ceremony.manifest)
        out = []
        bad = ceremony.disqualified
        for i in range(1, len(ceremony.manifest.trustees) + 1):
            if i == self.index or ceremony.encrypted_share(i, self.index) is None:
                continue
            if ceremony.has_complaint(self.index, i) or i in bad:
                continue
            if self.received_share(ceremony, i) is None:
                out.append(self.complaint_entry(ceremony, i))
        return out

    def secret_share(self, ceremony: Ceremony) -> int:
        """s_j = Σ_{i∈Q} f_i(j), each share re-checked, and s_j·G = P_j confirmed (§7.1.4)."""
        self._same(ceremony.manifest)
        result = ceremony.result()
        if self.index not in result.qualified:
            raise ValueError(f"trustee {self.index} is not qualified: "
                             f"{ceremony.disqualified.get(self.index)}")
        total = 0
        for i in result.qualified:
            s = vss.evaluate(list(self.polynomial), self.index) if i == self.index else \
                self.received_share(ceremony, i)
            if s is None:
                raise ValueError(f"the share from trustee {i} is invalid and was not complained "
                                 "about; the ceremony must be rerun")
            total = (total + s) % ORDER
        if Point.mul_g(total) != result.public_share_map[self.index]:
            raise ValueError("secret share does not match the public share")
        return total

    def to_json(self) -> dict[str, Any]:
        """The state file (SECRET: holds the polynomial) (§7.1.6)."""
        return {"coefficients": [scalar_bytes(a).hex() for a in self.polynomial],
                "manifest": self.manifest_hash.hex(), "proofs": [codec.pok_to_json(p)
                                                                 for p in self.proofs],
                "signing_key": self.keys.signing_key.hex(), "trustee": self.index}

    @staticmethod
    def from_json(v: Any, keys: TrusteeKeys, field: str = "trustee_state") -> TrusteeSession:
        """Parse a state file written by `to_json`, for the trustee holding `keys` (§7.1.6)."""
        o = codec.obj(v, field, {"coefficients", "manifest", "proofs", "signing_key", "trustee"})
        poly = tuple(codec.scalar(a, f"{field}.coefficients[{j}]") for j, a in
                     enumerate(codec.array(o["coefficients"], f"{field}.coefficients", 1, 64)))
        proofs = tuple(codec.pok_from_json(p, f"{field}.proofs[{j}]") for j, p in
                       enumerate(codec.array(o["proofs"], f"{field}.proofs", len(poly),
                                             len(poly))))
        if codec.hex_bytes(o["signing_key"], 32, f"{field}.signing_key") != keys.signing_key:
            raise MalformedInput(f"{field}: state file belongs to another trustee's keys",
                                 code="bad_key")
        return TrusteeSession(codec.hex_bytes(o["manifest"], 32, f"{field}.manifest"),
                              codec.integer(o["trustee"], f"{field}.trustee", 1, 2**32 - 1),
                              keys, poly, proofs)


