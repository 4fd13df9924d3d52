"""Voting and counting, one role per command: a voter casts or audits a ballot and checks its
receipt; the organizer sums the tally and publishes the result; anyone exports the record."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from rich.console import Console

from ..crypto.errors import CryptoError
from ..protocol import codec
from ..protocol.ballot import encrypt_ballot, tracking_code
from ..protocol.canonical import canonical_bytes, parse_canonical
from ..protocol.checkpoint import Checkpoint, verify_checkpoint
from ..protocol.cosignature import Cosignature, WitnessPolicy
from ..protocol.credentials import Credential
from ..protocol.errors import ProtocolError
from ..protocol.manifest import Manifest
from ..protocol.merkle import (consistency_proof, inclusion_proof, leaf_hash, verify_consistency,
                               verify_inclusion)
from ..protocol.tally import combine, result_entry, shares_used, tally_entry
from .output import render_result, save_chart
from .roles_common import (CLIError, command, context_of, manifest_of, need_phase, open_board,
                           open_store, read_json, replace_secret, say, short, write_new)
from .roles_setup import organizer_secret

# -- voter --------------------------------------------------------------------------------------


def _read_code(code: str) -> str:
    """The code from the command line, or from stdin with `--code -` (kept out of `ps`)."""
    if code == "-":
        code = sys.stdin.readline()
    if not code.strip():
        raise CLIError("no credential code given")
    return code


def _option_list(m: Manifest) -> str:
    return ", ".join(f"{i} = {o.en}" for i, o in enumerate(m.options))


def _selection(m: Manifest, choices: list[int]) -> list[int]:
    for c in choices:
        if not 0 <= c < len(m.options):
            raise CLIError(f"--choice {c}: there is no such option ({_option_list(m)})")
    if len(set(choices)) != len(choices):
        raise CLIError("--choice: each option may be chosen only once")
    lo, hi = m.min_selections, m.max_selections
    if not lo <= len(choices) <= hi:
        want = f"exactly {lo}" if lo == hi else f"between {lo} and {hi}"
        raise CLIError(f"choose {want} option{'s' if hi > 1 else ''} with --choice "
                       f"({_option_list(m)}); got {len(choices)}")
    return sorted(choices)


@command("voter cast")
def voter_cast(a: argparse.Namespace) -> int:
    cred = Credential.from_code(_read_code(a.code))
    if a.receipt is not None and Path(a.receipt).exists():
        raise CLIError(f"receipt file {a.receipt} already exists; choose another --receipt")
    with open_board(a.board) as eb:
        m = manifest_of(eb)
        need_phase(eb, "voting", doing="cast a ballot")
        ctx = context_of(eb)
        if not eb.ledger.index.has_credential(cred.public):
            raise CLIError("this code is not on this election's credential list")
        selected = _selection(m, a.choice or [])
        ballot = encrypt_ballot(ctx, cred.secret, cred.public, selected)
        superseded = eb.ledger.superseded
        if a.audit:
            entry = ballot.audit_entry()
            data = canonical_bytes(entry)
            idx, _ = eb.submit_bytes(data)
        else:
            data = ballot.bytes
            idx, _ = eb.submit_bytes(data)
        revote = eb.ledger.superseded > superseded
        # No checkpoint per cast: a signed time next to each ballot would publish when each
        # voter voted (docs/security.md W3). The proof comes with the next checkpoint.
        receipt = pending_receipt(ballot.tracking_code, idx, leaf_hash(data))
        if a.receipt is not None:
            write_new(a.receipt, receipt, secret=True, what="receipt file")
    code = ballot.tracking_code.hex()
    later = (f"its inclusion proof comes with the board's next signed checkpoint: run `voter "
             f"check --receipt {a.receipt}` after it" if a.receipt else
             "keep the tracking code to look it up on the board")
    if a.audit:
        opened = ", ".join(m.options[i].en for i in selected) or "blank"
        say(f"AUDITED ballot {code} (entry {idx}): opened on the board, it encrypts: {opened}. "
            "It can never be cast; run `voter cast` again to vote", later)
    else:
        say(f"ballot cast: tracking code {code}, entry {idx}"
            + (" (replaces your earlier ballot; only the last one counts)" if revote else ""),
            later)
    return 0


def pending_receipt(tracking: bytes, index: int, leaf: bytes) -> dict[str, Any]:
    """A receipt before a checkpoint covers its entry: no path, no checkpoint yet (§5.7)."""
    return {"tracking_code": tracking.hex(), "index": index, "leaf_hash": leaf.hex(),
            "path": [], "checkpoint": None}


class _Fail(Exception):
    pass


class _NotWitnessed(Exception):
    """The receipt's checkpoint lacks the witness cosignatures the election requires (§5.7)."""


