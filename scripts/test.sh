#!/usr/bin/env bash
# The full test suite: unit, table and integration tests against the real local PostgreSQL and
# Redis (each test in its own database and Redis namespace).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/services.sh
# Tools the deployment tests drive: nginx, docker-compose (parses the compose file; no engine
# needed), pg_dump/pg_restore (the backup script).
missing=()
[ -x /usr/sbin/nginx ] || missing+=(nginx-light)
# The browser test: Debian's Chromium (playwright drives it; it never downloads a browser) and
# node for the existing frontend's server.
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
command -v pg_restore >/dev/null 2>&1 || missing+=(postgresql-client)
# Documents: the fonts PDFs are written in, and poppler's pdftotext that reads them back.
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf ] || missing+=(fonts-dejavu-core)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
# RADIUS mode: Debian's FreeRADIUS with its rest module in front of the backend, radclient as
# a router. The packaged service is not wanted running: the tests start their own.
[ -x /usr/sbin/freeradius ] || missing+=(freeradius)
[ -f /usr/lib/freeradius/rlm_rest.so ] || missing+=(freeradius-rest)
command -v radclient >/dev/null 2>&1 || missing+=(freeradius-utils)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "test.sh: install ${missing[*]} (Debian packages) first" >&2
    exit 1
  fi
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# From PyPI: third-party RouterOS API clients that the simulator is tested against,
# schemathesis for the contract check against the OpenAPI document, playwright for the browser.
if ! python3 -c 'import librouteros, routeros_api, schemathesis, playwright' 2>/dev/null || ! command -v schemathesis >/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check -r tests/peers/requirements.txt
fi
exec cargo test --workspace --locked "$@"
