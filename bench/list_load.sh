#!/bin/sh
# list_load.sh -- the paged claims list at the size of a real billing office, side by side with the
# code search endpoint, under wrk.
#
# Builds (or reuses, with --db) a practice of about 100,000 sessions: `psyclaim demo-data` with seed 11,
# 52 weeks to 2025-06-29, 2500 clients and 100 groups (the practice of bench_backends), then
# `psyclaim claims build` over the whole period. Starts `psyclaim serve` on it, signs in a scratch
# biller, and runs wrk with the same threads, connections and duration against
#   GET /api/claims?status=ready   (the first page of the ready claims with their count; every request
#                                   also writes its audit event)
#   GET /api/search?q=...          (the code search, the fastest answer the server gives)
# one after the other. Both must answer every request with 2xx and without socket errors. Writes the
# section "lists" of the results file: requests per second, latency p50/p99, and whether the claims
# list met its target (p99 under 50 ms). Installs nothing (`scripts/bootstrap.sh --bench` installs wrk).
#
# usage: bench/list_load.sh [--bin PSYCLAIM] [--db FILE] [--out FILE]
#   --bin PATH   the psyclaim binary (default build-release/psyclaim)
#   --db FILE    the practice database: built there when it does not exist, reused when it does
#                (default: a scratch file, removed afterwards)
#   --out FILE   the results file (default docs/benchmarks.md); "-" prints the section only
# environment: LIST_BENCH_SECONDS (default 30), LIST_BENCH_WARMUP (seconds, default 2),
#   LIST_BENCH_CONNECTIONS (default 32), LIST_BENCH_CLIENT_THREADS (wrk threads, default 2),
#   LIST_BENCH_SERVER_THREADS (psyclaim threads, default 2), LIST_BENCH_QUERY (the search, default
#   "grp therapy 60 min")
set -eu

bin=build-release/psyclaim
db=""
out=docs/benchmarks.md
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin=$2; shift 2 ;;
    --db) db=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "list_load: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
seconds=${LIST_BENCH_SECONDS:-30}
warmup=${LIST_BENCH_WARMUP:-2}
conns=${LIST_BENCH_CONNECTIONS:-32}
cthreads=${LIST_BENCH_CLIENT_THREADS:-2}
sthreads=${LIST_BENCH_SERVER_THREADS:-2}
query=${LIST_BENCH_QUERY:-grp therapy 60 min}

for tool in wrk curl; do
  command -v "$tool" >/dev/null 2>&1 || { echo "list_load: missing $tool; install with scripts/bootstrap.sh --bench" >&2; exit 1; }
done
[ -x "$bin" ] || { echo "list_load: no psyclaim binary at $bin (build it first)" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/psyclaim-listload.XXXXXX")
psy_pid=""
cleanup() {
  [ -n "$psy_pid" ] && kill "$psy_pid" 2>/dev/null && wait "$psy_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
[ -n "$db" ] || db=$tmp/practice.db

# --- the practice -----------------------------------------------------------------------------------
if [ ! -s "$db" ]; then
  echo "list_load: building the practice in $db (demo data, then claims build)" >&2
  t0=$(date +%s)
  "$bin" demo-data --db "$db" --seed 11 --end 2025-06-29 --weeks 52 --clients 2500 --groups 100 >"$db.demo.txt"
  "$bin" claims build --db "$db" --from 2024-01-01 --to 2025-06-29 >"$tmp/build.out"
  echo "list_load: built in $(($(date +%s) - t0)) s" >&2
fi
sessions=$(sed -n 's/.* \([0-9][0-9]*\) sessions.*/\1/p' "$db.demo.txt" 2>/dev/null | head -n 1)

user="bench-biller-$$"
password="list-load-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s\n' "$password" | "$bin" user add --db "$db" --username "$user" --role biller >/dev/null

"$bin" serve --db "$db" --listen 127.0.0.1:0 --threads "$sthreads" --quiet >"$tmp/serve.out" 2>"$tmp/serve.err" &
psy_pid=$!
url=""
i=0
while [ $i -lt 600 ] && [ -z "$url" ]; do
  url=$(sed -n 's|.*serving \(http://[^ ]*[0-9]\)/ .*|\1|p' "$tmp/serve.out")
  [ -n "$url" ] && break
  kill -0 "$psy_pid" 2>/dev/null || { cat "$tmp/serve.err" >&2; echo "list_load: psyclaim serve exited" >&2; exit 1; }
  sleep 0.1
  i=$((i + 1))
done
[ -n "$url" ] || { echo "list_load: psyclaim serve did not start" >&2; exit 1; }
curl -s -o /dev/null -D "$tmp/login.head" -H 'Content-Type: application/json' \
     -d "{\"username\": \"$user\", \"password\": \"$password\"}" "$url/api/login"
cookie=$(sed -n 's/^[Ss]et-[Cc]ookie: \(psy_session=[0-9a-f]*\);.*/\1/p' "$tmp/login.head")
[ -n "$cookie" ] || { echo "list_load: signing in as $user failed" >&2; exit 1; }

claims_path="/api/claims?status=ready"
search_path="/api/search?q=$(printf '%s' "$query" | sed 's/ /%20/g')"
# fetch NAME PATH: one answer, kept in $tmp/NAME.json; must be 200
fetch() {
  code=$(curl -s -o "$tmp/$1.json" -w '%{http_code}' -H "Cookie: $cookie" "$url$2")
  [ "$code" = 200 ] || { echo "list_load: GET $2 answered $code" >&2; head -c 300 "$tmp/$1.json" >&2; exit 1; }
}
fetch claims "$claims_path"
fetch search "$search_path"
fetch all "/api/claims?limit=1"
ready=$(grep -o '"total": *[0-9]*' "$tmp/claims.json" | tail -n 1 | grep -o '[0-9]*$')
claims=$(grep -o '"total": *[0-9]*' "$tmp/all.json" | tail -n 1 | grep -o '[0-9]*$')
claims_bytes=$(wc -c <"$tmp/claims.json" | tr -d ' ')
search_bytes=$(wc -c <"$tmp/search.json" | tr -d ' ')

# run NAME PATH: warm up, then wrk for $seconds; the report goes to $tmp/NAME.wrk
run() {
  [ "$warmup" -gt 0 ] && wrk -t"$cthreads" -c"$conns" -d"${warmup}s" -H "Cookie: $cookie" "$url$2" >/dev/null
  echo "list_load: $1: wrk -t$cthreads -c$conns -d${seconds}s --latency $2" >&2
  wrk -t"$cthreads" -c"$conns" -d"${seconds}s" --latency -H "Cookie: $cookie" "$url$2" >"$tmp/$1.wrk"
  cat "$tmp/$1.wrk" >&2
}
run claims "$claims_path"
run search "$search_path"

# field NAME KEY: one figure of a wrk report
field() {
  f=$tmp/$1.wrk
  case "$2" in
    rps) awk '/^Requests\/sec:/ {print $2}' "$f" ;;
    p50) awk '/Latency Distribution/ {d=1} d && $1 == "50%" {print $2; exit}' "$f" ;;
    p99) awk '/Latency Distribution/ {d=1} d && $1 == "99%" {print $2; exit}' "$f" ;;
    requests) awk '/ requests in / {print $1}' "$f" ;;
    non2xx) awk '/Non-2xx or 3xx responses:/ {print $NF; found=1} END {if (!found) print 0}' "$f" ;;
    errors) awk '/Socket errors:/ {gsub(",", ""); print $4 + $6 + $8 + $10; found=1} END {if (!found) print 0}' "$f" ;;
  esac
}
# ms VALUE: a wrk latency ("812.00us", "12.34ms", "1.02s") in milliseconds
ms() { echo "$1" | awk '/us$/ {sub("us", ""); print $1 / 1000; next} /ms$/ {sub("ms", ""); print $1 + 0; next} /s$/ {sub("s", ""); print $1 * 1000}'; }
bad=0
for s in claims search; do
  if [ "$(field $s non2xx)" != 0 ] || [ "$(field $s errors)" != 0 ] || [ -z "$(field $s rps)" ]; then
    echo "list_load: $s: $(field $s non2xx) non-2xx responses, $(field $s errors) socket errors" >&2
    bad=1
  fi
