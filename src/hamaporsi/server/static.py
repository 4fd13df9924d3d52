"""The booth's files from the built web/dist (same origin as the API, no third-party assets),
or, when it has not been built, a page at / that says how to build it."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from starlette.staticfiles import StaticFiles

NOT_BUILT = """hamaporsi: the booth is not built, so there is nothing to show here yet.

Build it once (Node 20 and npm):   cd web && npm ci && npm run build
then restart the server, or point it at a built booth with --web DIR.

The API is served all the same: /api/election, /api/results, /openapi.json.
"""

mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("text/javascript", ".mjs")
mimetypes.add_type("application/wasm", ".wasm")
mimetypes.add_type("font/woff2", ".woff2")


def mount_booth(app: FastAPI, web_dir: Path | None) -> None:
    """Serve `web_dir` at / (index.html for /) for every path no API route has. It is the
    router's fallback rather than a mount at "/", which would also swallow a wrong method on an
    API path (405 with the API's Allow header, not the static files' GET, HEAD)."""
    if web_dir is not None and (web_dir / "index.html").is_file():
        app.router.default = StaticFiles(directory=web_dir, html=True)
        return

    @app.get("/", include_in_schema=False)
    async def not_built() -> PlainTextResponse:
        return PlainTextResponse(NOT_BUILT, status_code=200)
