#!/usr/bin/env bash
# The whole system on embedded defaults: creates and migrates the `hotspot` database, seeds demo
# users and serves on http://127.0.0.1:8080 (Ctrl-C stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/services.sh
exec cargo run --locked --bin hotspot -- demo
