#!/usr/bin/env bash
# `npm run eval [-- OPTIONS]`: the analysis eval (eval/run-eval.ts) with OPTIONS, then the speaker eval and the
# wake eval with their defaults. With `--only phrases` only the phrase part of the analysis eval runs.
set -euo pipefail
cd "$(dirname "$0")/.."
tsx=node_modules/.bin/tsx
"$tsx" eval/run-eval.ts "$@"
case " $* " in
  *" --only "*) exit 0 ;;
esac
"$tsx" eval/speakers-eval.ts
"$tsx" eval/wake-model/wake-eval.ts
