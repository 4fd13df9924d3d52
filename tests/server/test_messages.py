"""Every code a cast or a board read can be refused with has a sentence for the voter in Persian
and in English (issue 3 §4), and a status of its family."""

from __future__ import annotations

import re
from pathlib import Path

from hamaporsi.protocol.errors import MalformedInput, Rejected
from hamaporsi.server.errors import ApiError, STATUS, from_protocol
from hamaporsi.server.messages import MESSAGES, message

SRC = Path(__file__).resolve().parents[2] / "src" / "hamaporsi"
ON_THE_CAST_PATH = ["protocol/canonical.py", "protocol/codec.py", "protocol/ballot.py",
                    "protocol/signing.py", "protocol/ledger.py", "board/election_board.py",
                    "server/cast.py", "server/routes_cast.py", "server/routes_read.py",
                    "server/service.py", "server/app.py", "server/verifier.py"]
PERSIAN = re.compile("[\u0600-\u06ff]")


def codes_in(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    return set(re.findall(r'code\s*=\s*"([a-z_]+)"', text)) | \
        set(re.findall(r'ApiError\.of\(\s*"([a-z_]+)"', text))


def test_every_code_on_the_cast_and_read_paths_has_both_sentences() -> None:
    codes = set().union(*(codes_in(SRC / p) for p in ON_THE_CAST_PATH)) | set(STATUS)
    assert {"not_canonical", "duplicate_key", "bad_proof", "rate_limited"} <= codes
    codes -= {"bad_tally", "bad_close", "bad_result", "bad_credentials", "bad_open"}  # not ballots
    missing = sorted(c for c in codes if c not in MESSAGES)
    assert not missing
    for code in codes:
        m = message(code)
        assert m["en"].strip() and PERSIAN.search(m["fa"]), code


def test_unknown_codes_still_get_a_sentence() -> None:
    m = message("some_future_code")
    assert m["en"] and PERSIAN.search(m["fa"])


def test_statuses_by_family() -> None:
    assert from_protocol(MalformedInput("x", code="bad_field")).status == 400
    assert from_protocol(MalformedInput("x", code="too_large")).status == 413
    assert from_protocol(Rejected("x", code="bad_proof", check="V7")).status == 422
    assert from_protocol(Rejected("x", code="duplicate", check="V11")).status == 409
    e = from_protocol(Rejected("proof fails", code="bad_proof", check="V7"))
    assert e.detail == "V7: proof fails"
    assert ApiError.of("rate_limited", "x").status == 429
    assert ApiError.of("bad_request", "x").status == 400
