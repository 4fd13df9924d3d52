"""Run the app under uvicorn on one process (the board is single-writer; proof checks use the
verifier's worker processes), without an access log."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

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


@contextmanager
def in_thread(config: uvicorn.Config, *, start_timeout: float = 60.0) -> Iterator[str]:
    """uvicorn with `config` in a background thread: yields the base URL once it listens (the
    port the system chose when `config.port` is 0) and stops it on exit. For the demo's final
    witness round and for tests; `serve` is the way to run a server."""
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="hamaporsi-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("the server did not start")
        time.sleep(0.01)
    host, port = server.servers[0].sockets[0].getsockname()[:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        if thread.is_alive():
            raise RuntimeError("the server did not stop")
