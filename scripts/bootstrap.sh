#!/bin/sh
# Installs what psyclaim needs to build and test, only what is missing: the Debian packages, Node.js
# (when no node/npm is on the PATH) and the npm packages of tests/node (an independent X12 parser the
# tests compare the 837P writer's output with).
set -eu
cd "$(dirname "$0")/.."
PKGS="build-essential cmake ninja-build pkg-config libsqlite3-dev libjansson-dev libutf8proc-dev
libstemmer-dev libcmocka-dev libhpdf-dev poppler-utils"
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || PKGS="$PKGS nodejs npm"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "bootstrap: installing$missing"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086
  $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
if [ ! -f tests/node/node_modules/node-x12/package.json ]; then
  echo "bootstrap: installing the npm packages of tests/node"
  npm ci --prefix tests/node --no-audit --no-fund --loglevel=error
fi
