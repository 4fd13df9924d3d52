"""The HTTP clients without sockets (httpx.MockTransport): retries and backoff, byte caps,
strict JSON and shapes, entries returned as the exact bytes sent."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from hamaporsi.follow.errors import BadResponse, NotFound, TooLarge, Truncated, Unreachable
from hamaporsi.follow.http import Http, Limits, check_base_url, strict_json
from hamaporsi.follow.remote import BoardClient, WitnessClient, split_entries
from hamaporsi.protocol.checkpoint import sign_checkpoint
from hamaporsi.crypto import bip340

SECRET = bip340.generate_secret()
CP = sign_checkpoint(SECRET, "aa" * 32, 5, b"\xab" * 32, 1_700_000_000)


def board(handler: Callable[[httpx.Request], httpx.Response], **kw: object) -> BoardClient:
    limits = Limits(**{"retries": 2, "backoff": 0.0, **kw})  # type: ignore[arg-type]
    return BoardClient("http://board.test", limits, transport=httpx.MockTransport(handler))


def js(obj: object, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(obj).encode(), headers=headers)


def test_retries_503_and_connection_errors_then_succeeds() -> None:
    calls: list[str] = []

    def handler(r: httpx.Request) -> httpx.Response:
        calls.append(r.url.path)
        if len(calls) == 1:
            raise httpx.ConnectError("refused")
        if len(calls) == 2:
            return js({"error": "unavailable", "detail": "busy"}, 503, **{"retry-after": "0"})
        return js(CP.to_json())

    assert board(handler).checkpoint() == CP
    assert len(calls) == 3


def test_unreachable_after_the_retries() -> None:
    calls = 0

    def handler(_: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return js({"error": "unavailable", "detail": "down"}, 503)

    with pytest.raises(Unreachable, match="HTTP 503 .*unavailable: down.* after 3 tries"):
        board(handler).checkpoint()
    assert calls == 3


def test_backoff_doubles_and_honours_retry_after() -> None:
    waits: list[float] = []
    h = Http("http://x.test", Limits(retries=3, backoff=0.5, max_wait=4.0),
             transport=httpx.MockTransport(lambda r: js({}, 503, **{"retry-after": "3"})),
             sleep=waits.append)
    with pytest.raises(Unreachable):
        h.get_json("/a")
    assert waits == [3.0, 3.0, 3.0]
    waits.clear()
    h = Http("http://x.test", Limits(retries=3, backoff=0.5, max_wait=1.5),
             transport=httpx.MockTransport(lambda r: js({}, 502)), sleep=waits.append)
    with pytest.raises(Unreachable):
        h.get_json("/a")
    assert waits == [0.5, 1.0, 1.5]


def test_not_found_and_other_statuses() -> None:
    c = board(lambda r: js({"error": "no_checkpoint", "detail": "none yet"}, 404))
    with pytest.raises(NotFound, match="no_checkpoint: none yet"):
        c.checkpoint()
    c = board(lambda r: js({"error": "bad_request", "detail": "x"}, 400))
    with pytest.raises(BadResponse, match="HTTP 400"):
        c.checkpoint()
    c = board(lambda r: httpx.Response(302, headers={"location": "http://elsewhere/"}))
    with pytest.raises(BadResponse, match="HTTP 302"):
        c.checkpoint()  # redirects are not followed


def test_caps_by_declared_length_and_by_streamed_bytes() -> None:
    big = js({"pad": "x" * 5000})
    c = board(lambda r: big, small_cap=4096)
    with pytest.raises(TooLarge, match="declares 5,011 bytes"):
        c.checkpoint()

    def chunked(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=iter([b'{"a":"' + b"x" * 3000, b"x" * 3000 + b'"}']))

    with pytest.raises(TooLarge, match="exceeds the cap of 4,096"):
        board(chunked, small_cap=4096).checkpoint()


def test_a_body_that_does_not_decode_is_a_bad_response() -> None:
    def handler(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"not gzip at all", headers={"content-encoding": "gzip"})

    with pytest.raises(BadResponse, match="DecodingError"):
        board(handler).checkpoint()


def test_body_cut_short_is_truncated_after_retries() -> None:
    calls = 0

    def handler(_: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.RemoteProtocolError("peer closed connection without sending complete body")

    with pytest.raises(Truncated, match="broke mid-answer"):
        board(handler).checkpoint()
    assert calls == 3


def test_strict_json() -> None:
    assert strict_json(b'{"a": [1, 2]}', "x") == {"a": [1, 2]}
    for body, reason in ((b'{"a":1,"a":2}', "twice"), (b'{"a": NaN}', "NaN"),
                         (b'{"a": [1, 2', "cut short"), (b"\xff", "not UTF-8"),
                         (b"[" * 100_000, "nested|malformed")):
        with pytest.raises(BadResponse, match=reason):
            strict_json(body, "x")


def test_checkpoint_parsed_strictly() -> None:
    extra = {**CP.to_json(), "note": "hi"}
    with pytest.raises(BadResponse, match="keys must be exactly"):
        board(lambda r: js(extra)).checkpoint()
    upper = {**CP.to_json(), "root": CP.root.hex().upper()}
    with pytest.raises(BadResponse, match="root must be 64 lowercase hex"):
        board(lambda r: js(upper)).checkpoint()
    with pytest.raises(BadResponse, match="size must be an integer"):
        board(lambda r: js({**CP.to_json(), "size": 5.0})).checkpoint()


def test_checkpoints_newest_first_returned_increasing() -> None:
    a = sign_checkpoint(SECRET, "aa" * 32, 3, b"\x02" * 32, 1)
    got = board(lambda r: js({"checkpoints": [CP.to_json(), a.to_json()]})).checkpoints(5)
    assert got == [a, CP]
    with pytest.raises(BadResponse, match="strictly in order"):
        board(lambda r: js({"checkpoints": [a.to_json(), CP.to_json()]})).checkpoints(5)


def test_checkpoints_after_pages_oldest_first_and_checks_the_order() -> None:
    cps = [sign_checkpoint(SECRET, "aa" * 32, n, b"\x02" * 32, n) for n in range(1, 8)]
    asked: list[str] = []

    def page(r: httpx.Request) -> httpx.Response:
        asked.append(r.url.query.decode())
        after, limit = int(r.url.params["after"]), int(r.url.params["limit"])
        return js({"checkpoints": [c.to_json() for c in cps if c.size > after][:limit]})

    assert board(page).checkpoints_after(-1, page=3, below=100) == cps
    assert asked == ["limit=3&after=-1", "limit=3&after=3", "limit=3&after=6"]
    assert board(page).checkpoints_after(5, page=3, below=100) == cps[5:]
    with pytest.raises(BadResponse, match="strictly in order"):  # newest first is not a page
        board(lambda r: js({"checkpoints": [cps[1].to_json(), cps[0].to_json()]})
              ).checkpoints(5, after=0)
    with pytest.raises(BadResponse, match="asked for sizes after 4"):
        board(lambda r: js({"checkpoints": [cps[2].to_json()]})).checkpoints(5, after=4)


def test_checkpoints_after_stops_below_a_size_on_an_endless_board() -> None:
    """A board that answers every page with a full page of ever larger (unsigned, cheap) sizes
    made the pager ask forever, holding every one in memory; paging up to a size stops there."""
    asked: list[int] = []

    def endless(r: httpx.Request) -> httpx.Response:
        after, limit = int(r.url.params["after"]), int(r.url.params["limit"])
        asked.append(after)
        if len(asked) > 50:
            return js({"error": "stop", "detail": "asked too often"}, 400)
        return js({"checkpoints": [sign_checkpoint(SECRET, "aa" * 32, after + i, b"\x02" * 32,
                                                   1).to_json() for i in range(1, limit + 1)]})

    got = board(endless).checkpoints_after(-1, page=3, below=10)
    assert [c.size for c in got] == list(range(10))
    assert len(asked) == 4


def test_split_entries_keeps_the_exact_bytes() -> None:
    body = b' { "start" : 7 ,\n "entries" : [ {"b":1, "a":2} , {"x":"]},{"} ] } '
    start, items = split_entries(body)
    assert start == 7 and items == [b'{"b":1, "a":2}', b'{"x":"]},{"}']
    assert split_entries(b'{"entries":[],"start":0}') == (0, [])
    for bad, reason in ((b'{"entries":[{"a":1}', "cut short"), (b'{"entries":[1 2],"start":0}',
                                                                 "expected ','"),
                        (b'{"entries":[],"start":0,"x":1}', "expected keys"),
                        (b'{"entries":[],"entries":[],"start":0}', "repeated"),
                        (b'{"entries":[],"start":0} x', "after the JSON"),
                        (b'[]', "expected a JSON object"),
                        (b'{"entries":[' + b"[" * 100_000, "nested|malformed")):
        with pytest.raises(BadResponse, match=reason):
            split_entries(bad)


def test_entries_count_and_range() -> None:
    c = board(lambda r: httpx.Response(200, content=b'{"entries":[{"a":1}],"start":0}'))
    assert c.entries(0, 1) == [b'{"a":1}']
    assert c.entries(0, 2) == [b'{"a":1}']  # a page the board cut at its byte budget
    two = board(lambda r: httpx.Response(200, content=b'{"entries":[{"a":1},{"b":2}],"start":0}'))
    with pytest.raises(BadResponse, match="got 2 entries"):  # more than asked for
        two.entries(0, 1)
    empty = board(lambda r: httpx.Response(200, content=b'{"entries":[],"start":0}'))
    with pytest.raises(BadResponse, match="got 0 entries"):  # nothing would never finish
        empty.entries(0, 2)
    with pytest.raises(ValueError):
        c.entries(0, 1001)


def test_entry_pages_continue_after_a_short_page() -> None:
    log = [f'{{"n":{i}}}'.encode() for i in range(10)]

    def short_pages(r: httpx.Request) -> httpx.Response:  # at most 3 per answer
        lo, hi = int(r.url.params["start"]), int(r.url.params["end"])
        rows = log[lo:min(hi, lo + 3)]
        return httpx.Response(200, content=b'{"entries":[' + b",".join(rows) + b'],"start":'
                              + str(lo).encode() + b"}")

    pages = list(board(short_pages).entry_pages(1, 10, page=5))
    assert [len(p) for p in pages] == [3, 3, 3] and [e for p in pages for e in p] == log[1:]


def test_consistency_shape() -> None:
    h = "ab" * 32
    c = board(lambda r: js({"from": 1, "to": 4, "proof": [h]}))
    assert c.consistency(1, 4) == [bytes.fromhex(h)]
    with pytest.raises(BadResponse, match="asked for 2→4"):
        c.consistency(2, 4)
    c = board(lambda r: js({"from": 1, "to": 4, "proof": [h] * 65}))
    with pytest.raises(BadResponse, match="at most 64"):
        c.consistency(1, 4)


def test_post_cosignature_outcomes() -> None:
    from hamaporsi.protocol.cosignature import cosign
    cs = cosign(bip340.generate_secret(), CP, 1)
    seen: list[bytes] = []

    def make(status: int, body: object) -> BoardClient:
        def handler(r: httpx.Request) -> httpx.Response:
            seen.append(r.content)
            assert r.headers["content-type"] == "application/json"
            return js(body, status)
        return board(handler)

    assert make(201, {"stored": True}).post_cosignature(cs).stored is True
    assert make(200, {"stored": False}).post_cosignature(cs).stored is False
    p = make(403, {"error": "unknown_witness", "detail": "not listed"}).post_cosignature(cs)
    assert p.stored is None and "403" in p.refusal and "unknown_witness" in p.refusal
    assert seen[0] == cs.to_bytes()


def test_witness_feed_head() -> None:
    from hamaporsi.protocol.cosignature import cosign
    secret = bip340.generate_secret()
    cs = cosign(secret, CP, 1)
    key = bip340.public_key(secret).hex()
    body = {"witness": key, "election": CP.election_id,
            "latest": {"checkpoint": CP.to_json(), "cosignature": cs.to_json()}}
    w = WitnessClient("http://w.test", Limits(retries=0),
                      transport=httpx.MockTransport(lambda r: js(body)))
    head = w.head()
    assert head.checkpoint == CP and head.cosignature == cs and head.election == CP.election_id
    empty = {"witness": key, "election": None, "latest": None}
    w = WitnessClient("http://w.test", Limits(retries=0),
                      transport=httpx.MockTransport(lambda r: js(empty)))
    assert w.head().checkpoint is None
    bad = {**body, "latest": {"checkpoint": CP.to_json()}}
    w = WitnessClient("http://w.test", Limits(retries=0),
                      transport=httpx.MockTransport(lambda r: js(bad)))
    with pytest.raises(BadResponse, match="witness: latest"):
        w.head()


def test_base_url() -> None:
    assert check_base_url("http://127.0.0.1:8000/") == "http://127.0.0.1:8000"
    for bad in ("ftp://x", "127.0.0.1:8000", "http://x/?a=1", "http://"):
        with pytest.raises(ValueError):
            check_base_url(bad)
