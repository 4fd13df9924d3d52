"""Shared plumbing of the role subcommands: the error boundary, key and state files (JSON,
mode 0600, never overwritten by accident), and opening the board file with its operator key."""

from __future__ import annotations

import argparse
import functools
import json
import os
import sqlite3
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..board.election_board import ElectionBoard
from ..board.errors import BoardError
from ..board.sqlite import SQLiteStore
from ..crypto import bip340
from ..crypto.errors import CryptoError
from ..protocol import codec
from ..protocol.canonical import parse_canonical
from ..protocol.election import ElectionContext
from ..protocol.errors import ProtocolError
from ..protocol.manifest import Manifest, parse_manifest


class CLIError(Exception):
    """A user error with a one-line message: the command prints it and exits with 2."""


Handler = Callable[[argparse.Namespace], int | None]


def say(*lines: str) -> None:
    """What the command did, on stdout (plain text: no markup, nothing secret)."""
    for line in lines:
        print(line, flush=True)


def _one_line(e: BaseException) -> str:
    if isinstance(e, OSError) and e.strerror:
        where = f": {e.filename}" if e.filename else ""
        return f"{e.strerror}{where}"
    msg = str(e).strip() or type(e).__name__
    return " ".join(msg.split())


def command(name: str) -> Callable[[Handler], Callable[[argparse.Namespace], int]]:
    """The error boundary of one subcommand: user errors become one line on stderr, exit 2."""

    def wrap(fn: Handler) -> Callable[[argparse.Namespace], int]:
        @functools.wraps(fn)
        def run(args: argparse.Namespace) -> int:
            try:
                return int(fn(args) or 0)
            except (CLIError, ProtocolError, CryptoError, BoardError, OSError, ValueError,
                    sqlite3.Error) as e:
                print(f"hamaporsi {name}: error: {_one_line(e)}", file=sys.stderr, flush=True)
                return 2
        return run
    return wrap


# -- JSON files ----------------------------------------------------------------------------

def read_json(path: str | os.PathLike[str], what: str) -> Any:
    p = Path(path)
    if not p.is_file():
        raise CLIError(f"{what} {p} does not exist")
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise CLIError(f"{what} {p} is not a UTF-8 JSON file") from None
    except json.JSONDecodeError as e:
        raise CLIError(f"{what} {p} is not valid JSON (line {e.lineno}: {e.msg})") from None


