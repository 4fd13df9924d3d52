"""The stdlib fast path of canonical_bytes must give exactly rfc8785's bytes (spec §4.1)."""

from __future__ import annotations

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from hamaporsi.protocol.canonical import canonical_bytes, parse_canonical
from hamaporsi.protocol.errors import MalformedInput

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(), kids, max_size=4),
    max_leaves=20)


@settings(max_examples=400, deadline=None)
@given(json_values)
def test_fast_path_equals_rfc8785(v: object) -> None:
    try:
        want = rfc8785.dumps(v)
    except rfc8785.CanonicalizationError:
        return  # lone surrogates: both must refuse, checked below
    assert canonical_bytes(v) == want
    assert canonical_bytes(parse_canonical(want), parsed=True) == want


def test_astral_keys_sorted_by_utf16() -> None:
    # U+10000 (UTF-16 d800 dc00) sorts before U+E000 in UTF-16, after it by code point.
    v = {"\U00010000": 1, "\ue000": 2}
    assert canonical_bytes(v) == rfc8785.dumps(v)
    assert canonical_bytes(v).index("\U00010000".encode()) < canonical_bytes(v).index(
        "\ue000".encode())


def test_floats_are_refused_not_reformatted() -> None:
    for v in ({"a": 1.0}, [0.5], {"a": {"b": [1e300]}}):
        with pytest.raises(MalformedInput) as e:
            canonical_bytes(v)
        assert e.value.code == "not_canonical"


def test_value_nested_too_deep_for_python_is_refused() -> None:
    v: object = 0
    for _ in range(100_000):
        v = [v]
    with pytest.raises(MalformedInput):
        canonical_bytes(v)
