#!/usr/bin/env bash
# Makes sure the local PostgreSQL and Redis this project needs are up; starts them when they are
# installed but stopped, installs them (Debian packages) when missing; likewise the OpenSSL
# headers the build links (the Socket.IO client's TLS) and the PostgreSQL client tools the
# console's backups run. Idempotent.
set -euo pipefail

pg_up() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
redis_up() { (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; }

need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "services.sh: $1 needs root (run with sudo, or start it yourself)" >&2
    exit 1
  fi
}

if ! pkg-config --exists openssl 2>/dev/null; then
  need_root "installing the OpenSSL headers the build needs (libssl-dev, pkg-config)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libssl-dev pkg-config >/dev/null
fi

# The console's backups run pg_dump/pg_restore.
if ! command -v pg_restore >/dev/null 2>&1; then
  need_root "installing the PostgreSQL client tools the backups use (postgresql-client)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-client >/dev/null
fi

if ! pg_up; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    need_root "installing PostgreSQL"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  need_root "starting PostgreSQL"
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  # Trust local TCP connections as the project's defaults expect (a development machine only).
  hba=/etc/postgresql/$version/main/pg_hba.conf
  if ! grep -qE '^host\s+all\s+all\s+127\.0\.0\.1/32\s+trust' "$hba"; then
    sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  fi
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
fi

if ! redis_up; then
  if ! command -v redis-server >/dev/null 2>&1; then
    need_root "installing Redis"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  fi
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/hotspot.log
fi

for i in $(seq 1 50); do
  if pg_up && redis_up; then exit 0; fi
  sleep 0.2
done
echo "services.sh: PostgreSQL (127.0.0.1:5432) or Redis (127.0.0.1:6379) did not come up" >&2
exit 1
