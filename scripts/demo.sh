#!/usr/bin/env bash
# Set up, then run a whole referendum on SQLite and verify it. Extra arguments go to `demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/hamaporsi demo "$@"
