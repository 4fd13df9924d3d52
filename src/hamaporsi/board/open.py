"""Choose a board store from a database URL (spec §8.6): a path or `sqlite:///path` opens an
SQLite file (the embedded default), `postgresql://…` a PostgreSQL database.

Options in the URL's query, removed before the URL reaches the database driver:
`sqlite:///path?max_pages=N` caps the SQLite file at N pages (writes beyond it raise
StoreUnavailable); `postgresql://…?schema=NAME` keeps the board's tables in schema NAME (created
if missing) instead of the connection's default search_path. A plain path is taken literally.
"""

from __future__ import annotations

import os
from urllib.parse import parse_qsl, unquote, urlsplit

from .store import BoardStore

POSTGRES_SCHEMES = ("postgresql", "postgres")


def is_postgres(url: str | os.PathLike[str]) -> bool:
    """Does `url` name a PostgreSQL database (rather than an SQLite file)?"""
    return isinstance(url, str) and urlsplit(url).scheme in POSTGRES_SCHEMES


def _sqlite_parts(url: str | os.PathLike[str]) -> tuple[str, dict[str, str]]:
    """(file path, query options) of an SQLite URL; a plain path has no options."""
    s = os.fspath(url)
    for prefix in ("sqlite://", "sqlite:"):
        if s.startswith(prefix):
            rest = s[len(prefix):]
            path, sep, query = rest.partition("?")
            options = dict(parse_qsl(query, keep_blank_values=True, strict_parsing=True)) if sep \
                else {}
            unknown = set(options) - {"max_pages"}
            if unknown:
                raise ValueError(f"unknown SQLite URL option(s): {', '.join(sorted(unknown))}")
            return path, options
    return s, {}


def sqlite_path(url: str | os.PathLike[str]) -> str:
    """The file an SQLite URL or plain path names (`sqlite:///abs/path`, `sqlite:rel/path`)."""
    return _sqlite_parts(url)[0]


def sqlite_max_pages(url: str | os.PathLike[str]) -> int | None:
    """The `max_pages` option of an SQLite URL, or None."""
    value = _sqlite_parts(url)[1].get("max_pages")
    if value is None:
        return None
    if not value.isdigit() or int(value) < 1:
        raise ValueError("max_pages must be a positive integer")
    return int(value)


def postgres_parts(url: str) -> tuple[str, str | None]:
    """(connection URL for the driver, schema or None): the `schema` option taken out."""
    parts = urlsplit(url)
    fields = [f for f in parts.query.split("&") if f]  # kept byte for byte for libpq
    schemas = [unquote(f.partition("=")[2]) for f in fields if f.partition("=")[0] == "schema"]
    if len(schemas) > 1 or (schemas and not schemas[0]):
        raise ValueError("the schema option must be given once, not empty")
    rest = "&".join(f for f in fields if f.partition("=")[0] != "schema")
    return parts._replace(query=rest).geturl(), (schemas[0] if schemas else None)


def open_store(url: str | os.PathLike[str]) -> BoardStore:
    """Open (creating and migrating if needed) the board store that `url` names."""
    if is_postgres(url):
        from .postgres import PostgresStore  # psycopg is loaded only when asked for
        return PostgresStore(os.fspath(url))
    from .sqlite import SQLiteStore
    return SQLiteStore(sqlite_path(url), max_pages=sqlite_max_pages(url))


def describe(url: str | os.PathLike[str]) -> str:
    """`url` without its password, for logs and messages."""
    s = os.fspath(url)
    if not is_postgres(s):
        return sqlite_path(s)
    parts = urlsplit(s)
    if parts.password is not None:
        user, _, host = parts.netloc.rpartition("@")
        parts = parts._replace(netloc=f"{user.partition(':')[0]}:***@{host}")
    fields = parts.query.split("&")
    if any(f.partition("=")[0] == "password" for f in fields):
        parts = parts._replace(query="&".join(
            "password=***" if f.partition("=")[0] == "password" else f for f in fields))
    return parts.geturl()
