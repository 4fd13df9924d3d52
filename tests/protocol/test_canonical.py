"""Canonical JSON (RFC 8785) and strict parsing of record entries (spec §4.1)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hamaporsi.protocol.canonical import (
    MAX_DEPTH,
    MAX_ENTRY_BYTES,
    canonical_bytes,
    parse_canonical,
)
from hamaporsi.protocol.errors import MalformedInput

SAFE = 2**53 - 1

# RFC 8785 §3.2.3: keys sorted by UTF-16 code units (the emoji's surrogates sort before U+FB33).
RFC_SORT_INPUT = {
    "\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh",
    "1": "One", "\U0001f600": "Emoji: Grinning Face", "\u0080": "Control",
    "\u00f6": "Latin Small Letter O With Diaeresis",
}
RFC_SORT_OUTPUT = (
    '{"\\r":"Carriage Return","1":"One","\u0080":"Control",'
    '"\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign",'
    '"\U0001f600":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}'
).encode()

# RFC 8785 §3.2.2.2 string, inside the §3.2.2 example without its floats.
RFC_STRING = "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"/"
RFC_STRING_OUTPUT = '"\u20ac$\\u000f\\nA\'B\\"\\\\\\\\\\"/"'.encode()


def code_of(data: bytes, **kw: Any) -> str:
    with pytest.raises(MalformedInput) as e:
        parse_canonical(data, **kw)
    return e.value.code


# -- encoding --------------------------------------------------------------------------------

def test_rfc8785_key_sorting() -> None:
    assert canonical_bytes(RFC_SORT_INPUT) == RFC_SORT_OUTPUT
    assert parse_canonical(RFC_SORT_OUTPUT) == RFC_SORT_INPUT


def test_rfc8785_string_escaping() -> None:
    assert canonical_bytes(RFC_STRING) == RFC_STRING_OUTPUT
    value = {"string": RFC_STRING, "literals": [None, True, False]}
    out = b'{"literals":[null,true,false],"string":' + RFC_STRING_OUTPUT + b"}"
    assert canonical_bytes(value) == out
    assert parse_canonical(out) == value


def test_control_characters_are_escaped_minimally() -> None:
    short = {0x08: "\\b", 0x09: "\\t", 0x0A: "\\n", 0x0C: "\\f", 0x0D: "\\r"}
    for c in range(0x20):
        expected = short.get(c, f"\\u{c:04x}")
        assert canonical_bytes(chr(c)) == f'"{expected}"'.encode()
        assert parse_canonical(f'"{expected}"'.encode()) == chr(c)
    for raw in ("\x7f", "\u2028", "\u2029", "/", "<", "\U0010ffff"):
        assert canonical_bytes(raw) == f'"{raw}"'.encode()


def test_persian_text_passes_through_unescaped() -> None:
    value = {"پرسش": "آیا با این پیشنهاد موافقید؟", "گزینه‌ها": ["بله", "خیر"]}
    out = canonical_bytes(value)
    assert b"\\u" not in out
    assert out == '{"پرسش":"آیا با این پیشنهاد موافقید؟","گزینه‌ها":["بله","خیر"]}'.encode()
    assert parse_canonical(out) == value


def test_integers_and_literals() -> None:
    assert canonical_bytes([0, -1, SAFE, -SAFE, True, False, None]) == (
        b"[0,-1,9007199254740991,-9007199254740991,true,false,null]")
    for big in (SAFE + 1, -SAFE - 1, 2**64, 10**100):
        with pytest.raises(MalformedInput) as e:
            canonical_bytes(big)
        assert e.value.code == "not_canonical"


@pytest.mark.parametrize("bad", ["\ud800", {"\udc00": 1}, {1: 2}, {b"k": 1}, b"bytes", {1, 2},
                                 object()])
def test_unencodable_values(bad: object) -> None:
    with pytest.raises(MalformedInput) as e:
        canonical_bytes(bad)
    assert e.value.code == "not_canonical"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-SAFE, max_value=SAFE)
    | st.text(st.characters(exclude_categories=("Cs",)), max_size=8),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(st.characters(exclude_categories=("Cs",)), max_size=4), children,
                      max_size=4),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_canonical_round_trip(value: Any) -> None:
    b = canonical_bytes(value)
    assert parse_canonical(b) == value
    assert canonical_bytes(json.loads(b)) == b
    assert json.loads(b) == value  # any JSON parser reads the same value


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_non_canonical_serialisations_are_refused(value: Any) -> None:
    b = canonical_bytes(value)
    assert code_of(b" " + b) == "not_canonical"
    assert code_of(b + b"\n") == "not_canonical"
    spaced = json.dumps(value, ensure_ascii=False, separators=(", ", ": "),
                        sort_keys=True).encode()
    if spaced != b:
        code_of(spaced)
    escaped = json.dumps(value, ensure_ascii=True, separators=(",", ":")).encode()
    if escaped != b:
        code_of(escaped)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.text(max_size=3, alphabet="ab\u00e9\ufb33\U0001f600"),
                       st.integers(0, 9), min_size=2, max_size=5))
def test_unsorted_keys_are_refused(value: dict[str, int]) -> None:
    keys = sorted(value, key=lambda k: k.encode("utf-16-be"), reverse=True)
    body = ",".join(f"{json.dumps(k, ensure_ascii=False)}:{value[k]}" for k in keys)
    assert code_of(("{" + body + "}").encode()) == "not_canonical"


def test_code_point_order_is_not_utf16_order() -> None:
    # In code point order U+FB33 < U+1F600; in UTF-16 order the surrogate D83D comes first.
    assert parse_canonical('{"\U0001f600":1,"\ufb33":2}'.encode()) == {"\U0001f600": 1,
                                                                         "\ufb33": 2}
    assert code_of('{"\ufb33":2,"\U0001f600":1}'.encode()) == "not_canonical"


# -- parsing: rejections ---------------------------------------------------------------------

@pytest.mark.parametrize("data", [b'{"a":1,"a":1}', b'{"a":1,"a":2}', b'{"x":{"b":1,"b":2}}',
                                  b'[{"a":1,"a":[]}]', b'{"a":1,"\\u0061":2}'])
def test_duplicate_keys(data: bytes) -> None:
    assert code_of(data) == "duplicate_key"


@pytest.mark.parametrize("data", [
    b" {}", b"{} ", b'{"a": 1}', b'{"a":1 }', b"[1, 2]", b"\t[]", b"[\n]",
    b'{"b":1,"a":2}', b'"\\u00e9"', b'"\\u001F"', b'"\\/"', b'"\\ud83d\\ude00"', b"-0",
    b'"\\u0041"', b'"\\t\\u0009"',
])
def test_non_canonical_forms(data: bytes) -> None:
    assert code_of(data) == "not_canonical"


@pytest.mark.parametrize("data", [b"1.0", b"1e2", b"1E2", b"-1.5", b"0.1", b"[1,2.5]",
                                  b'{"a":1e0}'])
def test_floats_refused(data: bytes) -> None:
    assert code_of(data) == "not_canonical"


@pytest.mark.parametrize("data", [b"NaN", b"Infinity", b"-Infinity", b"[NaN]", b'{"a":Infinity}'])
def test_non_finite_constants_refused(data: bytes) -> None:
    assert code_of(data) == "malformed_json"


@pytest.mark.parametrize("data", [b"9007199254740992", b"-9007199254740992",
                                  b"18446744073709551616", b"[99999999999999999999]"])
def test_big_integers_refused(data: bytes) -> None:
    assert code_of(data) == "not_canonical"


def test_safe_integer_limits_accepted() -> None:
    assert parse_canonical(b"9007199254740991") == SAFE
    assert parse_canonical(b"-9007199254740991") == -SAFE


@pytest.mark.parametrize("digits", [10**5, 10**6 - 2])
def test_huge_integer_strings_are_refused_quickly(digits: int) -> None:
    for data in (b"9" * digits, b"-" + b"1" * digits, b"[" + b"7" * digits + b"]"):
        start = time.monotonic()
        assert code_of(data) == "not_canonical"
        assert time.monotonic() - start < 0.5


@pytest.mark.parametrize("depth", [10**4, 10**5])
@pytest.mark.parametrize("open_, close", [(b"[", b"]"), (b'{"a":', b"}")])
def test_deep_nesting_is_malformed_not_a_crash(depth: int, open_: bytes, close: bytes) -> None:
    data = open_ * depth + close * depth
    if len(data) > MAX_ENTRY_BYTES:
        assert code_of(data) == "too_large"
    else:
        assert code_of(data) == "malformed_json"
    assert code_of(open_ * depth) in ("malformed_json", "too_large")


def test_depth_limit_boundary() -> None:
    ok = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    assert parse_canonical(ok) is not None
    assert code_of(b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1)) == "malformed_json"
    ok_obj = b'{"a":' * (MAX_DEPTH - 1) + b"1" + b"}" * (MAX_DEPTH - 1)
    assert parse_canonical(ok_obj) is not None


@pytest.mark.parametrize("data", [b'"\xff"', b'"\xc0\xaf"', b'"\xe2\x82"', b'"\xed\xa0\x80"',
                                  b'"\xf4\x90\x80\x80"', b"\xfe\xff[]", b'{"\x80":1}'])
def test_invalid_utf8(data: bytes) -> None:
    assert code_of(data) == "malformed_json"


@pytest.mark.parametrize("data", [b'"\\ud800"', b'"\\udc00"', b'"a\\ud83d"', b'"\\ude00\\ud83d"',
                                  b'{"\\ud800":1}'])
def test_lone_surrogates(data: bytes) -> None:
    code_of(data)


@pytest.mark.parametrize("data", [b"", b"{", b"[1,]", b"{}x", b"\xef\xbb\xbf{}", b"'a'",
                                  b'{"a"}', b"tru", b"01", b"+1", b'"\x01"', b"[]]"])
def test_malformed_json(data: bytes) -> None:
    assert code_of(data) in ("malformed_json", "not_canonical")


def test_size_limit() -> None:
    exact = b'"' + b"a" * (MAX_ENTRY_BYTES - 2) + b'"'
    assert len(exact) == MAX_ENTRY_BYTES
    assert parse_canonical(exact) == "a" * (MAX_ENTRY_BYTES - 2)
    over = b'"' + b"a" * (MAX_ENTRY_BYTES - 1) + b'"'
    assert code_of(over) == "too_large"
    assert code_of(b"[]" + b" " * MAX_ENTRY_BYTES) == "too_large"
    assert code_of(b"[1]", max_bytes=2) == "too_large"
    assert parse_canonical(b"[1]", max_bytes=3) == [1]


def test_error_is_a_value_error_with_a_reason() -> None:
    with pytest.raises(ValueError, match="duplicate key 'a'"):
        parse_canonical(b'{"a":1,"a":2}')
