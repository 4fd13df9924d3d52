"""The credential list of a simulated election, sorted with bounded memory (spec §5.3): public
keys are computed in blocks, sorted in runs spilled to scratch files, then merged into signed
`credentials` chunks of `protocol.credentials.CHUNK` keys and the `credentials-final` entry.

The entries are the ones `protocol.credentials.credential_entries` makes (same fields, same
`CredentialListHasher`), streamed instead of built from one sorted list in memory."""

from __future__ import annotations

import heapq
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import Any, BinaryIO

from ..protocol.credentials import CHUNK, CredentialListHasher
from ..protocol.signing import sign_entry

KEY = 32
RUN = 250_000
"""Keys sorted in memory at a time (8 MB); longer lists are merged from scratch files."""


def _read_run(f: BinaryIO) -> Iterator[bytes]:
    f.seek(0)
    while True:
        buf = f.read(KEY * 4096)
        if not buf:
            return
        for i in range(0, len(buf), KEY):
            yield buf[i:i + KEY]


def sorted_keys(packed_blocks: Iterable[bytes], scratch: str, run: int = RUN) -> Iterator[bytes]:
    """Every 32-byte key of the packed blocks, in increasing order (runs of `run` keys)."""
    files: list[BinaryIO] = []
    buf: list[bytes] = []
    try:
        for packed in packed_blocks:
            buf.extend(packed[i:i + KEY] for i in range(0, len(packed), KEY))
            if len(buf) >= run:
                buf.sort()
                f: BinaryIO = tempfile.TemporaryFile(dir=scratch)
                f.write(b"".join(buf))
                files.append(f)
                buf = []
        buf.sort()
        if not files:
            yield from buf
            return
        yield from heapq.merge(buf, *(_read_run(f) for f in files))
    finally:
        for f in files:
            f.close()


def credential_entries(manifest_hash: bytes, keys: Iterable[bytes], registrar_secret: bytes,
                       on_chunk: Callable[[int], None] | None = None
                       ) -> Iterator[dict[str, Any]]:
    """Signed `credentials` chunks of the sorted `keys`, then `credentials-final` (§5.3)."""
    hasher = CredentialListHasher()
    chunks = 0
    part: list[bytes] = []

    def chunk_entry() -> dict[str, Any]:
        nonlocal chunks
        for k in part:
            hasher.add(k)  # refuses unsorted or repeated keys
        e = sign_entry({"type": "credentials", "manifest": manifest_hash.hex(),
                        "chunk": chunks, "keys": [k.hex() for k in part]}, registrar_secret)
        chunks += 1
        if on_chunk is not None:
            on_chunk(len(part))
        return e

    for k in keys:
        part.append(k)
        if len(part) == CHUNK:
            yield chunk_entry()
            part = []
    if part:
        yield chunk_entry()
    yield sign_entry({"type": "credentials-final", "manifest": manifest_hash.hex(),
                      "chunks": chunks, "count": hasher.count,
                      "hash": hasher.digest().hex()}, registrar_secret)


def scratch_dir(near: str) -> tempfile.TemporaryDirectory[str]:
    """A scratch directory on the same disk as the output (the runs can be large)."""
    os.makedirs(near, exist_ok=True)
    return tempfile.TemporaryDirectory(prefix=".sim-scratch-", dir=near)
