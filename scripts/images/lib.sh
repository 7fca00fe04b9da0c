# shellcheck shell=bash
# Shared settings and helpers of the image build scripts (sourced by base.sh and build.sh, not run): image
# names and the podman options these hosts need. The smoke runs (TypeScript) have theirs in podman.ts.

# Names of the images build.sh makes; override to build under another name.
export UE_IMAGE_PREFIX="${UE_IMAGE_PREFIX:-localhost/universal-egress}"
export UE_RECORDER_IMAGE="${UE_RECORDER_IMAGE:-$UE_IMAGE_PREFIX/recorder:dev}"
export UE_FORWARDER_IMAGE="${UE_FORWARDER_IMAGE:-$UE_IMAGE_PREFIX/forwarder:dev}"
# Local stand-ins for the public bases node:22-bookworm-slim (build stage) and debian:bookworm-slim
# (runtime stage), made once by base.sh and then reused.
export UE_BASE_IMAGE="${UE_BASE_IMAGE:-$UE_IMAGE_PREFIX/node:22-bookworm-slim}"
export UE_RUNTIME_BASE_IMAGE="${UE_RUNTIME_BASE_IMAGE:-$UE_IMAGE_PREFIX/debian:bookworm-slim}"
export UE_NODE_MAJOR="${UE_NODE_MAJOR:-22}"

# Per command instead of /etc/containers/containers.conf, so nothing system-wide is changed: crun refuses
# the hybrid cgroup mode of these hosts. (`podman run` also needs `--ulimit nofile=20000:20000 --ulimit
# nproc=32768:32768`: the defaults exceed their hard limits — scripts/images/podman.ts adds them.)
UE_PODMAN=(podman --runtime runc --cgroup-manager cgroupfs)

ue_say() { printf '[images] %s\n' "$*" >&2; }

# Installs the image tools (the lines of task-image/debian-packages.txt tagged `images`) that are missing.
# shellcheck source=scripts/lib/debian-packages.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/debian-packages.sh"
ue_ensure_tools() {
  ue_install_debian_packages "$1" images
}

# Bytes of an image as stored (uncompressed layers) and as gzip (each layer gzipped, summed: ≈ what a
# registry stores and Fargate pulls). Each layer's gzip size is cached by its digest, so only new layers
# are compressed (the recorder's package layer alone takes ~30 s).
ue_image_sizes() {
  local image="$1" raw layer id gz=0 work="" uncached=0
  local cache="${XDG_CACHE_HOME:-$HOME/.cache}/universal-egress/layer-gzip"
  mkdir -p "$cache"
  raw=$("${UE_PODMAN[@]}" image inspect --format '{{.Size}}' "$image")
  local layers
  layers=$("${UE_PODMAN[@]}" image inspect --format '{{range .RootFS.Layers}}{{println .}}{{end}}' "$image")
  for layer in $layers; do [[ -s "$cache/${layer#sha256:}" ]] || uncached=1; done
  if ((uncached)); then
    work=$(mktemp -d /var/tmp/ue-sizes.XXXXXX)
    "${UE_PODMAN[@]}" save --format docker-archive -o "$work/image.tar" "$image" 2>/dev/null
  fi
  for layer in $layers; do
    id=${layer#sha256:}
    if [[ ! -s "$cache/$id" ]]; then tar -xOf "$work/image.tar" "$id.tar" | gzip -c | wc -c >"$cache/$id"; fi
    gz=$((gz + $(cat "$cache/$id")))
  done
  if [[ -n "$work" ]]; then rm -rf "$work"; fi
  printf '%s %s\n' "$raw" "$gz"
}
