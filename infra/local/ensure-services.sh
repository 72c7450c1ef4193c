#!/usr/bin/env bash
# Makes sure what Earshot needs on this machine is there: PostgreSQL on 127.0.0.1:5432, Redis on
# 127.0.0.1:6379, and the media/speech/browser tools. Starts the databases from installed binaries when they do
# not answer (data under .data/), installs missing Debian packages when run as root, and otherwise says exactly
# what to install. Idempotent; prints nothing when everything is already there.
#
#   EARSHOT_PG_PORT (5432)  EARSHOT_REDIS_PORT (6379)  EARSHOT_DATA_DIR (<repo>/.data)
#   EARSHOT_SKIP_TOOLS=1    check the databases only
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DATA_DIR="${EARSHOT_DATA_DIR:-$ROOT/.data}"
PG_PORT="${EARSHOT_PG_PORT:-5432}"
REDIS_PORT="${EARSHOT_REDIS_PORT:-6379}"
IS_ROOT=$([ "$(id -u)" -eq 0 ] && echo 1 || echo 0)
APT_UPDATED=0

say() { printf 'ensure-services: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# Answers on a TCP port of 127.0.0.1 (no client tools needed).
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

has_deb() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# Installs Debian packages when root; otherwise stops with the exact command to run.
apt_install() {
  if [ "$IS_ROOT" = 1 ] && command -v apt-get >/dev/null; then
    say "installing $*"
    if [ "$APT_UPDATED" = 0 ]; then
      DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
      APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  else
    die "missing: $*. Install them with: sudo apt-get install -y --no-install-recommends $*"
  fi
}

wait_for_port() {
  local port=$1 name=$2
  for _ in $(seq 1 100); do
    port_open "$port" && return 0
    sleep 0.1
  done
  die "$name did not answer on 127.0.0.1:$port (see $DATA_DIR/logs/$name.log)"
}

pg_bin_dir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$dir" ] && [ -x "$dir/initdb" ] && echo "$dir"
}

ensure_postgres() {
  port_open "$PG_PORT" && return 0
  local bin
  bin=$(pg_bin_dir) || true
  if [ -z "$bin" ]; then
    apt_install postgresql-15
    bin=$(pg_bin_dir) || die "postgresql installed but no initdb under /usr/lib/postgresql/*/bin"
  fi
  local pgdata="$DATA_DIR/postgres" run=()
  mkdir -p "$pgdata" "$DATA_DIR/logs"
  chmod 700 "$pgdata"
  # initdb and postgres refuse to run as root: use the postgres system user then.
  if [ "$IS_ROOT" = 1 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir "$pgdata" postgres
    chown -R postgres "$pgdata"
    touch "$DATA_DIR/logs/postgres.log" && chown postgres "$DATA_DIR/logs/postgres.log"
    run=(runuser -u postgres --)
  fi
  if [ ! -f "$pgdata/PG_VERSION" ]; then
    say "initialising PostgreSQL in $pgdata"
    "${run[@]}" "$bin/initdb" -D "$pgdata" -U postgres --auth=trust >/dev/null
  fi
  say "starting PostgreSQL on 127.0.0.1:$PG_PORT"
  "${run[@]}" "$bin/pg_ctl" -D "$pgdata" -l "$DATA_DIR/logs/postgres.log" -w start \
    -o "-p $PG_PORT -k $pgdata -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" >/dev/null
  wait_for_port "$PG_PORT" postgres
  # Databases tools and tests expect (migrations create `earshot` themselves).
  for db in test root; do
    "${run[@]}" "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -tAc \
      "select 1 from pg_database where datname = '$db'" | grep -q 1 ||
      "${run[@]}" "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres "$db"
  done
}

ensure_redis() {
  port_open "$REDIS_PORT" && return 0
  command -v redis-server >/dev/null || apt_install redis-server
  mkdir -p "$DATA_DIR/logs"
  say "starting Redis on 127.0.0.1:$REDIS_PORT (nothing kept on disk)"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no --daemonize yes \
    --dir "$DATA_DIR" --logfile "$DATA_DIR/logs/redis.log" >/dev/null
  wait_for_port "$REDIS_PORT" redis
}

ensure_tools() {
  local missing=()
  command -v ffmpeg >/dev/null || missing+=(ffmpeg)
  command -v espeak-ng >/dev/null || missing+=(espeak-ng)
  command -v sox >/dev/null || missing+=(sox)
  command -v flite >/dev/null || missing+=(flite) # a natural voice for the wake-phrase spotter's tests
  command -v chromium >/dev/null || missing+=(chromium)
  if command -v dpkg-query >/dev/null; then
    has_deb pocketsphinx || missing+=(pocketsphinx)
    has_deb pocketsphinx-en-us || missing+=(pocketsphinx-en-us)
  else
    command -v pocketsphinx_continuous >/dev/null || command -v pocketsphinx >/dev/null || missing+=(pocketsphinx)
    [ -d /usr/share/pocketsphinx/model/en-us ] || missing+=(pocketsphinx-en-us)
  fi
  [ "${#missing[@]}" -eq 0 ] || apt_install "${missing[@]}"
}

ensure_postgres
ensure_redis
[ "${EARSHOT_SKIP_TOOLS:-0}" = 1 ] || ensure_tools
