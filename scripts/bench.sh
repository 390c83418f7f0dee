#!/bin/sh
# Runs every benchmark of a build directory, then the command-line search start-up (bench/search_start.sh)
# the web load test (bench/web_load.sh: psyclaim serve against nginx under wrk; WEB_BENCH_SECONDS
# shortens it), the paged claims list at a 100,000-session practice (bench/list_load.sh;
# LIST_BENCH_SECONDS shortens it) and one record's pages at that size (bench/record_pages.sh; give
# RECORD_BENCH_BASE, another psyclaim binary, to measure it beside); each refreshes its own section of
# the results file.
set -eu
dir=${1:-build-release}
out=${2:-docs/benchmarks.md}
for b in "$dir"/bench/bench_*; do
  [ -x "$b" ] || continue
  echo "== $(basename "$b")"
  "$b" --out "$out"
done
echo "== search_start"
bench/search_start.sh --bin "$dir/psyclaim" --out "$out"
echo "== web_load"
bench/web_load.sh --bin "$dir/psyclaim" --out "$out"
echo "== list_load"
bench/list_load.sh --bin "$dir/psyclaim" --out "$out"
echo "== record_pages"
bench/record_pages.sh --bin "$dir/psyclaim" ${RECORD_BENCH_BASE:+--base "$RECORD_BENCH_BASE"} --out "$out"
