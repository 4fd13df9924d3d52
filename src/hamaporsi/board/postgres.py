"""`BoardStore` on PostgreSQL (psycopg 3): the same append-only log as SQLite, for several
server processes writing one board (spec §8.6.4).

Sequencing: every write transaction first takes one transaction-level advisory lock whose key
is derived from the schema name (`lock_key`), then reads the next index = size. Log positions
are therefore assigned by exactly one writer at a time, across processes and connections, and
the `entries_dense` trigger refuses any index but the current size (spec §8.6.3).

Durability: autocommit connection, one explicit transaction per call, READ COMMITTED (each
statement after the lock sees every earlier writer's commit), synchronous_commit never `off`:
a method returns only after COMMIT has been flushed to the server's WAL.

Faults: psycopg's OperationalError and InterfaceError (connection lost, server shut down, disk
full, lock wait timed out) become StoreUnavailable, whose message has no password; the
connection is dropped and the next call reconnects. Nothing of a call that fails before COMMIT is
stored. A connection lost *during* COMMIT leaves the outcome unknown to the client (as with any
database): callers retry idempotently (ballots are deduplicated by the ledger).

Thread-safety: as SQLiteStore, one store object per thread or process.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from .errors import AppendOnlyViolation, BoardError, SchemaVersionError, StoreUnavailable
from .open import describe, postgres_parts
from .sql_common import APPEND_ONLY, SqlStore, check_cosignature_args

CONNECT_TIMEOUT_S = 10
NETWORK_DEFAULTS = {"keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3,
                    "tcp_user_timeout": 30_000}
"""libpq settings unless the URL gives its own: a link that stops answering (cut without a
reset) is dropped after ~25 s idle or 30 s of unacknowledged data, not after the OS default of
two hours, and the call raises StoreUnavailable instead of hanging the board thread."""
LOCK_TIMEOUT = "30s"
"""Longest wait for the sequencer lock (as SQLite's busy timeout); then StoreUnavailable."""
IDLE_IN_TRANSACTION_TIMEOUT = "60s"
"""Longest pause between two statements of a write transaction before the server ends the
session: a writer that hangs holding the sequencer lock (its process stopped or stuck, its
kernel still answering keepalives) then blocks the other writers for this long, not for good.
Far above any legitimate pause (the ledger's catch-up of one page of entries)."""

_LOCK_DOMAIN = b"hamaporsi/board/sequencer\x00"

_SCHEMA_VERSION_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version INTEGER PRIMARY KEY CHECK (version >= 1),"
    " applied_at BIGINT NOT NULL"
    ")"
)


def lock_key(schema: str) -> int:
    """The advisory lock key of the board in `schema`: first 8 bytes of SHA-256, signed."""
    digest = hashlib.sha256(_LOCK_DOMAIN + schema.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _function(name: str, body: str) -> str:
    """A PL/pgSQL trigger function bound to the search_path it was created under, so it reads
    this board's tables whatever the calling session's search_path."""
    return (f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql"
            f" SET search_path FROM CURRENT AS $$ BEGIN {body} END $$")


def _refuse(msg: str) -> str:
    return f"RAISE EXCEPTION '{APPEND_ONLY}: {msg}';"


def _forbid(table: str) -> str:
    """One statement-level trigger refusing UPDATE, DELETE and TRUNCATE of `table`."""
    return (f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {table}"
            " FOR EACH STATEMENT EXECUTE FUNCTION board_refuse_change()")


MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (  # 1: the log, its checkpoints, and the append-only rules
        _function("board_refuse_change",
                  f"RAISE EXCEPTION '{APPEND_ONLY}: % rows cannot be %',"
                  " TG_TABLE_NAME, lower(TG_OP) || 'd';"),
        "CREATE TABLE entries ("
        " idx BIGINT PRIMARY KEY CHECK (idx >= 0),"
        " leaf_hash BYTEA NOT NULL CHECK (length(leaf_hash) = 32),"
        " data BYTEA NOT NULL"
        ")",
        "CREATE TABLE checkpoints ("
        " size BIGINT PRIMARY KEY CHECK (size >= 0),"
        " body BYTEA NOT NULL,"
        " signature BYTEA NOT NULL CHECK (length(signature) = 64)"
        ")",
        _forbid("entries"),
        _forbid("checkpoints"),
        _forbid("schema_version"),
        _function("board_entries_dense",
                  "IF NEW.idx IS DISTINCT FROM (SELECT COALESCE(MAX(idx) + 1, 0) FROM entries)"
                  f" THEN {_refuse('entry index must equal the current size')} END IF;"
                  " RETURN NEW;"),
        "CREATE TRIGGER entries_dense BEFORE INSERT ON entries"
        " FOR EACH ROW EXECUTE FUNCTION board_entries_dense()",
        _function("board_checkpoints_increasing",
                  "IF NEW.size <= COALESCE((SELECT MAX(size) FROM checkpoints), -1)"
                  " OR NEW.size > (SELECT COALESCE(MAX(idx) + 1, 0) FROM entries) THEN"
                  f" {_refuse('checkpoint size must exceed the latest checkpoint and not exceed the log')}"  # noqa: E501
                  " END IF; RETURN NEW;"),
        "CREATE TRIGGER checkpoints_increasing BEFORE INSERT ON checkpoints"
        " FOR EACH ROW EXECUTE FUNCTION board_checkpoints_increasing()",
    ),
    (  # 2: witness cosignatures of stored checkpoints (spec §8.8), append-only too
        "CREATE TABLE cosignatures ("
        " size BIGINT NOT NULL REFERENCES checkpoints (size),"
        " witness BYTEA NOT NULL CHECK (length(witness) = 32),"
        " data BYTEA NOT NULL,"
        " PRIMARY KEY (size, witness)"
        ")",
        _forbid("cosignatures"),
        _function("board_cosignatures_of_checkpoint",
                  "IF NOT EXISTS (SELECT 1 FROM checkpoints WHERE size = NEW.size) THEN"
                  f" {_refuse('no checkpoint of that size is stored')} END IF; RETURN NEW;"),
        "CREATE TRIGGER cosignatures_of_checkpoint BEFORE INSERT ON cosignatures"
        " FOR EACH ROW EXECUTE FUNCTION board_cosignatures_of_checkpoint()",
    ),
)
"""Migration i+1 is MIGRATIONS[i]; add new ones at the end, never edit an applied one."""

