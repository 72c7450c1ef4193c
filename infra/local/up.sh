#!/usr/bin/env bash
# `npm run up`: brings the whole platform up on this machine, without Docker.
#   1. npm ci when node_modules is missing or older than package-lock.json
#   2. PostgreSQL, Redis and the media tools (infra/local/ensure-services.sh)
#   3. migrations (npm run db:migrate)
#   4. an S3-compatible server on local disk (s3rver, .data/s3), unless S3_ENDPOINT is given
#   5. uploader, analyzer, notifier and gateway as background processes
#      (logs in .data/logs/<app>.log, pids in .data/pids/<app>.pid), each waited for on /health
# Safe to run again: what already runs is left alone. `npm run down` stops what this started.
# Every service reads its settings from the environment (see apps/<app>/.env.example).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
DATA_DIR="$ROOT/.data"
LOGS="$DATA_DIR/logs"
PIDS="$DATA_DIR/pids"
mkdir -p "$LOGS" "$PIDS"

# The order matters: the uploader before those that call it, the gateway last.
APPS=(uploader analyzer notifier gateway)
declare -A PORTS=([uploader]=3101 [analyzer]=3102 [notifier]=3103 [gateway]=3000)

step() { printf '\n== %s\n' "$*"; }

is_running() { # pid file names a live process
  local pid_file="$PIDS/$1.pid"
  [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null
}

wait_for_health() {
  local name=$1 url=$2 pid_file="$PIDS/$1.pid"
  for _ in $(seq 1 120); do
    if curl -fsS -o /dev/null --max-time 1 "$url" 2>/dev/null; then return 0; fi
    if ! is_running "$name"; then break; fi
    sleep 0.5
  done
  echo "!! $name did not become healthy at $url; last lines of $LOGS/$name.log:" >&2
  tail -n 30 "$LOGS/$name.log" >&2 || true
  [ -f "$pid_file" ] && rm -f "$pid_file"
  exit 1
}

# Starts `node --import tsx <script>` in the background. node itself (not npx/tsx) is the recorded pid, so
# SIGTERM from `npm run down` reaches the service's own graceful shutdown.
start() {
  local name=$1 script=$2
  if is_running "$name"; then
    echo "   $name already running (pid $(cat "$PIDS/$name.pid"))"
    return 0
  fi
  # Something this script did not start already answers on the port: use it rather than fail to bind.
  if [ -n "${3:-}" ] && curl -fsS -o /dev/null --max-time 1 "$3" 2>/dev/null; then
    echo "   $name: $3 already answers (not started by npm run up); leaving it"
    rm -f "$PIDS/$name.pid"
    return 0
  fi
  nohup node --import tsx "$script" >>"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$PIDS/$name.pid"
  echo "   $name started (pid $!, log .data/logs/$name.log)"
}

bash tools/install-deps.sh --if-needed

step "PostgreSQL, Redis and tools"
bash infra/local/ensure-services.sh
echo "   ok"

step "database migrations"
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/earshot}"
npm run --silent db:migrate

if [ -z "${S3_ENDPOINT:-}" ]; then
  step "local S3 server (s3rver)"
  export S3_PORT="${S3_PORT:-9000}"
  export S3_ENDPOINT="http://127.0.0.1:$S3_PORT"
  start s3 infra/local/s3-server.ts "$S3_ENDPOINT/"
  for _ in $(seq 1 60); do
    curl -s -o /dev/null --max-time 1 "$S3_ENDPOINT" && break
    is_running s3 || { tail -n 20 "$LOGS/s3.log" >&2; exit 1; }
    sleep 0.25
  done
else
  step "S3 at $S3_ENDPOINT (given)"
fi

step "demo exam page (apps/demo, served by the gateway at /)"
# Built on every run (about a second) unless STATIC_DIR points at another page. With the development JWT secret,
# the page finds a candidate token in config.json next to it; with a real secret it asks for one.
if [ -z "${STATIC_DIR:-}" ]; then
  npm run --silent build -w apps/demo >"$LOGS/demo-build.log" 2>&1 || { tail -n 20 "$LOGS/demo-build.log" >&2; exit 1; }
  export STATIC_DIR="$ROOT/apps/demo/dist"
  if [ -z "${JWT_SECRET:-}" ] || [ "$JWT_SECRET" = "earshot-development-secret-change-me" ]; then
    printf '{"token":"%s"}\n' "$(node --import tsx tools/dev-token.ts --expires 7d)" >"$STATIC_DIR/config.json"
    echo "   built apps/demo/dist with a development token (candidate-1, 7 days)"
  else
    echo "   built apps/demo/dist (JWT_SECRET is set: the page asks for a token)"
  fi
else
  echo "   STATIC_DIR=$STATIC_DIR (given)"
fi

step "services"
export UPLOADER_URL="${UPLOADER_URL:-http://127.0.0.1:${PORTS[uploader]}}"
export NOTIFIER_URL="${NOTIFIER_URL:-http://127.0.0.1:${PORTS[notifier]}}"
for app in "${APPS[@]}"; do
  health="http://127.0.0.1:${PORTS[$app]}/health"
  PORT="${PORTS[$app]}" start "$app" "apps/$app/src/main.ts" "$health"
  if [ -f "$PIDS/$app.pid" ]; then wait_for_health "$app" "$health"; fi
done

cat <<EOT

Earshot is up.
  demo exam  http://127.0.0.1:${PORTS[gateway]}/  (record in the browser, see each chunk's analysis arrive)
  gateway    http://127.0.0.1:${PORTS[gateway]}   (the public API: /api/audio/*, /socket.io/)
  uploader   http://127.0.0.1:${PORTS[uploader]}
  analyzer   http://127.0.0.1:${PORTS[analyzer]}/health
  notifier   http://127.0.0.1:${PORTS[notifier]}
  S3         ${S3_ENDPOINT}
  logs       .data/logs/<app>.log

A development token:   TOKEN=\$(npm run --silent token)
Try it:                curl -H "Authorization: Bearer \$TOKEN" -H 'content-type: application/json' \\
                         -d '{"test_session_id":"exam-1"}' http://127.0.0.1:${PORTS[gateway]}/api/audio/sessions
Stop everything:       npm run down
EOT
