"""Run the app under uvicorn on one process (the board is single-writer; proof checks use the
verifier's worker processes), without an access log."""

from __future__ import annotations

import uvicorn

from .app import create_app
from .config import ServerConfig
from .logs import LOG_CONFIG


def uvicorn_config(config: ServerConfig) -> uvicorn.Config:
    return uvicorn.Config(create_app(config), host=config.host, port=config.port,
                          access_log=False, log_config=LOG_CONFIG, server_header=False,
                          proxy_headers=False, lifespan="on", timeout_graceful_shutdown=10)


def serve(config: ServerConfig) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM); returns after a clean shutdown (uvicorn
    re-raises the interrupt once it has shut down: that is the normal way out here)."""
    try:
        uvicorn.Server(uvicorn_config(config)).run()
    except KeyboardInterrupt:
        pass
