#!/bin/sh
# Installs what psyclaim needs to build and test, only what is missing: the Debian packages, Node.js
# (when no node/npm is on the PATH), then the npm packages of the tests: tests/browser (playwright-core,
# which drives Debian's /usr/bin/chromium and downloads no browser) and tests/node (node-x12, an
# independent X12 parser the 837P writer's output is compared with); python3-defusedxml lets the tests run
# pyx12, the X12 validator kept beside the checkout (../shared/tools/pyx12), on the 837P files with COB loops.
#
# scripts/bootstrap.sh --bench installs instead the optional tools of the web load benchmark
# (bench/web_load.sh, run by `make bench`): wrk, nginx, curl, procps, and hyperfine and time for the search start-up benchmark. The build and the tests never need them;
# the benchmark runs its own nginx with a scratch configuration, never the system's service.
set -eu
cd "$(dirname "$0")/.."
mode=${1:-}
case "$mode" in
  "") PKGS="build-essential cmake ninja-build pkg-config libsqlite3-dev libjansson-dev libutf8proc-dev
libstemmer-dev libcmocka-dev libsodium-dev libmicrohttpd-dev libcurl4-openssl-dev libhpdf-dev
poppler-utils chromium libpq-dev postgresql liboath-dev libqrencode-dev libcsv-dev wamerican wbritish
clang postgresql-15-auto-failover libexpat1-dev zlib1g-dev python3 python3-defusedxml" ;;
  --bench) PKGS="wrk nginx curl procps hyperfine time" ;;
  *) echo "usage: scripts/bootstrap.sh [--bench]" >&2; exit 2 ;;
esac
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# A machine may already have Node.js from another source (whose nodejs package bundles npm and
# conflicts with Debian's), so only missing commands are installed.
if [ -z "$mode" ]; then
  command -v node >/dev/null 2>&1 || missing="$missing nodejs"
  command -v npm >/dev/null 2>&1 || missing="$missing npm"
fi
if [ -n "$missing" ]; then
  echo "bootstrap: installing$missing"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086
  $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

[ -z "$mode" ] || exit 0
for dir in tests/browser tests/node; do
  stamp=$dir/node_modules/.package-lock.json
  if [ ! -f "$stamp" ] || [ $dir/package-lock.json -nt "$stamp" ]; then
    echo "bootstrap: npm ci in $dir"
    (cd $dir && npm ci --no-audit --no-fund --loglevel=error)
  fi
done
