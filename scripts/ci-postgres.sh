#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server for the persistence tests and prints its URL on the last line:
#
#   export TEST_POSTGRES_URL="$(scripts/ci-postgres.sh | tail -n 1)"
#   npx jest tests/unit/persistence.test.ts
#
# - installs postgresql from Debian/Ubuntu when no initdb is found (apt-get, as root or through sudo);
# - runs a private cluster on 127.0.0.1:${PGPORT_CI:-55432}, data in ${PGDIR_CI:-/tmp/trader-ci-postgres}
#   (owned by the postgres OS user when run as root), trust authentication, superuser `postgres`;
# - creates database trader_test;
# - safe to run twice: an already running cluster is reused, a stale/broken data dir is re-created.
# Stop it with:  scripts/ci-postgres.sh --stop
# Progress goes to stderr; stdout carries only the URL.
set -euo pipefail

PORT="${PGPORT_CI:-55432}"
DIR="${PGDIR_CI:-/tmp/trader-ci-postgres}"
DB="trader_test"
DATA="$DIR/data"
LOG="$DIR/postgres.log"
URL="postgresql://postgres@127.0.0.1:${PORT}/${DB}"
# Throwaway test server: no fsync.
PGOPTS="-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off"

log() { echo "ci-postgres: $*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root (or sudo) for: $*"; exit 1
  fi
}

find_bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
  done
  if command -v pg_ctl >/dev/null && command -v initdb >/dev/null; then dirname "$(command -v pg_ctl)"; return 0; fi
  return 1
}

BIN="$(find_bindir || true)"
if [ -z "$BIN" ]; then
  log "postgresql not found, installing it with apt-get"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2
  BIN="$(find_bindir)" || { log "postgresql installed but initdb/pg_ctl not found"; exit 1; }
fi

# initdb refuses to run as root: as root the cluster belongs to the postgres OS user; otherwise to us.
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --home-dir "$DIR" --shell /usr/sbin/nologin postgres
  OWNER=postgres
  run_pg() { runuser -u postgres -- "$@"; }
else
  OWNER="$(id -un)"
  run_pg() { "$@"; }
fi

if [ "${1:-}" = "--stop" ]; then
  if [ -f "$DATA/PG_VERSION" ]; then run_pg "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >&2 || true; fi
  log "stopped ($DATA)"
  exit 0
fi

is_running() { run_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

mkdir -p "$DIR"
chown "$OWNER" "$DIR"
chmod 700 "$DIR"

if [ -f "$DATA/PG_VERSION" ] && is_running; then
  log "reusing running cluster in $DATA"
else
  if [ -f "$DATA/PG_VERSION" ]; then
    log "starting existing cluster in $DATA"
    if ! run_pg "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 \
         -o "$PGOPTS" start >&2; then
      log "existing cluster would not start, re-creating it"
      rm -rf "$DATA"
    fi
  fi
  if [ ! -f "$DATA/PG_VERSION" ]; then
    rm -rf "$DATA"
    log "initdb in $DATA"
    run_pg "$BIN/initdb" -D "$DATA" -U postgres -A trust -E UTF8 --no-locale >&2
    run_pg "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 \
      -o "$PGOPTS" start >&2 \
      || { log "postgres failed to start:"; tail -n 30 "$LOG" >&2 || true; exit 1; }
  fi
fi

PSQL=("$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA)
for _ in $(seq 1 30); do
  if "${PSQL[@]}" -c 'SELECT 1' >/dev/null 2>&1; then break; fi
  sleep 1
done
if [ "$("${PSQL[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != "1" ]; then
  log "creating database $DB"
  "${PSQL[@]}" -c "CREATE DATABASE $DB" >&2
fi
log "ready on 127.0.0.1:$PORT"
echo "$URL"
