"""The role subcommands: a whole referendum run as separate commands, each role with its own key
file (3 trustees, threshold 2, one never decrypts; 5 voters, one re-vote, one audit), then the
exported record verified; and the one-line errors (exit 2) for bad input."""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hamaporsi.cli.main import main
from hamaporsi.cli.roles_common import open_board
from hamaporsi.protocol.credentials import Credential
from hamaporsi.protocol.errors import Rejected

SCRIPT = Path(sys.executable).with_name("hamaporsi")


def run(*argv: str | Path, stdin: str | None = None) -> tuple[int, str, str]:
    """main(argv) in process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    if stdin is not None:
        sys.stdin = io.StringIO(stdin)
    try:
        with redirect_stdout(out), redirect_stderr(err):
            rc = main([str(a) for a in argv])
    finally:
        sys.stdin = old_stdin
    return rc, out.getvalue(), err.getvalue()


def script(*argv: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The installed console script, in its own process."""
    exe = str(SCRIPT) if SCRIPT.exists() else shutil.which("hamaporsi")
    assert exe, "the hamaporsi console script is not installed"
    return subprocess.run([exe, *map(str, argv)], cwd=cwd, capture_output=True, text=True,
                          timeout=60)


def ok(*argv: str | Path, log: list[str] | None = None, stdin: str | None = None) -> str:
    rc, out, err = run(*argv, stdin=stdin)
    assert rc == 0, f"{' '.join(map(str, argv))} → {rc}: {err}"
    assert err == ""
    assert 1 <= len(out.strip().splitlines())
    if log is not None:
        log.append(out)
    return out


def fails(*argv: str | Path, stdin: str | None = None) -> str:
    """The command must fail with exit 2 and exactly one line on stderr; returns that line."""
    rc, out, err = run(*argv, stdin=stdin)
    assert rc == 2, f"{' '.join(map(str, argv))} → {rc}: {out}{err}"
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("hamaporsi ") and ": error: " in lines[0]
    return lines[0]


@dataclass
class Referendum:
    d: Path
    board: Path
    record: Path
    codes: list[str]
    log: list[str] = field(default_factory=list)
    probes: dict[str, str] = field(default_factory=dict)
    receipts: dict[str, Path] = field(default_factory=dict)
    audited_ballot: dict[str, object] | None = None


