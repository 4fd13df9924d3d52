"""Choose a board store from a database URL (spec §8.6): a path or `sqlite:///path` opens an
SQLite file (the embedded default), `postgresql://…` a PostgreSQL database."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from .store import BoardStore

POSTGRES_SCHEMES = ("postgresql", "postgres")


def is_postgres(url: str | os.PathLike[str]) -> bool:
    """Does `url` name a PostgreSQL database (rather than an SQLite file)?"""
    return isinstance(url, str) and urlsplit(url).scheme in POSTGRES_SCHEMES


def sqlite_path(url: str | os.PathLike[str]) -> str:
    """The file an SQLite URL or plain path names (`sqlite:///abs/path`, `sqlite:rel/path`)."""
    s = os.fspath(url)
    if s.startswith("sqlite://"):
        return s[len("sqlite://"):]
    if s.startswith("sqlite:"):
        return s[len("sqlite:"):]
    return s


def open_store(url: str | os.PathLike[str]) -> BoardStore:
    """Open (creating and migrating if needed) the board store that `url` names."""
    if is_postgres(url):
        from .postgres import PostgresStore  # psycopg is loaded only when asked for
        return PostgresStore(os.fspath(url))
    from .sqlite import SQLiteStore
    return SQLiteStore(sqlite_path(url))


def describe(url: str | os.PathLike[str]) -> str:
    """`url` without its password, for logs and messages."""
    s = os.fspath(url)
    if not is_postgres(s):
        return sqlite_path(s)
    parts = urlsplit(s)
    if parts.password is None:
        return s
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return parts._replace(netloc=netloc).geturl()
