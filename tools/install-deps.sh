#!/usr/bin/env bash
# Installs npm dependencies from the lock. npm drops other platforms' optional packages (e.g. @swc/core-darwin-*)
# from a lock written on Linux and its own `npm ci` then refuses that lock (npm/cli#4828, #8320); in that case
# fall back to `npm install`, which resolves from the same lock and adds only the missing optional entries.
# --if-needed: do nothing when node_modules is newer than the lock (what `npm run up` and `npm test` use).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--if-needed" ] && [ -d node_modules ] && [ ! package-lock.json -nt node_modules/.package-lock.json ]; then
  exit 0
fi
echo "== installing npm dependencies"
if ! npm ci --no-fund --no-audit 2>/tmp/earshot-npm-ci.err; then
  if grep -q "EUSAGE" /tmp/earshot-npm-ci.err; then
    echo "npm ci refused the lock file (npm/cli#4828: optional platform packages); using npm install" >&2
    npm install --no-fund --no-audit
  else
    cat /tmp/earshot-npm-ci.err >&2
    exit 1
  fi
fi
