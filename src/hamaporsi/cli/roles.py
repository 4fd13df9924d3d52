"""Subcommands per role (organizer, registrar, trustee, voter, tally, export).

The same referendum as `hamaporsi demo`, but each role acts on its own, in its own invocation,
with its own key file. State lives in files: the board (SQLite, `--board`; the board operator's
secret in `<board>.key.json` beside it), each role's key file (JSON, mode 0600) and each trustee's
ceremony state file. Every command prints what it did in a line or two; a user error is one line
on stderr and exit status 2 (`voter check` exits 1 when a receipt does not hold).

    trustee keygen --name N --out trustee.json           → trustee.json, trustee.pub.json
    organizer keygen --out organizer.json                → organizer.json, organizer.pub.json
    registrar keygen --out registrar.json                → registrar.json, registrar.pub.json
    organizer create --board board.sqlite ...            → board.sqlite, board.key.json, manifest
    trustee commit|reveal|shares|complaints|share-key --board B --key K --state S
    organizer joint-key --board B --organizer O
    registrar issue --board B --registrar R --voters N --out DIR
    organizer open --board B --organizer O
    voter cast --board B --code CODE --choice I [--audit] [--receipt R]
    voter check --board B --receipt R                     (completes a pending receipt)
    board checkpoint --board B                           (the operator, on a schedule)
    board copy --from URL --to URL                       (the operator: SQLite → PostgreSQL,
                                                          or a mirror's copy into a new database)
    organizer close --board B --organizer O
    tally sum --board B --organizer O [--workers N | --dask | --scheduler tcp://H:P]
    trustee decrypt --board B --key K --state S
    tally result --board B --organizer O                 → result table, result.png
    export --board B --out DIR                           → DIR/entries.jsonl, checkpoints.jsonl
"""

from __future__ import annotations

import argparse
from typing import Any

from . import roles_setup as setup
from . import roles_vote as vote


def _group(sub: Any, name: str, help: str) -> Any:
    p = sub.add_parser(name, help=help, description=help)
    return p.add_subparsers(dest=f"{name}_action", required=True, metavar="ACTION")


def _board(p: argparse.ArgumentParser) -> None:
    p.add_argument("--board", required=True, metavar="PATH",
                   help="board database (SQLite); its operator key is PATH with .key.json")


def _organizer(p: argparse.ArgumentParser) -> None:
    p.add_argument("--organizer", required=True, metavar="KEYFILE",
                   help="organizer key file (from organizer keygen)")


def _trustee_files(p: argparse.ArgumentParser) -> None:
    p.add_argument("--key", required=True, metavar="KEYFILE",
                   help="this trustee's key file (from trustee keygen)")
    p.add_argument("--state", required=True, metavar="STATEFILE",
                   help="this trustee's ceremony state file (SECRET; created by commit)")


def _unix_time(s: str) -> int:
    try:
        v = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{s!r} is not a unix time in seconds") from None
    if v < 0:
        raise argparse.ArgumentTypeError("times must not be negative")
    return v


