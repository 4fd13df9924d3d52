"""The command line of the server: `serve`'s one-line errors (no board, no key file, no built
booth), and `organizer create --booth DIR` stating the booth's fingerprint in the manifest."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

from hamaporsi.board.sqlite import SQLiteStore
from hamaporsi.cli.main import main
from hamaporsi.protocol.canonical import parse_canonical
from hamaporsi.server.bundle import bundle_hash

from support.server import make_booth


def run(*argv: str | Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        rc = main([str(a) for a in argv])
    return rc, out.getvalue(), err.getvalue()


def one_line_error(*argv: str | Path) -> str:
    rc, _, err = run(*argv)
    lines = err.strip().splitlines()
    assert rc == 2 and len(lines) == 1 and lines[0].startswith("hamaporsi serve: error: "), err
    return lines[0]


def test_serve_refuses_what_it_cannot_serve(tmp_path: Path) -> None:
    assert "no board at" in one_line_error("serve", "--db", tmp_path / "none.sqlite")
    db = tmp_path / "board.sqlite"
    SQLiteStore(db).close()
    assert "board key file" in one_line_error("serve", "--db", db)
    (tmp_path / "board.key.json").write_text(json.dumps(
        {"role": "board", "board_secret": "11" * 32, "election": "22" * 32}))
    (tmp_path / "empty").mkdir()
    assert "no built booth" in one_line_error("serve", "--db", db, "--web", tmp_path / "empty")
    assert "port" in one_line_error("serve", "--db", db, "--port", "70000")


def test_organizer_create_states_the_booth_fingerprint(tmp_path: Path) -> None:
    web = make_booth(tmp_path / "dist")
    for role in ("organizer", "registrar"):
        assert run(role, "keygen", "--out", tmp_path / f"{role}.json")[0] == 0
    assert run("trustee", "keygen", "--name", "T1", "--out", tmp_path / "t1.json")[0] == 0
    common = ("organizer", "create", "--organizer", tmp_path / "organizer.json",
              "--registrar-pub", tmp_path / "registrar.pub.json",
              "--trustee", tmp_path / "t1.pub.json", "--threshold", "1",
              "--question-fa", "پرسش؟", "--question-en", "Question?",
              "--option", "آری|Yes", "--option", "نه|No")
    rc, out, err = run(*common, "--board", tmp_path / "b.sqlite", "--booth", web)
    assert rc == 0, err
    h = bundle_hash(web).hex()
    assert f"booth fingerprint {h}" in out
    with SQLiteStore(tmp_path / "b.sqlite") as s:
        assert parse_canonical(s.entry(0))["booth"] == h
    rc, _, err = run(*common, "--board", tmp_path / "c.sqlite", "--booth", tmp_path)
    assert rc == 2 and "no built booth" in err
    rc, _, _ = run(*common, "--board", tmp_path / "d.sqlite")
    with SQLiteStore(tmp_path / "d.sqlite") as s:
        assert "booth" not in parse_canonical(s.entry(0))


def test_serve_by_url_and_read_only(tmp_path: Path) -> None:
    pg = "postgresql://postgres:s3cret-pw@127.0.0.1:5432/test?schema=x"
    line = one_line_error("serve", "--db", pg)
    assert "--board-key" in line and "s3cret-pw" not in line
    assert "no board at" in one_line_error("serve", "--db", f"sqlite://{tmp_path}/none.sqlite",
                                           "--read-only")
    db = tmp_path / "board.sqlite"
    SQLiteStore(db).close()
    assert "board key file" in one_line_error("serve", "--db", f"sqlite://{db}")
    assert "board key file" in one_line_error("serve", "--db", db, "--board-key",
                                              tmp_path / "missing.key.json")
    (tmp_path / "bad.key.json").write_text(json.dumps({"role": "organizer"}))
    assert "is not a board key file" in one_line_error("serve", "--db", db, "--board-key",
                                                       tmp_path / "bad.key.json")