SCHEMA_VERSION = len(MIGRATIONS)

Conn = psycopg.Connection[tuple[Any, ...]]


@functools.cache
def _pg(query: str) -> str:
    """A query of SqlStore (`?` placeholders) in psycopg's `%s` style."""
    return query.replace("?", "%s")


class PostgresStore(SqlStore[Conn]):
    """An append-only board log in a PostgreSQL schema; one connection, one thread."""

    def __init__(self, url: str) -> None:
        """Connect to `url` (`postgresql://…`, optional `?schema=NAME`), create the schema if
        named and missing, and apply the migrations. StoreUnavailable if unreachable."""
        self.url = describe(url)
        """The URL without its password, for logs and messages."""
        self._conninfo, self.schema = postgres_parts(url)
        try:
            self._password = conninfo_to_dict(self._conninfo).get("password")
        except psycopg.Error:  # libpq quotes the token it cannot parse: maybe the password
            raise ValueError(f"{self.url} is not a valid PostgreSQL URL (percent-encode any "
                             "special character in it, e.g. % as %25)") from None
        self._conn: Conn | None = None
        self._closed = False
        try:
            if self.schema is None:
                current = self._one("SELECT current_schema()")[0]
                if current is None:
                    raise BoardError(f"{self.url}: no schema on the search_path to hold the board")
                self.schema = str(current)
            self._key = lock_key(self.schema)
            self._migrate()
        except BaseException:
            self.close()
            raise

    # -- connection ------------------------------------------------------------------------

    def _unavailable(self, e: BaseException) -> StoreUnavailable:
        """StoreUnavailable for a driver error, its message without the password."""
        detail = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        if self._password:
            detail = detail.replace(str(self._password), "***")
        code = getattr(e, "sqlstate", None)
        return StoreUnavailable(
            f"PostgreSQL board {self.url} unavailable: {detail}" + (f" [{code}]" if code else ""))

    def _connect(self) -> Conn:
        """A new autocommit connection set for the board (connect timeout and keepalives
        unless the URL sets them): search_path, READ COMMITTED, synchronous_commit not off,
        lock_timeout, idle_in_transaction_session_timeout."""
        params = conninfo_to_dict(self._conninfo)
        kwargs: dict[str, Any] = {k: v for k, v in NETWORK_DEFAULTS.items() if k not in params}
        if "connect_timeout" not in params:
            kwargs["connect_timeout"] = CONNECT_TIMEOUT_S
        try:
            conn: Conn = psycopg.connect(self._conninfo, autocommit=True, **kwargs)
        except psycopg.Error as e:
            raise self._unavailable(e) from e
        try:
            conn.isolation_level = psycopg.IsolationLevel.READ_COMMITTED
            if self.schema is not None:
                conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema)))
            row = conn.execute("SHOW synchronous_commit").fetchone()
            if row is None or row[0] == "off":
                conn.execute("SET synchronous_commit TO on")
            conn.execute(sql.SQL("SET lock_timeout TO {}").format(sql.Literal(LOCK_TIMEOUT)))
            conn.execute(sql.SQL("SET idle_in_transaction_session_timeout TO {}").format(
                sql.Literal(IDLE_IN_TRANSACTION_TIMEOUT)))
        except psycopg.Error as e:
            conn.close()
            if isinstance(e, (psycopg.OperationalError, psycopg.InterfaceError)):
                raise self._unavailable(e) from e
            raise
        return conn

    @property
    def conn(self) -> Conn:
        """The open connection (reconnecting if a fault dropped it); BoardError after close()."""
        if self._closed:
            raise BoardError("store is closed")
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._drop()
            self._conn = self._connect()
        return self._conn

    def _drop(self) -> None:
        """Forget the connection after a fault; the next call opens a new one."""
        if self._conn is not None:
            try:
                self._conn.close()
            except psycopg.Error:
                pass
            self._conn = None

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """Turn a lost connection or a server fault into StoreUnavailable (and reconnect next)."""
        try:
            yield
        except (psycopg.OperationalError, psycopg.InterfaceError,
                psycopg.errors.IdleInTransactionSessionTimeout) as e:
            self._drop()
            raise self._unavailable(e) from e

    @contextmanager
    def _write(self) -> Iterator[Conn]:
        """One write transaction holding the sequencer lock; rolled back on any error. A
        trigger's refusal is AppendOnlyViolation, a fault StoreUnavailable."""
        with self._guard():
            conn = self.conn
            try:
                with conn.transaction():
                    conn.execute("SELECT pg_advisory_xact_lock(%s::bigint)", (self._key,))
                    yield conn
            except psycopg.errors.RaiseException as e:
                msg = e.diag.message_primary or str(e)
                if msg.startswith(APPEND_ONLY):
                    raise AppendOnlyViolation(msg) from e
                raise BoardError(f"PostgreSQL refused the write: {msg}") from e
            except psycopg.IntegrityError as e:
                raise BoardError(
                    f"PostgreSQL constraint failed: {e.diag.message_primary or e}") from e

    def _one(self, query: str, params: tuple[Any, ...] = ()) -> Any:
        """First row of a read (None if none); faults as StoreUnavailable."""
        with self._guard():
            return self.conn.execute(_pg(query), params, binary=True).fetchone()

    def _all(self, query: str, params: tuple[Any, ...] = ()) -> list[Any]:
        """All rows of a read; faults as StoreUnavailable."""
        with self._guard():
            return self.conn.execute(_pg(query), params, binary=True).fetchall()

    def _execute(self, c: Conn, query: str, params: tuple[Any, ...] = ()) -> Any:
        return c.execute(_pg(query), params)

    def _execute_many(self, c: Conn, query: str, rows: Iterable[tuple[Any, ...]]) -> None:
        with c.cursor() as cur:
            cur.executemany(_pg(query), rows)

    def _migrate(self) -> None:
        """Create the schema if named, then apply the missing migrations in one transaction
        under the sequencer lock (two processes starting at once migrate once)."""
        target = len(MIGRATIONS)
        with self._write() as c:
            assert self.schema is not None
            # Look before creating: a role that may only read and append (no CREATE) can open
            # a board that is already migrated.
            if c.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s",
                         (self.schema,)).fetchone() is None:
                c.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(self.schema)))
            if c.execute("SELECT to_regclass('schema_version')").fetchone() == (None,):
                c.execute(_SCHEMA_VERSION_TABLE)
            row = c.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()
            current = 0 if row is None else int(row[0])
            if current > target:
                raise SchemaVersionError(
                    f"database schema version {current} is newer than this code's {target}")
            for version in range(current + 1, target + 1):
                for statement in MIGRATIONS[version - 1]:
                    c.execute(statement)
                c.execute("INSERT INTO schema_version (version, applied_at)"
                          " VALUES (%s, EXTRACT(EPOCH FROM now())::bigint)", (version,))

    # -- cosignatures ----------------------------------------------------------------------

    def add_cosignature(self, size: int, witness: bytes, data: bytes) -> bool:
        """Durably store a witness's cosignature bytes of the checkpoint at `size` (spec §8.8);
        True if stored, False if this witness already has one there (ON CONFLICT DO NOTHING
        keeps the first). AppendOnlyViolation if no checkpoint of that size is stored."""
        check_cosignature_args(size, witness, data)
        with self._write() as c:
            cur = c.execute("INSERT INTO cosignatures (size, witness, data) VALUES (%s, %s, %s)"
                            " ON CONFLICT (size, witness) DO NOTHING", (size, witness, data))
            stored = cur.rowcount == 1
        return stored

    # -- lifetime --------------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection (idempotent); the store must not be used afterwards."""
        self._closed = True
        self._drop()
