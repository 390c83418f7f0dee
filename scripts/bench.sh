#!/bin/sh
# Runs every benchmark of a build directory; each refreshes its own section of the results file.
set -eu
dir=${1:-build-release}
out=${2:-docs/benchmarks.md}
for b in "$dir"/bench/bench_*; do
  [ -x "$b" ] || continue
  echo "== $(basename "$b")"
  "$b" --out "$out"
done
