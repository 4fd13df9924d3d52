"""BIP340 wrapper against every row of the published BIP340 test vectors, plus API edge cases."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from hamaporsi.crypto import bip340
from hamaporsi.crypto.errors import EncodingError, InvalidProof

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "public" / "bip340-test-vectors.csv"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "vectors" / "bip340-test-vectors.csv"

ROWS = list(csv.DictReader(VECTORS.open(newline="")))
SIGNING = [r for r in ROWS if r["secret key"]]
VERIFYING = ROWS
EXPECTED_INDICES = list(range(15))
"""The shared copy has rows 0–14 (upstream later added rows 15–18 with messages of 0, 1, 17
and 100 bytes). Every row here has a 32-byte message, so no row is skipped for its length."""

NOT_A_KEY = {"5", "14"}
"""Rows whose public key is not an x coordinate on the curve: verify raises EncodingError."""


def _row_id(r: dict[str, str]) -> str:
    return f"row{r['index']}"


def test_vector_file_is_complete_and_all_messages_are_32_bytes() -> None:
    assert [int(r["index"]) for r in ROWS] == EXPECTED_INDICES
    skipped_for_length = [r["index"] for r in ROWS if len(bytes.fromhex(r["message"])) != 32]
    assert skipped_for_length == []
    assert len(SIGNING) == 4


@pytest.mark.skipif(not SHARED.exists(), reason="../shared/vectors not present (clean clone)")
def test_vendored_copy_matches_shared() -> None:
    assert VECTORS.read_bytes() == SHARED.read_bytes()


@pytest.mark.parametrize("row", SIGNING, ids=_row_id)
def test_signing_vectors(row: dict[str, str]) -> None:
    secret = bytes.fromhex(row["secret key"])
    assert bip340.public_key(secret) == bytes.fromhex(row["public key"])
    sig = bip340.sign(secret, bytes.fromhex(row["message"]), bytes.fromhex(row["aux_rand"]))
    assert sig == bytes.fromhex(row["signature"])


@pytest.mark.parametrize("row", VERIFYING, ids=_row_id)
def test_verification_vectors(row: dict[str, str]) -> None:
    pk, msg, sig = (bytes.fromhex(row[k]) for k in ("public key", "message", "signature"))
    if row["verification result"] == "TRUE":
        bip340.verify(pk, msg, sig)
    elif row["index"] in NOT_A_KEY:
        with pytest.raises(EncodingError):
            bip340.verify(pk, msg, sig)
    else:
        assert row["verification result"] == "FALSE"
        with pytest.raises(InvalidProof) as exc:
            bip340.verify(pk, msg, sig)
        assert exc.value.check == "BIP340"


def test_sign_verify_roundtrip_with_fresh_aux() -> None:
    sk = bip340.generate_secret()
    assert len(sk) == 32
    pk = bip340.public_key(sk)
    msg = bytes(range(32))
    s1, s2 = bip340.sign(sk, msg), bip340.sign(sk, msg)
    assert s1 != s2  # fresh aux_rand each time
    bip340.verify(pk, msg, s1)
    bip340.verify(pk, msg, s2)
    with pytest.raises(InvalidProof):
        bip340.verify(pk, bytes(32), s1)


@pytest.mark.parametrize("secret", [bytes(32), b"\x01" * 31, b"\xff" * 32, "00" * 32])
def test_bad_secret_is_encoding_error_without_the_secret(secret: object) -> None:
    with pytest.raises(EncodingError) as exc:
        bip340.public_key(secret)  # type: ignore[arg-type]
    assert "ff" * 8 not in str(exc.value)


@pytest.mark.parametrize("pk", [b"", bytes(31), bytes(33), bytes(32), b"\xff" * 32])
def test_malformed_public_key(pk: bytes) -> None:
    with pytest.raises(EncodingError):
        bip340.verify(pk, bytes(32), bytes(64))
    with pytest.raises(EncodingError):
        bip340.validate_public_key(pk)


def test_wrong_lengths() -> None:
    sk = bip340.generate_secret()
    pk = bip340.public_key(sk)
    with pytest.raises(EncodingError):
        bip340.sign(sk, bytes(31))
    with pytest.raises(EncodingError):
        bip340.sign(sk, bytes(32), bytes(31))
    with pytest.raises(EncodingError):
        bip340.verify(pk, bytes(33), bytes(64))
    sig = bip340.sign(sk, bytes(32))
    for bad in (sig[:63], sig + b"\x00", b""):
        with pytest.raises(InvalidProof):
            bip340.verify(pk, bytes(32), bad)
