"""Entries fetched and verified but not yet stored: held in memory up to a budget, then in an
anonymous temporary file, so that a catch-up of any size is checked against its checkpoint's
root before a single entry reaches the local store."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

DEFAULT_BUDGET = 64 << 20
"""Bytes of entries kept in memory before spilling to disk."""


class Spool:
    """An append-only list of byte strings, replayed in order in chunks."""

    def __init__(self, directory: Path | None = None, budget: int = DEFAULT_BUDGET) -> None:
        self._dir = directory
        self._budget = budget
        self._mem: list[bytes] = []
        self._mem_bytes = 0
        self._file: BinaryIO | None = None
        self.count = 0
        self.bytes = 0

    def add(self, data: bytes) -> None:
        self.count += 1
        self.bytes += len(data)
        if self._file is None and self._mem_bytes + len(data) <= self._budget:
            self._mem.append(data)
            self._mem_bytes += len(data)
            return
        if self._file is None:
            self._file = tempfile.TemporaryFile(dir=self._dir, prefix=".spool-")
        self._file.write(len(data).to_bytes(4, "big") + data)

    def chunks(self, max_entries: int, max_bytes: int) -> Iterator[list[bytes]]:
        """Everything added, in order, as lists of at most `max_entries` entries and (unless
        one entry alone is larger) `max_bytes` bytes."""
        chunk: list[bytes] = []
        size = 0
        for data in self._all():
            if chunk and (len(chunk) >= max_entries or size + len(data) > max_bytes):
                yield chunk
                chunk, size = [], 0
            chunk.append(data)
            size += len(data)
        if chunk:
            yield chunk

    def _all(self) -> Iterator[bytes]:
        yield from self._mem
        if self._file is None:
            return
        f = self._file
        f.flush()
        f.seek(0)
        while head := f.read(4):
            n = int.from_bytes(head, "big")
            data = f.read(n)
            if len(head) != 4 or len(data) != n:
                raise OSError("spool file is truncated")
            yield data
        f.seek(0, os.SEEK_END)

    def close(self) -> None:
        self._mem = []
        if self._file is not None:
            self._file.close()
            self._file = None
