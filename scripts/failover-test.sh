#!/bin/bash
# failover-test.sh -- psyclaim on a PostgreSQL that loses its primary (opt-in; not part of `make test`).
#
#   scripts/failover-test.sh [PSYCLAIM_BINARY]      (default build/psyclaim)
#
# Builds a pg_auto_failover formation on 127.0.0.1 from Debian's postgresql-15-auto-failover: a
# monitor, a primary and a synchronous secondary, each a `pg_autoctl run` service in a temp dir. psyclaim
# connects with the formation's multi-host URI (target_session_attrs=read-write). Two `psyclaim serve`
# processes run on it, and a writer exports 837P batches day by day (claims build for one date, then
# claims export per payer), recording every batch the command acknowledged (exit 0: its file and its
# ISA13). Part way the primary is killed (SIGKILL of its keeper and postmaster). Afterwards, on the new
# primary: every acknowledged batch is there with the same ISA13, ISA13/GS06/ST02 never repeat, no claim
# is in two batches or submitted outside one, and both servers answer /api/ready 200 again without a
# restart. Exits 0 when all of that holds. As root the services run as the `postgres` user.
set -eu

bin=$(readlink -f "${1:-build/psyclaim}")
[ -x "$bin" ] || { echo "failover-test: no psyclaim at $bin (build it first)" >&2; exit 2; }
command -v pg_autoctl >/dev/null || { echo "failover-test: pg_autoctl missing (apt-get install postgresql-15-auto-failover)" >&2; exit 2; }
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
work=$(mktemp -d "${TMPDIR:-/tmp}/psyclaim-failover.XXXXXX")
chmod 755 "$work"
user=$(id -un)
if [ "$(id -u)" -eq 0 ]; then user=postgres; chown postgres "$work"; fi
as_pg() { if [ "$user" = "$(id -un)" ]; then "$@"; else (cd / && runuser -u "$user" -- "$@"); fi; }
log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*"; }
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for d in node1 node2 monitor; do
    [ -d "$work/$d" ] || continue
    as_pg pg_autoctl stop --pgdata "$work/$d" --immediate >/dev/null 2>&1 || true
    as_pg "$pgbin/pg_ctl" -D "$work/$d" -m immediate stop >/dev/null 2>&1 || true
  done
  [ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() { local p; while :; do p=$(( RANDOM % 20000 + 30000 )); port_free "$p" && { echo "$p"; return; }; done; }
pm=$(free_port); p1=$(free_port); p2=$(free_port)

log "monitor on $pm, nodes on $p1 and $p2 (work dir $work)"
export PG_CONFIG="$pgbin/pg_config"
as_pg pg_autoctl create monitor --pgdata "$work/monitor" --pgport "$pm" --hostname 127.0.0.1 --auth trust --no-ssl \
  --pgctl "$pgbin/pg_ctl" >"$work/create-monitor.log" 2>&1
as_pg pg_autoctl run --pgdata "$work/monitor" >"$work/monitor.log" 2>&1 &
pids+=($!)
monitor=$(as_pg pg_autoctl show uri --pgdata "$work/monitor" --formation monitor)
declare -A keeper
for n in 1 2; do
  port=$p1; [ "$n" = 2 ] && port=$p2
  as_pg pg_autoctl create postgres --pgdata "$work/node$n" --pgport "$port" --hostname 127.0.0.1 --auth trust \
    --no-ssl --pgctl "$pgbin/pg_ctl" --monitor "$monitor" --dbname psyclaim --name "node$n" \
    >"$work/create-node$n.log" 2>&1
  as_pg pg_autoctl run --pgdata "$work/node$n" >"$work/node$n.log" 2>&1 &
  keeper[$n]=$!
  pids+=($!)
  # the second node joins once the first is primary
  for _ in $(seq 1 120); do
    as_pg pg_autoctl show state --pgdata "$work/monitor" 2>/dev/null | grep -q "node$n .*| *\(primary\|single\|secondary\) *| *\(primary\|single\|secondary\)" && break
    sleep 1
  done
done
for _ in $(seq 1 120); do
  st=$(as_pg pg_autoctl show state --pgdata "$work/monitor" 2>/dev/null || true)
  echo "$st" | grep -q "| *primary *| *primary" && echo "$st" | grep -q "| *secondary *| *secondary" && break
  sleep 1
done
echo "$st" | grep -q "| *secondary *| *secondary" || { echo "$st"; echo "failover-test: the formation never reached primary + secondary" >&2; exit 1; }
log "formation ready"
as_pg pg_autoctl show state --pgdata "$work/monitor"

uri="postgresql://postgres@127.0.0.1:$p1,127.0.0.1:$p2/psyclaim?target_session_attrs=read-write&connect_timeout=3"
"$bin" demo-data --db "$uri" --seed 5 --end 2026-03-31 --weeks 6 --clients 30 --groups 2 --clean >"$work/demo.log"
"$bin" claims build --db "$uri" --phone 5555550100 --to 2026-01-01 >/dev/null   # sets the contact; bills nothing

# each server prints its address on its first line; started here so that cleanup can stop it
for k in A B; do
  "$bin" serve --db "$uri" --listen 127.0.0.1:0 --threads 2 --quiet >"$work/serve$k.out" 2>"$work/serve$k.err" &
  pids+=($!)
done
addr() { for _ in $(seq 1 50); do grep -q http "$1" 2>/dev/null && break; sleep 0.2; done; sed -E 's|.*(http://127.0.0.1:[0-9]+).*|\1|;q' "$1"; }
srvA=$(addr "$work/serveA.out"); srvB=$(addr "$work/serveB.out")
log "servers $srvA $srvB"

# The writer: day by day, build that day's claims and export them per payer; an export that exits 0 is
# acknowledged and its batch (ISA13 from the file) goes to acked.txt.
payers=$("$bin" claims list --db "$uri" --json 2>/dev/null | grep -o '"payer_code": "[^"]*"' | sort -u | cut -d'"' -f4 || true)
[ -n "$payers" ] || payers=$(psql "$uri" -tAc "SELECT payer_code FROM payer" 2>/dev/null)
: >"$work/acked.txt"
writer() {
  local day d=0 n=0 ok
  while [ ! -e "$work/stop" ] && [ "$d" -lt 42 ]; do
    day=$(date -u -d "2026-02-17 + $d days" +%F)
    ok=1
    "$bin" claims build --db "$uri" --from "$day" --to "$day" >/dev/null 2>>"$work/writer.err" || ok=0
    for p in $payers; do
      [ "$ok" = 1 ] || break
      n=$((n + 1))
      if "$bin" claims export --db "$uri" --payer "$p" --out "$work/b$n.837" >>"$work/writer.out" 2>>"$work/writer.err"; then
        [ -s "$work/b$n.837" ] && echo "$(head -c 106 "$work/b$n.837" | cut -d'*' -f14) $n" >>"$work/acked.txt"
      else
        ok=0
      fi
    done
    # a failed day (the database away) is tried again until it goes through
    if [ "$ok" = 1 ]; then d=$((d + 1)); sleep 0.3; else sleep 1; fi
  done
}
writer &
wpid=$!
pids+=($wpid)

sleep 8
primary=$(as_pg pg_autoctl show state --pgdata "$work/monitor" | awk -F'|' '$0 ~ /\| *primary *\| *primary/ {gsub(/ /,"",$1); print $1; exit}')
[ -n "$primary" ] || { echo "failover-test: no primary to kill" >&2; exit 1; }
n=${primary#node}
log "killing the primary $primary (acknowledged so far: $(wc -l <"$work/acked.txt") batches)"
# the node's keeper (pg_autoctl run, by its pid file) and its postmaster: the machine is gone
kpid=$(head -n 1 "$(as_pg pg_autoctl show file --pgdata "$work/$primary" --pid)" 2>/dev/null || true)
if [ -n "$kpid" ]; then pkill -9 -P "$kpid" 2>/dev/null || true; kill -9 "$kpid" 2>/dev/null || true; fi
kill -9 "${keeper[$n]}" 2>/dev/null || true
pm_pid=$(head -n 1 "$work/$primary/postmaster.pid")
kill -9 "$pm_pid"
fail=0
ready_503=0
for _ in $(seq 1 120); do
  code=$(curl -s -o /dev/null -w '%{http_code}' "$srvA/api/ready" || true)
  [ "$code" = 503 ] && ready_503=$((ready_503 + 1))
  # the survivor takes writes as wait_primary (alone) or primary (once the old one rejoined)
  as_pg pg_autoctl show state --pgdata "$work/monitor" 2>/dev/null | grep -v "^$primary " |
    grep -Eq "\| *(wait_primary|primary) *\| *(wait_primary|primary) *$" && [ "$code" = 200 ] && break
  sleep 1
done
log "failed over (server A answered 503 $ready_503 times while it happened)"
as_pg pg_autoctl show state --pgdata "$work/monitor"
before=$(wc -l <"$work/acked.txt")
sleep 10
touch "$work/stop"
wait "$wpid" || true
after=$(wc -l <"$work/acked.txt")
if [ "$after" -gt "$before" ]; then echo "ok   writes go on after the failover ($((after - before)) more batches)"; else echo "FAIL no write acknowledged after the failover"; fail=1; fi
log "writer done: $(wc -l <"$work/acked.txt") batches acknowledged"

check() { # what, sql that must return 0
  local v
  v=$(psql "$uri" -tAc "$2")
  if [ "$v" != 0 ]; then echo "FAIL $1: $v"; fail=1; else echo "ok   $1"; fi
}
while read -r isa13 n; do
  got=$(psql "$uri" -tAc "SELECT count(*) FROM claim_batch WHERE isa13 = $isa13")
  [ "$got" = 1 ] || { echo "FAIL acknowledged batch ISA13 $isa13 (file b$n.837) found $got times"; fail=1; }
  stored=$(psql "$uri" -tAc "SELECT md5(bytes) FROM claim_batch WHERE isa13 = $isa13")
  [ "$stored" = "$(md5sum <"$work/b$n.837" | cut -d' ' -f1)" ] || { echo "FAIL batch ISA13 $isa13: stored bytes differ from the file"; fail=1; }
done <"$work/acked.txt"
[ "$fail" = 0 ] && echo "ok   every acknowledged batch is on the new primary, byte for byte"
check "no ISA13 repeated" "SELECT count(*) FROM (SELECT isa13 FROM claim_batch GROUP BY isa13 HAVING count(*) > 1) x"
check "no GS06 repeated" "SELECT count(*) FROM (SELECT gs06 FROM claim_batch GROUP BY gs06 HAVING count(*) > 1) x"
check "no ST02 repeated" "SELECT count(*) FROM (SELECT st02 FROM claim_batch GROUP BY st02 HAVING count(*) > 1) x"
check "no claim in two batches" "SELECT count(*) FROM (SELECT claim_id FROM claim_batch_claim GROUP BY claim_id HAVING count(*) > 1) x"
check "no claim submitted outside a batch" "SELECT count(*) FROM claim WHERE status NOT IN ('draft', 'ready') AND id NOT IN (SELECT claim_id FROM claim_batch_claim)"
check "no line billed twice" "SELECT count(*) FROM (SELECT session_id, client_id, code FROM claim_line GROUP BY 1, 2, 3 HAVING count(*) > 1) x"
for s in "$srvA" "$srvB"; do
  code=$(curl -s -o /dev/null -w '%{http_code}' "$s/api/ready")
  if [ "$code" = 200 ]; then echo "ok   $s ready again without a restart"; else echo "FAIL $s /api/ready $code"; fail=1; fi
done
echo "batches stored: $(psql "$uri" -tAc 'SELECT count(*) FROM claim_batch'), acknowledged: $(wc -l <"$work/acked.txt")"
[ "$fail" = 0 ] && log "failover test passed" || log "failover test FAILED (KEEP=1 keeps $work)"
exit "$fail"
