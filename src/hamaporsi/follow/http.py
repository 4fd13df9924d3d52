"""The one HTTP seam of the follow layer: GET and POST with timeouts, retries with backoff on
connection errors and 502/503/504 (honouring Retry-After), a byte cap on every answer, and
strict JSON (no duplicate keys, no NaN). Nothing here knows the board's API; remote.py does."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from .errors import BadResponse, NotFound, TooLarge, Truncated, Unreachable

RETRY_STATUS = frozenset({429, 502, 503, 504})
MAX_DETAIL = 200
"""Characters of a remote's error detail quoted in our messages."""


@dataclass(frozen=True, slots=True)
class Limits:
    """Timeouts, retries and byte caps of one remote. The caps bound memory per request: an
    answer larger than its cap is refused (TooLarge) without reading the rest."""

    timeout: float = 30.0
    retries: int = 4
    """Tries after the first, for connection errors and 429/502/503/504."""
    backoff: float = 0.5
    """First wait in seconds, doubled after every failed try."""
    max_wait: float = 30.0
    """Longest wait between tries, Retry-After included."""
    small_cap: int = 1 << 20
    """Bytes of a checkpoint, a proof, the election, a witness feed answer."""
    entries_cap: int = 64 << 20
    """Bytes of one page of at most 1000 entries (an entry is at most 1 MiB, spec §4.1; a
    ballot about 3 to 36 KiB)."""

    def __post_init__(self) -> None:
        if self.timeout <= 0 or self.retries < 0 or self.backoff < 0 or self.max_wait < 0:
            raise ValueError("timeouts and waits must be positive, retries not negative")
        if self.small_cap < 1024 or self.entries_cap < 1024:
            raise ValueError("byte caps must be at least 1 KiB")


def check_base_url(url: str) -> str:
    """`url` without a trailing slash; ValueError unless it is http(s)://host[:port][/path]."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or \
            parts.fragment:
        raise ValueError(f"{url!r} is not an http:// or https:// base URL")
    return url.rstrip("/")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise ValueError("a key appears twice in one object")
    return obj


def _no_constant(name: str) -> Any:
    raise ValueError(f"invalid JSON constant {name}")


def strict_json(body: bytes, what: str) -> Any:
    """Parse an answer as UTF-8 JSON, refusing duplicate keys and NaN/Infinity; BadResponse
    naming `what` otherwise."""
    try:
        return json.loads(body.decode("utf-8"), object_pairs_hook=_no_duplicates,
                          parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise BadResponse(f"{what}: the answer is not UTF-8") from None
    except json.JSONDecodeError as e:
        hint = " (cut short?)" if e.pos >= len(body) - 1 else ""
        raise BadResponse(f"{what}: malformed JSON{hint}: {e.msg} at byte {e.pos}") from None
    except RecursionError:
        raise BadResponse(f"{what}: JSON nested too deeply") from None
    except ValueError as e:
        raise BadResponse(f"{what}: {e}") from None


def _detail(body: bytes) -> str:
    """The remote's {"error", "detail"} as one short line (never more than MAX_DETAIL chars)."""
    try:
        o = json.loads(body.decode("utf-8"))
        text = f"{o.get('error')}: {o.get('detail')}" if isinstance(o, dict) else ""
    except (ValueError, UnicodeDecodeError):
        text = ""
    text = " ".join((text or body[:MAX_DETAIL].decode("utf-8", "replace")).split())
    return text[:MAX_DETAIL]


@dataclass(frozen=True, slots=True)
class Answer:
    """One HTTP answer: status and the (capped) body."""

    status: int
    body: bytes


