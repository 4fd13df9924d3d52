"""Witnesses in the role commands: `organizer create --witness … --witness-threshold K` puts
them in the manifest (spec §5.2); `voter check` completes a receipt only against a checkpoint
with the required cosignatures and stores them in it (§5.7); a receipt with too few or invalid
ones is reported NOT WITNESSED (exit 1); `verify` reports V-witness with its counts (§9.2)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from hamaporsi.board.election_board import ElectionBoard
from hamaporsi.board.sqlite import SQLiteStore
from hamaporsi.cli.roles_common import CLIError
from hamaporsi.cli.roles_setup import witness_policy
from hamaporsi.crypto import bip340
from hamaporsi.protocol.canonical import parse_canonical
from hamaporsi.protocol.checkpoint import Checkpoint
from hamaporsi.protocol.cosignature import Cosignature, WitnessPolicy, cosign
from hamaporsi.protocol.manifest import parse_manifest
from hamaporsi.protocol.merkle import inclusion_proof

from cli.test_roles import fails, ok, run
from support.election import Election
from verify.witnessed import KEYS, NAMES, WITNESSES, policy, witnessed_election


# -- organizer create --------------------------------------------------------------------------

def _keyfiles(d: Path) -> tuple[str | Path, ...]:
    ok("organizer", "keygen", "--out", d / "org.json")
    ok("registrar", "keygen", "--out", d / "reg.json")
    ok("trustee", "keygen", "--name", "T", "--out", d / "t.json")
    return ("--organizer", d / "org.json", "--registrar-pub", d / "reg.pub.json",
            "--trustee", d / "t.pub.json", "--threshold", "1", "--question-fa", "؟",
            "--question-en", "?", "--option", "آری|Yes", "--option", "نه|No")


def _manifest(board: Path) -> Any:
    with SQLiteStore(board) as s:
        return parse_manifest(parse_canonical(s.entry(0)))


def test_create_names_the_witnesses_and_threshold(tmp_path: Path) -> None:
    common = _keyfiles(tmp_path)
    out = ok("organizer", "create", "--board", tmp_path / "b.sqlite", *common,
             "--witness", KEYS[0].hex(), "--witness", KEYS[1].hex().upper(),
             "--witness", KEYS[2].hex(), "--witness-threshold", "2")
    assert "witnesses: 3; each checkpoint needs 2 cosignatures" in out
    m = _manifest(tmp_path / "b.sqlite")
    assert m.witnesses == policy(3, 2)
    assert m.entry["witnesses"] == {"keys": [k.hex() for k in KEYS[:3]], "threshold": 2}


def test_create_threshold_defaults_to_every_witness(tmp_path: Path) -> None:
    common = _keyfiles(tmp_path)
    ok("organizer", "create", "--board", tmp_path / "b.sqlite", *common,
       "--witness", KEYS[0].hex(), "--witness", KEYS[1].hex())
    assert _manifest(tmp_path / "b.sqlite").witnesses == policy(2, 2)


def test_create_without_witnesses_leaves_the_manifest_unchanged(tmp_path: Path) -> None:
    common = _keyfiles(tmp_path)
    out = ok("organizer", "create", "--board", tmp_path / "b.sqlite", *common)
    assert "cosignatures" not in out
    m = _manifest(tmp_path / "b.sqlite")
    assert "witnesses" not in m.entry and m.witnesses.threshold == 0


@pytest.mark.parametrize("flags, words", [
    (("--witness", "abcd"), "64 hex digits"),
    (("--witness", "g" * 64), "64 hex digits"),
    (("--witness", "ff" * 32), "not a BIP340 public key"),
    (("--witness", KEYS[0].hex(), "--witness", KEYS[0].hex()), "given twice"),
    (("--witness", KEYS[0].hex(), "--witness-threshold", "2"), "between 1 and the number"),
    (("--witness", KEYS[0].hex(), "--witness-threshold", "0"), "between 1 and the number"),
    (("--witness-threshold", "1"), "needs at least one --witness"),
    (("--witness-name", "گواه|Witness"), "--witness-name needs a --witness"),
    (("--witness", KEYS[0].hex(), "--witness", KEYS[1].hex(), "--witness-name", "گواه|W"),
     "got 1 names for 2 witnesses"),
    (("--witness", KEYS[0].hex(), "--witness-name", "Witness"), "\"Persian name|English name\""),
    (("--witness", KEYS[0].hex(), "--witness-name", "گواه| "), "both non-empty"),
    (("--witness", KEYS[0].hex(), "--witness-name", "|Witness"), "both non-empty"),
    (("--witness", KEYS[0].hex(), "--witness-name", "گواه|" + "W" * 201),
     "the English name has 201 characters; at most 200"),
])
def test_create_refuses_bad_witness_flags(tmp_path: Path, flags: tuple[str, ...],
                                          words: str) -> None:
    common = _keyfiles(tmp_path)
    line = fails("organizer", "create", "--board", tmp_path / "b.sqlite", *common, *flags)
    assert words in line
    assert not (tmp_path / "b.sqlite").exists() and not (tmp_path / "b.key.json").exists()


def test_create_names_the_witnesses_for_voters(tmp_path: Path) -> None:
    common = _keyfiles(tmp_path)
    out = ok("organizer", "create", "--board", tmp_path / "b.sqlite", *common,
             "--witness", KEYS[0].hex(), "--witness-name", f"{NAMES[0].fa}|{NAMES[0].en}",
             "--witness", KEYS[1].hex(), "--witness-name", f" {NAMES[1].fa} | {NAMES[1].en} ",
             "--witness-threshold", "1")
    assert f"({NAMES[0].en}, {NAMES[1].en})" in out
    m = _manifest(tmp_path / "b.sqlite")
    assert m.witnesses == policy(2, 1, named=True)
    assert m.entry["witnesses"]["names"] == [NAMES[0].to_json(), NAMES[1].to_json()]
    assert m.witnesses.name_of(KEYS[1]) == NAMES[1]


def test_witness_names_follow_the_order_of_the_keys() -> None:
    p = witness_policy([KEYS[2].hex(), KEYS[0].hex()], None, ["ج|C", "الف|A"])
    assert p is not None and p.label(KEYS[2], "fa") == "ج" and p.label(KEYS[0]) == "A"
    assert witness_policy([KEYS[0].hex()], None, []) == WitnessPolicy((KEYS[0],), 1)


def test_witness_policy_limits() -> None:
    with pytest.raises(CLIError, match="at most 64"):
        witness_policy(["00" * 32] * 65, None)
    assert witness_policy([], None) is None
    p = witness_policy([f"  {KEYS[1].hex()}  "], None)
    assert p is not None and p.keys == (KEYS[1],) and p.threshold == 1


def test_create_flags_are_registered() -> None:
    from hamaporsi.cli.main import build_parser
    a = build_parser().parse_args(
        ["organizer", "create", "--board", "b", "--organizer", "o", "--registrar-pub", "r",
         "--threshold", "1", "--question-fa", "q", "--question-en", "q",
         "--witness", "aa", "--witness", "bb", "--witness-threshold", "2",
         "--witness-name", "a|A", "--witness-name", "b|B"])
    assert isinstance(a, argparse.Namespace)
    assert a.witness == ["aa", "bb"] and a.witness_threshold == 2
    assert a.witness_name == ["a|A", "b|B"]


# -- voter check in an election with witnesses (3 listed, 2 required) -------------------------

class Board:
    """A witnessed election on a board file with its operator key beside it, voting open."""

    def __init__(self, d: Path, threshold: int = 2, *, named: bool = False) -> None:
        self.path = d / "board.sqlite"
        self.el: Election = witnessed_election(self.path, policy(3, threshold, named=named))
        self.el.open()
        self.el.store.close()
        self.el.write_board_key()
        self.d = d

    def cast(self, voter: int, tag: str) -> Path:
        r = self.d / f"receipt-{tag}.json"
        ok("voter", "cast", "--board", self.path, "--code", self.el.creds[voter].code,
           "--choice", "0", "--receipt", r)
        return r

    def checkpoint(self) -> Checkpoint:
        ok("board", "checkpoint", "--board", self.path)
        with SQLiteStore(self.path) as s:
            cp = s.latest_checkpoint()
        assert cp is not None
        return cp

    def cosign(self, cp: Checkpoint, *witnesses: int) -> None:
        with SQLiteStore(self.path) as s:
            for w in witnesses:
                cs = cosign(WITNESSES[w], cp, 1_700_000_000 + w)
                s.add_cosignature(cp.size, cs.witness, cs.to_bytes())

    def store_raw(self, cs: Cosignature) -> None:
        """Put a cosignature in the store without the server's checks (a hostile board)."""
        with SQLiteStore(self.path) as s:
            s.add_cosignature(cs.size, cs.witness, cs.to_bytes())

    def check(self, receipt: Path) -> tuple[int, str, str]:
        return run("voter", "check", "--board", self.path, "--receipt", receipt)


