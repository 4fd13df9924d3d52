"""Logging for `hamaporsi serve` (issue 3 §4): no access log, and no line of ours names a client
address or a ballot, so the logs never pair a ballot with where or exactly when it came from."""

from __future__ import annotations

from typing import Any

LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain",
                            "stream": "ext://sys.stderr"}},
    "loggers": {
        "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        "uvicorn.error": {"level": "INFO"},
        "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
        "hamaporsi": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
    },
}
"""uvicorn's `log_config`; access logging is also switched off (`access_log=False`)."""