done
[ $bad -eq 0 ] || exit 1
p99=$(ms "$(field claims p99)")
verdict=$(awk -v p="$p99" 'BEGIN {print (p < 50 ? "met" : "not met")}')
ratio=$(awk -v a="$p99" -v b="$(ms "$(field search p99)")" 'BEGIN {printf "%.1f", a / b}')
wrk_version=$(wrk -v 2>&1 | sed -n 's/^wrk [^0-9]*\([0-9][0-9.]*\).*/\1/p' | head -n 1)
load=$(cut -d' ' -f1 /proc/loadavg)

row() {
  printf '| `%s` | %s | %s | %s | %s | %s | %s / %s |\n' "$2" "$3" "$(field "$1" rps)" "$(field "$1" p50)" "$(field "$1" p99)" \
    "$(field "$1" requests)" "$(field "$1" errors)" "$(field "$1" non2xx)"
}
section=$(cat <<EOF
## Paged lists at a 100,000-session practice

\`bench/list_load.sh\` (this run: \`LIST_BENCH_SECONDS=$seconds bench/list_load.sh\`). The practice of
\`bench_backends\` (\`psyclaim demo-data --seed 11 --end 2025-06-29 --weeks 52 --clients 2500 --groups 100\`:
${sessions:-about 100,000} sessions) with \`psyclaim claims build\` over its year: $claims claims, $ready of
them ready. \`$bin serve\` ($sthreads worker threads, SQLite) with the session cookie of a signed-in biller;
wrk ${wrk_version:-?}: $cthreads threads, $conns connections, ${seconds} s per endpoint after a ${warmup} s
warm-up, one endpoint after the other, on the same $(nproc)-core machine over loopback (load average
$load at the end of the run; wrk and other work share the cores). The claims list answers its first
page of 50 (newest first, each with its client's name, payer and number of lines) with the count of
the ready claims (an aggregate query, given again from memory while no claim changed), and writes one
audit event per request; the search answers from the index in memory and writes nothing.

| endpoint | answer | requests/s | latency p50 | latency p99 | requests | socket errors / non-2xx |
|---|---:|---:|---:|---:|---:|---:|
$(row claims "GET $claims_path" "$claims_bytes bytes")
$(row search "GET $search_path" "$search_bytes bytes")

The claims list's p99 is **$p99 ms** (target: under 50 ms, **$verdict**), $ratio times the search's.
EOF
)
if [ "$out" = - ]; then
  printf '%s\n' "$section"
  exit 0
fi
printf '%s\n' "$section" >"$tmp/section.md"
"$(dirname "$0")/section.sh" lists "$tmp/section.md" "$out"
echo "list_load: claims p99 $p99 ms ($verdict); section 'lists' written to $out" >&2
