"""WitnessPolicy (spec §5.2 "witnesses"): the optional names of witnesses, one {en, fa} per
key; how they are kept, written and looked up, and what is refused."""

from __future__ import annotations

from typing import Any

import pytest

from hamaporsi.crypto import bip340
from hamaporsi.protocol.cosignature import WitnessPolicy
from hamaporsi.protocol.errors import MalformedInput
from hamaporsi.protocol.manifest import Text as ManifestText
from hamaporsi.protocol.text import Text

KEYS = tuple(bip340.public_key(bytes([i]) * 32) for i in (1, 2, 3))
NAMES = (Text("روزنامه", "Newspaper"), Text("کانون وکلا", "Bar association"),
         Text("گواه ۳", "Witness 3"))


def raw(**over: Any) -> dict[str, Any]:
    return {"keys": [k.hex() for k in KEYS], "threshold": 2,
            "names": [n.to_json() for n in NAMES], **over}


def test_text_is_still_importable_from_manifest() -> None:
    assert ManifestText is Text


def test_names_round_trip_and_lookup() -> None:
    pol = WitnessPolicy.from_json(raw())
    assert pol.names == NAMES
    assert pol.to_json() == raw()
    assert pol.name_of(KEYS[1]) == NAMES[1]
    assert pol.label(KEYS[1], "fa") == "کانون وکلا"
    assert pol.label(KEYS[1], "en") == "Bar association"
    assert pol.name_of(bytes(32)) is None
    assert pol.labels([KEYS[2], bytes(32), KEYS[0]], "fa") == ["روزنامه", "گواه ۳"]


def test_without_names_nothing_changes() -> None:
    o = raw()
    del o["names"]
    pol = WitnessPolicy.from_json(o)
    assert pol.names == () and pol.to_json() == o and "names" not in pol.to_json()
    assert pol.name_of(KEYS[0]) is None
    assert pol.label(KEYS[0], "fa") == KEYS[0].hex()[:16] + "…"
    assert WitnessPolicy().to_json() == {"keys": [], "threshold": 0}


def test_policy_is_immutable() -> None:
    pol = WitnessPolicy(KEYS, 2, NAMES)
    with pytest.raises(AttributeError):
        pol.names = ()  # type: ignore[misc]


def test_constructor_refuses_names_of_another_length() -> None:
    with pytest.raises(MalformedInput, match="one per key"):
        WitnessPolicy(KEYS, 2, NAMES[:2])


def test_two_hundred_characters_persian_counted_by_code_point() -> None:
    ok = WitnessPolicy.from_json(raw(names=[{"en": "W" * 200, "fa": "گ" * 200}] * 3))
    assert len(ok.names[0].fa) == 200


@pytest.mark.parametrize(("names", "field"), [
    ([n.to_json() for n in NAMES[:2]], "manifest.witnesses.names"),
    ([], "manifest.witnesses.names"),
    ({"en": "x", "fa": "y"}, "manifest.witnesses.names"),
    (None, "manifest.witnesses.names"),
    ([NAMES[0].to_json(), {"en": "x"}, NAMES[2].to_json()], "manifest.witnesses.names[1]"),
    ([NAMES[0].to_json(), NAMES[1].to_json(), {"en": "", "fa": "y"}],
     "manifest.witnesses.names[2].en"),
    ([NAMES[0].to_json(), NAMES[1].to_json(), {"en": "x", "fa": "y" * 201}],
     "manifest.witnesses.names[2].fa"),
    ([NAMES[0].to_json(), NAMES[1].to_json(), "Witness 3"], "manifest.witnesses.names[2]"),
])
def test_bad_names_refused_naming_the_field(names: Any, field: str) -> None:
    with pytest.raises(MalformedInput) as e:
        WitnessPolicy.from_json(raw(names=names))
    assert e.value.code == "bad_field" and str(e.value).startswith(field), e.value


def test_unknown_field_still_refused() -> None:
    with pytest.raises(MalformedInput, match="optionally \"names\"") as e:
        WitnessPolicy.from_json(raw(labels=[]))
    assert e.value.code == "bad_field"
