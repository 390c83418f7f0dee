#!/bin/sh
# record_pages.sh -- one record's page at the size of a real billing office, this build beside another.
#
# A page about one client, group, session or claim must cost what that record holds, not what the
# practice holds. On a practice of about 100,000 sessions (the practice of bench_backends and
# list_load.sh: `psyclaim demo-data --seed 11 --end 2025-06-29 --weeks 52 --clients 2500 --groups 100`,
# then `psyclaim claims build`), starts `psyclaim serve` from each binary on its own copy of the
# database, signs in a scratch admin on each, and asks each for the same pages in turn, several times:
#   GET /api/clients/ID, /api/clients/ID/ledger, /api/groups/ID, /api/sessions/ID (an individual session
#   and a group session, with their checks), /api/claims/ID, the attendance and group reports, and the
#   practice-wide money pages: the clients' balances, the A/R aging and a page of the timely-filing list.
# The ids are the first client and group, that client's and that group's newest sessions and the newest
# claim, as the lists give them. Each figure is the best of RECORD_BENCH_RUNS (default 5) answers
# (curl's time_total, loopback). Every answer must be 200. Writes the section "record-pages" of the
# results file. Installs nothing.
#
# usage: bench/record_pages.sh [--bin PSYCLAIM] [--base PSYCLAIM] [--db FILE] [--out FILE]
#   --bin PATH    the psyclaim binary measured (default build-release/psyclaim)
#   --base PATH   another psyclaim binary (the build before a change) measured beside it; optional
#   --db FILE     the practice database (built there with the --base binary, else --bin, when it does
#                 not exist; each server works on its own copy, so a newer binary's migrations never
#                 reach the older one's)
#   --out FILE    the results file (default docs/benchmarks.md); "-" prints the section only
set -eu

bin=build-release/psyclaim
base=""
db=""
out=docs/benchmarks.md
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin=$2; shift 2 ;;
    --base) base=$2; shift 2 ;;
    --db) db=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "record_pages: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
