"""The verifier's cross-entry index on disk (a SQLite file), so memory stays flat however many
credentials and ballots the record holds (spec §9.2).

A scratch index (the default) is written without a journal: it is thrown away if the run
stops. A durable index (`durable=True`, for resumable runs) uses a write-ahead log and is
committed together with the run's snapshot (`save_state`), so after an interruption — even a
SIGKILL — it holds exactly the state the last snapshot describes (spec §9.4)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from typing import Any

CACHE_MIB = 2
"""SQLite page cache: 2 MiB keeps the verifier's memory flat as the index grows (measured in
docs/performance.md: 39 → 40 MiB from 10k to 100k ballots). A larger fixed cache is still flat
in N and makes the main process faster once the index outgrows it (docs/performance.md)."""

BATCH = 900
"""Values per `IN (…)` look-up (below SQLite's limit on bound parameters)."""


def _batches(values: list[bytes]) -> Iterator[list[bytes]]:
    for i in range(0, len(values), BATCH):
        yield values[i:i + BATCH]


class DiskIndex:
    """`protocol.ledger.Index` over a SQLite database.

    `prepare(facts)` before a shard's ballots are applied loads, in a few statements, every row
    they will look up; the ledger's calls are then answered from memory and the new rows are
    written in bulk by `flush()` (a statement per ballot cost more than the rules themselves).
    Answers are the same either way: a value not prepared is looked up in the database."""

    def __init__(self, path: str, *, durable: bool = False, cache_mib: int = CACHE_MIB) -> None:
        self._db = sqlite3.connect(path, isolation_level=None)
        journal = ("journal_mode=WAL", "synchronous=NORMAL") if durable else \
            ("journal_mode=OFF", "synchronous=OFF")
        for pragma in (*journal, f"cache_size=-{1024 * max(1, cache_mib)}", "temp_store=FILE"):
            self._db.execute(f"PRAGMA {pragma}")
        self._db.executescript("""
            CREATE TABLE IF NOT EXISTS cred(key BLOB PRIMARY KEY) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS uniq(value BLOB PRIMARY KEY, idx INTEGER NOT NULL)
                WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS last(cred BLOB PRIMARY KEY, idx INTEGER NOT NULL,
                cts BLOB NOT NULL) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS state(name TEXT PRIMARY KEY, value BLOB NOT NULL);
        """)
        self._voters = self._db.execute("SELECT count(*) FROM last").fetchone()[0]
        self._db.execute("BEGIN")
        self._creds: set[bytes] = set()  # prepared credentials that are on the list
        self._asked: set[bytes] = set()  # prepared credentials
        self._uniq: dict[bytes, int | None] = {}  # prepared values: holder or None
        self._last: dict[bytes, tuple[int, bytes] | None] = {}  # prepared credentials' last
        self._new_uniq: list[tuple[bytes, int]] = []
        self._new_last: dict[bytes, tuple[int, bytes]] = {}

    def _select(self, sql: str, keys: list[bytes]) -> Iterator[Any]:
        for part in _batches(keys):
            yield from self._db.execute(sql.format(",".join("?" * len(part))), part)

    def prepare(self, facts: Iterable[Any]) -> None:
        """Load the rows that ballots and audits with these `BallotFacts` will look up."""
        self.flush()
        creds, values = set(), set()
        for f in facts:
            creds.add(f.credential)
            values.add(f.tracking)
            values.update(f.alphas)
            values.update(f.commitments)
        ck = sorted(creds)
        self._asked = creds
        self._creds = {r[0] for r in self._select("SELECT key FROM cred WHERE key IN ({})", ck)}
        self._last = dict.fromkeys(creds)
        for c, i, cts in self._select("SELECT cred, idx, cts FROM last WHERE cred IN ({})", ck):
            self._last[c] = (i, cts)
        self._uniq = dict.fromkeys(values)
        for v, i in self._select("SELECT value, idx FROM uniq WHERE value IN ({})",
                                 sorted(values)):
            self._uniq[v] = i

    def flush(self) -> None:
        """Write the rows that prepared look-ups added, and forget the prepared rows."""
        # in key order: each B-tree page is visited once per shard, not once per row
        if self._new_uniq:
            self._db.executemany("INSERT OR IGNORE INTO uniq VALUES (?, ?)",
                                 sorted(self._new_uniq))
        if self._new_last:
            self._db.executemany("INSERT OR REPLACE INTO last VALUES (?, ?, ?)",
                                 ((c, i, cts) for c, (i, cts) in sorted(self._new_last.items())))
        self._new_uniq, self._new_last = [], {}
        self._creds, self._asked, self._uniq, self._last = set(), set(), {}, {}

    def add_credentials(self, keys: list[bytes]) -> None:
        # OR IGNORE: a resumed run replays the credential list into the index it kept (the
        # ledger has refused repeated keys before they get here).
        self._db.executemany("INSERT OR IGNORE INTO cred VALUES (?)", ((k,) for k in keys))

    def has_credential(self, key: bytes) -> bool:
        if key in self._asked:
            return key in self._creds
        return self._db.execute("SELECT 1 FROM cred WHERE key=?", (key,)).fetchone() is not None

    def claim_all(self, values: list[bytes], index: int) -> tuple[bytes, int] | None:
        if all(v in self._uniq for v in values):
            for v in values:
                held = self._uniq[v]
                if held is not None and held != index:
                    return v, held
            for v in values:
                self._uniq[v] = index
                self._new_uniq.append((v, index))
            return None
        self.flush()
        before = self._db.total_changes
        self._db.executemany("INSERT OR IGNORE INTO uniq VALUES (?, ?)",
                             [(v, index) for v in values])
        if self._db.total_changes - before == len(values):
            return None
        for v in values:  # a clash: name the first value held by another entry
            row = self._db.execute("SELECT idx FROM uniq WHERE value=?", (v,)).fetchone()
            if row is not None and row[0] != index:
                return v, row[0]
        raise AssertionError("unreachable: values are distinct within a ballot")

    def set_last(self, credential: bytes, index: int, cts: bytes) -> tuple[int, bytes] | None:
        if credential in self._last:
            row = self._last[credential]
            self._last[credential] = self._new_last[credential] = (index, cts)
        else:
            self.flush()
            row = self._db.execute("SELECT idx, cts FROM last WHERE cred=?",
                                   (credential,)).fetchone()
            self._db.execute("INSERT OR REPLACE INTO last VALUES (?, ?, ?)",
                             (credential, index, cts))
        if row is None:
            self._voters += 1
            return None
        return row[0], row[1]

    def voters(self) -> int:
        return self._voters

    def credentials(self) -> int:
        """How many credentials the index holds."""
        return int(self._db.execute("SELECT count(*) FROM cred").fetchone()[0])

    # -- snapshots of a resumable run --------------------------------------------------------

    def save_state(self, state: bytes) -> None:
        """Store the run's snapshot and commit it with everything indexed so far, atomically."""
        self.flush()
        self._db.execute("INSERT OR REPLACE INTO state VALUES ('snapshot', ?)", (state,))
        self._db.execute("COMMIT")
        self._db.execute("BEGIN")

    def load_state(self) -> bytes | None:
        """The last committed snapshot, if any."""
        row = self._db.execute("SELECT value FROM state WHERE name='snapshot'").fetchone()
        return None if row is None else bytes(row[0])

    def close(self) -> None:
        self._db.close()
