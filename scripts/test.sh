#!/usr/bin/env bash
# Set up with the test tools, check the layer contract, then run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
.venv/bin/lint-imports
exec .venv/bin/python -m pytest "$@"
