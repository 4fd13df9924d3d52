"""A string in Persian and English (spec §5.2): the manifest's question, options and witness
names. Its own module so that both manifest.py and cosignature.py can use it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import codec


@dataclass(frozen=True, slots=True)
class Text:
    """A string in Persian and English."""

    fa: str
    en: str

    def to_json(self) -> dict[str, str]:
        return {"en": self.en, "fa": self.fa}

    def get(self, lang: str) -> str:
        """The Persian string for "fa", the English one otherwise."""
        return self.fa if lang == "fa" else self.en

    @staticmethod
    def from_json(v: Any, field: str, max_len: int = 2000) -> Text:
        """Exactly {"en", "fa"}, each a non-empty string of at most `max_len` characters."""
        o = codec.obj(v, field, {"fa", "en"})
        return Text(codec.text(o["fa"], f"{field}.fa", max_len),
                    codec.text(o["en"], f"{field}.en", max_len))