def _dump(obj: Any) -> bytes:
    return (json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode()


def write_new(path: str | os.PathLike[str], obj: Any, *, secret: bool, what: str) -> Path:
    """Create `path` (refusing to overwrite it); mode 0600 when it holds a secret."""
    p = Path(path)
    if p.exists():
        raise CLIError(f"{what} {p} already exists; refusing to overwrite it")
    if p.parent and not p.parent.is_dir():
        raise CLIError(f"folder {p.parent} does not exist")
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if secret else 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(_dump(obj))
        f.flush()
        os.fsync(f.fileno())
    return p


def replace_secret(path: str | os.PathLike[str], obj: Any) -> Path:
    """Atomically rewrite a secret file (mode 0600): temporary file, fsync, rename."""
    p = Path(path)
    fd, tmp = tempfile.mkstemp(dir=p.parent or ".", prefix=f".{p.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(_dump(obj))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, p)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return p


def pub_path(key_file: str | os.PathLike[str]) -> Path:
    """trustee.json → trustee.pub.json (the public half beside a key file)."""
    p = Path(key_file)
    return p.with_name(p.stem + ".pub.json") if p.suffix == ".json" else \
        p.with_name(p.name + ".pub.json")


# -- organizer / registrar keys --------------------------------------------------------------

def write_role_key(role: str, out: str) -> tuple[Path, Path, bytes]:
    """A fresh BIP340 key for `role`: key file (secret, 0600) and its .pub.json."""
    secret = bip340.generate_secret()
    pub = bip340.public_key(secret)
    pp = pub_path(out)
    if pp.exists():
        raise CLIError(f"public key file {pp} already exists; refusing to overwrite it")
    kp = write_new(out, {"role": role, "secret_key": secret.hex()}, secret=True,
                   what=f"{role} key file")
    write_new(pp, {"role": role, "public_key": pub.hex()}, secret=False,
              what=f"{role} public key file")
    return kp, pp, pub


def _role(o: Any, role: str, path: str | os.PathLike[str], keys: set[str]) -> dict[str, Any]:
    if not isinstance(o, dict) or o.get("role") != role or set(o) != keys:
        raise CLIError(f"{path} is not {'an' if role[0] in 'aeiou' else 'a'} {role} "
                       f"{'public ' if 'public_key' in keys else ''}key file")
    return o


def read_role_secret(path: str, role: str) -> bytes:
    o = _role(read_json(path, f"{role} key file"), role, path, {"role", "secret_key"})
    secret = codec.hex_bytes(o["secret_key"], 32, f"{path}: secret_key")
    bip340.public_key(secret)  # CryptoError if not a valid secret
    return secret


def read_role_public(path: str, role: str) -> bytes:
    o = _role(read_json(path, f"{role} public key file"), role, path, {"role", "public_key"})
    key = codec.hex_bytes(o["public_key"], 32, f"{path}: public_key")
    bip340.validate_public_key(key)
    return key


# -- the board ------------------------------------------------------------------------------

def board_key_path(board: str | os.PathLike[str]) -> Path:
    """board.sqlite → board.key.json: the board operator's secret, beside the board."""
    return Path(board).with_suffix(".key.json")


def _require_board_file(board: str | os.PathLike[str]) -> Path:
    p = Path(board)
    if not p.is_file():
        raise CLIError(f"no board at {p} (create one with `hamaporsi organizer create`)")
    return p


def read_board_key_file(path: str | os.PathLike[str]) -> tuple[bytes, str]:
    """The board operator's secret and the election id from the board key file at `path`."""
    o = read_json(path, "board key file")
    if not isinstance(o, dict) or set(o) != {"role", "board_secret", "election"} or \
            o.get("role") != "board":
        raise CLIError(f"{path} is not a board key file")
    secret = codec.hex_bytes(o["board_secret"], 32, f"{path}: board_secret")
    election = codec.hex_bytes(o["election"], 32, f"{path}: election").hex()
    return secret, election


def read_board_key(board: str | os.PathLike[str]) -> tuple[bytes, str]:
    """The board operator's secret and the election id from the key file beside `board`."""
    return read_board_key_file(board_key_path(board))


@contextmanager
def open_board(board: str) -> Iterator[ElectionBoard]:
    """The election board in `board` with the operator key beside it; the store is closed after.
    Replays and re-checks the whole log on open."""
    p = _require_board_file(board)
    kp = board_key_path(p)
    secret, election = read_board_key(p)
    store = SQLiteStore(p)
    try:
        eb = ElectionBoard(store, secret, election)
        m = eb.ledger.manifest
        if m is None:
            raise CLIError(f"board {p} holds no manifest")
        if m.hash.hex() != election:
            raise CLIError(f"board key file {kp} is for election {election[:16]}…, the board "
                           f"holds {m.hash.hex()[:16]}…")
        if m.board_key != eb.board.board_key:
            raise CLIError(f"board key file {kp} does not hold the key the manifest names")
        yield eb
    finally:
        store.close()


@contextmanager
def open_store(board: str) -> Iterator[tuple[SQLiteStore, Manifest]]:
    """Read-only use of a board file without the operator key: the store and its manifest."""
    p = _require_board_file(board)
    store = SQLiteStore(p)
    try:
        if store.size() == 0:
            raise CLIError(f"board {p} is empty")
        yield store, parse_manifest(parse_canonical(store.entry(0)))
    finally:
        store.close()


def manifest_of(eb: ElectionBoard) -> Manifest:
    m = eb.ledger.manifest
    assert m is not None  # open_board refuses a board without one
    return m


PHASE_HINTS = {
    "ceremony": "the key ceremony is still running (no joint key yet)",
    "credentials": "the registrar has not published the credential list yet",
    "credentials-final": "the credential list is published and voting is not open yet",
    "voting": "voting is open",
    "closed": "voting is closed and not yet tallied",
    "tallied": "the tally is posted; waiting for decryption shares and the result",
    "done": "the result is published",
}


def need_phase(eb: ElectionBoard, *phases: str, doing: str) -> None:
    """A clear message when the board is not in a phase where `doing` is possible."""
    phase = eb.ledger.phase
    if phase not in phases:
        raise CLIError(f"cannot {doing} now: {PHASE_HINTS.get(phase, phase)} "
                       f"(board phase '{phase}')")


def context_of(eb: ElectionBoard) -> ElectionContext:
    ctx = eb.ledger.context
    if ctx is None:
        raise CLIError("voting has not been opened on this board yet")
    return ctx


def short(b: bytes, n: int = 16) -> str:
    return b.hex()[:n] + "…"
