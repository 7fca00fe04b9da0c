# shellcheck shell=bash
# Installs, with apt, the packages of task-image/debian-packages.txt that are missing (sourced, not run).
# Usage: ue_install_debian_packages <repo root> [tag] — with a tag, only the lines carrying it.
ue_install_debian_packages() {
  local root="$1" tag="${2:-}" pkg missing=()
  while read -r pkg; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done < <(awk -v tag="$tag" '!/^[[:space:]]*(#|$)/ {
      if (tag == "") { print $1; next }
      for (i = 2; i <= NF; i++) if ($i == tag) print $1
    }' "$root/task-image/debian-packages.txt")
  if ((${#missing[@]} == 0)); then return; fi
  printf '[setup] installing Debian packages: %s\n' "${missing[*]}" >&2
  local sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  $sudo apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}
