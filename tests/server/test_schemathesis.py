"""Property-based API testing with schemathesis against /openapi.json: every operation, with
requests generated from the schema (valid and invalid), must answer with a documented status, a
documented body and content type, and never a 5xx. Derandomized and bounded, so a run is
repeatable and takes seconds."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.transport.asgi import ASGI_TRANSPORT
from schemathesis.transport.serialization import serialize_json

from hamaporsi.protocol.canonical import canonical_bytes
from hamaporsi.server.app import create_app

from support.election import Election
from support.server import config_for, make_booth


def _app() -> Any:
    """The app over a small open election with one ballot and a checkpoint, and a booth. Built
    at import: schemathesis' lazy `from_fixture` loader relies on a pytest internal (`_nodeid`)
    that pytest 9.2 no longer has."""
    d = Path(tempfile.mkdtemp(prefix="hamaporsi-schemathesis-"))
    atexit.register(shutil.rmtree, d, ignore_errors=True)
    el = Election(d / "board.sqlite", voters=4)
    el.open()
    el.cast(0, [1])
    el.eb.checkpoint()
    el.store.close()
    return create_app(config_for(el, web_dir=make_booth(d / "dist")))


@ASGI_TRANSPORT.serializer("application/json")
def canonical_json(ctx: Any, value: Any) -> dict[str, Any]:
    """Send generated bodies as RFC 8785 bytes where they have a canonical form, so that they
    get past the canonical check into field parsing, point decoding and proof checks (the
    default serializer's spaces would stop every one at `not_canonical`, tested elsewhere)."""
    try:
        return {"data": canonical_bytes(value)}
    except Exception:
        return serialize_json(value)


CONFIG = SchemathesisConfig.from_dict({"operations": [{
    # The coverage phase enumerates boundary cases of every nested field of the ballot and
    # audit bodies: minutes of generation for cases that all die at the canonical-bytes check.
    # Their bodies are still fuzzed (valid and invalid) in the fuzzing phase.
    # A body that fits the schema is still no ballot: its proofs and signature must hold for
    # this election, and its bytes be canonical. So "schema-valid data is accepted" cannot
    # hold here; every other check runs (documented statuses and bodies, never a 5xx).
    "include-path-regex": "^/api/(ballots|audits)$", "phases": {"coverage": {"enabled": False}},
    "checks": {"positive_data_acceptance": {"enabled": False}},
}, {
    # Ranges whose bounds fit the schema can still be refused (400): start > end, beyond the
    # log's current size, more than 1000 entries. OpenAPI cannot state how parameters relate.
    "include-path-regex": "^/api/board/(entries|proofs/consistency)$",
    "checks": {"positive_data_acceptance": {"enabled": False}},
}, {
    # A cosignature that fits the schema is still no witness's signature of this board's
    # checkpoint (400/403/404), and a size that fits is rarely one the board signed (404).
    "include-path-regex": "^/api/board/cosignatures$",
    "checks": {"positive_data_acceptance": {"enabled": False}},
}]})
schema = schemathesis.openapi.from_asgi("/openapi.json", _app(), config=CONFIG)


@schema.parametrize()
@settings(max_examples=25, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case: Any) -> None:
    case.call_and_validate()


def test_schema_documents_every_endpoint_and_error(tmp_path: Path) -> None:
    el = Election(tmp_path / "board.sqlite")
    el.store.close()
    doc = create_app(config_for(el)).openapi()
    ops = {(p, m) for p, item in doc["paths"].items() for m in item}
    assert ops == {("/api/ballots", "post"), ("/api/audits", "post"), ("/api/election", "get"),
                   ("/api/results", "get"), ("/api/ballots/{tracking_code}", "get"),
                   ("/api/board/checkpoint", "get"), ("/api/board/checkpoints", "get"),
                   ("/api/board/entries", "get"), ("/api/board/proofs/consistency", "get"),
                   ("/api/board/cosignatures", "get"), ("/api/board/cosignatures", "post"),
                   ("/api/health", "get")}
    post = doc["paths"]["/api/ballots"]["post"]
    assert set(post["responses"]) == {"200", "201", "400", "403", "409", "413", "415", "422",
                                      "429", "503"}
    assert "Retry-After" in post["responses"]["503"]["headers"]
    cosig = doc["paths"]["/api/board/cosignatures"]["post"]
    assert set(cosig["responses"]) == {"200", "201", "400", "403", "404", "413", "415", "503"}
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert body["additionalProperties"] is False and "sig" in body["required"]
    assert "Retry-After" in post["responses"]["429"]["headers"]
    assert "HTTPValidationError" not in str(doc)
