#!/usr/bin/env bash
# The full test suite: unit, table and integration tests against the real local PostgreSQL and
# Redis (each test in its own database and Redis namespace).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/services.sh
# Third-party RouterOS API clients that the simulator is tested against.
if ! python3 -c 'import librouteros, routeros_api' 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check -r tests/peers/requirements.txt
fi
exec cargo test --workspace --locked "$@"
