#!/usr/bin/env bash
# `npm test`: every check CI runs — install if needed, make sure Postgres/Redis/ffmpeg/... are there,
# then lint, typecheck, compose validation and all jest tiers (unit, integration, end-to-end) in one run.
set -euo pipefail
cd "$(dirname "$0")/.."
export NX_DAEMON=false NX_NO_CLOUD=true NX_SKIP_NX_CACHE=${NX_SKIP_NX_CACHE:-false}

bash tools/install-deps.sh --if-needed

echo "== checking local services and tools"
bash infra/local/ensure-services.sh

echo "== lint"
npx nx run-many -t lint --outputStyle=stream
echo "== typecheck"
npx nx run-many -t typecheck --outputStyle=stream
echo "== infrastructure: compose schema, generated k8s manifests up to date, infra scripts typecheck"
npx dclint docker-compose.yml
node --import tsx infra/k8s/generate-analyzer.ts --check
npx tsc -p infra
npx tsc -p bench
npx tsc -p eval

echo "== tests"
npx jest --maxWorkers=2 "$@"
