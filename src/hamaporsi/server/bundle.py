"""The booth bundle's fingerprint (issue 3 §4; contract "Booth bundle hash"): SHA-256 over the
canonical JSON {"files": {path: sha-256 hex}} of every file under the built booth folder, paths
relative and in posix form. The organizer may state it in the manifest (spec §5.2), so that
anyone can compare the served booth with the published one."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..protocol.canonical import canonical_bytes

_BLOCK = 1 << 16


def _file_hash(p: Path) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as f:
        while block := f.read(_BLOCK):
            h.update(block)
    return h.hexdigest()


def bundle_manifest(root: str | Path) -> dict[str, dict[str, str]]:
    """{"files": {relative posix path: sha-256 hex}} of every regular file under `root`."""
    base = Path(root)
    if not base.is_dir():
        raise FileNotFoundError(f"booth folder {base} does not exist")
    files = {p.relative_to(base).as_posix(): _file_hash(p)
             for p in sorted(base.rglob("*")) if p.is_file()}
    if not files:
        raise FileNotFoundError(f"booth folder {base} holds no files")
    return {"files": files}


def bundle_hash(root: str | Path) -> bytes:
    """SHA-256 of the canonical JSON of `bundle_manifest(root)`."""
    return hashlib.sha256(canonical_bytes(bundle_manifest(root))).digest()