def forged(cs: Cosignature) -> Cosignature:
    return Cosignature(cs.checkpoint, cs.election_id, cs.size, cs.timestamp, cs.witness,
                       bytes([cs.signature[0] ^ 1]) + cs.signature[1:])


@pytest.fixture
def board(tmp_path: Path) -> Board:
    return Board(tmp_path)


def test_receipt_waits_for_the_threshold_of_witnesses(board: Board) -> None:
    r = board.cast(0, "a")
    rc, _, err = board.check(r)
    assert rc == 1 and "not yet covered by a signed checkpoint" in err
    cp = board.checkpoint()
    rc, _, err = board.check(r)
    assert rc == 1 and "NOT WITNESSED yet: 0 of the 2" in err
    board.cosign(cp, 0)
    board.store_raw(forged(cosign(WITNESSES[1], cp, 5)))  # must not count
    rc, _, err = board.check(r)
    assert rc == 1 and "NOT WITNESSED yet: 1 of the 2" in err
    assert json.loads(r.read_text())["checkpoint"] is None  # still pending
    board.cosign(cp, 2)
    rc, out, err = board.check(r)
    assert rc == 0, err
    assert f"signed checkpoint of size {cp.size}, cosigned by 2 of its 3 witnesses " \
           "(2 required)" in out
    assert "now holds the proof" in out
    o = json.loads(r.read_text())
    assert o["checkpoint"] == cp.to_json()
    got = [Cosignature.from_json(c) for c in o["cosignatures"]]
    assert sorted(c.witness for c in got) == sorted([KEYS[0], KEYS[2]])
    rc, out, _ = board.check(r)  # a complete receipt checks again, unchanged
    assert rc == 0 and "now holds" not in out
    assert json.loads(r.read_text()) == o


