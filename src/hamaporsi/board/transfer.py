"""Copy a board from one store to another (spec §8.6.6): an SQLite board into PostgreSQL when it
outgrows its file, or a mirror's copy into a new database so that service resumes after the
main server is lost. Entries, checkpoints and cosignatures are copied as their stored bytes and
checked on the way: every checkpoint must be this election's, signed by the board key the
signed manifest names, and match the root of the entries before it. The target is only ever a
valid prefix of the source, so an interrupted copy resumes where the target ends."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..crypto.errors import CryptoError
from ..protocol.canonical import parse_canonical
from ..protocol.checkpoint import Checkpoint, verify_checkpoint
from ..protocol.cosignature import Cosignature
from ..protocol.errors import ProtocolError
from ..protocol.manifest import parse_manifest
from ..protocol.merkle import TreeBuilder, leaf_hash
from .errors import BoardError
from .store import BoardStore

CHUNK = 10_000
"""Entries per transaction of the target (and per comparison of an existing prefix)."""


class TransferError(BoardError):
    """The copy cannot go on: the source is not a valid board, or the target is not a prefix
    of it. The target holds only what was checked before the error."""


@dataclass(frozen=True, slots=True)
class Copied:
    """What one run added to the target, and the target's size afterwards."""

    entries: int
    checkpoints: int
    cosignatures: int
    size: int


def _board_key(src: BoardStore) -> tuple[str, bytes]:
    """The election id and board key of the signed manifest in the source's entry 0."""
    if src.size() == 0:
        raise TransferError("the source board is empty")
    try:
        m = parse_manifest(parse_canonical(src.entry(0)))
    except (ProtocolError, CryptoError) as e:
        raise TransferError(f"the source's entry 0 is not a valid manifest: {e}") from None
    return m.hash.hex(), m.board_key


def _prefix_tree(src: BoardStore, dst: BoardStore, have: int) -> TreeBuilder:
    """The tree of the target's entries, which must be the source's first `have` ones."""
    tree = TreeBuilder()
    for lo in range(0, have, CHUNK):
        hi = min(lo + CHUNK, have)
        hashes = dst.leaf_hashes(lo, hi)
        if hashes != src.leaf_hashes(lo, hi):
            raise TransferError(f"the target's entries [{lo}, {hi}) differ from the source's: "
                                "it is another board")
        tree.extend(hashes)
    return tree


def _copy_cosignatures(src: BoardStore, dst: BoardStore, size: int) -> int:
    added = 0
    for data in src.cosignatures(size):
        try:
            witness = Cosignature.from_bytes(data).witness
        except ProtocolError as e:
            raise TransferError(f"a cosignature of the checkpoint at size {size}: {e}") from None
        added += dst.add_cosignature(size, witness, data)
    return added


def copy_board(src: BoardStore, dst: BoardStore, *,
               progress: Callable[[int, int], None] | None = None) -> Copied:
    """Copy `src` into `dst` (empty, or a prefix of `src` from an interrupted copy); calls
    `progress(copied, total)` after each transaction. Nobody may write either store meanwhile."""
    election, key = _board_key(src)
    size, have = src.size(), dst.size()
    if have > size:
        raise TransferError(f"the target has {have} entries, more than the source's {size}")
    tree = _prefix_tree(src, dst, have)
    held = {cp.size: cp for cp in dst.checkpoints()}
    todo: list[Checkpoint] = []
    for cp in src.checkpoints():
        if cp.election_id != election:
            raise TransferError(f"the source's checkpoint at size {cp.size} is of election "
                                f"{cp.election_id[:16]}…")
        try:
            verify_checkpoint(cp, key)
        except CryptoError as e:
            raise TransferError(f"the source's checkpoint at size {cp.size}: {e}") from None
        if cp.size in held:
            if held.pop(cp.size) != cp:
                raise TransferError(f"the target's checkpoint at size {cp.size} is not the "
                                    "source's")
        elif cp.size < have or (held and cp.size < max(held)):
            raise TransferError(f"the target lacks the source's checkpoint at size {cp.size} "
                                "below its own end: it is not a copy of this board")
        else:
            todo.append(cp)
    if held:
        raise TransferError(f"the target has a checkpoint at size {min(held)} that the source "
                            "lacks")
    added_cs = sum(_copy_cosignatures(src, dst, s) for s in
                   {cp.size for cp in dst.checkpoints()})
    added_cps = 0
    start = have
    targets: list[Checkpoint | None] = [*todo, None]  # None: the end of the log
    for nxt in targets:
        stop = size if nxt is None else nxt.size
        while tree.size < stop:
            hi = min(tree.size + CHUNK, stop)
            batch = [data for _, data in src.entries(tree.size, hi)]
            dst.append_many(batch)
            tree.extend(leaf_hash(d) for d in batch)
            if progress is not None:
                progress(tree.size, size)
        if nxt is None:
            break
        if tree.root() != nxt.root:
            raise TransferError(f"the source's checkpoint at size {nxt.size} does not match the "
                                "root of its entries")
        dst.add_checkpoint(nxt)
        added_cps += 1
        added_cs += _copy_cosignatures(src, dst, nxt.size)
    return Copied(tree.size - start, added_cps, added_cs, tree.size)
