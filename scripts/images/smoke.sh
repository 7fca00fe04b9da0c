#!/usr/bin/env bash
# Smoke-runs the task images with podman at their Fargate sizes (build them first with build.sh):
#   forwarder (0.25 vCPU, 512 MiB): a real track egress to a WebSocket against a LiveKit server on the host
#     (--network host, everything on 127.0.0.1), the task inside the container, driven by the local system;
#   recorder (2 vCPU, 4 GiB): the self-check (--network none), as root and as the image's non-root user; then
#     a real room composite (grid of two synthetic participants → MP4) with the task inside the container
#     (--network host, driven by the local system like the forwarder).
# Prints the figures of each run as JSON; exits non-zero if any expectation failed.
#
#   scripts/images/smoke.sh [forwarder|recorder]...     (default: both)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
# shellcheck source=scripts/lib/env.sh
source scripts/lib/env.sh
exec npx tsx scripts/images/smoke.ts "$@"