Parsed = tuple[bytes, int, bytes, list[bytes], Checkpoint | None, list[Cosignature]]


def _parse_receipt(o: Any, path: str) -> Parsed:
    """The receipt's fields (spec §5.7); "cosignatures" is optional (an election without
    witnesses, or a pending receipt, has none). A malformed cosignature fails here."""
    o = codec.obj(o, path, {"tracking_code", "index", "leaf_hash", "path", "checkpoint"},
                  {"cosignatures"})
    css = [Cosignature.from_json(c) for c in
           codec.array(o.get("cosignatures", []), f"{path}: cosignatures", 0, 64)]
    return (codec.hex_bytes(o["tracking_code"], 32, f"{path}: tracking_code"),
            codec.integer(o["index"], f"{path}: index"),
            codec.hex_bytes(o["leaf_hash"], 32, f"{path}: leaf_hash"),
            [codec.hex_bytes(h, 32, f"{path}: path[{i}]")
             for i, h in enumerate(codec.array(o["path"], f"{path}: path", 0, 64))],
            None if o["checkpoint"] is None else Checkpoint.from_json(o["checkpoint"]), css)


def _check_receipt(store: Any, m: Manifest, tracking: bytes, index: int, leaf: bytes,
                   path: list[bytes], cp: Checkpoint) -> tuple[str, str]:
    """Raise _Fail or CryptoError if the receipt does not hold against the board."""
    if cp.election_id != m.hash.hex():
        raise _Fail("the receipt is for another election")
    verify_checkpoint(cp, m.board_key, check="receipt")
    verify_inclusion(leaf, index, cp.size, path, cp.root, check="receipt")
    stored = next((c for c in store.checkpoints() if c.size == cp.size), None)
    if stored is None:
        raise _Fail(f"the board no longer has the signed checkpoint of size {cp.size} that the "
                    "receipt holds")
    if stored.root != cp.root:
        raise _Fail(f"the board signed two different roots for size {cp.size} (forked log)")
    if index >= store.size():
        raise _Fail(f"the board has no entry {index}")
    data = store.entry(index)
    if leaf_hash(data) != leaf:
        raise _Fail(f"entry {index} on the board is not the receipt's entry")
    entry = parse_canonical(data)
    kind = entry.get("type")
    inner = canonical_bytes(entry["ballot"]) if kind == "audit" else data
    if kind not in ("ballot", "audit") or tracking_code(inner) != tracking:
        raise _Fail(f"entry {index} does not carry tracking code {tracking.hex()}")
    latest = store.latest_checkpoint()
    assert latest is not None  # at least the receipt's checkpoint is stored
    verify_checkpoint(latest, m.board_key, check="receipt")
    if latest.size > cp.size:
        verify_consistency(cp.size, latest.size, cp.root, latest.root,
                           consistency_proof(store, cp.size, latest.size), check="receipt")
        extra = f"; the latest checkpoint ({latest.size}) extends it consistently"
    else:
        extra = ""
    what = "an audited ballot (opened, never counted)" if kind == "audit" else "a ballot"
    return what, extra


def _board_cosignatures(store: Any, cp: Checkpoint, policy: WitnessPolicy) -> list[Cosignature]:
    """The board's valid cosignatures of `cp` by listed witnesses (one per witness)."""
    css = []
    for data in store.cosignatures(cp.size):
        try:
            css.append(Cosignature.from_bytes(data))
        except ProtocolError:
            continue  # the board checks what it stores; anything else simply does not count
    return policy.valid_cosigners(cp, css)


