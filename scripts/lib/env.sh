# Shared settings of the project's shell scripts (sourced, not run).
# UE_BIN_DIR caches built tools outside the checkout, so a second clone on the same machine reuses them.
export LIVEKIT_SERVER_VERSION="${LIVEKIT_SERVER_VERSION:-v1.13.5}"
export UE_BIN_DIR="${UE_BIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/universal-egress/bin}"
export LIVEKIT_SERVER_BIN="${LIVEKIT_SERVER_BIN:-$UE_BIN_DIR/livekit-server}"
export EGRESS_GO_CLIENT_BIN="${EGRESS_GO_CLIENT_BIN:-$UE_BIN_DIR/egress-go-client-$(cat "$(dirname "${BASH_SOURCE[0]}")/../../test/go-client/"{go.mod,go.sum,main.go} | sha256sum | cut -c1-12)}"
