#!/usr/bin/env bash
# Create .venv with Python ≥ 3.11 and install hamaporsi with its pinned dependencies.
# Usage: scripts/setup.sh [--test]   (--test adds the test tools)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-}
if [ -z "$PY" ]; then
  for c in python3.11 python3.12 python3.13 python3; do
    if command -v "$c" >/dev/null && "$c" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      PY=$c; break
    fi
  done
fi
[ -n "$PY" ] || { echo "setup: Python 3.11 or newer is required" >&2; exit 1; }
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
extra=""
[ "${1:-}" = "--test" ] && extra="[test]"
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".${extra}"
echo "setup: .venv ready ($(.venv/bin/python --version))"
# The browser booth (web/): installed from the lockfile and built into web/dist when npm is here.
# Without Node.js the server, the demo and the CLI still run; only the booth pages are missing.
if command -v npm >/dev/null; then
  if [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
    (cd web && npm ci --prefer-offline --no-audit --no-fund --loglevel=error)
  fi
  (cd web && npm run --silent build >/dev/null)
  echo "setup: booth built in web/dist (node $(node --version))"
else
  echo "setup: npm not found: the browser booth (web/dist) is not built; everything else works" >&2
fi
