#!/usr/bin/env bash
# Builds the task images with buildah from task-image/<kind>.Dockerfile — no Docker engine, no container
# registry: the bases are local stand-ins for the public ones (base.sh, made once). Installs the image tools
# if they are missing, reuses every cached layer (a warm run with nothing changed takes seconds), and prints
# each image's size uncompressed and as gzip (≈ what ECR stores and Fargate pulls).
#
#   scripts/images/build.sh [forwarder|recorder]...     (default: both)
#
# UE_BUILD_REPORT=<file>: also append one JSON line per image (image, build seconds, bytes, gzip bytes).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=scripts/images/lib.sh
source "$root/scripts/images/lib.sh"

kinds=("$@")
if ((${#kinds[@]} == 0)); then kinds=(forwarder recorder); fi
for kind in "${kinds[@]}"; do
  [[ "$kind" == forwarder || "$kind" == recorder ]] || {
    ue_say "unknown image '$kind' (forwarder or recorder)"
    exit 64
  }
done

ue_ensure_tools "$root"
bash "$root/scripts/images/base.sh"

# npm inside the build verifies TLS against the machine's CA bundle, passed as a secret (never in a layer).
ca_bundle="${UE_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"
secret=()
if [[ -s "$ca_bundle" ]]; then secret=(--secret "id=ca,src=$ca_bundle"); fi

build_image() {
  local kind="$1" image old started
  image=$([[ "$kind" == recorder ]] && echo "$UE_RECORDER_IMAGE" || echo "$UE_FORWARDER_IMAGE")
  old=$("${UE_PODMAN[@]}" image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
  started=$SECONDS
  ue_say "building $image"
  # --jobs 2: the build stage (npm ci, esbuild) and the runtime stage (apt) run side by side.
  buildah bud --isolation chroot --layers --pull=never --jobs 2 --quiet \
    --ignorefile "$root/task-image/.dockerignore" "${secret[@]}" \
    --build-arg "BASE=$UE_BASE_IMAGE" --build-arg "RUNTIME_BASE=$UE_RUNTIME_BASE_IMAGE" \
    -f "$root/task-image/$kind.Dockerfile" -t "$image" "$root" >/dev/null
  local id
  id=$("${UE_PODMAN[@]}" image inspect --format '{{.Id}}' "$image")
  # A changed build leaves the previous image untagged; drop it (it fails harmlessly if a layer is shared).
  if [[ -n "$old" && "$old" != "$id" ]]; then "${UE_PODMAN[@]}" rmi "$old" >/dev/null 2>&1 || true; fi
  local built=$((SECONDS - started))
  read -r raw gz < <(ue_image_sizes "$image")
  ue_say "$image: built in $built s — $((raw / 1000000)) MB, $((gz / 1000000)) MB gzip"
  if [[ -n "${UE_BUILD_REPORT:-}" ]]; then
    printf '{"kind":"%s","image":"%s","buildSeconds":%d,"bytes":%d,"gzipBytes":%d}\n' \
      "$kind" "$image" "$built" "$raw" "$gz" >>"$UE_BUILD_REPORT"
  fi
}

for kind in "${kinds[@]}"; do build_image "$kind"; done
