"""Security checklist §4, bulletin board (`../shared/research/security.md`): what
tests/board/test_merkle.py and the tamper suite did not already cover.

- Deletion: a board operator who removes one ballot and re-signs the log cannot give a witness
  holding an older checkpoint a consistency proof that verifies, nor give the ballot's voter an
  inclusion proof of their ballot (their receipt's leaf is no longer in the tree).
- What the board leaks: the entries of a real record carry no IP address, no time and no name
  (beyond the public trustee names and the voting period of the manifest), and the SQLite store
  keeps nothing but the index, the leaf hash and the entry's bytes.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

import pytest

from hamaporsi.crypto.errors import InvalidProof
from hamaporsi.protocol.merkle import (consistency_proof, inclusion_proof, leaf_hash, root,
                                       verify_consistency, verify_inclusion)

if TYPE_CHECKING:  # the attack fixtures (tests/attacks/conftest.py), for annotations only
    from conftest import Demo


def _leaves(demo: Demo) -> list[bytes]:
    lines = (demo.record / "entries.jsonl").read_bytes().split(b"\n")[:-1]
    return [leaf_hash(x) for x in lines]


@pytest.mark.parametrize("which", ["first-ballot", "ballot-before-old-checkpoint"])
def test_deleting_an_entry_breaks_consistency_and_the_voters_inclusion_proof(
        demo: Demo, which: str) -> None:
    hs = _leaves(demo)
    n = len(hs)
    old = next(c for c in demo.checkpoints if demo.index("ballot") < c.size < n)
    k = demo.index("ballot") if which == "first-ballot" else max(
        i for i in demo.indices("ballot") if i < old.size)
    assert root(hs[:old.size]) == old.root  # the witness's checkpoint is genuine
    receipt = inclusion_proof(hs, k, old.size)  # what the voter kept
    verify_inclusion(hs[k], k, old.size, receipt, old.root)

    new = hs[:k] + hs[k + 1:]  # the operator deletes entry k and re-signs everything
    new_root = root(new)
    for m in (old.size, old.size - 1):  # the old size, or one less to "account" for it
        proof = consistency_proof(new, m, len(new))
        verify_consistency(m, len(new), root(new[:m]), new_root, proof)  # honest for new log
        with pytest.raises(InvalidProof):
            verify_consistency(old.size, len(new), old.root, new_root, proof)
    # the voter asks the new board for a proof of entry k against its new checkpoint
    assert hs[k] not in new
    for idx in range(max(0, k - 1), min(len(new), k + 2)):
        with pytest.raises(InvalidProof):
            verify_inclusion(hs[k], idx, len(new), inclusion_proof(new, idx, len(new)),
                             new_root)


# -- what the board leaks --------------------------------------------------------------------

KEYS = {  # spec §5.2–§7.4: every key of every entry type, exactly
    "manifest": {"type", "spec", "election_id", "question", "options", "min_selections",
                 "max_selections", "opens", "closes", "organizer_key", "registrar_key",
                 "board_key", "trustees", "threshold", "sig"},
    "dkg-commit": {"type", "manifest", "trustee", "digest", "sig"},
    "dkg-reveal": {"type", "manifest", "trustee", "coefficients", "proofs", "sig"},
    "dkg-shares": {"type", "manifest", "trustee", "shares", "sig"},
    "joint-key": {"type", "manifest", "qualified", "joint_key", "public_shares", "sig"},
    "credentials": {"type", "manifest", "chunk", "keys", "sig"},
    "credentials-final": {"type", "manifest", "chunks", "count", "hash", "sig"},
    "open": {"type", "manifest", "election", "joint_key", "credential_count",
             "credential_hash", "sig"},
    "ballot": {"type", "election", "credential", "selections", "total_proof", "sig"},
    "audit": {"type", "ballot", "choices", "nonces"},
    "close": {"type", "election", "ballots", "sig"},
    "tally": {"type", "election", "counted", "ciphertexts", "sig"},
    "decryption": {"type", "election", "trustee", "shares", "sig"},
    "result": {"type", "election", "counts", "blank", "voted", "eligible", "trustees", "sig"},
}
LEAKY = {"ip", "ip_address", "addr", "address", "remote", "remote_addr", "host", "user_agent",
         "ua", "time", "timestamp", "ts", "date", "datetime", "received", "received_at",
         "cast_at", "created", "created_at", "name", "voter", "email", "phone", "session",
         "cookie", "device", "location", "country", "city"}
ALLOWED = {("manifest", "trustees", "name")}  # the trustees' public names


def _keys(v: Any, path: tuple[str, ...]) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    if isinstance(v, dict):
        for k, x in v.items():
            out.append(path + (k,))
            out += _keys(x, path + (k,))
    elif isinstance(v, list):
        for x in v:
            out += _keys(x, path)
    return out


def _ints(v: Any) -> list[int]:
    if isinstance(v, dict):
        return [i for x in v.values() for i in _ints(x)]
    if isinstance(v, list):
        return [i for x in v for i in _ints(x)]
    return [v] if isinstance(v, int) and not isinstance(v, bool) else []


def test_board_entries_carry_no_ip_time_or_name(demo: Demo) -> None:
    seen = set()
    for i, e in enumerate(demo.entries):
        t = e["type"]
        seen.add(t)
        assert set(e) == KEYS[t], (i, t, set(e) ^ KEYS[t])
        for path in _keys(e, (t,)):
            if path[-1].lower() in LEAKY:
                assert (path[0], path[1], path[-1]) in ALLOWED, (i, path)
    assert seen == set(KEYS)  # every entry type of the demo record was looked at
    # the voting phase holds no number at all but an audit's 0/1 choices: no time, no counter
    for i in demo.indices("ballot"):
        assert _ints(demo.entries[i]) == []
    for i in demo.indices("audit"):
        assert set(_ints(demo.entries[i])) <= {0, 1}


def test_board_store_keeps_only_index_leaf_hash_and_bytes(demo: Demo) -> None:
    db = demo.out / "board.sqlite"
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert tables == {"entries", "checkpoints", "cosignatures", "schema_version"}
        cols = {t: [r[1] for r in con.execute(f"PRAGMA table_info({t})")] for t in tables}
        assert cols["entries"] == ["idx", "leaf_hash", "data"]
        assert cols["checkpoints"] == ["size", "body", "signature"]
        # witnesses' public statements about checkpoints (spec §8.8): nothing about voters;
        # the demo names no witnesses, so there are none
        assert cols["cosignatures"] == ["size", "witness", "data"]
        assert con.execute("SELECT COUNT(*) FROM cosignatures").fetchone() == (0,)
        assert cols["schema_version"] == ["version", "applied_at"]
        stored = [bytes(r[0]) for r in con.execute("SELECT data FROM entries ORDER BY idx")]
    finally:
        con.close()
    record = (demo.record / "entries.jsonl").read_bytes().split(b"\n")[:-1]
    assert stored == record  # the stored bytes are exactly the public entries, nothing more
