"""Every refusal has a message in both languages: the booth's catalogs (web/src/i18n) name every
error code the protocol, the server and the booth crypto can produce. (That fa.ts has exactly
en.ts's keys is also enforced by tsc through `satisfies`; checked here without Node.)"""

from __future__ import annotations

import re
from pathlib import Path

from hamaporsi.server.errors import STATUS
from hamaporsi.server.messages import MESSAGES

REPO = Path(__file__).resolve().parents[2]
I18N = REPO / "web" / "src" / "i18n"
KEY = re.compile(r"^\s+([a-z_0-9]+):\s", re.M)


def keys(name: str) -> set[str]:
    return set(KEY.findall((I18N / name).read_text()))


def codes_in(root: Path, patterns: list[str]) -> set[str]:
    out: set[str] = set()
    for f in root.rglob("*.py"):
        text = f.read_text()
        for p in patterns:
            out |= set(re.findall(p, text))
    return out


def test_persian_and_english_catalogs_have_the_same_keys() -> None:
    en, fa = keys("en.ts"), keys("fa.ts")
    assert len(en) > 150
    assert en == fa, (en - fa, fa - en)


def test_every_protocol_and_server_code_has_a_message() -> None:
    src = REPO / "src" / "hamaporsi"
    codes = codes_in(src, [r'code="([a-z_]+)"', r'ApiError\.of\("([a-z_]+)"'])
    codes |= set(STATUS) | set(MESSAGES) | {"bad_proof", "malformed", "rejected",
                                            "protocol_error"}
    assert {"unknown_credential", "duplicate", "rate_limited", "not_found"} <= codes
    missing = sorted(c for c in codes if f"err_{c}" not in keys("en.ts"))
    assert not missing, f"no booth message for {missing}"


def test_every_booth_crypto_code_has_a_message() -> None:
    """The crypto module's ReceiptError and CodeError codes and reasons (web/src/crypto)."""
    crypto = REPO / "web" / "src" / "crypto"
    receipt = set(re.findall(r"bad\('([a-z_]+)'", (crypto / "receipt.ts").read_text()))
    reasons = set(re.findall(r"bad\((?:'[^']*'|`[^`]*`), '([a-z_]+)'\)",
                             (crypto / "credentials.ts").read_text()))
    election = set(re.findall(r"Rejected\([^;]*?'([a-z_]+)', 'V4'\)",
                              (crypto / "election.ts").read_text(), re.S))
    assert {"inclusion_failed", "leaf_mismatch"} <= receipt
    assert {"wrong_prefix", "bad_checksum", "wrong_length"} <= reasons
    assert "election_mismatch" in election
    en = keys("en.ts")
    missing = sorted([c for c in receipt | election if f"err_{c}" not in en]
                     + [r for r in reasons if f"code_{r}" not in en])
    assert not missing, f"no booth message for {missing}"
