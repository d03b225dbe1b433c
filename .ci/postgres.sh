#!/usr/bin/env bash
# Install (apt-get) and start a local PostgreSQL server, create a test role and database, and print the
# URL for VIVID_TEST_POSTGRES_URL as the LAST line of stdout (everything else goes to stderr):
#     export VIVID_TEST_POSTGRES_URL="$(bash .ci/postgres.sh | tail -n 1)"
# Runs as root on a fresh Debian 12 machine; the server itself runs as the 'postgres' user. Idempotent.
# Optional environment: VIVID_PG_USER (vivid), VIVID_PG_PASSWORD (vivid), VIVID_PG_DB (vivid_test).
set -euo pipefail

user="${VIVID_PG_USER:-vivid}"
password="${VIVID_PG_PASSWORD:-vivid}"
db="${VIVID_PG_DB:-vivid_test}"
log() { echo "postgres.sh: $*" >&2; }

if [ "$(id -u)" != "0" ]; then
  log "run me as root (I install packages and start the server as the postgres user)"
  exit 1
fi

if ! command -v pg_lsclusters >/dev/null 2>&1 || [ -z "$(ls /usr/lib/postgresql 2>/dev/null)" ]; then
  log "installing postgresql"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi

version="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main"' | grep -q .; then
  log "creating cluster $version/main"
  pg_createcluster "$version" main >&2
fi
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" && $4 == "online"' | grep -q .; then
  log "starting cluster $version/main"
  # pg_ctlcluster drops to the cluster owner (postgres); the server never runs as root
  su postgres -s /bin/sh -c "pg_ctlcluster $version main start" >&2
fi
port="$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $3}')"

psql_admin() { su postgres -s /bin/sh -c "psql -p $port -v ON_ERROR_STOP=1 -qAt $*"; }
for _ in $(seq 1 30); do
  if psql_admin "-c 'SELECT 1'" >/dev/null 2>&1; then break; fi
  sleep 1
done

if [ "$(psql_admin "-c \"SELECT 1 FROM pg_roles WHERE rolname = '$user'\"")" != "1" ]; then
  log "creating role $user"
  psql_admin "-c \"CREATE ROLE \\\"$user\\\" LOGIN PASSWORD '$password'\"" >&2
else
  psql_admin "-c \"ALTER ROLE \\\"$user\\\" LOGIN PASSWORD '$password'\"" >&2
fi
if [ "$(psql_admin "-c \"SELECT 1 FROM pg_database WHERE datname = '$db'\"")" != "1" ]; then
  log "creating database $db"
  psql_admin "-c \"CREATE DATABASE \\\"$db\\\" OWNER \\\"$user\\\"\"" >&2
fi

log "ready on 127.0.0.1:$port (PostgreSQL $version)"
echo "postgresql://$user:$password@127.0.0.1:$port/$db"
