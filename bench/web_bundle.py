"""Size of the browser booth as shipped: every file of web/dist, raw and gzip -9, as a table.

    .venv/bin/python bench/web_bundle.py [--dist web/dist] [--build] [--files]

The headline figure is the total of the JavaScript, CSS and font files compressed with gzip at
level 9 (what a voter's phone downloads, before HTTP caching). `--build` runs `npm run build`
in web/ first; `--files` lists every file, not only the totals per kind.
"""

from __future__ import annotations

import argparse
import gzip
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KINDS = {".js": "js", ".mjs": "js", ".css": "css", ".woff2": "font", ".woff": "font",
         ".ttf": "font", ".otf": "font", ".html": "html"}
COUNTED = ("js", "css", "font")
"""The kinds whose gzipped total is the headline figure."""
TEST_ONLY = ("vectors.html", "assets/vectors-")
"""The shared-vectors page: built into dist for the browser tests, never loaded by the booth."""


@dataclass(frozen=True, slots=True)
class Sized:
    """One file of the bundle with its raw and gzip -9 size in bytes."""

    path: str
    kind: str
    raw: int
    gzipped: int


def measure(dist: Path) -> list[Sized]:
    """Every file under `dist`, sorted by path, with its gzip -9 size (mtime fixed at 0)."""
    out = []
    for f in sorted(p for p in dist.rglob("*") if p.is_file()):
        data = f.read_bytes()
        out.append(Sized(f.relative_to(dist).as_posix(), KINDS.get(f.suffix, "other"), len(data),
                         len(gzip.compress(data, compresslevel=9, mtime=0))))
    return out


def kib(n: int) -> str:
    return f"{n / 1024:9.1f}"


def table(files: list[Sized], show_files: bool) -> str:
    """The report: optional per-file rows, then one row per kind, then the headline total."""
    lines = [f"{'file / kind':<48} {'raw KiB':>9} {'gzip KiB':>9}", "-" * 68]
    if show_files:
        lines += [f"{s.path:<48} {kib(s.raw)} {kib(s.gzipped)}" for s in files]
        lines.append("-" * 68)
    for kind in sorted({s.kind for s in files}):
        group = [s for s in files if s.kind == kind]
        lines.append(f"{kind + f' ({len(group)} files)':<48} {kib(sum(s.raw for s in group))} "
                     f"{kib(sum(s.gzipped for s in group))}")
    counted = [s for s in files if s.kind in COUNTED]
    booth = [s for s in counted if not s.path.startswith(TEST_ONLY)]
    lines.append("-" * 68)
    lines.append(f"{'total js + css + font':<48} {kib(sum(s.raw for s in counted))} "
                 f"{kib(sum(s.gzipped for s in counted))}")
    lines.append(f"{'  without the vectors page (what voters load)':<48} "
                 f"{kib(sum(s.raw for s in booth))} {kib(sum(s.gzipped for s in booth))}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dist", type=Path, default=ROOT / "web" / "dist",
                    help="the built booth (default: web/dist)")
    ap.add_argument("--build", action="store_true", help="run `npm run build` in web/ first")
    ap.add_argument("--files", action="store_true", help="list every file")
    args = ap.parse_args(argv)
    if args.build:
        subprocess.run(["npm", "run", "--silent", "build"], cwd=ROOT / "web", check=True,
                       stdout=subprocess.DEVNULL)
    if not args.dist.is_dir():
        print(f"web_bundle: {args.dist} does not exist: build the booth first "
              "(scripts/setup.sh, or this script with --build)", file=sys.stderr)
        return 1
    files = measure(args.dist)
    if not files:
        print(f"web_bundle: {args.dist} is empty", file=sys.stderr)
        return 1
    print(table(files, args.files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