def test_check_names_the_cosigners_when_the_manifest_names_them(tmp_path: Path) -> None:
    named = Board(tmp_path, named=True)
    r = named.cast(0, "a")
    cp = named.checkpoint()
    named.cosign(cp, 0, 2)
    rc, out, err = named.check(r)
    assert rc == 0, err
    assert f"cosigned by 2 of its 3 witnesses (2 required: {NAMES[0].en}, {NAMES[2].en})" \
        in out
    assert NAMES[1].en not in out


def test_check_without_names_lists_no_one(board: Board) -> None:
    r = board.cast(0, "a")
    board.cosign(board.checkpoint(), 0, 1)
    rc, out, err = board.check(r)
    assert rc == 0, err
    assert "(2 required)" in out and not any(n.en in out for n in NAMES)


def test_pending_receipt_takes_the_newest_witnessed_checkpoint(board: Board) -> None:
    r = board.cast(0, "a")
    cp1 = board.checkpoint()
    board.cosign(cp1, 0, 1)
    board.cast(1, "b")
    cp2 = board.checkpoint()
    board.cosign(cp2, 2)  # not enough: the receipt is completed against cp1
    rc, out, err = board.check(r)
    assert rc == 0, err
    assert f"checkpoint of size {cp1.size}, cosigned by 2 of its 3" in out
    assert f"the latest checkpoint ({cp2.size}) extends it consistently" in out
    assert json.loads(r.read_text())["checkpoint"]["size"] == cp1.size


