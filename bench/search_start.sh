#!/bin/sh
# search_start.sh -- `psyclaim search` as a user runs it, one process per question: with the search index
# mapped from its file beside the database against building it on every call (PSYCLAIM_SEARCH_INDEX_FILE=off,
# what every call did before the file), side by side in one run. The database has the built-in catalog
# plus the ICD-10-CM FY2022 order file and the HCPCS October 2025 file (../shared/data) imported.
# Wall time from hyperfine (3 warm-up runs, then RUNS runs each); peak resident memory from
# /usr/bin/time -f %M (the median of 5 runs). Writes the section "search-start" of the results file.
#
# usage: bench/search_start.sh [--bin build-release/psyclaim] [--out docs/benchmarks.md | -]
# Needs hyperfine and GNU time (scripts/bootstrap.sh --bench).
set -eu
bin=build-release/psyclaim
out=docs/benchmarks.md
runs=${RUNS:-40}
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: bench/search_start.sh [--bin PSYCLAIM] [--out FILE|-]" >&2; exit 2 ;;
  esac
done
shared=${PSY_SHARED_DIR:-../shared/data}
icd=$shared/icd10cm/icd10cm_order_2022_fixedwidth.txt
hcpcs=$shared/hcpcs/HCPC2025_OCT_ANWEB.tsv
for t in hyperfine /usr/bin/time; do
  command -v "$t" >/dev/null || { echo "search_start: $t is missing (scripts/bootstrap.sh --bench)" >&2; exit 1; }
done
[ -r "$icd" ] && [ -r "$hcpcs" ] || { echo "search_start: $icd or $hcpcs not found" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db=$tmp/bench.db
"$bin" import --db "$db" --quiet icd10cm "$icd" >/dev/null
"$bin" import --db "$db" --quiet hcpcs "$hcpcs" >/dev/null
"$bin" search --db "$db" therapy >/dev/null # builds the index and saves its file
sleep 1
"$bin" search --db "$db" therapy >/dev/null # checks the whole file once and records that it did
index_mb=$(awk -v b="$(stat -c %s "$db.search-index")" 'BEGIN {printf "%.1f", b / 1048576}')

# median of 5 peak RSS figures, in MB
rss() {
  for i in 1 2 3 4 5; do
    /usr/bin/time -f %M -o "$tmp/rss" "$@" >/dev/null 2>&1
    cat "$tmp/rss"
  done | sort -n | awk '{v[NR] = $1} END {printf "%.1f", v[3] / 1024}'
}
rows=""
for q in "depression" "90837" "grp therapy 60 min" "F43.1"; do
  hyperfine -N -w 3 -r "$runs" --export-json "$tmp/h.json" \
    "$bin search --db $db '$q'" "env PSYCLAIM_SEARCH_INDEX_FILE=off $bin search --db $db '$q'" >/dev/null 2>&1
  # mean and min of each command, in ms
  stats=$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"]
print(" ".join("%.1f %.1f" % (x["mean"] * 1e3, x["min"] * 1e3) for x in r))' "$tmp/h.json")
  set -- $stats
  m_mean=$1 m_min=$2 b_mean=$3 b_min=$4
  m_rss=$(rss "$bin" search --db "$db" "$q")
  b_rss=$(rss env PSYCLAIM_SEARCH_INDEX_FILE=off "$bin" search --db "$db" "$q")
  ratio=$(awk -v a="$b_mean" -v b="$m_mean" 'BEGIN {printf "%.0f", a / b}')
  rows="$rows| \`$q\` | $m_mean ms (min $m_min) | $m_rss MB | $b_mean ms (min $b_min) | $b_rss MB | ${ratio}× |
"
done
base_rss=$(rss "$bin" --version)

section=$(cat <<EOF
## \`psyclaim search\` from the command line: the index file against building the index

\`bench/search_start.sh\` (release build; this run: \`RUNS=$runs bench/search_start.sh --bin $bin\`). One process per
question, as a user runs it: open the database, get the index, answer, exit. The database holds the
built-in catalog plus the ICD-10-CM FY2022 order file and the HCPCS October 2025 file; its index file
(\`DB.search-index\`) is $index_mb MB. "mapped": the index mapped from that file (its header checked
against the catalog generation; its payload checksum checked once after each change of the file and the
check recorded in \`DB.search-index.verified\`). "built": \`PSYCLAIM_SEARCH_INDEX_FILE=off\`, the index built
from the database on every call. Wall time: hyperfine, 3 warm-up runs then $runs runs each, on this
shared 2-core machine. Peak resident memory: \`/usr/bin/time -f %M\`, median of 5 runs; a process that
only prints its version holds $base_rss MB (the shared libraries).

| query | mapped: wall (mean) | mapped: peak RSS | built: wall (mean) | built: peak RSS | built / mapped |
|---|---:|---:|---:|---:|---:|
$rows
EOF
)
if [ "$out" = "-" ]; then
  printf '%s\n' "$section"
  exit 0
fi
touch "$out"
printf '%s\n' "$section" >"$tmp/section.md"
awk -v sec="$tmp/section.md" '
  function emit() { print "<!-- bench:search-start -->"; while ((getline l < sec) > 0) print l; print "<!-- /bench:search-start -->" }
  /^<!-- bench:search-start -->$/ { emit(); skip = 1; done = 1; next }
  /^<!-- \/bench:search-start -->$/ { skip = 0; next }
  !skip { print }
  END { if (!done) { print ""; emit() } }' "$out" >"$tmp/out.md"
cat "$tmp/out.md" >"$out"
echo "search_start: section 'search-start' written to $out" >&2
