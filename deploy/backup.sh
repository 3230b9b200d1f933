#!/bin/sh
# Scheduled pg_dump with retention. Runs forever in the `backups` container: a custom-format dump
# every BACKUP_INTERVAL_SECONDS into BACKUP_DIR, written to a temporary name and renamed only when
# complete; dumps older than BACKUP_RETENTION_DAYS are deleted after a successful one.
set -eu
: "${BACKUP_DIR:=/backups}" "${BACKUP_INTERVAL_SECONDS:=21600}" "${BACKUP_RETENTION_DAYS:=14}"

backup_once() {
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  tmp="$BACKUP_DIR/.hotspot-$stamp.dump.partial"
  final="$BACKUP_DIR/hotspot-$stamp.dump"
  if pg_dump --format=custom --compress=6 --no-owner --file="$tmp"; then
    mv "$tmp" "$final"
    echo "backup: wrote $final ($(du -h "$final" | cut -f1))"
    find "$BACKUP_DIR" -maxdepth 1 -name 'hotspot-*.dump' -mtime +"$BACKUP_RETENTION_DAYS" -print -delete
  else
    rm -f "$tmp"
    echo "backup: pg_dump failed; keeping the previous dumps" >&2
    return 1
  fi
}

if [ "${1:-}" = "--once" ]; then
  backup_once
  exit $?
fi

while true; do
  backup_once || true
  sleep "$BACKUP_INTERVAL_SECONDS"
done
