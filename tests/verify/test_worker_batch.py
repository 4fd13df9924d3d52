"""Batch poisoning in the verifier's shards (verify/worker.py) and the server's verifier
(server/verifier.py): a ballot that adds proof equations for one selection and is then refused
on the next must not leave those equations in the shared batch. Otherwise the batch fails, the
"name the bad ballot" pass runs over the good ones, and the shard gets a second, out-of-place
error item (and the server re-checks every good ballot alone)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hamaporsi.crypto.group import ORDER, scalar_bytes
from hamaporsi.protocol import ballot as ballot_mod
from hamaporsi.protocol.canonical import canonical_bytes
from hamaporsi.protocol.signing import sign_entry
from hamaporsi.server import verifier as server_verifier
from hamaporsi.server.verifier import Refusal, verify_items
from hamaporsi.verify.worker import check_lines

from support.election import Election


def _bump(branch: dict[str, Any], key: str) -> dict[str, Any]:
    return {**branch, key: scalar_bytes((int(branch[key], 16) + 1) % ORDER).hex()}


def poisoned(el: Election, voter: int) -> bytes:
    """Selection 0: a wrong response (its challenges add up, so its false equations enter a
    batch); selection 1: a wrong challenge (refused on the spot, before any equation)."""
    b = el.ballot(voter, [0]).entry
    sel = [dict(s) for s in b["selections"]]
    sel[0]["proof"] = [_bump(sel[0]["proof"][0], "v"), sel[0]["proof"][1]]
    sel[1]["proof"] = [_bump(sel[1]["proof"][0], "c"), sel[1]["proof"][1]]
    return canonical_bytes(sign_entry({**b, "selections": sel}, el.creds[voter].secret))


@pytest.fixture
def el(tmp_path: Path) -> Election:
    e = Election(tmp_path / "board.sqlite", voters=4)
    e.open()
    return e


def test_the_poisoned_ballot_is_refused_on_its_second_selection(el: Election) -> None:
    with pytest.raises(Exception, match="selection 1"):
        ballot_mod.verify_ballot(el.ctx, json.loads(poisoned(el, 1)))


def test_shard_items_stay_in_position(el: Election) -> None:
    start = 40
    lines = [el.ballot(0, [1]).bytes, el.ballot(2, [2]).bytes, poisoned(el, 1),
             el.ballot(3, [0]).bytes]
    out = check_lines(el.ctx, start, lines)
    assert [it[1] for it in out.items] == [start + k for k in range(len(out.items))]
    assert [it[0] for it in out.items] == ["facts", "facts", "error"]
    assert out.items[2][2] == "V7" and "selection 1" in out.items[2][3]


def test_server_verifier_names_only_the_bad_ballot_without_rechecking(
        el: Election, monkeypatch: pytest.MonkeyPatch) -> None:
    items = [(el.ballot(0, [1]).bytes, "ballot"), (poisoned(el, 1), "ballot"),
             (el.ballot(2, [2]).bytes, "ballot")]
    calls: list[bool] = []
    real = server_verifier.verify_ballot

    def counting(ctx: Any, entry: Any, batch: Any = None) -> Any:
        calls.append(batch is None)
        return real(ctx, entry, batch)

    monkeypatch.setattr(server_verifier, "verify_ballot", counting)
    out = verify_items(el.ctx, items)
    assert [isinstance(o, Refusal) for o in out] == [False, True, False]
    bad = out[1]
    assert isinstance(bad, Refusal) and bad.code == "bad_proof" and "selection 1" in bad.reason
    assert not any(calls)  # the batch held: no ballot was re-checked alone


def test_an_earlier_batch_only_failure_still_wins_over_a_later_refusal(el: Election) -> None:
    """A ballot whose only fault shows in the batch (a wrong response), then a ballot refused
    on the spot: the chunk's one error is the earlier ballot's, in its position."""
    b = el.ballot(0, [1]).entry
    sel = [dict(s) for s in b["selections"]]
    sel[0]["proof"] = [_bump(sel[0]["proof"][0], "v"), sel[0]["proof"][1]]
    bad_response = canonical_bytes(sign_entry({**b, "selections": sel}, el.creds[0].secret))
    start = 7
    out = check_lines(el.ctx, start, [el.ballot(2, [2]).bytes, bad_response, poisoned(el, 1)])
    assert [(it[0], it[1]) for it in out.items] == [("facts", 7), ("error", 8)]
    assert out.items[1][2] == "V7"
