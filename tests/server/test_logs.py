"""The logs never pair a ballot with an IP address (issue 3 §4): no access log, and no line of
the server's names the client's address, or a tracking code. Checked in process (every log
record, any level) and under a real uvicorn with the logging of `hamaporsi serve`, with the
client connecting from its own loopback address (127.0.0.2)."""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx
import pytest

from hamaporsi.protocol.canonical import canonical_bytes

from support.election import Election
from support.server import CLIENT, JSON, TestClient, cast, config_for, live_server, tick

CLIENT_ADDRESS = "127.0.0.2"


def test_no_record_names_the_client_or_a_ballot(
        opened: Election, serve: Callable[..., TestClient],
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    c = serve(opened)
    codes = []
    for voter in range(3):
        b = opened.ballot(voter, [voter % 3])
        codes.append(cast(c, b.bytes).json()["tracking_code"])
        cast(c, b.bytes)  # a replay: refused
    cast(c, b"{not json")
    codes.append(cast(c, canonical_bytes(opened.ballot(3, [1]).audit_entry()),
                      "audit").json()["tracking_code"])
    tick(c)
    for tc in codes:
        assert c.get(f"/api/ballots/{tc}").json()["status"] == "included"
    server_side = [r for r in caplog.records  # the test's HTTP client logs its own requests
                   if not r.name.startswith(("httpx", "httpcore"))]
    text = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in server_side)
    assert "signed checkpoint" in text  # the capture works: the server did log
    for secret in (CLIENT[0], str(CLIENT[1]), *codes):
        assert secret not in text


def test_real_server_logs_nothing_of_the_client(opened: Election,
                                                capfd: pytest.CaptureFixture[str]) -> None:
    with live_server(config_for(opened, checkpoint_every=0.05)) as url:
        transport = httpx.HTTPTransport(local_address=CLIENT_ADDRESS)
        with httpx.Client(base_url=url, transport=transport, timeout=30) as h:
            r = h.post("/api/ballots", content=opened.ballot(0, [1]).bytes, headers=JSON)
            assert r.status_code == 201, r.text
            tc = r.json()["tracking_code"]
            assert h.post("/api/ballots", content=b"[", headers=JSON).status_code == 400
            assert h.get("/api/nope").status_code == 404
            assert h.get(f"/api/ballots/{tc}").status_code == 200
    out, err = capfd.readouterr()
    logs = out + err
    assert "Uvicorn running" in logs or "Application startup complete" in logs  # captured
    assert CLIENT_ADDRESS not in logs
    assert tc not in logs
    assert '"POST /api/ballots' not in logs  # no access log
