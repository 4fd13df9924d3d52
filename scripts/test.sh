#!/usr/bin/env bash
# Set up with the test tools, check the layer contract and the types, then run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
.venv/bin/lint-imports
.venv/bin/mypy
.venv/bin/ruff check src tests bench
# The booth's TypeScript: strict types, then every shared vector and the booth tests (vitest).
if command -v npm >/dev/null; then
  (cd web && npm run --silent typecheck && npm test --silent)
elif [ "${CI:-}" = "true" ]; then
  echo "test: npm is required under CI for the booth tests (web/)" >&2
  exit 1
else
  echo "test: npm not found: skipping the booth's typecheck and vitest (web/)" >&2
fi
exec .venv/bin/python -m pytest "$@"
