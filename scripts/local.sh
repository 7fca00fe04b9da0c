#!/usr/bin/env bash
# Runs the local system (API + queue + launcher + store) against the LiveKit server named by LIVEKIT_URL,
# LIVEKIT_API_KEY and LIVEKIT_API_SECRET. `npm run demo` starts a LiveKit server too.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
exec node dist/local/main.mjs