runs=${RECORD_BENCH_RUNS:-5}
command -v curl >/dev/null 2>&1 || { echo "record_pages: missing curl; install with scripts/bootstrap.sh --bench" >&2; exit 1; }
for b in "$bin" ${base:+"$base"}; do
  [ -x "$b" ] || { echo "record_pages: no psyclaim binary at $b (build it first)" >&2; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/psyclaim-records.XXXXXX")
pids=""
cleanup() {
  for p in $pids; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
[ -n "$db" ] || db=$tmp/practice.db
maker=${base:-$bin}
if [ ! -s "$db" ]; then
  echo "record_pages: building the practice in $db with $maker (demo data, then claims build)" >&2
  "$maker" demo-data --db "$db" --seed 11 --end 2025-06-29 --weeks 52 --clients 2500 --groups 100 >"$tmp/demo.txt"
  "$maker" claims build --db "$db" --from 2024-01-01 --to 2025-06-29 >"$tmp/build.out"
fi

# start NAME BINARY: its own copy of the database, a scratch admin, a server; sets NAME_url, NAME_cookie
start() {
  cp "$db" "$tmp/$1.db"
  user="bench-admin-$1-$$"
  password="record-pages-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  printf '%s\n' "$password" | "$2" user add --db "$tmp/$1.db" --username "$user" --role admin >/dev/null
  "$2" serve --db "$tmp/$1.db" --listen 127.0.0.1:0 --quiet >"$tmp/$1.out" 2>"$tmp/$1.err" &
  pid=$!
  pids="$pids $pid"
  u=""
  i=0
  while [ $i -lt 600 ] && [ -z "$u" ]; do
    u=$(sed -n 's|.*serving \(http://[^ ]*[0-9]\)/ .*|\1|p' "$tmp/$1.out")
    [ -n "$u" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$tmp/$1.err" >&2; echo "record_pages: $2 serve exited" >&2; exit 1; }
    sleep 0.1
    i=$((i + 1))
  done
  [ -n "$u" ] || { echo "record_pages: $2 serve did not start" >&2; exit 1; }
  curl -s -o /dev/null -D "$tmp/$1.head" -H 'Content-Type: application/json' \
       -d "{\"username\": \"$user\", \"password\": \"$password\"}" "$u/api/login"
  c=$(sed -n 's/^[Ss]et-[Cc]ookie: \(psy_session=[0-9a-f]*\);.*/\1/p' "$tmp/$1.head")
  [ -n "$c" ] || { echo "record_pages: signing in on $2 failed" >&2; exit 1; }
  eval "${1}_url=\$u; ${1}_cookie=\$c"
}
start new "$bin"
[ -z "$base" ] || start old "$base"

# get NAME PATH: one answer into $tmp/answer.json; prints time_total; the answer must be 200
get() {
  eval "u=\$${1}_url; c=\$${1}_cookie"
  r=$(curl -s -o "$tmp/answer.json" -w '%{http_code} %{time_total}' -H "Cookie: $c" "$u$2")
  [ "${r% *}" = 200 ] || { echo "record_pages: GET $2 answered ${r% *}" >&2; head -c 300 "$tmp/answer.json" >&2; exit 1; }
  echo "${r#* }"
}
# first_id PATH: the first "id" of a list answer of the measured build
first_id() {
  get new "$1" >/dev/null
  grep -o '"id": *[0-9]*' "$tmp/answer.json" | head -n 1 | grep -o '[0-9]*$'
}
client=$(first_id "/api/clients?limit=1")
group=$(first_id "/api/groups")
claim=$(first_id "/api/claims?limit=1")
solo=$(first_id "/api/sessions?client=$client&limit=1")
grp=$(first_id "/api/sessions?group=$group&limit=1")
for v in client group claim solo grp; do
  eval "[ -n \"\$$v\" ]" || { echo "record_pages: no $v id found in the lists" >&2; exit 1; }
done

# best NAME PATH: the best of $runs answers, in ms
best() {
  b=""
  k=0
  while [ $k -lt "$runs" ]; do
    t=$(get "$1" "$2")
    b=$(awk -v a="$t" -v b="$b" 'BEGIN {print (b == "" || a < b) ? a : b}')
    k=$((k + 1))
  done
  awk -v s="$b" 'BEGIN {printf "%.1f", s * 1000}'
}
rows=""
for p in "/api/clients/$client" "/api/clients/$client/ledger" "/api/groups/$group" "/api/sessions/$solo" \
         "/api/sessions/$grp" "/api/claims/$claim" "/api/reports/attendance" "/api/reports/group-economics" \
         "/api/balances" "/api/reports/aging" "/api/claims/timely?within=30&limit=50"; do
  if [ -n "$base" ]; then
    before=$(best old "$p")
    after=$(best new "$p")
    ratio=$(awk -v a="$before" -v b="$after" 'BEGIN {printf "%.1f", (b > 0 ? a / b : 0)}')
    rows="$rows| \`GET $p\` | $before ms | $after ms | ${ratio}× |
"
  else
    rows="$rows| \`GET $p\` | $(best new "$p") ms |
"
  fi
  echo "record_pages: $p done" >&2
done
sessions=$(awk '/ sessions/ {for (i = 1; i <= NF; i++) if ($(i + 1) ~ /^sessions/) {print $i; exit}}' "$tmp/demo.txt" 2>/dev/null || true)
load=$(cut -d' ' -f1 /proc/loadavg)
if [ -n "$base" ]; then
  head="| page | \`$base\` | \`$bin\` | before / after |
|---|---:|---:|---:|"
else
  head="| page | \`$bin\` |
|---|---:|"
fi
section=$(cat <<EOF
## One record's page at a 100,000-session practice

\`bench/record_pages.sh\` (this run: \`bench/record_pages.sh --bin $bin${base:+ --base $base}\`). The practice of
\`bench_backends\` and \`list_load.sh\` (\`psyclaim demo-data --seed 11 --end 2025-06-29 --weeks 52 --clients
2500 --groups 100\`${sessions:+: $sessions sessions}, claims built over its year). Each binary serves its own
copy (SQLite, default threads) to a signed-in admin; the pages are asked of each server in turn, the best
of $runs answers each (curl's total time over loopback; load average $load at the end of the run). A
session's page includes its checks (the audit of its day, the comparison of its notes with the client's
earlier ones); the reports cover the whole period, and the balances, the aging and the timely-filing
page every client and every unsent claim of the practice.

$head
$rows
EOF
)
if [ "$out" = - ]; then
  printf '%s\n' "$section"
  exit 0
fi
printf '%s\n' "$section" >"$tmp/section.md"
"$(dirname "$0")/section.sh" record-pages "$tmp/section.md" "$out"
echo "record_pages: section 'record-pages' written to $out" >&2
