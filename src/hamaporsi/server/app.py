"""`create_app(config)`: the FastAPI app of `hamaporsi serve` — the API of docs/api.md, the booth's
static files, security headers around everything, errors as {"error", "detail", "message"}.

Database faults (unreachable, full, locked too long) on any endpoint are 503 `unavailable` with
Retry-After: the failed transaction stored nothing and left the ledger as it was, the board
thread lives on, and the next request reconnects and catches up by itself."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.routing import Match, Route
from starlette.types import ASGIApp

from .. import __version__
from ..board.errors import BoardError, StoreUnavailable
from ..board.open import describe
from ..protocol.errors import ProtocolError
from . import checkpointer, routes_cast, routes_read, routes_witness
from .bundle import bundle_hash
from .cast import Caster
from .config import ServerConfig
from .errors import ApiError, error_body
from .security import SecurityHeaders
from .service import BoardService
from .static import mount_booth

log = logging.getLogger("hamaporsi.server")
JSON = "application/json"
HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "too_large",
              415: "unsupported_media_type"}


class HamaporsiApp(FastAPI):
    """FastAPI with the security headers outside everything, 500 pages included."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(super().build_middleware_stack())


def _error(status: int, code: str, detail: str,
           headers: dict[str, str] | None = None) -> Response:
    return Response(error_body(code, detail), status_code=status, media_type=JSON,
                    headers=headers)


def db_errors() -> tuple[type[Exception], ...]:
    """The drivers' "cannot do it now" errors that may escape a store (a store should raise
    StoreUnavailable for them): SQLite's, and psycopg's when it is installed."""
    out: list[type[Exception]] = [sqlite3.OperationalError]
    try:
        import psycopg
    except ImportError:
        pass
    else:
        out.append(psycopg.OperationalError)
    return tuple(out)


DB_ERRORS = db_errors()
FAULTS: tuple[type[Exception], ...] = (BoardError, *DB_ERRORS)


def scrub(text: str, url: str) -> str:
    """`text` with the database URL's password (if any) masked, on one line."""
    from urllib.parse import urlsplit
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    if password:
        text = text.replace(password, "***")
    return " ".join(text.split())[:300]


def _allowed(app: FastAPI, request: Request) -> list[str]:
    """The methods of every route on the request's path (GET and POST of one path are two
    routes; Starlette's 405 names only the first one's)."""
    methods: set[str] = set()
    todo: list[Any] = list(app.router.routes)
    while todo:
        route = todo.pop()
        inner = getattr(getattr(route, "original_router", route), "routes", None)
        if isinstance(inner, list) and not isinstance(route, Route):  # an included router
            todo += inner
        elif isinstance(route, Route) and route.methods:
            if route.matches(request.scope)[0] != Match.NONE:
                methods |= route.methods
    return sorted(methods)


def _install_error_handlers(app: FastAPI, config: ServerConfig) -> None:
    retry = {"Retry-After": str(config.retry_after)}

    async def api_error(_: Request, e: Exception) -> Response:
        assert isinstance(e, ApiError)
        headers = e.headers if e.status != 503 or "Retry-After" in e.headers else \
            {**e.headers, **retry}
        return _error(e.status, e.code, e.detail, headers)

    async def http_error(request: Request, e: Exception) -> Response:
        assert isinstance(e, HTTPException)
        code = HTTP_CODES.get(e.status_code, "bad_request")
        detail = e.detail if isinstance(e.detail, str) else code
        headers = dict(e.headers or {})
        if e.status_code == 405:  # every method of the path, not only the first route's
            headers["Allow"] = ", ".join(_allowed(app, request)) or headers.get("Allow", "")
        return _error(e.status_code, code, detail, headers)

    async def validation_error(_: Request, e: Exception) -> Response:
        assert isinstance(e, RequestValidationError)
        parts = [f"{'.'.join(str(x) for x in err.get('loc', ()))}: {err.get('msg', '')}"
                 for err in e.errors()[:3]]
        return _error(400, "bad_request", "; ".join(parts) or "invalid parameters")

    async def board_error(_: Request, e: Exception) -> Response:
        log.error("board error: %s", scrub(str(e), config.url))
        return _error(503, "unavailable", "the board cannot serve this request now", retry)

    async def store_unavailable(_: Request, e: Exception) -> Response:
        """The database is unreachable or full: nothing of this request was stored."""
        log.warning("board database %s unavailable: %s: %s", describe(config.url),
                    type(e).__name__, scrub(str(e), config.url))
        return _error(503, "unavailable", "the board's database cannot be reached or written "
                      "now; nothing was stored; try again shortly", retry)

    async def protocol_error(_: Request, e: Exception) -> Response:
        """A protocol error no route turned into a refusal: the board moved under a read (e.g.
        a checkpoint past the cached tree); the next try sees a consistent board."""
        log.error("protocol error outside a refusal: %s (%s)", type(e).__name__,
                  getattr(e, "code", "?"))
        return _error(503, "unavailable", "the board changed during this request; try again",
                      {"Retry-After": "1"})

    async def internal(_: Request, e: Exception) -> Response:
        return _error(500, "internal_error", "unexpected server error")

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(BoardError, board_error)
    app.add_exception_handler(sqlite3.Error, board_error)
    app.add_exception_handler(StoreUnavailable, store_unavailable)
    for cls in DB_ERRORS:
        app.add_exception_handler(cls, store_unavailable)
    app.add_exception_handler(ProtocolError, protocol_error)
    app.add_exception_handler(Exception, internal)


def _tidy_openapi(app: FastAPI) -> None:
    """Drop FastAPI's automatic 422 (our parameter errors are 400 `bad_request`)."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = original()
        for path in schema.get("paths", {}).values():
            for op in path.values():
                r422 = op.get("responses", {}).get("422", {})
                ref = str(r422.get("content", {}).get(JSON, {}).get("schema", {}).get("$ref"))
                if ref.endswith("/HTTPValidationError"):
                    del op["responses"]["422"]
        comps = schema.get("components", {}).get("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            comps.pop(name, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(config: ServerConfig) -> FastAPI:
    """The app over the board in `config.db`; the board opens when the app starts (lifespan)."""
    service = BoardService(config)
    caster = Caster(service, config)
    if config.web_dir is not None and (config.web_dir / "index.html").is_file():
        service.booth_hash = bundle_hash(config.web_dir)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await service.astart()
        await caster.start_verifier()
        task = asyncio.create_task(checkpointer.run(service, caster, config.checkpoint_every))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            try:  # every acknowledged entry leaves with a checkpoint that covers it
                await checkpointer.tick(service, caster, force=True)
            except FAULTS as e:  # the next start (or another process) signs it
                log.warning("no final checkpoint: %s", scrub(str(e), config.url))
            finally:
                caster.close()
                await service.astop()

    app = HamaporsiApp(
        title="hamaporsi", version=__version__, lifespan=lifespan, docs_url=None,
        redoc_url=None, openapi_url="/openapi.json",
        description="Casting server and public board of a hamaporsi referendum (docs/api.md).")
    app.state.service = service
    app.state.caster = caster
    app.state.config = config
    _install_error_handlers(app, config)
    app.include_router(routes_cast.router(caster, config.body_cap))
    app.include_router(routes_read.router(service))
    app.include_router(routes_witness.router(service))
    mount_booth(app, config.web_dir)
    _tidy_openapi(app)
    return app
