#!/usr/bin/env bash
# Assembles a minimal root filesystem in <dest> from the Debian system it runs on: the given programs and
# shared objects, every library `ldd` says they load, the CA bundle, the `node` user, and a dpkg status file
# naming the Debian packages those files came from (so image scanners still see the libc version).
# The forwarder image is this tree and nothing else: no shell, no package manager.
#
#   runtime-closure.sh <dest> <file>...
#
# Runs inside the forwarder's Dockerfile (runtime stage), as root.
set -euo pipefail

dest="$1"
shift
mkdir -p "$dest"/{etc/ssl/certs,tmp,home/node,var/lib/dpkg,usr/lib,usr/lib64,usr/bin}
# The node user's home, writable whether or not the builder's COPY --from keeps the owner (buildah does).
chown 1000:1000 "$dest/home/node"
chmod 1777 "$dest/tmp" "$dest/home/node"
# The merged-/usr layout of Debian 12, so ELF interpreter and library paths resolve as they do there.
ln -s usr/lib "$dest/lib"
ln -s usr/lib64 "$dest/lib64"
ln -s usr/bin "$dest/bin"

declare -A owners=()

# Copies a path as its real file and, when it was reached through a link, the link too.
place() {
  local path="$1" real link_dir
  real=$(readlink -f "$path")
  mkdir -p "$dest$(dirname "$real")"
  cp -p "$real" "$dest$real"
  link_dir=$(readlink -f "$(dirname "$path")")
  if [[ "$link_dir/$(basename "$path")" != "$real" ]]; then
    mkdir -p "$dest$link_dir"
    ln -sfn "$real" "$dest$link_dir/$(basename "$path")"
  fi
  local owner
  owner=$(dpkg -S "$real" 2>/dev/null | head -1 | cut -d: -f1) || true
  if [[ -z "$owner" ]]; then owner=$(dpkg -S "$path" 2>/dev/null | head -1 | cut -d: -f1) || true; fi
  if [[ -n "$owner" ]]; then owners[$owner]=1; fi
}

for file in "$@"; do
  [[ "$file" == /app/* ]] || place "$file"
  # "libx.so => /path (0x…)" and "/lib64/ld-linux-x86-64.so.2 (0x…)"; vdso has no path.
  while read -r lib; do place "$lib"; done < <(ldd "$file" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
done

place /etc/ssl/certs/ca-certificates.crt
place /etc/nsswitch.conf
place /etc/os-release
printf 'root:x:0:0:root:/root:/usr/sbin/nologin\nnode:x:1000:1000:node:/home/node:/usr/sbin/nologin\n' >"$dest/etc/passwd"
printf 'root:x:0:\nnode:x:1000:\n' >"$dest/etc/group"

# dpkg's status for exactly the packages the files above belong to.
for pkg in "${!owners[@]}"; do
  dpkg-query -s "$pkg"
  echo
done >"$dest/var/lib/dpkg/status"
echo "runtime-closure: $(find "$dest" -type f | wc -l) files from ${!owners[*]}" >&2