class Http:
    """GET/POST against one base URL with the retry policy and caps of `limits`."""

    def __init__(self, base_url: str, limits: Limits | None = None, *,
                 transport: httpx.BaseTransport | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.base_url = check_base_url(base_url)
        self.limits = limits or Limits()
        self._sleep = sleep
        self._client = httpx.Client(base_url=self.base_url, timeout=self.limits.timeout,
                                    transport=transport, follow_redirects=False,
                                    headers={"accept": "application/json"})

    def close(self) -> None:
        self._client.close()

    def _wait(self, attempt: int, answer: httpx.Response | None) -> float:
        wait = self.limits.backoff * (2 ** attempt)
        if answer is not None:
            ra = answer.headers.get("retry-after", "")
            if ra.isdigit():
                wait = max(wait, float(ra))
        return min(wait, self.limits.max_wait)

    def _once(self, method: str, path: str, params: Mapping[str, int | str] | None,
              body: bytes | None, cap: int) -> tuple[httpx.Response, bytes]:
        headers = {"content-type": "application/json"} if body is not None else None
        with self._client.stream(method, path, params=params, content=body,
                                 headers=headers) as r:
            declared = r.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > cap:
                raise TooLarge(f"{method} {path}: the answer declares {int(declared):,} bytes, "
                               f"more than the cap of {cap:,}")
            buf = bytearray()
            for chunk in r.iter_bytes():
                buf += chunk
                if len(buf) > cap:
                    raise TooLarge(f"{method} {path}: the answer exceeds the cap of {cap:,} "
                                   "bytes")
            return r, bytes(buf)

    def request(self, method: str, path: str, *, params: Mapping[str, int | str] | None = None,
                body: bytes | None = None, cap: int | None = None) -> Answer:
        """The answer to one request, after retrying connection errors and 429/5xx-busy
        answers; Unreachable when the tries are used up, Truncated for a body cut short."""
        cap = self.limits.small_cap if cap is None else cap
        last = ""
        truncated = False
        for attempt in range(self.limits.retries + 1):
            resp: httpx.Response | None = None
            try:
                resp, data = self._once(method, path, params, body, cap)
            except httpx.RemoteProtocolError as e:
                last, truncated = f"the connection broke mid-answer ({e})", True
            except httpx.TransportError as e:
                last, truncated = f"{type(e).__name__}: {e}", False
            except (httpx.InvalidURL, httpx.HTTPError) as e:  # e.g. a body that fails to decode
                raise BadResponse(f"{method} {path}: {type(e).__name__}: {e}") from None
            else:
                if resp.status_code not in RETRY_STATUS:
                    return Answer(resp.status_code, data)
                last, truncated = f"HTTP {resp.status_code} ({_detail(data)})", False
            if attempt < self.limits.retries:
                self._sleep(self._wait(attempt, resp))
        where = f"{method} {self.base_url}{path}"
        if truncated:
            raise Truncated(f"{where}: {last}")
        raise Unreachable(f"{where}: {last} after {self.limits.retries + 1} tries")

    def get_json(self, path: str, params: Mapping[str, int | str] | None = None, *,
                 cap: int | None = None, what: str | None = None) -> Any:
        """GET → parsed JSON of a 200 answer; NotFound for 404, BadResponse for anything else."""
        return strict_json(self.get_ok(path, params, cap=cap, what=what), what or path)

    def get_ok(self, path: str, params: Mapping[str, int | str] | None = None, *,
               cap: int | None = None, what: str | None = None) -> bytes:
        """GET → the body of a 200 answer; NotFound for 404, BadResponse for other statuses."""
        a = self.request("GET", path, params=params, cap=cap)
        what = what or f"GET {path}"
        if a.status == 404:
            raise NotFound(f"{what}: not found ({_detail(a.body)})")
        if a.status != 200:
            raise BadResponse(f"{what}: HTTP {a.status} ({_detail(a.body)})")
        return a.body

    def post(self, path: str, body: bytes) -> Answer:
        """POST a JSON body; any final status is returned (the caller judges it)."""
        return self.request("POST", path, body=body)


def describe_refusal(a: Answer) -> str:
    """One line for a refused POST: status and the remote's error code and detail."""
    return f"HTTP {a.status} ({_detail(a.body)})"
