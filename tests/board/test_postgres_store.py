"""PostgresStore only: session settings, schemas and lock keys, concurrent migration, and faults
(connection killed, disk full, lock wait, server unreachable) raised as StoreUnavailable with
nothing stored and a transparent reconnect on the next call (spec §8.6.4)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from psycopg import sql

from hamaporsi.board import postgres as postgres_mod
from hamaporsi.board.errors import BoardError, StoreUnavailable
from hamaporsi.board.open import open_store, postgres_parts
from hamaporsi.board.postgres import PostgresStore, lock_key


@contextmanager
def raw(url: str) -> Iterator[psycopg.Connection[Any]]:
    """An autocommit connection to the board's database, search_path on its schema."""
    conninfo, schema = postgres_parts(url)
    with psycopg.connect(conninfo, autocommit=True) as c:
        c.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema or "public")))
        yield c


@pytest.fixture
def store(pg_url: str) -> Iterator[PostgresStore]:
    s = PostgresStore(pg_url)
    yield s
    s.close()


def test_open_store_picks_postgres_and_the_schema(pg_url: str, store: PostgresStore) -> None:
    with open_store(pg_url) as s:  # type: ignore[attr-defined]
        assert isinstance(s, PostgresStore)
    schema = postgres_parts(pg_url)[1]
    assert store.schema == schema
    c = store.conn
    assert c.execute("SELECT current_schema()").fetchone() == (schema,)
    tables = {r[0] for r in c.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,))}
    assert tables == {"entries", "checkpoints", "cosignatures", "schema_version"}
    assert store.schema_version() == 2 == postgres_mod.SCHEMA_VERSION


def test_session_settings_are_enforced(pg_url: str) -> None:
    """Durable commits and READ COMMITTED whatever the server or URL default says."""
    url = pg_url + "&options=-c%20synchronous_commit%3Doff%20-c%20default_transaction_isolation%3Dserializable"  # noqa: E501
    with PostgresStore(url) as s:
        c = s.conn
        assert c.execute("SHOW synchronous_commit").fetchone() == ("on",)
        assert c.execute("SHOW lock_timeout").fetchone() == ("30s",)
        seen: list[str] = []
        s.append_checked(b"x", lambda idx: seen.append(
            c.execute("SHOW transaction_isolation").fetchone()[0]))  # type: ignore[index]
        assert seen == ["read committed"]


def test_a_dead_network_is_noticed_in_bounded_time(pg_url: str) -> None:
    """A query whose answer never comes (the network to the database cut without a reset) would
    hang the board thread for the OS keepalive default, two hours and more: connections probe
    an idle link after seconds and give up on unacknowledged data, unless the URL says
    otherwise."""
    with PostgresStore(pg_url) as s:
        p = s.conn.info.get_parameters()
        assert int(p["keepalives_idle"]) + int(p["keepalives_interval"]) * int(
            p["keepalives_count"]) <= 60
        assert 0 < int(p["tcp_user_timeout"]) <= 60_000
    with PostgresStore(pg_url + "&keepalives_idle=99&tcp_user_timeout=1234") as s:
        p = s.conn.info.get_parameters()
        assert (p["keepalives_idle"], p["tcp_user_timeout"]) == ("99", "1234")


def test_schemas_are_separate_boards(pg_base_url: str, pg_url: str, store: PostgresStore) -> None:
    """Two schemas of one database hold two boards with their own sequences and lock keys."""
    other_url = pg_url.replace("schema=", "schema=other_")
    try:
        with PostgresStore(other_url) as other:
            store.append_many([b"a", b"b"])
            assert other.append(b"z") == 0
            assert other.size() == 1 and store.size() == 2
            assert other.schema != store.schema
            assert lock_key(other.schema or "") != lock_key(store.schema or "")
    finally:
        with psycopg.connect(pg_base_url, autocommit=True) as c:
            c.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                sql.Identifier(postgres_parts(other_url)[1] or "")))
    assert lock_key("board1") == lock_key("board1") != lock_key("board2")