def _witnessed(store: Any, policy: WitnessPolicy, index: int
               ) -> tuple[Checkpoint, list[Cosignature]] | None:
    """The newest checkpoint covering entry `index` with the election's threshold of valid
    cosignatures, and those cosignatures; None if no covering checkpoint has them yet."""
    for cp in reversed(list(store.checkpoints(after=index))):
        got = _board_cosignatures(store, cp, policy)
        if len(got) >= policy.threshold:
            return cp, got
    return None


def _receipt_witnesses(store: Any, policy: WitnessPolicy, cp: Checkpoint,
                       held: list[Cosignature]) -> tuple[list[Cosignature], int]:
    """The valid cosignatures of the receipt's checkpoint, one per listed witness, from the
    receipt and the board (spec §5.7, §8.8.3), and how many of the receipt's own do not count
    (invalid, of another checkpoint, or by an unlisted witness). _NotWitnessed if fewer than
    the threshold are valid."""
    valid_held = policy.valid_cosigners(cp, held)
    ignored = len(held) - len(valid_held)
    got = policy.valid_cosigners(cp, [*valid_held, *_board_cosignatures(store, cp, policy)])
    if len(got) < policy.threshold:
        why = f"the checkpoint of size {cp.size} has {len(got)} valid witness cosignatures; " \
              f"the election requires {policy.threshold}"
        if ignored:
            why += (f" ({ignored} of the receipt's {len(held)} cosignatures do not count: "
                    "invalid, of another checkpoint, repeated or by a witness the manifest "
                    "does not list)")
        raise _NotWitnessed(why)
    return got, ignored


def _witness_note(policy: WitnessPolicy, got: list[Cosignature]) -> str:
    if not policy.threshold:
        return ""
    named = "" if not policy.names else \
        ": " + ", ".join(policy.labels(c.witness for c in got))
    return (f", cosigned by {len(got)} of its {len(policy.keys)} witnesses "
            f"({policy.threshold} required{named})")


@command("voter check")
def voter_check(a: argparse.Namespace) -> int:
    with open_store(a.board) as (store, m):
        tracking, index, leaf, path, held, held_cs = _parse_receipt(
            read_json(a.receipt, "receipt"), a.receipt)
        policy = m.witnesses
        completed = held is None
        got: list[Cosignature] = []
        if held is None:  # a pending receipt: complete it against the latest checkpoint
            cp = store.latest_checkpoint()
            if cp is None or cp.size <= index:
                print(f"hamaporsi voter check: entry {index} is not yet covered by a signed "
                      "checkpoint; check again after the board's next one", file=sys.stderr)
                return 1
            if policy.threshold:
                found = _witnessed(store, policy, index)
                if found is None:
                    j = len(_board_cosignatures(store, cp, policy))
                    print(f"hamaporsi voter check: entry {index} is in the board's signed "
                          f"checkpoint of size {cp.size}, which is NOT WITNESSED yet: {j} of "
                          f"the {policy.threshold} witness cosignatures the election requires;"
                          " check again later", file=sys.stderr)
                    return 1
                cp, got = found
            path = inclusion_proof(store, index, cp.size)
        else:
            cp = held
        try:
            what, extra = _check_receipt(store, m, tracking, index, leaf, path, cp)
        except (_Fail, CryptoError) as e:
            print(f"hamaporsi voter check: receipt check FAILED: {e}", file=sys.stderr)
            return 1
        ignored = 0
        if held is not None and policy.threshold:
            try:
                got, ignored = _receipt_witnesses(store, policy, cp, held_cs)
            except _NotWitnessed as e:
                print(f"hamaporsi voter check: receipt NOT WITNESSED: {e}", file=sys.stderr)
                return 1
        # the receipt keeps exactly the cosignatures that count
        more = policy.threshold > 0 and [c.to_json() for c in got] != \
            [c.to_json() for c in held_cs]
        if completed or more:  # keep the evidence: proof, checkpoint, cosignatures
            replace_secret(a.receipt, {
                "tracking_code": tracking.hex(), "index": index, "leaf_hash": leaf.hex(),
                "path": [h.hex() for h in path], "checkpoint": cp.to_json(),
                **({"cosignatures": [c.to_json() for c in got]} if policy.threshold else {})})
    say(f"receipt OK: entry {index}, {what} with tracking code {short(tracking)}, is in the "
        f"board's signed checkpoint of size {cp.size}{_witness_note(policy, got)}{extra}"
        + ("; the receipt now holds the proof and the checkpoint" if completed else
           "; the receipt now holds the witnesses' cosignatures" if more else "")
        + (f" ({ignored} cosignatures of the receipt did not count and were dropped)"
           if ignored else ""))
    return 0


