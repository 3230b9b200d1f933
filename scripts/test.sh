#!/usr/bin/env bash
# The full test suite: unit, table and integration tests against the real local PostgreSQL and
# Redis (each test in its own database and Redis namespace).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/services.sh
exec cargo test --workspace --locked "$@"
