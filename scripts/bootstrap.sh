#!/bin/sh
# Installs the Debian packages that psyclaim needs to build and test, only those that are missing.
set -eu
PKGS="build-essential cmake ninja-build pkg-config libsqlite3-dev libjansson-dev libutf8proc-dev
libstemmer-dev libcmocka-dev libpq-dev postgresql"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "bootstrap: installing$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
