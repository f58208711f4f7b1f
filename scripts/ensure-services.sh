#!/usr/bin/env bash
# Makes sure PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) answer before the tests run.
# Starts them when they are installed but stopped; says what to install when they are absent.
set -euo pipefail

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() {  # port, name
  for _ in $(seq 1 60); do listening "$1" && return 0; sleep 0.5; done
  echo "$2 did not come up on 127.0.0.1:$1." >&2
  exit 1
}

if listening 5432; then
  echo "PostgreSQL: up on 127.0.0.1:5432"
elif command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  echo "PostgreSQL $version is stopped; starting it."
  pg_ctlcluster --skip-systemctl-redirect "$version" main start
  wait_for 5432 PostgreSQL
else
  echo "PostgreSQL is not installed. Install it (Debian: apt-get install postgresql) or point" >&2
  echo "DATABASE_URL at a server where the test role may create databases." >&2
  exit 1
fi

if listening 6379; then
  echo "Redis: up on 127.0.0.1:6379"
elif command -v redis-server >/dev/null 2>&1; then
  echo "Redis is stopped; starting it."
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  wait_for 6379 Redis
else
  echo "Redis is not installed. Install it (Debian: apt-get install redis-server) or point" >&2
  echo "REDIS_URL at a running server." >&2
  exit 1
fi
