#!/usr/bin/env bash
# `npm run down`: stops what `npm run up` started (the services and the local S3 server), gracefully:
# SIGTERM, then SIGKILL after 15 s. PostgreSQL and Redis are left running (other tools and tests use them).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PIDS="$ROOT/.data/pids"
GRACE_SEC=15

# Reverse start order: the edge first, storage last.
for name in gateway notifier analyzer uploader s3; do
  pid_file="$PIDS/$name.pid"
  [ -f "$pid_file" ] || continue
  pid=$(cat "$pid_file")
  # Only a process we started: a recycled pid running something else is left alone.
  if kill -0 "$pid" 2>/dev/null && grep -q -- "--import" "/proc/$pid/cmdline" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 $((GRACE_SEC * 10))); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "   $name did not stop in ${GRACE_SEC}s; killing"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    echo "   $name stopped"
  fi
  rm -f "$pid_file"
done
