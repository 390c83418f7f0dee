#!/bin/sh
# Installs what psyclaim needs to build and test, only what is missing: Debian packages, then the
# browser tests' npm packages (tests/browser, from its package-lock.json).
set -eu
cd "$(dirname "$0")/.."
PKGS="build-essential cmake ninja-build pkg-config libsqlite3-dev libjansson-dev libutf8proc-dev
libstemmer-dev libcmocka-dev libsodium-dev libmicrohttpd-dev libcurl4-openssl-dev chromium"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# Node.js and npm run the browser tests. A machine may already have them from another source (whose
# nodejs package bundles npm and conflicts with Debian's), so only missing commands are installed.
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
if [ -n "$missing" ]; then
  echo "bootstrap: installing$missing"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086
  $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

# playwright-core for tests/browser (it drives Debian's /usr/bin/chromium; it downloads no browser)
stamp=tests/browser/node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ tests/browser/package-lock.json -nt "$stamp" ]; then
  echo "bootstrap: npm ci in tests/browser"
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
fi
