"""One shard of the voting phase, read and checked by whoever runs it (a local worker process
or a Dask worker): the lines of entries.jsonl that start in a byte range (spec §9.1).

`verify_shard(ctx, spec)` is a pure function of the record file and the election context: it
returns the leaf hash of every line (for the Merkle tree, §8.1), the checked facts of each
ballot and audit, other entries parsed, and the sums of the ballots' ciphertexts. Entry numbers
in the result are offsets within the shard; the main process, which applies shards in order,
turns them into record indices. A shard that starts inside a line skips to the next line: that
line belongs to the shard where it starts, so every line is read by exactly one shard."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import BinaryIO

from ..protocol.canonical import MAX_ENTRY_BYTES
from ..protocol.election import ElectionContext
from ..protocol.merkle import leaf_hash
from .worker import ChunkResult, check_lines


@dataclass(frozen=True, slots=True)
class ShardSpec:
    """Shard `number`: the lines of `path` that start at a byte offset in [start, end)."""

    number: int
    path: str
    start: int
    end: int
    aligned: bool = False  # `start` is known to be the start of a line


@dataclass
class ShardResult:
    """What the main process needs of a shard; `begin`..`end` are the bytes of the lines read,
    `leaves` the leaf hash of every one of them (past a failure too: the checkpoints after it
    are checked first, spec §9.1); `chunk.items` stop at the first failure. `read_error` is (offset within the shard, check, reason, names the entry) for a line that
    could not be read (too long, or the truncated last line)."""

    number: int
    begin: int
    end: int
    leaves: bytes = b""
    chunk: ChunkResult = field(default_factory=ChunkResult)
    read_error: tuple[int, str, str, bool] | None = None

    @property
    def lines(self) -> int:
        return len(self.leaves) // 32


def _skip_partial_line(f: BinaryIO, start: int) -> int:
    """Offset of the first line that starts at or after `start` (reads in bounded pieces)."""
    if start == 0:
        return 0
    f.seek(start - 1)
    while True:
        piece = f.readline(MAX_ENTRY_BYTES + 1)
        if not piece or piece.endswith(b"\n"):
            return f.tell()


def read_shard(path: str, start: int, end: int, aligned: bool = False
               ) -> tuple[int, list[bytes], int, tuple[int, str, str, bool] | None]:
    """(begin, lines without newline, end, read error) for the lines starting in [start, end).
    Never holds more than one entry's limit of a single line (spec §9.1)."""
    name = path.rsplit("/", 1)[-1]
    lines: list[bytes] = []
    err = None
    with open(path, "rb") as f:
        pos = start if aligned else _skip_partial_line(f, start)
        begin = pos
        f.seek(pos)
        while pos < end:
            line = f.readline(MAX_ENTRY_BYTES + 1)
            if not line:
                break
            if not line.endswith(b"\n"):
                if len(line) > MAX_ENTRY_BYTES:
                    err = (len(lines), "V16", f"{name}: line is more than the limit of "
                           f"{MAX_ENTRY_BYTES} bytes", True)
                else:
                    err = (len(lines), "V15", f"{name}: last line is truncated (no newline)",
                           False)
                break
            lines.append(line[:-1])
            pos += len(line)
    return begin, lines, pos, err


def verify_shard(ctx: ElectionContext, spec: ShardSpec) -> ShardResult:
    """Read the shard's lines from the record and check them alone (V5–V9, spec §9.1)."""
    begin, lines, end, err = read_shard(spec.path, spec.start, spec.end, spec.aligned)
    chunk = check_lines(ctx, 0, lines)  # stops at the first failure; the leaves do not
    return ShardResult(spec.number, begin, end, b"".join(leaf_hash(x) for x in lines), chunk,
                       err)


_CTX: ElectionContext | None = None


def init(ctx: ElectionContext) -> None:
    """Process-pool initializer: the context of every shard this process checks."""
    global _CTX
    _CTX = ctx


def verify_shard_here(spec: ShardSpec) -> ShardResult:
    """`verify_shard` with the context set by `init` (the process-pool form)."""
    assert _CTX is not None, "worker not initialised"
    return verify_shard(_CTX, spec)