@pytest.fixture(scope="module")
def ref(tmp_path_factory: pytest.TempPathFactory) -> Referendum:
    d = tmp_path_factory.mktemp("referendum")
    board, codes_dir = d / "board.sqlite", d / "codes"
    B = ("--board", board)
    log: list[str] = []
    probes: dict[str, str] = {}

    # -- keys: each role on its own ----------------------------------------------------------
    for i, name in enumerate(("Alice", "Bahar", "Cyrus"), 1):
        ok("trustee", "keygen", "--name", name, "--out", d / f"trustee{i}.json", log=log)
    ok("organizer", "keygen", "--out", d / "organizer.json", log=log)
    ok("registrar", "keygen", "--out", d / "registrar.json", log=log)
    ORG = ("--organizer", d / "organizer.json")

    probes["create_bad_option"] = fails(
        "organizer", "create", *B, *ORG, "--registrar-pub", d / "registrar.pub.json",
        "--trustee", d / "trustee1.pub.json", "--threshold", "1", "--question-fa", "؟",
        "--question-en", "?", "--option", "yes", "--option", "no")
    assert not board.exists() and not (d / "board.key.json").exists()
    probes["create_bad_threshold"] = fails(
        "organizer", "create", *B, *ORG, "--registrar-pub", d / "registrar.pub.json",
        *(x for i in (1, 2, 3) for x in ("--trustee", d / f"trustee{i}.pub.json")),
        "--threshold", "4", "--question-fa", "؟", "--question-en", "?",
        "--option", "آری|Yes", "--option", "نه|No")
    assert not board.exists() and not (d / "board.key.json").exists()

    out = ok("organizer", "create", *B, *ORG, "--registrar-pub", d / "registrar.pub.json",
             *(x for i in (1, 2, 3) for x in ("--trustee", d / f"trustee{i}.pub.json")),
             "--threshold", "2", "--election-id", "test-referendum",
             "--question-fa", "آیا با این پیشنهاد موافقید؟",
             "--question-en", "Do you agree with this proposal?",
             "--option", "آری|Yes", "--option", "نه|No", "--option", "سفید|Blank", log=log)
    assert "manifest hash" in out

    # -- key ceremony: each trustee, one phase per invocation ------------------------------------
    def trustee(i: int, action: str) -> tuple[str, ...]:
        return ("trustee", action, *B, "--key", d / f"trustee{i}.json",
                "--state", d / f"trustee{i}-state.json")

    probes["reveal_before_commit"] = fails(*trustee(1, "reveal"))
    for i in (1, 2, 3):
        ok(*trustee(i, "commit"), log=log)
    probes["commit_twice"] = fails(*trustee(1, "commit"))
    for action in ("reveal", "shares"):
        for i in (1, 2, 3):
            ok(*trustee(i, action), log=log)
    probes["voter_before_open"] = fails("voter", "cast", *B, "--code",
                                        Credential.generate().code, "--choice", "0")
    for i in (1, 2, 3):
        out = ok(*trustee(i, "complaints"), log=log)
        assert "no complaints" in out
    probes["issue_before_joint_key"] = fails("registrar", "issue", *B, "--registrar",
                                             d / "registrar.json", "--voters", "5",
                                             "--out", codes_dir)
    ok("organizer", "joint-key", *B, *ORG, log=log)
    for i in (1, 2, 3):
        ok(*trustee(i, "share-key"), log=log)

    # -- credentials and opening -------------------------------------------------------------
    probes["issue_wrong_key"] = fails("registrar", "issue", *B, "--registrar",
                                      d / "organizer.json", "--voters", "5", "--out", codes_dir)
    ok("registrar", "issue", *B, "--registrar", d / "registrar.json", "--voters", "5",
       "--out", codes_dir, log=log)
    codes = (codes_dir / "codes.txt").read_text().split()
    assert len(codes) == 5 and len(list(codes_dir.glob("*.svg"))) == 5
    probes["open_wrong_key"] = fails("organizer", "open", *B, "--organizer",
                                     d / "registrar.json")
    ok("organizer", "open", *B, *ORG, log=log)

    # -- voting ----------------------------------------------------------------------------------
    r = Referendum(d, board, d / "record", codes, log, probes)

    def cast(n: int, choice: int, tag: str, *extra: str) -> str:
        r.receipts[tag] = d / f"receipt-{tag}.json"
        return ok("voter", "cast", *B, "--code", codes[n], "--choice", str(choice),
                  "--receipt", r.receipts[tag], *extra, log=log)

    probes["bad_checksum"] = fails("voter", "cast", *B, "--code",
                                   codes[0][:-1] + ("A" if codes[0][-1] != "A" else "B"),
                                   "--choice", "0")
    probes["not_issued"] = fails("voter", "cast", *B, "--code", Credential.generate().code,
                                 "--choice", "0")
    probes["no_such_option"] = fails("voter", "cast", *B, "--code", codes[0], "--choice", "3")
    probes["two_choices"] = fails("voter", "cast", *B, "--code", codes[0], "--choice", "0",
                                  "--choice", "1")
    probes["no_choice"] = fails("voter", "cast", *B, "--code", codes[0])

    out = cast(0, 0, "v1-first")                    # voter 1: Yes …
    assert "replaces" not in out
    out = cast(0, 1, "v1-revote")                   # … then re-votes No
    assert "replaces your earlier ballot" in out
    out = cast(1, 0, "v2-audit", "--audit")         # voter 2 audits a Yes ballot …
    assert "AUDITED" in out and "never be cast" in out and "Yes" in out
    out = cast(1, 2, "v2")                          # … then casts Blank: not a re-vote
    assert "replaces" not in out
    probes["receipt_exists"] = fails("voter", "cast", *B, "--code", codes[2], "--choice", "0",
                                     "--receipt", r.receipts["v2"])
    cast(2, 0, "v3")
    ok("voter", "cast", *B, "--code", "-", "--choice", "1", stdin=codes[3] + "\n", log=log)
    out = cast(4, 0, "v5")
    assert "next signed checkpoint" in out  # no checkpoint per cast: no per-ballot timestamps

    # receipts are pending until the operator's next scheduled checkpoint covers them
    rc, _, err = run("voter", "check", *B, "--receipt", r.receipts["v5"])
    assert rc == 1 and "not yet covered by a signed checkpoint" in err
    before = json.loads(r.receipts["v5"].read_text())
    assert before["checkpoint"] is None and before["path"] == []
    assert "signed checkpoint at size" in ok("board", "checkpoint", *B, log=log)
    for tag, path in r.receipts.items():
        assert "now holds the proof" in ok("voter", "check", *B, "--receipt", path, log=log)
    after = json.loads(r.receipts["v5"].read_text())
    assert after["checkpoint"] is not None and after["path"]

    # the audited ballot was opened: the board must never accept it as a cast ballot
    with open_board(str(board)) as eb:
        for _, data in eb.board.store.entries():
            e = json.loads(data)
            if e["type"] == "audit":
                r.audited_ballot = e["ballot"]
        assert r.audited_ballot is not None
        with pytest.raises(Rejected, match="V11"):
            eb.submit(r.audited_ballot)

    # -- close, tally, decryption by trustees 1 and 3 (trustee 2 never decrypts), result ----------
    probes["tally_while_open"] = fails("tally", "sum", *B, *ORG)
    ok("organizer", "close", *B, *ORG, log=log)
    probes["vote_after_close"] = fails("voter", "cast", *B, "--code", codes[0], "--choice", "0")
    probes["decrypt_before_tally"] = fails(*trustee(1, "decrypt"))
    ok("tally", "sum", *B, *ORG, log=log)
    probes["result_without_shares"] = fails("tally", "result", *B, *ORG)
    ok(*trustee(1, "decrypt"), log=log)
    probes["decrypt_twice"] = fails(*trustee(1, "decrypt"))
    probes["result_one_share"] = fails("tally", "result", *B, *ORG)
    ok(*trustee(3, "decrypt"), log=log)
    out = ok("tally", "result", *B, *ORG, log=log)
    assert "trustees [1, 3]" in out and "Turnout: 5 of 5" in out
    ok("export", *B, "--out", r.record, log=log)
    return r


