#!/usr/bin/env bash
# `npm run bench`: performance figures (start latency, CPU, memory) with real parts. See scripts/bench/main.ts.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
source scripts/lib/env.sh
exec npx tsx scripts/bench/main.ts "$@"