def add_subcommands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register the role subcommands."""
    # -- trustee ----------------------------------------------------------------------------
    t = _group(sub, "trustee", "a trustee: keys, the key ceremony, decryption of the tally")
    p = t.add_parser("keygen", help="create a trustee key file and its public info file")
    p.add_argument("--name", required=True, help="display name in the manifest")
    p.add_argument("--out", required=True, metavar="KEYFILE",
                   help="key file to create (public info goes to NAME.pub.json beside it)")
    p.set_defaults(func=setup.trustee_keygen)
    for action, fn, text in (
            ("commit", setup.trustee_commit,
             "ceremony phase 1: start the session (state file) and post the commitment"),
            ("reveal", setup.trustee_reveal,
             "ceremony phase 2: reveal coefficient commitments and proofs"),
            ("shares", setup.trustee_shares,
             "ceremony phase 3: post the encrypted shares for the other trustees"),
            ("complaints", setup.trustee_complaints,
             "ceremony phase 4: check the shares addressed to you, complain about bad ones"),
            ("share-key", setup.trustee_share_key,
             "after the joint key: derive your secret key share into the state file"),
            ("decrypt", setup.trustee_decrypt,
             "after the tally: post your decryption shares with proofs")):
        p = t.add_parser(action, help=text, description=text)
        _board(p)
        _trustee_files(p)
        p.set_defaults(func=fn)

    # -- organizer --------------------------------------------------------------------------
    o = _group(sub, "organizer", "the organizer: manifest, joint key, opening and closing")
    p = o.add_parser("keygen", help="create the organizer key file and its public key file")
    p.add_argument("--out", required=True, metavar="KEYFILE")
    p.set_defaults(func=setup.organizer_keygen)

    p = o.add_parser("create", help="create the board with the signed manifest",
                     description="Create the board and its operator key, sign the manifest "
                                 "and post it; prints the manifest hash.")
    _board(p)
    _organizer(p)
    p.add_argument("--registrar-pub", required=True, metavar="FILE",
                   help="registrar public key file (from registrar keygen)")
    p.add_argument("--trustee", action="append", default=[], metavar="FILE",
                   help="trustee public info file; repeat per trustee, in order")
    p.add_argument("--threshold", type=int, required=True, metavar="K",
                   help="trustees needed to decrypt")
    p.add_argument("--election-id", default="referendum",
                   help="short id: lowercase letters, digits, '-' (default: %(default)s)")
    p.add_argument("--question-fa", required=True)
    p.add_argument("--question-en", required=True)
    p.add_argument("--option", action="append", default=[], metavar='"FA|EN"',
                   help="an option in Persian and English; repeat, in order")
    p.add_argument("--min", type=int, default=1, help="least options a voter selects")
    p.add_argument("--max", type=int, default=1, help="most options a voter selects")
    p.add_argument("--opens", type=_unix_time, default=None, help="unix time (default: now)")
    p.add_argument("--closes", type=_unix_time, default=None,
                   help="unix time (default: opens + 1 day)")
    p.add_argument("--booth", default=None, metavar="DIR",
                   help="built booth (web/dist) whose fingerprint the manifest states, so "
                        "anyone can compare the served booth with it")
    setup.add_witness_args(p)
    p.set_defaults(func=setup.organizer_create)

    p = o.add_parser("joint-key", help="post the joint key computed from the ceremony")
    _board(p)
    _organizer(p)
    p.add_argument("--allow-missing", action="store_true",
                   help="exclude trustees that have not posted reveal or shares")
    p.set_defaults(func=setup.organizer_joint_key)
    for action, fn, text in (("open", setup.organizer_open, "open voting (and checkpoint)"),
                             ("close", setup.organizer_close, "close voting (and checkpoint)")):
        p = o.add_parser(action, help=text, description=text)
        _board(p)
        _organizer(p)
        p.set_defaults(func=fn)

    # -- registrar --------------------------------------------------------------------------
    r = _group(sub, "registrar", "the registrar: voter credentials")
    p = r.add_parser("keygen", help="create the registrar key file and its public key file")
    p.add_argument("--out", required=True, metavar="KEYFILE")
    p.set_defaults(func=setup.registrar_keygen)
    p = r.add_parser("issue", help="issue credentials: private codes out, public list posted")
    _board(p)
    p.add_argument("--registrar", required=True, metavar="KEYFILE")
    p.add_argument("--voters", type=int, required=True, metavar="N")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="folder for codes.txt and the voters' QR codes (SECRET)")
    p.add_argument("--qr", type=int, default=None, metavar="N",
                   help="QR codes for the first N voters (default: all)")
    p.set_defaults(func=setup.registrar_issue)

    # -- voter ------------------------------------------------------------------------------
    v = _group(sub, "voter", "a voter: cast or audit a ballot, check a receipt")
    p = v.add_parser("cast", help="encrypt and cast a ballot (or audit it with --audit)")
    _board(p)
    p.add_argument("--code", required=True,
                   help="your private credential code ('-': read it from stdin)")
    p.add_argument("--choice", type=int, action="append", metavar="INDEX",
                   help="option index, 0 for the first; repeat for several")
    p.add_argument("--audit", action="store_true",
                   help="open this ballot on the board to check the encryption; it is "
                        "never cast")
    p.add_argument("--receipt", default=None, metavar="FILE",
                   help="write the receipt (tracking code, entry; `voter check` adds the "
                        "inclusion proof and checkpoint once a checkpoint covers it)")
    p.set_defaults(func=vote.voter_cast)
    p = v.add_parser("check", help="check a receipt against the board")
    _board(p)
    p.add_argument("--receipt", required=True, metavar="FILE")
    p.set_defaults(func=vote.voter_check)

    # -- board operator ---------------------------------------------------------------------
    b = _group(sub, "board", "the board operator: signed checkpoints, copies")
    p = b.add_parser("checkpoint", help="sign a checkpoint of the board now (on a schedule: "
                                        "receipts get their proofs from it)")
    _board(p)
    p.set_defaults(func=vote.board_checkpoint)
    from .transfer import add_copy_parser
    add_copy_parser(b)

    # -- tally ------------------------------------------------------------------------------
    y = _group(sub, "tally", "the count: encrypted sum, then the decrypted result")
    p = y.add_parser("sum", help="post the encrypted tally of the counting ballots")
    _board(p)
    _organizer(p)
    from .parallel import add_parallel_args
    add_parallel_args(p)  # the sum is computed by the verifier's parallel path
    p.set_defaults(func=vote.tally_sum)
    p = y.add_parser("result", help="combine the decryption shares and post the result")
    _board(p)
    _organizer(p)
    p.set_defaults(func=vote.tally_result)

    # -- export -----------------------------------------------------------------------------
    p = sub.add_parser("export", help="checkpoint and export the record for `verify`")
    _board(p)
    p.add_argument("--out", required=True, metavar="DIR")
    p.set_defaults(func=vote.export)
