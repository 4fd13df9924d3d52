"""The verifier's cross-entry index on disk (a temporary SQLite file), so memory stays flat
however many credentials and ballots the record holds (spec §9.2)."""

from __future__ import annotations

import sqlite3


class DiskIndex:
    """`protocol.ledger.Index` over a scratch SQLite database (no durability needed)."""

    def __init__(self, path: str) -> None:
        self._db = sqlite3.connect(path, isolation_level=None)
        # A 2 MiB page cache keeps the verifier's memory flat as the index grows (measured in
        # docs/performance.md: 39 → 40 MiB from 10k to 100k ballots, same throughput).
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-2048",
                       "temp_store=FILE"):
            self._db.execute(f"PRAGMA {pragma}")
        self._db.executescript("""
            CREATE TABLE cred(key BLOB PRIMARY KEY) WITHOUT ROWID;
            CREATE TABLE uniq(value BLOB PRIMARY KEY, idx INTEGER NOT NULL) WITHOUT ROWID;
            CREATE TABLE last(cred BLOB PRIMARY KEY, idx INTEGER NOT NULL, cts BLOB NOT NULL)
                WITHOUT ROWID;
        """)
        self._db.execute("BEGIN")
        self._voters = 0

    def add_credentials(self, keys: list[bytes]) -> None:
        self._db.executemany("INSERT INTO cred VALUES (?)", ((k,) for k in keys))

    def has_credential(self, key: bytes) -> bool:
        return self._db.execute("SELECT 1 FROM cred WHERE key=?", (key,)).fetchone() is not None

    def claim_all(self, values: list[bytes], index: int) -> tuple[bytes, int] | None:
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
        row = self._db.execute("SELECT idx, cts FROM last WHERE cred=?", (credential,)).fetchone()
        self._db.execute("INSERT OR REPLACE INTO last VALUES (?, ?, ?)", (credential, index, cts))
        if row is None:
            self._voters += 1
            return None
        return row[0], row[1]

    def voters(self) -> int:
        return self._voters

    def close(self) -> None:
        self._db.close()
