#!/usr/bin/env bash
# The whole test suite: setup (idempotent), type check, lint, then every test — unit, integration with the
# real LiveKit server, media checks with ffmpeg. Extra arguments go to vitest (e.g. a file filter).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
source scripts/lib/env.sh
echo "[test] type check and lint" >&2
npx tsc -p .
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --check .; exit 1; }
echo "[test] running tests" >&2
npx vitest run "$@"
if (($# == 0)); then
  echo "[test] building and smoke-running the task images (buildah/podman)" >&2
  UE_SUITE=images npx vitest run
fi
