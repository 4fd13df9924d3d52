"""Domain-separated injective hashing (spec §3): layout, injectivity, range of Hq."""

from __future__ import annotations

import hashlib
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hamaporsi.crypto.group import ORDER
from hamaporsi.crypto.hashing import PREFIX, encode_parts, hash_parts, hash_to_scalar, u32

tags = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=12)
parts = st.lists(st.binary(max_size=12), max_size=5).map(tuple)
FAST = settings(max_examples=200, deadline=None)


def decode_parts(b: bytes) -> tuple[str, tuple[bytes, ...]]:
    """Inverse of encode_parts: its existence is what makes the encoding injective."""
    items: list[bytes] = []
    i = 0
    while i < len(b):
        if i + 4 > len(b):
            raise ValueError("truncated length")
        (n,) = struct.unpack(">I", b[i:i + 4])
        if i + 4 + n > len(b):
            raise ValueError("truncated part")
        items.append(b[i + 4:i + 4 + n])
        i += 4 + n
    tag = items[0].decode("ascii")
    assert tag.startswith(PREFIX)
    return tag[len(PREFIX):], tuple(items[1:])


def test_layout() -> None:
    t = b"hamaporsi/v1/pok"
    assert encode_parts("pok", ()) == struct.pack(">I", len(t)) + t
    assert encode_parts("pok", (b"ab", b"")) == (
        b"\x00\x00\x00\x10" + t + b"\x00\x00\x00\x02ab" + b"\x00\x00\x00\x00")
    long = bytes(range(256)) * 2
    assert encode_parts("x", (long,)).endswith(b"\x00\x00\x02\x00" + long)


def test_hashes_are_sha256_and_sha512_of_the_encoding() -> None:
    e = encode_parts("t", (b"a", b"bc"))
    assert hash_parts("t", b"a", b"bc") == hashlib.sha256(e).digest()
    assert hash_to_scalar("t", b"a", b"bc") == int.from_bytes(hashlib.sha512(e).digest(),
                                                              "big") % ORDER


def test_known_answers() -> None:
    # Pinned so that any change of prefix, length width, byte order or reduction is noticed.
    assert hash_parts("pok").hex() == (
        "e3504521521a45ec13d87d4ccd9cd72296e79b6a2ea3bb92e6c5d905c51fdc60")
    assert hash_parts("t", b"").hex() == (
        "209e0297de83c61066948cbf2cbafff245c7dc4f44b8925acfb4949498c00ce3")
    assert hash_to_scalar("in-set", b"ab", "همه‌پرسی".encode()) == (
        0x79ca33e403fa753515a154348805935f9b3ebc9f3523b0e6b121534b0c48c622)


@pytest.mark.parametrize("a, b", [
    (("t", (b"ab", b"c")), ("t", (b"a", b"bc"))),
    (("t", (b"",)), ("t", ())),
    (("t", (b"", b"")), ("t", (b"",))),
    (("ab", ()), ("a", (b"b",))),
    (("t", (b"\x00\x00\x00\x01a\x00\x00\x00\x01b",)), ("t", (b"a", b"b"))),  # nested vs flat
    (("t", (encode_parts("u", (b"a",)),)), ("t", (b"\x00\x00\x00\x0ehamaporsi/v1/u", b"a"))),
    (("pok", (b"x",)), ("dleq", (b"x",))),
])
def test_ambiguous_looking_inputs_encode_differently(
        a: tuple[str, tuple[bytes, ...]], b: tuple[str, tuple[bytes, ...]]) -> None:
    assert encode_parts(*a) != encode_parts(*b)
    assert hash_parts(a[0], *a[1]) != hash_parts(b[0], *b[1])
    assert hash_to_scalar(a[0], *a[1]) != hash_to_scalar(b[0], *b[1])


@FAST
@given(tags, parts)
def test_encoding_is_decodable(tag: str, ps: tuple[bytes, ...]) -> None:
    assert decode_parts(encode_parts(tag, ps)) == (tag, ps)


@FAST
@given(tags, parts, tags, parts)
def test_distinct_inputs_give_distinct_encodings(t1: str, p1: tuple[bytes, ...], t2: str,
                                                 p2: tuple[bytes, ...]) -> None:
    if (t1, p1) != (t2, p2):
        assert encode_parts(t1, p1) != encode_parts(t2, p2)
    else:
        assert encode_parts(t1, p1) == encode_parts(t2, p2)


@FAST
@given(st.lists(st.binary(max_size=4), min_size=2, max_size=4))
def test_splitting_a_part_changes_the_encoding(chunks: list[bytes]) -> None:
    assert encode_parts("t", (b"".join(chunks),)) != encode_parts("t", tuple(chunks))


@FAST
@given(tags, parts)
def test_hash_to_scalar_is_in_range(tag: str, ps: tuple[bytes, ...]) -> None:
    assert 0 <= hash_to_scalar(tag, *ps) < ORDER
    assert len(hash_parts(tag, *ps)) == 32


def test_persian_parts_are_utf8_bytes() -> None:
    text = "همه‌پرسی".encode()
    e = encode_parts("t", (text,))
    assert e.endswith(u32(len(text)) + text)
    assert len(text) == 17  # 7 Arabic-script letters × 2 bytes + ZWNJ (3 bytes)


def test_non_ascii_tag_is_refused() -> None:
    with pytest.raises(UnicodeEncodeError):
        encode_parts("پرسش", ())


def test_u32() -> None:
    assert u32(0) == bytes(4)
    assert u32(258) == b"\x00\x00\x01\x02"
    assert u32(2**32 - 1) == b"\xff" * 4
    for bad in (-1, 2**32):
        with pytest.raises(struct.error):
            u32(bad)