# -- the referendum --------------------------------------------------------------------------

def test_record_verifies(ref: Referendum) -> None:
    assert (ref.record / "entries.jsonl").is_file()
    assert (ref.record / "checkpoints.jsonl").is_file()
    rc, out, err = run("verify", ref.record)
    assert rc == 0, out + err
    assert "VALID" in out


def test_result_counts_last_ballots_and_not_the_audit(ref: Referendum) -> None:
    lines = (ref.record / "entries.jsonl").read_bytes().splitlines()
    entries = [json.loads(x) for x in lines]
    kinds = [e["type"] for e in entries]
    assert kinds.count("ballot") == 6 and kinds.count("audit") == 1
    assert kinds.count("decryption") == 2 and kinds[-1] == "result"
    res = entries[-1]
    # voter 1: Yes → No; voter 2: audited Yes, cast Blank; voters 3, 5: Yes; voter 4: No
    assert res["counts"] == [2, 2, 1]
    assert (res["voted"], res["eligible"], res["trustees"]) == (5, 5, [1, 3])
    assert [e["trustee"] for e in entries if e["type"] == "decryption"] == [1, 3]
    assert (ref.board.parent / "result.png").stat().st_size > 0


def test_every_checkpoint_is_on_record_and_the_last_covers_everything(ref: Referendum) -> None:
    cps = [json.loads(x) for x in (ref.record / "checkpoints.jsonl").read_bytes().splitlines()]
    n = len((ref.record / "entries.jsonl").read_bytes().splitlines())
    assert cps[-1]["size"] == n
    sizes = [c["size"] for c in cps]
    assert sizes == sorted(set(sizes))


def test_receipts_check_in_process(ref: Referendum) -> None:
    for tag, path in ref.receipts.items():
        rc, out, err = run("voter", "check", "--board", ref.board, "--receipt", path)
        assert rc == 0, err
        assert "receipt OK" in out and "extends it consistently" in out
        assert ("audited" in out) == (tag == "v2-audit")


def test_console_script_in_its_own_process(ref: Referendum) -> None:
    p = script("voter", "check", "--board", ref.board, "--receipt",
               ref.receipts["v1-revote"], cwd=ref.d)
    assert p.returncode == 0, p.stderr
    assert "receipt OK" in p.stdout
    p = script("voter", "check", "--board", ref.d / "nope.sqlite", "--receipt",
               ref.receipts["v1-revote"], cwd=ref.d)
    assert p.returncode == 2
    assert p.stderr.strip() == ("hamaporsi voter check: error: no board at "
                                f"{ref.d / 'nope.sqlite'} (create one with `hamaporsi "
                                "organizer create`)")