# -- board operator ------------------------------------------------------------------------------

@command("board checkpoint")
def board_checkpoint(a: argparse.Namespace) -> int:
    """Sign a checkpoint of the board as it is now (run it on a schedule, not per ballot)."""
    with open_board(a.board) as eb:
        cp = eb.checkpoint()
    say(f"signed checkpoint at size {cp.size}, root {short(cp.root)}")
    return 0


# -- tally ---------------------------------------------------------------------------------------

@command("tally sum")
def tally_sum(a: argparse.Namespace) -> int:
    """Sum the counting ballots with the verifier's parallel path (local processes or Dask)
    over the board's record, check it against the board's own ledger, and post it."""
    from ..verify.backends import BackendError
    from ..verify.tally import TallyError, aggregate_tally
    from .parallel import parallel_from
    with open_board(a.board) as eb:
        need_phase(eb, "closed", doing="sum the tally")
        organizer = organizer_secret(a, eb)
        led, ctx = eb.ledger, context_of(eb)
        eb.checkpoint()  # the exported record must be covered by a signed checkpoint
        with tempfile.TemporaryDirectory(prefix="hamaporsi-tally-") as tmp:
            try:
                sums = aggregate_tally(eb.export(tmp), parallel=parallel_from(a))
            except (TallyError, BackendError, ValueError) as e:
                raise CLIError(f"cannot sum the tally: {e}") from e
        if sums.totals != led.counted_totals() or sums.counted != led.index.voters():
            raise CLIError("the board's ledger and its exported record disagree on the tally")
        idx, _ = eb.submit(tally_entry(ctx, sums.totals, sums.counted, organizer))
        cp = eb.checkpoint()
        say(f"posted the encrypted tally of {led.index.voters()} counting ballots "
            f"({led.superseded} replaced by re-votes, {led.audits} audited) as entry {idx}",
            f"trustees can now decrypt (trustee decrypt); signed checkpoint at size {cp.size}")
    return 0


@command("tally result")
def tally_result(a: argparse.Namespace) -> int:
    con = Console()
    with open_board(a.board) as eb:
        m, led = manifest_of(eb), eb.ledger
        if led.phase == "done" and led.result is not None:
            res = led.result
            say("the result is already on the board:")
        else:
            need_phase(eb, "tallied", doing="compute the result")
            organizer = organizer_secret(a, eb)
            ctx, tally = context_of(eb), led.tally
            assert tally is not None
            k = m.threshold
            if len(led.shares) < k:
                have = f" (from trustees {sorted(led.shares)})" if led.shares else ""
                raise CLIError(f"{len(led.shares)} of the {k} needed decryption shares are on "
                               f"the board{have}; waiting for more trustees to run "
                               "`trustee decrypt`")
            used = shares_used(ctx, led.shares)
            counts = combine(ctx, tally, led.shares)
            res = result_entry(ctx, counts, led.index.voters(), used, organizer)
            idx, _ = eb.submit(res)
            cp = eb.checkpoint()
            say(f"posted the result as entry {idx}, decrypted with trustees {used}; "
                f"signed checkpoint at size {cp.size}")
        render_result(con, m, res)
        chart = save_chart(Path(a.board).resolve().parent / "result.png", m, res)
        say(f"chart: {chart}")
    return 0


# -- export ------------------------------------------------------------------------------------

@command("export")
def export(a: argparse.Namespace) -> int:
    with open_board(a.board) as eb:
        cp = eb.checkpoint()
        out = eb.export(a.out)
        n = sum(1 for _ in eb.board.store.checkpoints())
        mh = manifest_of(eb).hash.hex()
        say(f"exported {eb.board.size} entries and {n} signed checkpoints (latest at size "
            f"{cp.size}, phase '{eb.ledger.phase}') to {out}",
            f"verify with: hamaporsi verify {out} --expect-election {mh}")
    return 0
