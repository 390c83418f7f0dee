#!/bin/sh
# section.sh -- puts a section into the results file: the lines between <!-- bench:NAME --> and
# <!-- /bench:NAME --> are replaced by the text of FILE, or the section is added at the end when the
# file has none. Used by the benchmark scripts of this directory.
#
# usage: bench/section.sh NAME FILE OUT
set -eu
[ $# -eq 3 ] || { echo "usage: bench/section.sh NAME FILE OUT" >&2; exit 2; }
name=$1
sec=$2
out=$3
touch "$out"
tmp=$(mktemp "${TMPDIR:-/tmp}/psyclaim-section.XXXXXX")
trap 'rm -f "$tmp"' EXIT
awk -v sec="$sec" -v first="<!-- bench:$name -->" -v last="<!-- /bench:$name -->" '
  function emit() { print first; while ((getline l < sec) > 0) print l; print last }
  $0 == first { emit(); skip = 1; done = 1; next }
  $0 == last { skip = 0; next }
  !skip { print }
  END { if (!done) { print ""; emit() } }' "$out" >"$tmp"
cat "$tmp" >"$out"
