#!/usr/bin/env bash
# Set up with the test tools, check the layer contract and the types, then run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
.venv/bin/lint-imports
.venv/bin/mypy
.venv/bin/ruff check src tests bench
exec .venv/bin/python -m pytest "$@"