def made_receipt(board: Board, cp: Checkpoint, index: int, css: list[Any] | None,
                 name: str = "made.json") -> Path:
    """A complete receipt of entry `index` against `cp`, holding `css` (wire forms)."""
    from hamaporsi.crypto.hashing import hash_parts
    from hamaporsi.protocol.merkle import leaf_hash
    with SQLiteStore(board.path) as s:
        data = s.entry(index)
        path = inclusion_proof(s, index, cp.size)
    o: dict[str, Any] = {"tracking_code": hash_parts("tracking", data).hex(), "index": index,
                         "leaf_hash": leaf_hash(data).hex(), "path": [h.hex() for h in path],
                         "checkpoint": cp.to_json()}
    if css is not None:
        o["cosignatures"] = css
    r = board.d / name
    r.write_text(json.dumps(o))
    return r


def test_invalid_cosignatures_in_a_receipt_do_not_count(board: Board) -> None:
    board.cast(0, "a")
    cp = board.checkpoint()
    board.cosign(cp, 0)  # the board has one valid cosignature, the election requires two
    i = cp.size - 1
    w = [cosign(WITNESSES[k], cp, 1_700_000_100 + k) for k in range(4)]
    other = Checkpoint.from_json({**cp.to_json(), "time": cp.timestamp + 1})
    for css in ([w[0].to_json(), forged(w[1]).to_json()],
                [w[0].to_json(), w[3].to_json()],
                [cosign(WITNESSES[1], other, 1).to_json()],
                [{**w[1].to_json(), "time": w[1].timestamp + 1}]):
        r = made_receipt(board, cp, i, css)
        before = r.read_text()
        rc, out, err = board.check(r)
        assert rc == 1 and "receipt OK" not in out, out
        assert "receipt NOT WITNESSED" in err and "has 1 valid witness cosignatures" in err
        assert "do not count" in err
        assert r.read_text() == before

    # a genuine cosignature the board lacks completes the evidence; forged ones are dropped
    r = made_receipt(board, cp, i, [forged(w[0]).to_json(), w[2].to_json()])
    rc, out, err = board.check(r)
    assert rc == 0, err
    assert "cosigned by 2 of its 3 witnesses" in out and "1 cosignatures of the receipt" in out
    kept = [Cosignature.from_json(c) for c in json.loads(r.read_text())["cosignatures"]]
    assert sorted(c.witness for c in kept) == sorted([KEYS[0], KEYS[2]])
    assert all(c.timestamp in (1_700_000_000, 1_700_000_102) for c in kept)

    r = made_receipt(board, cp, i, [{**w[1].to_json(), "size": "1"}])
    rc, _, err = board.check(r)
    assert rc == 2 and "cosignature" in err  # malformed: a broken file, one-line error
    r = made_receipt(board, cp, i, None)
    rc, _, err = board.check(r)
    assert rc == 1 and "NOT WITNESSED" in err and "do not count" not in err


def test_receipt_without_its_cosignatures_gets_them_from_the_board(board: Board) -> None:
    r = board.cast(0, "a")
    cp = board.checkpoint()
    board.cosign(cp, 0, 1)
    assert board.check(r)[0] == 0
    good = json.loads(r.read_text())
    r.write_text(json.dumps({k: v for k, v in good.items() if k != "cosignatures"}))
    rc, out, err = board.check(r)
    assert rc == 0, err
    assert "now holds the witnesses' cosignatures" in out
    assert json.loads(r.read_text()) == good