def test_without_schema_option_the_search_path_decides(pg_url: str) -> None:
    conninfo, schema = postgres_parts(pg_url)
    assert schema is not None
    with psycopg.connect(conninfo, autocommit=True) as c:
        c.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    url = f"{conninfo}?options=-c%20search_path%3D{schema}"
    with PostgresStore(url) as s:
        assert s.schema == schema
        s.append(b"x")
    with PostgresStore(pg_url) as s:  # the same board, named by the option
        assert [e for _, e in s.entries()] == [b"x"]


def test_concurrent_first_opens_migrate_once(pg_url: str) -> None:
    """Several processes starting at once on a fresh schema: one migrates, all open."""
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def start() -> None:
        try:
            barrier.wait()
            PostgresStore(pg_url).close()
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with raw(pg_url) as c:
        assert c.execute("SELECT version FROM schema_version ORDER BY version").fetchall() == [
            (1,), (2,)]


def _terminate(pg_base_url: str, pid: int) -> None:
    with psycopg.connect(pg_base_url, autocommit=True) as c:
        assert c.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)


def test_killed_connection_is_unavailable_then_reconnects(pg_base_url: str,
                                                          store: PostgresStore) -> None:
    store.append(b"a")
    old_pid = store.conn.info.backend_pid
    _terminate(pg_base_url, old_pid)
    with pytest.raises(StoreUnavailable) as e:
        store.append(b"b")
    assert store.url in str(e.value)
    assert store.size() == 1  # nothing stored; this call reconnected
    assert store.conn.info.backend_pid != old_pid
    assert store.conn.execute("SELECT current_schema()").fetchone() == (store.schema,)
    assert store.append(b"b") == 1
    _terminate(pg_base_url, store.conn.info.backend_pid)
    with pytest.raises(StoreUnavailable):
        store.size()  # reads too
    assert [e for _, e in store.entries()] == [b"a", b"b"]


def test_connection_killed_inside_the_transaction_stores_nothing(pg_base_url: str,
                                                                 store: PostgresStore) -> None:
    store.append(b"a")
    pid = store.conn.info.backend_pid

    def check(i: int, idx: int) -> bool:
        if i == 1:
            _terminate(pg_base_url, pid)
        return True

    with pytest.raises(StoreUnavailable):
        store.append_each_checked([b"b", b"c", b"d"], check)
    assert [e for _, e in store.entries()] == [b"a"]
    assert store.append_each_checked([b"b", b"c"], lambda i, idx: True) == [1, 2]


def test_disk_full_is_unavailable_and_stores_nothing(store: PostgresStore) -> None:
    """The server's own 53100 (raised here by a trigger, as a full disk would) rolls back."""
    store.append(b"a")
    with raw(store.url) as c:
        c.execute("CREATE FUNCTION full_disk() RETURNS trigger LANGUAGE plpgsql AS $$"
                  " BEGIN RAISE EXCEPTION 'could not extend file' USING ERRCODE = 'disk_full';"
                  " END $$")
        c.execute("CREATE TRIGGER full_disk AFTER INSERT ON entries"
                  " FOR EACH ROW WHEN (NEW.idx >= 2) EXECUTE FUNCTION full_disk()")
    with pytest.raises(StoreUnavailable, match="53100"):
        store.append_many([b"b", b"c", b"d"])
    assert store.size() == 1
    assert store.append(b"b") == 1  # fits: index 1
    with pytest.raises(StoreUnavailable):
        store.append(b"c")
    with raw(store.url) as c:
        c.execute("DROP TRIGGER full_disk ON entries")
    assert store.append_many([b"c", b"d"]) == [2, 3]
    assert [e for _, e in store.entries()] == [b"a", b"b", b"c", b"d"]


