#!/bin/sh
# search_start.sh -- `psyclaim search` as a user runs it, one process per question: with the search index
# mapped from its file beside the database against building it on every call (PSYCLAIM_SEARCH_INDEX_FILE=off,
# what every call did before the file), side by side in one run. The database has the built-in catalog
# plus the ICD-10-CM FY2022 order file and the HCPCS October 2025 file (../shared/data) imported.
# Wall time and CPU time (user + system) from hyperfine (3 warm-up runs, then RUNS runs each); peak
# resident memory from /usr/bin/time -f %M (the median of 5 runs). With --base, the same questions are
# also asked, in the same run, of another build (say, the commit before a change), mapped from its own
# index file beside its own copy of the database. Writes the section "search-start" of the results file.
#
# usage: bench/search_start.sh [--bin build-release/psyclaim] [--base OTHER-PSYCLAIM] [--out docs/benchmarks.md | -]
# Needs hyperfine and GNU time (scripts/bootstrap.sh --bench).
set -eu
bin=build-release/psyclaim
base=""
out=docs/benchmarks.md
runs=${RUNS:-40}
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin=$2; shift 2 ;;
    --base) base=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: bench/search_start.sh [--bin PSYCLAIM] [--base PSYCLAIM] [--out FILE|-]" >&2; exit 2 ;;
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
if [ -n "$base" ]; then # the other build: its own copy of the database, and its own index file
  cp "$db" "$tmp/base.db"
  "$base" search --db "$tmp/base.db" therapy >/dev/null
  sleep 1
  "$base" search --db "$tmp/base.db" therapy >/dev/null
fi
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# median of 5 peak RSS figures, in MB
rss() {
  for i in 1 2 3 4 5; do
    /usr/bin/time -f %M -o "$tmp/rss" "$@" >/dev/null 2>&1
    cat "$tmp/rss"
  done | sort -n | awk '{v[NR] = $1} END {printf "%.1f", v[3] / 1024}'
}
rows=""
base_rows=""
for q in "depression" "90837" "grp therapy 60 min" "F43.1"; do
  set -- "$bin search --db $db '$q'" "env PSYCLAIM_SEARCH_INDEX_FILE=off $bin search --db $db '$q'"
  [ -n "$base" ] && set -- "$@" "$base search --db $tmp/base.db '$q'"
  hyperfine -N -w 3 -r "$runs" --export-json "$tmp/h.json" "$@" >/dev/null 2>&1
  # mean, min and CPU time (user + system, mean) of each command, in ms
  stats=$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"]
print(" ".join("%.1f %.1f %.1f" % (x["mean"] * 1e3, x["min"] * 1e3, (x["user"] + x["system"]) * 1e3) for x in r))' "$tmp/h.json")
  set -- $stats
  m_mean=$1 m_min=$2 m_cpu=$3 b_mean=$4 b_min=$5 b_cpu=$6
  m_rss=$(rss "$bin" search --db "$db" "$q")
  b_rss=$(rss env PSYCLAIM_SEARCH_INDEX_FILE=off "$bin" search --db "$db" "$q")
  ratio=$(awk -v a="$b_mean" -v b="$m_mean" 'BEGIN {printf "%.0f", a / b}')
  rows="$rows| \`$q\` | $m_mean ms (min $m_min) | $m_cpu ms | $m_rss MB | $b_mean ms (min $b_min) | $b_cpu ms | $b_rss MB | ${ratio}× |
"
  if [ -n "$base" ]; then
    o_mean=$7 o_min=$8 o_cpu=$9
    o_rss=$(rss "$base" search --db "$tmp/base.db" "$q")
    base_rows="$base_rows| \`$q\` | $o_mean ms (min $o_min) | $o_cpu ms | $o_rss MB | $m_mean ms (min $m_min) | $m_cpu ms | $m_rss MB |
"
  fi
done
base_rss=$(rss "$bin" --version)
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
base_section=""
if [ -n "$base" ]; then
  other_rss=$(rss "$base" --version)
  base_section="
The same questions in the same run, mapped, asked of \`$base\` (another build, with its own copy of the
database and its own index file; a process of it that only prints its version holds $other_rss MB) and of
\`$bin\`:

| query | other build: wall (mean) | CPU | peak RSS | this build: wall (mean) | CPU | peak RSS |
|---|---:|---:|---:|---:|---:|---:|
$base_rows"
fi

section=$(cat <<EOF
## \`psyclaim search\` from the command line: the index file against building the index

\`bench/search_start.sh\` (release build; this run: \`RUNS=$runs bench/search_start.sh --bin $bin${base:+ --base $base}\`). One process per
question, as a user runs it: open the database, get the index, answer, exit. The database holds the
built-in catalog plus the ICD-10-CM FY2022 order file and the HCPCS October 2025 file; its index file
(\`DB.search-index\`) is $index_mb MB. "mapped": the index mapped from that file (its header checked
against the catalog generation; its payload checksum checked once after each change of the file and the
check recorded in \`DB.search-index.verified\`). "built": \`PSYCLAIM_SEARCH_INDEX_FILE=off\`, the index built
from the database on every call. Wall time and CPU time (user + system, mean): hyperfine, 3 warm-up runs
then $runs runs each, on this shared 2-core machine (1, 5 and 15-minute load averages $load_start at the
start, $load_end at the end). Peak resident memory: \`/usr/bin/time -f %M\`, median of 5 runs; a
process that only prints its version holds $base_rss MB (the program and its shared libraries).

| query | mapped: wall (mean) | mapped: CPU | mapped: peak RSS | built: wall (mean) | built: CPU | built: peak RSS | built / mapped |
|---|---:|---:|---:|---:|---:|---:|---:|
$rows$base_section
EOF
)
if [ "$out" = "-" ]; then
  printf '%s\n' "$section"
  exit 0
fi
printf '%s\n' "$section" >"$tmp/section.md"
"$(dirname "$0")/section.sh" search-start "$tmp/section.md" "$out"
echo "search_start: section 'search-start' written to $out" >&2
