#!/usr/bin/env bash
# Installs the real servers and programs the test suite uses, when they are missing (Debian packages):
# redis-server, postgresql, graphviz (`engine graph -o flow.svg`), chromium (the playground's browser
# tests, driven by Playwright with executable_path=/usr/bin/chromium: no browser is downloaded). Needs root (CI runs as root);
# otherwise it says what to install.
set -euo pipefail
need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
# postgresql (Debian package) for the ticket store tests: they run initdb/pg_ctl themselves. The package puts
# them under /usr/lib/postgresql/<version>/bin, off PATH, so look there too.
has_pg() {
  for bin in initdb pg_ctl; do
    command -v "$bin" >/dev/null 2>&1 && continue
    compgen -G "/usr/lib/postgresql/*/bin/$bin" >/dev/null || return 1
  done
}
has_pg || need+=(postgresql)
command -v dot >/dev/null 2>&1 || need+=(graphviz)
[ -x /usr/bin/chromium ] || need+=(chromium)
# colour emoji for the playground's screenshots (bots' buttons are full of them)
[ -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || need+=(fonts-noto-color-emoji)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing system packages: ${need[*]} (install them with apt-get as root)" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq "${need[@]}" >/dev/null
echo "installed: ${need[*]}"