def test_sequencer_lock_wait_times_out_as_unavailable(pg_url: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer stuck holding the sequencer lock: others give up after lock_timeout."""
    monkeypatch.setattr(postgres_mod, "LOCK_TIMEOUT", "50ms")
    with PostgresStore(pg_url) as s:
        s.append(b"a")
        with raw(pg_url) as holder, holder.transaction():
            holder.execute("SELECT pg_advisory_xact_lock(%s::bigint)", (lock_key(s.schema or ""),))
            with pytest.raises(StoreUnavailable, match="55P03"):
                s.append(b"b")
            assert s.size() == 1  # reads do not wait for the sequencer
        assert s.append(b"b") == 1


def test_a_writer_stuck_holding_the_sequencer_loses_it(pg_url: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer that stops inside its transaction (a hung board thread, SIGSTOP, a frozen VM:
    its kernel still answers TCP keepalives) would block every writer of the board for good;
    the server ends its session once it idles in the transaction, so the others go on, and the
    stuck writer's batch is not stored (StoreUnavailable when it wakes, then it reconnects)."""
    monkeypatch.setattr(postgres_mod, "IDLE_IN_TRANSACTION_TIMEOUT", "300ms")
    monkeypatch.setattr(postgres_mod, "LOCK_TIMEOUT", "10s")
    with PostgresStore(pg_url) as stuck, PostgresStore(pg_url) as other:
        stuck.append(b"a")
        inside, resume = threading.Event(), threading.Event()
        failed: list[BaseException] = []

        def hang(i: int, idx: int) -> bool:
            inside.set()
            resume.wait(60)
            return True

        def run() -> None:
            try:
                stuck.append_each_checked([b"stuck"], hang)
            except BaseException as e:  # noqa: BLE001 - the test looks at what it was
                failed.append(e)

        t = threading.Thread(target=run)
        t.start()
        try:
            assert inside.wait(30)
            assert other.append(b"b") == 1  # else: 55P03 after the lock timeout
        finally:
            resume.set()
            t.join()
        assert len(failed) == 1 and isinstance(failed[0], StoreUnavailable), failed
        assert stuck.append(b"c") == 2  # reconnected
        assert [e for _, e in other.entries()] == [b"a", b"b", b"c"]


def test_unreachable_server_message_has_no_password() -> None:
    url = "postgresql://postgres:s3cret-pw@127.0.0.1:1/test?schema=x&connect_timeout=5"
    with pytest.raises(StoreUnavailable) as e:
        PostgresStore(url)
    assert "s3cret" not in str(e.value)
    assert "postgres:***@127.0.0.1:1" in str(e.value)


@pytest.mark.parametrize("url", [
    "postgresql://postgres:50%off-pw@127.0.0.1/test",  # a bare % in the password
    "postgresql://postgres:s3cret%00pw@127.0.0.1/test",
    "postgresql://postgres:s3cret-pw@127.0.0.1/test?bogus_option=1",
])
def test_malformed_url_message_has_no_password(url: str) -> None:
    """libpq quotes the token it cannot parse, here the password: the store's refusal does not,
    nor does any exception a traceback would print with it."""
    with pytest.raises(ValueError) as e:
        PostgresStore(url)
    chain: BaseException | None = e.value
    while chain is not None:
        assert "50%off" not in str(chain) and "s3cret" not in str(chain)
        chain = chain.__cause__ or (None if chain.__suppress_context__ else chain.__context__)
    assert "postgres:***@127.0.0.1" in str(e.value)


def test_closed_store_does_not_reconnect(store: PostgresStore) -> None:
    store.close()
    with pytest.raises(BoardError, match="closed"):
        store.append(b"x")
    store.close()


def test_a_role_that_may_only_read_and_append(pg_base_url: str, pg_url: str) -> None:
    """Servers can run as a role with SELECT and INSERT only: it opens a migrated board and
    appends, and cannot even try to rewrite it (no UPDATE/DELETE privilege, no DROP TRIGGER)."""
    PostgresStore(pg_url).close()  # migrated by the owner
    schema = postgres_parts(pg_url)[1] or ""
    role = f"{schema}_writer"
    with psycopg.connect(pg_base_url, autocommit=True) as c:
        c.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(role)))
        c.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(
            sql.Identifier(schema), sql.Identifier(role)))
        c.execute(sql.SQL("GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA {} TO {}").format(
            sql.Identifier(schema), sql.Identifier(role)))
    try:
        with PostgresStore(f"{pg_url}&options=-c%20role%3D{role}") as s:
            assert s.conn.execute("SELECT current_user").fetchone() == (role,)
            assert s.append_many([b"a", b"b"]) == [0, 1]
            assert [e for _, e in s.entries()] == [b"a", b"b"]
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                s.conn.execute("DROP TRIGGER entries_append_only ON entries")
    finally:
        with psycopg.connect(pg_base_url, autocommit=True) as c:
            c.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
            c.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))