def test_held_checkpoint_without_enough_cosignatures_is_not_witnessed(board: Board) -> None:
    """A receipt made from the latest checkpoint before the witnesses cosigned it (as a board
    that skipped the rule would hand out) is not accepted on the board's word."""
    board.cast(0, "a")
    cp = board.checkpoint()
    board.cosign(cp, 1)
    r = made_receipt(board, cp, cp.size - 1, None)
    rc, out, err = board.check(r)
    assert rc == 1 and "receipt NOT WITNESSED" in err
    assert f"size {cp.size} has 1 valid witness cosignatures; the election requires 2" in err
    board.cosign(cp, 2)
    rc, out, err = board.check(r)
    assert rc == 0 and "cosigned by 2 of its 3 witnesses" in out


def test_election_without_witnesses_keeps_the_receipt_format(tmp_path: Path) -> None:
    el = Election(tmp_path / "board.sqlite")
    el.open()
    el.store.close()
    el.write_board_key()
    r = tmp_path / "r.json"
    ok("voter", "cast", "--board", tmp_path / "board.sqlite", "--code", el.creds[0].code,
       "--choice", "0", "--receipt", r)
    ok("board", "checkpoint", "--board", tmp_path / "board.sqlite")
    out = ok("voter", "check", "--board", tmp_path / "board.sqlite", "--receipt", r)
    assert "cosigned" not in out
    assert set(json.loads(r.read_text())) == {"tracking_code", "index", "leaf_hash", "path",
                                              "checkpoint"}
    o = json.loads(r.read_text())
    with SQLiteStore(tmp_path / "board.sqlite") as s:
        cp = s.latest_checkpoint()
    assert cp is not None
    r.write_text(json.dumps({**o, "cosignatures": [cosign(WITNESSES[0], cp, 1).to_json()]}))
    out = ok("voter", "check", "--board", tmp_path / "board.sqlite", "--receipt", r)
    assert "receipt OK" in out and "cosigned" not in out  # none required: nothing to count


# -- export and verify ---------------------------------------------------------------------------

def test_exported_record_verifies_only_with_the_threshold(board: Board, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    monkeypatch.setenv("COLUMNS", "300")  # the report table on one line per check
    board.cast(0, "a")
    board.cast(1, "b")
    store = SQLiteStore(board.path)
    try:
        board.el.store = store
        board.el.eb = ElectionBoard(store, board.el.board_secret,
                                    board.el.manifest.hash.hex())
        board.el.finish()
    finally:
        store.close()
    cp = board.checkpoint()
    board.cosign(cp, 1)
    ok("export", "--board", board.path, "--out", tmp_path / "rec1")
    rc, out, _ = run("verify", tmp_path / "rec1", "--workers", "1", "--no-state")
    assert rc == 1 and "INVALID" in out and "V-witness" in out
    assert "has 1 valid witness cosignatures; the election requires 2" in out
    board.cosign(cp, 0)
    ok("export", "--board", board.path, "--out", tmp_path / "rec2")
    rc, out, _ = run("verify", tmp_path / "rec2", "--workers", "1", "--no-state",
                     "--expect-election", board.el.manifest.hash.hex())
    assert rc == 0 and "VALID" in out
    row = next(x for x in out.splitlines() if "V-witness" in x)
    assert "cosigned by 2 of 3 witnesses, 2 required" in row and "pass" in row
    assert bip340.public_key(WITNESSES[0]) == KEYS[0]


def test_demo_names_its_witnesses() -> None:
    """`demo --serve --witnesses N`: the manifest names them "گواه i" / "Witness i", like their
    folders out/witnesses/witness-i."""
    from hamaporsi.cli.demo_witnesses import policy_of
    p = policy_of(WITNESSES[:2])
    assert p is not None and p.keys == tuple(KEYS[:2]) and p.threshold == 2
    assert [n.to_json() for n in p.names] == [{"en": "Witness 1", "fa": "گواه ۱"},
                                             {"en": "Witness 2", "fa": "گواه ۲"}]
    assert WitnessPolicy.from_json(p.to_json()) == p  # what the manifest carries parses back
    assert policy_of([]) is None
