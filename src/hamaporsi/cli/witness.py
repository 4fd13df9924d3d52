"""`hamaporsi witness`: an observer's witness of a board (spec §8.8).

    witness keygen --out witness.key.json        → the key file (secret, 0600) and its .pub.json
    witness run --board URL --key K --dir DIR [--election ID] [--peer URL …]
                [--listen HOST:PORT] [--interval S] [--once]
    witness check-evidence FILE --board-key HEX   anyone: does FILE prove a fork?

Exit status of `run`: 0 stopped by Ctrl-C (or, with --once, the round went through), 1 with
--once: the board could not be read, 2 usage or local error, 3 EVIDENCE of a fork was found
(or is already in DIR): the witness cosigns nothing more, 4 with --once: the board's
checkpoint was refused (its reason is printed). `check-evidence`: 0 the file proves a fork,
1 it does not, 2 usage error.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from ..crypto import bip340
from ..crypto.errors import CryptoError
from ..follow.errors import FollowError, ForkDetected, InvalidEvidence
from ..follow.evidence import Evidence, check_evidence
from ..follow.feed import FeedServer
from ..follow.http import Limits
from ..follow.remote import BoardClient, WitnessClient
from ..follow.witness import Halted, Round, Witness
from ..protocol import codec
from ..protocol.errors import ProtocolError
from .mirror import (
    CatchUpBar, add_election_arg, add_http_args, check_election, check_poll_args,
    sigterm_as_interrupt,
)
from .roles_common import CLIError, command, read_json, read_role_secret, say, write_role_key

EXIT_UNREACHABLE = 1
EXIT_FORK = 3
EXIT_REFUSED = 4


def add_subcommand(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("witness", help="follow a board, cosign its checkpoints, detect forks",
                       description="A witness follows a board with a verified copy, cosigns "
                                   "each new checkpoint that is consistent with everything it "
                                   "cosigned before, and reports evidence when the board signs "
                                   "two checkpoints that cannot both be true.")
    s = p.add_subparsers(dest="witness_action", required=True, metavar="ACTION")
    k = s.add_parser("keygen", help="a new witness key")
    k.add_argument("--out", required=True, metavar="KEYFILE",
                   help="key file to write (SECRET, mode 0600); the public key goes beside it")
    k.set_defaults(func=keygen)

    r = s.add_parser("run", help="follow a board and cosign its checkpoints",
                     description="Follow the board at --board, keeping a verified copy in "
                                 "--dir; cosign each new checkpoint that passes every check, "
                                 "post the cosignature to the board, and compare with --peer "
                                 "witnesses. Exit 3 on evidence of a fork.")
    r.add_argument("--board", required=True, metavar="URL", help="the board's base URL")
    r.add_argument("--key", required=True, metavar="KEYFILE", help="from witness keygen")
    r.add_argument("--dir", required=True, metavar="DIR",
                   help="the witness's directory: its copy, cosignatures.jsonl, evidence")
    add_election_arg(r)
    r.add_argument("--peer", action="append", default=[], metavar="URL",
                   help="another witness's feed (its --listen address); repeatable")
    r.add_argument("--listen", default=None, metavar="HOST:PORT",
                   help="serve this witness's feed (GET /witness …) at HOST:PORT")
    r.add_argument("--interval", type=float, default=10.0, metavar="SECONDS",
                   help="seconds between rounds (default: %(default)s)")
    add_http_args(r)
    r.add_argument("--once", action="store_true", help="one round, then exit")
    r.set_defaults(func=run)

    c = s.add_parser("check-evidence", help="check an evidence file with the board's key",
                     description="Check that FILE holds two checkpoints signed by the board "
                                 "key that cannot both be true (spec §8.8.6). Exit 0 if so.")
    c.add_argument("file", help="an evidence-<n>.json file")
    c.add_argument("--board-key", required=True, metavar="HEX",
                   help="the board's public key (the manifest's board_key)")
    c.set_defaults(func=check_evidence_command)


@command("witness keygen")
def keygen(a: argparse.Namespace) -> int:
    kp, pp, pub = write_role_key("witness", a.out)
    say(f"witness key written to {kp} (secret, keep it) and {pp}",
        f"witness public key: {pub.hex()}",
        'give it to the organizer for the manifest\'s "witnesses": {"keys": [...], '
        '"threshold": k}')
    return 0


def _listen(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise CLIError(f"--listen {value!r}: expected HOST:PORT")
    return host.strip("[]"), int(port)


def _say_round(r: Round) -> None:
    """What went well, on stdout; refusals and errors are the witness's log lines (stderr)."""
    if r.cosigned is not None:
        say(f"cosigned checkpoint of size {r.cosigned.size:,} (+{r.synced.entries:,} entries)")
    elif r.head is not None and r.refused is None and r.error is None:
        say(f"board at size {r.head.size:,}: nothing new")


