#!/usr/bin/env bash
# The demo: a local LiveKit server, a synthetic participant, the whole egress system in local mode, and one
# egress started through the LiveKit SDK's EgressClient. Prints progress and where the recording is.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
source scripts/lib/env.sh
exec npx tsx scripts/demo.ts "$@"
