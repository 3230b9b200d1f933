#!/usr/bin/env bash
# The existing Nuxt frontend (../shared/lpsaring-frontend, built) against a backend, on one origin:
#   scripts/frontend.sh start [BACKEND_URL]   # portal on http://127.0.0.1:3010 (PORTAL_PORT)
#   scripts/frontend.sh stop
# It works on a copy (the shared folder is read-only), with the node_modules links that the copy
# into shared/ flattened into small text files made links again. Needs node 18+ and nginx.
set -euo pipefail
cd "$(dirname "$0")/.."
src=${LPSARING_FRONTEND:-../shared/lpsaring-frontend}
work=${FRONTEND_WORK:-$PWD/target/frontend}
state="$work/state"
case "${1:-}" in
start)
  backend=${2:-http://127.0.0.1:8080}
  command -v node >/dev/null || { echo "frontend.sh: node is needed" >&2; exit 1; }
  [ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || { echo "frontend.sh: nginx is needed" >&2; exit 1; }
  [ -d "$src/output" ] || { echo "frontend.sh: no built frontend at $src" >&2; exit 1; }
  "$0" stop >/dev/null 2>&1 || true
  rm -rf "$work/app"; mkdir -p "$work"; cp -a "$src" "$work/app"; chmod -R u+w "$work/app"
  # A link flattened to a file holds its target as text: a short file starting with ../
  find "$work/app/output" -type f -size -200c | while read -r f; do
    target=$(head -c 200 "$f")
    case "$target" in
      ../*) if [ -e "$(dirname "$f")/$target" ]; then rm "$f"; ln -s "$target" "$f"; fi ;;
    esac
  done
  # Snap.js from the demo's Midtrans simulator unless told otherwise (the frontend reads these
  # at run time).
  export NUXT_PUBLIC_MIDTRANS_CLIENT_KEY=${NUXT_PUBLIC_MIDTRANS_CLIENT_KEY:-SB-Mid-client-demo-simulator}
  export NUXT_PUBLIC_MIDTRANS_SNAP_URL_SANDBOX=${NUXT_PUBLIC_MIDTRANS_SNAP_URL_SANDBOX:-http://127.0.0.1:18731/snap/snap.js}
  PATH="/usr/sbin:$PATH" "$work/app/run.sh" start "$backend" "$state"
  ;;
stop)
  [ -d "$state" ] && PATH="/usr/sbin:$PATH" "$work/app/run.sh" stop "$state" || true
  ;;
*) sed -n '2,6p' "$0"; exit 2 ;;
esac