class _Log:
    """The witness's warnings and evidence on stderr, one line each, while a command runs."""

    def __init__(self) -> None:
        self.logger = logging.getLogger("hamaporsi.witness")
        self.handler = logging.StreamHandler(sys.stderr)
        self.handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))

    def __enter__(self) -> None:
        self.logger.addHandler(self.handler)
        self.logger.setLevel(logging.WARNING)
        self.logger.propagate = False

    def __exit__(self, *exc: object) -> None:
        self.logger.removeHandler(self.handler)
        self.logger.propagate = True


@command("witness run")
def run(a: argparse.Namespace) -> int:
    check_poll_args(a)
    listen = _listen(a.listen) if a.listen else None
    secret = read_role_secret(a.key, "witness")
    election = check_election(a.election)
    with _Log(), sigterm_as_interrupt():
        return _run(a, listen, secret, election)


def _run(a: argparse.Namespace, listen: tuple[str, int] | None, secret: bytes,
         election: str | None) -> int:
    try:
        limits = Limits(timeout=a.timeout, retries=a.retries)
        board = BoardClient(a.board, limits)
        peer_limits = Limits(timeout=a.timeout, retries=min(1, a.retries))  # next round anyway
        peers = [WitnessClient(u, peer_limits) for u in a.peer]
    except ValueError as e:
        raise CLIError(str(e)) from None
    try:
        w = Witness(Path(a.dir), secret, board, election=election, peers=peers)
    except Halted as e:
        print(f"hamaporsi witness run: {e}", file=sys.stderr, flush=True)
        return EXIT_FORK
    except FollowError as e:
        raise CLIError(str(e)) from None
    feed = FeedServer(w.feed, *listen) if listen else None
    try:
        if feed is not None:
            say(f"witness feed at {feed.start()}/witness")
        say(f"witness {w.key.hex()} following {board.url} (copy in {a.dir})")
        while True:
            bar = CatchUpBar()
            w.progress = bar
            try:
                r = w.round()
            except ForkDetected as f:
                print(f"\n!!! FORK: evidence written to {a.dir}; this witness cosigns nothing "
                      "more. Anyone can check it with: hamaporsi witness check-evidence FILE "
                      f"--board-key {f.evidence.first.board_key.hex()}\n", file=sys.stderr,
                      flush=True)
                if feed is not None and not a.once:
                    say("serving the feed (with the evidence at /witness/evidence) until Ctrl-C")
                    while True:
                        time.sleep(3600)
                return EXIT_FORK
            finally:
                bar.close()
            _say_round(r)
            if a.once:
                return (EXIT_REFUSED if r.refused is not None else
                        EXIT_UNREACHABLE if r.error is not None else 0)
            time.sleep(a.interval)
    except KeyboardInterrupt:
        return EXIT_FORK if w.evidence is not None else 0
    finally:
        if feed is not None:
            feed.stop()
        w.close()
        board.close()
        for peer in peers:
            peer.close()


@command("witness check-evidence")
def check_evidence_command(a: argparse.Namespace) -> int:
    try:
        key = codec.hex_bytes(a.board_key, 32, "--board-key")
        bip340.validate_public_key(key)
    except (ProtocolError, CryptoError) as e:
        raise CLIError(f"--board-key: {e}") from None
    obj = read_json(a.file, "evidence file")
    try:
        ev = Evidence.from_json(obj)
        check_evidence(ev, key)
    except InvalidEvidence as e:
        print(f"NOT EVIDENCE: {a.file}: {e}", flush=True)
        return 1
    say(f"VALID EVIDENCE: board key {key.hex()} signed two incompatible checkpoints of "
        f"election {ev.election_id} ({ev.kind}): size {ev.first.size} root "
        f"{ev.first.root.hex()} and size {ev.second.size} root {ev.second.root.hex()}")
    return 0