def test_tampered_receipt_fails(ref: Referendum, tmp_path: Path) -> None:
    o = json.loads(ref.receipts["v3"].read_text())
    o["path"][0] = "00" * 32
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(o))
    rc, out, err = run("voter", "check", "--board", ref.board, "--receipt", bad)
    assert rc == 1 and "receipt check FAILED" in err and "Traceback" not in err
    o = json.loads(ref.receipts["v3"].read_text())
    o["tracking_code"] = json.loads(ref.receipts["v5"].read_text())["tracking_code"]
    bad.write_text(json.dumps(o))
    rc, out, err = run("voter", "check", "--board", ref.board, "--receipt", bad)
    assert rc == 1 and "tracking code" in err
    bad.write_text("{not json")
    assert "not valid JSON" in fails("voter", "check", "--board", ref.board, "--receipt", bad)


def test_phase_and_input_errors_are_one_clear_line(ref: Referendum) -> None:
    p = ref.probes
    assert "Persian text|English text" in p["create_bad_option"]
    assert "threshold" in p["create_bad_threshold"]
    assert "commit" in p["reveal_before_commit"]
    assert "already committed" in p["commit_twice"]
    assert "cannot cast a ballot now" in p["voter_before_open"]
    assert "cannot publish the credential list now" in p["issue_before_joint_key"]
    assert "not the registrar key" in p["issue_wrong_key"] or \
        "not a registrar key file" in p["issue_wrong_key"]
    assert "not an organizer key file" in p["open_wrong_key"]
    assert "checksum does not match" in p["bad_checksum"]
    assert "not on this election's credential list" in p["not_issued"]
    assert "no such option" in p["no_such_option"]
    assert "choose exactly 1 option" in p["two_choices"]
    assert "choose exactly 1 option" in p["no_choice"]
    assert "already exists" in p["receipt_exists"]
    assert "cannot sum the tally now: voting is open" in p["tally_while_open"]
    assert "cannot cast a ballot now: voting is closed" in p["vote_after_close"]
    assert "cannot post decryption shares now" in p["decrypt_before_tally"]
    assert "0 of the 2 needed decryption shares" in p["result_without_shares"]
    assert "already posted its decryption shares" in p["decrypt_twice"]
    assert "1 of the 2 needed decryption shares are on the board (from trustees [1])" in \
        p["result_one_share"]


def test_secret_files_are_private_and_secrets_never_printed(ref: Referendum) -> None:
    secret_files = [ref.d / "organizer.json", ref.d / "registrar.json", ref.d / "board.key.json",
                    ref.d / "codes" / "codes.txt",
                    *(ref.d / f"trustee{i}.json" for i in (1, 2, 3)),
                    *(ref.d / f"trustee{i}-state.json" for i in (1, 2, 3))]
    secrets: list[str] = list(ref.codes)
    for f in secret_files:
        assert stat.S_IMODE(os.stat(f).st_mode) == 0o600, f
        if f.suffix == ".json":
            o = json.loads(f.read_text())
            for k in ("secret_key", "board_secret", "signing_secret", "encryption_secret",
                      "secret_share"):
                if isinstance(o.get(k), str):
                    secrets.append(o[k])
            if "session" in o:
                secrets += o["session"]["coefficients"]
    assert len(secrets) > 15
    printed = "\n".join(ref.log) + "\n".join(ref.probes.values())
    for s in secrets:
        assert s not in printed
        assert s.replace("-", "") not in printed.replace("-", "")
    # the state file holds the derived key share; the public files hold no secret
    assert all(json.loads((ref.d / f"trustee{i}-state.json").read_text())["secret_share"]
               for i in (1, 2, 3))
    pub = (ref.d / "trustee1.pub.json").read_text() + (ref.d / "organizer.pub.json").read_text()
    assert not any(s in pub for s in secrets)


# -- errors without a referendum -----------------------------------------------------------------

@pytest.mark.parametrize("cmd, rest", [
    (("voter", "cast"), ("--code", Credential.generate().code, "--choice", "0")),
    (("voter", "check"), ("--receipt", "r.json")),
    (("organizer", "open"), ("--organizer", "o.json")),
    (("organizer", "joint-key"), ("--organizer", "o.json")),
    (("registrar", "issue"), ("--registrar", "r.json", "--voters", "3", "--out", "codes")),
    (("trustee", "commit"), ("--key", "t.json", "--state", "s.json")),
    (("trustee", "decrypt"), ("--key", "t.json", "--state", "s.json")),
    (("tally", "sum"), ("--organizer", "o.json")),
    (("tally", "result"), ("--organizer", "o.json")),
    (("export",), ("--out", "rec")),
])
def test_missing_board(tmp_path: Path, cmd: tuple[str, ...], rest: tuple[str, ...]) -> None:
    board = tmp_path / "missing.sqlite"
    line = fails(*cmd, "--board", board, *rest)
    assert f"no board at {board}" in line
    assert not board.exists()


