#!/usr/bin/env bash
# Installs everything the demo and the tests need on a fresh Debian 12 machine, idempotently:
# Debian packages from task-image/debian-packages.txt, the LiveKit server (go install, cached),
# moto and cfn-lint (pip), node modules (npm ci), and the local build (esbuild bundles).
# Each step is skipped when its result is already in place, so running it again costs about a second.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# shellcheck source=scripts/lib/env.sh
source scripts/lib/env.sh
# shellcheck source=scripts/lib/debian-packages.sh
source scripts/lib/debian-packages.sh

say() { printf '[setup] %s\n' "$*" >&2; }

install_livekit_server() {
  local bin="$UE_BIN_DIR/livekit-server"
  if [[ -x "$bin" ]] && "$bin" --version 2>/dev/null | grep -q "version ${LIVEKIT_SERVER_VERSION#v}$"; then return; fi
  say "building livekit-server $LIVEKIT_SERVER_VERSION with go install (about 2 minutes)"
  local gobin
  gobin=$(mktemp -d)
  GOBIN="$gobin" GOFLAGS=-mod=mod go install "github.com/livekit/livekit-server/cmd/server@$LIVEKIT_SERVER_VERSION"
  mkdir -p "$UE_BIN_DIR"
  mv "$gobin/server" "$bin"
  rm -rf "$gobin"
}

install_python_tools() {
  local frozen req ok=1
  frozen=$(python3 -m pip freeze 2>/dev/null || true)
  while read -r req; do
    grep -qixF "${req/\[server\]/}" <<<"$frozen" || ok=0
  done < <(grep -vE '^\s*(#|$)' scripts/requirements-dev.txt)
  python3 -c 'import flask, moto.server' 2>/dev/null || ok=0
  if ((ok)); then return; fi
  say "installing moto and cfn-lint (pip)"
  python3 -m pip install -q --disable-pip-version-check -r scripts/requirements-dev.txt
}

install_node_modules() {
  local stamp=node_modules/.ue-lock-hash hash
  hash=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [[ -f "$stamp" ]] && [[ "$(cat "$stamp")" == "$hash" ]]; then return; fi
  say "installing node modules (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  echo "$hash" >"$stamp"
}

# LiveKit's Go server SDK as a protobuf Twirp client (the code path the `lk` CLI uses), for the tests.
build_go_client() {
  local hash bin
  hash=$(cat test/go-client/go.mod test/go-client/go.sum test/go-client/main.go | sha256sum | cut -c1-12)
  bin="$UE_BIN_DIR/egress-go-client-$hash"
  if [[ -x "$bin" ]]; then return; fi
  say "building the Go SDK test client (about a minute)"
  mkdir -p "$UE_BIN_DIR"
  (cd test/go-client && go build -o "$bin.tmp" . && mv "$bin.tmp" "$bin")
}

ue_install_debian_packages "$root"
install_livekit_server
build_go_client
install_python_tools
install_node_modules
say "building bundles"
node scripts/build.mjs
say "ready: livekit-server $("$UE_BIN_DIR/livekit-server" --version | awk '{print $3}'), $(ffmpeg -version | head -1 | awk '{print $1, $3}'), node $(node --version)"
