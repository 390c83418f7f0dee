#!/bin/sh
# Copies the browser libraries the pages use from npm into web/vendor/, where the build embeds them:
# uPlot (MIT, the report plots), version pinned in tools/web-vendor/package-lock.json. The copies are
# kept in the tree so building and `make demo` need no network; run this again after changing the pin.
set -eu
cd "$(dirname "$0")/.."
(cd tools/web-vendor && npm ci --no-audit --no-fund --loglevel=error)
src=tools/web-vendor/node_modules/uplot
mkdir -p web/vendor
cp "$src/dist/uPlot.esm.js" web/vendor/uPlot.esm.js
cp "$src/dist/uPlot.min.css" web/vendor/uPlot.min.css
cp "$src/LICENSE" web/vendor/uPlot.LICENSE.txt
echo "vendor-web: uPlot $(node -p "require('./$src/package.json').version") -> web/vendor/"