def test_keygen_refuses_to_overwrite_and_bad_key_files(tmp_path: Path) -> None:
    ok("organizer", "keygen", "--out", tmp_path / "org.json")
    assert stat.S_IMODE(os.stat(tmp_path / "org.json").st_mode) == 0o600
    before = (tmp_path / "org.json").read_text()
    assert "already exists" in fails("organizer", "keygen", "--out", tmp_path / "org.json")
    assert (tmp_path / "org.json").read_text() == before
    assert "does not exist" in fails("trustee", "keygen", "--name", "X",
                                     "--out", tmp_path / "no" / "t.json")
    assert "non-empty" in fails("trustee", "keygen", "--name", " ",
                                "--out", tmp_path / "t.json")
    (tmp_path / "broken.json").write_text("{")
    (tmp_path / "garbage.sqlite").write_bytes(b"this is not a database" * 100)
    (tmp_path / "garbage.key.json").write_text("[]")
    common = ("--registrar-pub", tmp_path / "org.pub.json", "--trustee", tmp_path / "x.json",
              "--threshold", "1", "--question-fa", "؟", "--question-en", "?",
              "--option", "a|A", "--option", "b|B")
    assert "not valid JSON" in fails("organizer", "create", "--board", tmp_path / "b.sqlite",
                                     "--organizer", tmp_path / "broken.json", *common)
    assert "not a registrar public key file" in fails(
        "organizer", "create", "--board", tmp_path / "b.sqlite",
        "--organizer", tmp_path / "org.json", *common)
    assert "not a board key file" in fails("export", "--board", tmp_path / "garbage.sqlite",
                                           "--out", tmp_path / "rec")
    assert "not a database" in fails("voter", "check", "--board", tmp_path / "garbage.sqlite",
                                     "--receipt", tmp_path / "broken.json")


def test_bad_shares_draw_a_complaint_and_disqualify_the_dealer(tmp_path: Path) -> None:
    d, board = tmp_path, tmp_path / "board.sqlite"
    B = ("--board", board)
    for i in (1, 2, 3):
        ok("trustee", "keygen", "--name", f"T{i}", "--out", d / f"t{i}.json")
    ok("organizer", "keygen", "--out", d / "o.json")
    ok("registrar", "keygen", "--out", d / "r.json")
    ok("organizer", "create", *B, "--organizer", d / "o.json", "--registrar-pub",
       d / "r.pub.json", *(x for i in (1, 2, 3) for x in ("--trustee", d / f"t{i}.pub.json")),
       "--threshold", "2", "--question-fa", "؟", "--question-en", "?",
       "--option", "آری|Yes", "--option", "نه|No")

    def trustee(i: int, action: str) -> tuple[str | Path, ...]:
        return ("trustee", action, *B, "--key", d / f"t{i}.json", "--state", d / f"s{i}.json")

    for action in ("commit", "reveal"):
        for i in (1, 2, 3):
            ok(*trustee(i, action))
    for i in (1, 2):
        ok(*trustee(i, "shares"))
    out = ok(*trustee(1, "complaints"))
    assert "no shares yet from trustees [3]" in out
    assert "Wait for them" in fails("organizer", "joint-key", *B, "--organizer", d / "o.json")
    # trustee 3 cheats: its share for trustee 1 does not match its commitments
    from hamaporsi.cli.roles_setup import _read_state, read_trustee_keys
    keys, _ = read_trustee_keys(str(d / "t3.json"))
    session, _ = _read_state(str(d / "s3.json"), keys)
    with open_board(str(board)) as eb:
        assert eb.ledger.manifest is not None
        eb.submit(session.shares_entry(eb.ledger.manifest, corrupt_for=frozenset({1})))
    out = ok(*trustee(1, "complaints"))
    assert "posted complaints against [3]" in out
    assert "no complaints" in ok(*trustee(2, "complaints"))
    out = ok("organizer", "joint-key", *B, "--organizer", d / "o.json")
    assert "qualified trustees [1, 2]" in out and "disqualified {3:" in out
    ok(*trustee(1, "share-key"))
    ok(*trustee(2, "share-key"))
    assert "not qualified" in fails(*trustee(3, "share-key"))
